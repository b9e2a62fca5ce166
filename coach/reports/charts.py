"""Small inline SVG charts for the report pages: no plotting library, no script, nothing fetched.

Every function returns :class:`markupsafe.Markup` holding one ``<svg>`` element; every label passed in is
escaped here, because the markup is inserted into autoescaped templates as-is. Colours come from the
page's CSS custom properties where they carry meaning (met / missed / agent / customer), so print CSS and
the legend stay consistent.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="12"'


def _svg(width: float, height: float, body: str, title: str, css: str = "chart") -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def rate_color(rate: float | None) -> str:
    """Heatmap colour for a hit rate: red (0%) through amber to green (100%); grey when not applicable."""
    if rate is None:
        return "#eceff1"
    # rate ** 1.5 spends more of the red-to-amber range on the low rates, where coaching pays off.
    hue = round(120 * max(0.0, min(1.0, rate)) ** 1.5)
    return f"hsl({hue}, 72%, 80%)"


def pct(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.0f}%"


def hit_rate_bars(rows: Sequence[tuple[str, float | None, float | None, str]], title: str, compare_label: str = "") -> Markup:
    """Horizontal bars of hit rates: (label, rate, comparison rate, count text such as "9/11").

    The comparison is drawn as a dark tick on the bar and written in its own column.
    """
    label_w, bar_w, row_h, top = 290, 460, 26, 22
    compare = any(c is not None for _, _, c, _ in rows)
    width = label_w + bar_w + (190 if compare else 110)
    parts = [
        f'<text x="{label_w}" y="14" fill="#5f6b76">0%</text>',
        f'<text x="{label_w + bar_w / 2}" y="14" text-anchor="middle" fill="#5f6b76">50%</text>',
        f'<text x="{label_w + bar_w}" y="14" text-anchor="end" fill="#5f6b76">100%</text>',
        f'<text x="{label_w + bar_w + 56}" y="14" text-anchor="end" fill="#5f6b76">met</text>',
    ]
    if compare:
        parts.append(f'<text x="{width - 4}" y="14" text-anchor="end" fill="#5f6b76">{escape(compare_label)}</text>')
    for i, (label, rate, other, count) in enumerate(rows):
        y = top + i * row_h
        text = escape(label if len(label) <= 44 else label[:43] + "…")
        parts.append(f'<text x="{label_w - 10}" y="{y + 16}" text-anchor="end"><title>{escape(label)}</title>{text}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="18" rx="2" fill="#eceff1"/>')
        if rate is not None:
            parts.append(
                f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * rate:.1f}" height="18" rx="2" fill="{rate_color(rate)}" stroke="#90a4ae" stroke-width="0.5"/>'
            )
            parts.append(f'<text x="{label_w + 6}" y="{y + 17}" font-weight="600">{pct(rate)}</text>')
        else:
            parts.append(f'<text x="{label_w + 6}" y="{y + 17}" fill="#5f6b76">n/a</text>')
        parts.append(f'<text x="{label_w + bar_w + 56}" y="{y + 17}" text-anchor="end" fill="#5f6b76">{escape(count)}</text>')
        if other is not None:
            x = label_w + bar_w * other
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + 25}" stroke="#263238" stroke-width="3"><title>{escape(compare_label)}: {pct(other)}</title></line>'
            )
        if compare:
            parts.append(f'<text x="{width - 4}" y="{y + 17}" text-anchor="end">{pct(other)}</text>')
    return _svg(width, top + row_h * len(rows) + 6, "".join(parts), title)


GRADE_COLORS = ("#2e7d32", "#7cb342", "#fbc02d", "#fb8c00", "#c62828", "#6d4c41", "#546e7a")


def grade_bar(grades: Sequence[tuple[str, int]], title: str = "Grade distribution") -> Markup:
    """One stacked bar of grade counts, best grade first, with a legend underneath."""
    total = sum(n for _, n in grades) or 1
    width, x = 420, 0.0
    parts = []
    for i, (grade, n) in enumerate(grades):
        color = GRADE_COLORS[min(i, len(GRADE_COLORS) - 1)]
        w = width * n / total
        if n:
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="22" fill="{color}"><title>{escape(grade)}: {n}</title></rect>'
            )
            if w > 18:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="15" text-anchor="middle" fill="#fff" font-weight="bold">{escape(grade)}</text>'
                )
        parts.append(
            f'<rect x="{i * 60}" y="32" width="10" height="10" fill="{color}"/><text x="{i * 60 + 14}" y="41">{escape(grade)}: {n}</text>'
        )
        x += w
    return _svg(width, 48, "".join(parts), title, "chart wide")


def line_chart(
    points: Sequence[tuple[float, float]],
    *,
    title: str,
    y_range: tuple[float, float],
    x_labels: Sequence[tuple[float, str]] = (),
    y_ticks: Sequence[float] = (),
    links: Sequence[str | None] = (),
    tips: Sequence[str] = (),
    zero_line: bool = False,
    width: int = 640,
    height: int = 170,
) -> Markup:
    """A line with dots; each dot may link somewhere (``links``) and carries a tooltip (``tips``)."""
    left, right, top, bottom = 40, 12, 10, 26
    xs = [p[0] for p in points] or [0.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = y_range

    def sx(x: float) -> float:
        return left + (width - left - right) * ((x - x0) / (x1 - x0) if x1 > x0 else 0.5)

    def sy(y: float) -> float:
        return top + (height - top - bottom) * (1 - (y - y0) / (y1 - y0))

    parts = [
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" fill="#fafafa" stroke="#cfd8dc"/>'
    ]
    for tick in y_ticks:
        parts.append(f'<line x1="{left}" y1="{sy(tick):.1f}" x2="{width - right}" y2="{sy(tick):.1f}" stroke="#eceff1"/>')
        parts.append(f'<text x="{left - 4}" y="{sy(tick) + 4:.1f}" text-anchor="end" fill="#5f6b76">{tick:g}</text>')
    if zero_line:
        parts.append(
            f'<line x1="{left}" y1="{sy(0):.1f}" x2="{width - right}" y2="{sy(0):.1f}" stroke="#90a4ae" stroke-dasharray="4 3"/>'
        )
    for x, label in x_labels:
        anchor = "start" if sx(x) - left < 40 else "end" if width - right - sx(x) < 40 else "middle"
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 8}" text-anchor="{anchor}" fill="#5f6b76">{escape(label)}</text>')
    if len(points) > 1:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for i, (x, y) in enumerate(points):
        tip = f"<title>{escape(tips[i])}</title>" if i < len(tips) else ""
        color = "#c62828" if zero_line and y < -0.05 else "#1565c0"
        dot = f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="4" fill="{color}">{tip}</circle>'
        link = links[i] if i < len(links) else None
        parts.append(f'<a href="{escape(link)}">{dot}</a>' if link else dot)
    return _svg(width, height, "".join(parts), title, "chart wide")


def count_bars(rows: Sequence[tuple[str, int, float | None]], title: str) -> Markup:
    """Horizontal bars of counts (label, count, share acknowledged or None shown as text)."""
    label_w, bar_w, row_h = 170, 260, 24
    most = max((n for _, n, _ in rows), default=1) or 1
    parts = []
    for i, (label, n, ack) in enumerate(rows):
        y = i * row_h
        w = bar_w * n / most
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="16" fill="#90caf9"/>')
        if ack is not None and n:
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w * ack:.1f}" height="16" fill="#1e88e5"/>')
        note = f"{n} ({pct(ack)} acknowledged)" if ack is not None else str(n)
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{escape(note)}</text>')
    return _svg(label_w + bar_w + 160, row_h * len(rows) + 6, "".join(parts), title)


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], low: float, high: float) -> str:
    """A text sparkline for Markdown pages: ``▁▃▅█``."""
    if not values:
        return ""
    span = (high - low) or 1.0
    return "".join(SPARKS[min(len(SPARKS) - 1, max(0, int((v - low) / span * len(SPARKS))))] for v in values)
