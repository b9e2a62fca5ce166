"""Fill the report templates: decide the pages, name their files safely, and render HTML or Markdown.

HTML is rendered with autoescape on, so every transcript string (quotes, speaker names, call ids) reaches
the page as text; Markdown output escapes the characters Markdown and inline HTML would act on. Pages link
to each other by relative paths only, so a report folder can be zipped, mailed or opened from disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from coach.model import Outcome, Role, Scorecard
from coach.reports import aggregate as agg
from coach.reports import charts
from coach.rubric import Rubric

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_NOT_SAFE = re.compile(r"[^a-z0-9._-]+")
MAX_STEM = 60


def safe_stem(name: str, taken: set[str]) -> str:
    """A file-name stem for ``name`` that is safe on every OS and unique among ``taken`` (case-insensitively).

    Only ``a-z 0-9 . _ -``; no leading dot or dash (no hidden files, no option-looking names, no ``..``);
    Windows device names and collisions get a short hash of the original name.

    >>> taken = set()
    >>> safe_stem("../../etc/passwd", taken), safe_stem("Ana María", taken), safe_stem("ana maria", taken)[:10]
    ('etc-passwd', 'ana-maria', 'ana-maria-')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    stem = _NOT_SAFE.sub("-", ascii_name)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:MAX_STEM].rstrip("._-")
    if not stem or stem in _WINDOWS_RESERVED or stem in taken:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        stem = f"{stem}-{digest}" if stem else f"x-{digest}"
        n = 2
        while stem in taken:
            stem, n = f"{stem.rsplit('~', 1)[0]}~{n}", n + 1
    taken.add(stem)
    return stem


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


_ENTITY = re.compile(r"&(?=#?\w+;)")  # only an "&" that would start an HTML entity needs escaping
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")  # "(", "!", "+" are inert: links need "[" and no value starts a line


def md_escape(value: Any) -> str:
    """Text for a Markdown page: Markdown punctuation and inline HTML neutralised, one line."""
    if isinstance(value, Markup):
        return str(value)
    text = "" if value is None else str(value)
    text = _ENTITY.sub("&amp;", text).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


@dataclass
class Pages:
    """File stems for every page of one report."""

    teams: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)


class Report:
    """One report's entries, summaries and page names; renders each page's context."""

    def __init__(self, cards: Sequence[Scorecard], rubric: Rubric, *, by: str, team_map: Mapping[str, str] | None):
        self.rubric = rubric
        self.by = by
        team_map = dict(team_map or {})
        taken: set[str] = set()
        entries = []
        for card in cards:
            agent = (card.agent or "").strip() or agg.UNKNOWN_AGENT
            team = team_map.get(agent) or (card.team or "").strip() or agg.NO_TEAM
            entries.append(agg.CallEntry(card, agent, team, safe_stem(card.call_id, taken), agg.parse_day(card.date)))
        entries.sort(key=lambda e: (*_name_key(e.team), *_name_key(e.agent), e.day or dt.date.min, e.card.call_id))
        self.entries = entries
        self.overall = agg.summarize("All calls", entries, rubric)
        self.teams = {
            name: agg.summarize(name, [e for e in entries if e.team == name], rubric)
            for name in _names({e.team for e in entries})
        }
        self.agents = {
            name: agg.summarize(name, [e for e in entries if e.agent == name], rubric)
            for name in _names({e.agent for e in entries})
        }
        self.agent_team = {name: Counter(e.team for e in s.entries).most_common(1)[0][0] for name, s in self.agents.items()}
        self.pages = Pages()
        team_taken: set[str] = set()
        self.pages.teams = {name: safe_stem(name, team_taken) for name in self.teams}
        if by == "agent":
            agent_taken: set[str] = set()
            self.pages.agents = {name: safe_stem(name, agent_taken) for name in self.agents}
        rubrics = Counter(e.card.rubric for e in entries if e.card.rubric)
        self.notes = [
            f"{n} call(s) were scored with rubric {label!r}; coaching text comes from {rubric.label!r}"
            for label, n in sorted(rubrics.items())
            if label != rubric.label
        ]

    # -- shared pieces ------------------------------------------------------------------------------------

    def _common(self, root: str, ext: str) -> dict[str, Any]:
        return {
            "root": root,
            "ext": ext,
            "rubric": self.rubric,
            "pages": self.pages,
            "by": self.by,
            "overall": self.overall,
            "generated": dt.date.today().isoformat(),
            "pct": charts.pct,
            "clock": clock,
            "heat": charts.rate_color,
            "humanize": humanize,
            "plural": lambda n, word: f"{n} {word}{'' if n == 1 else 's'}",
            "url": lambda folder, stem, turn=None: page_url(root, folder, stem, ext, turn),
        }

    def _ranking(self, entries_team: str | None) -> list[agg.GroupSummary]:
        agents = [
            agg.summarize(name, [e for e in s.entries if entries_team is None or e.team == entries_team], self.rubric)
            for name, s in self.agents.items()
            if entries_team is None or any(e.team == entries_team for e in s.entries)
        ]
        return sorted(agents, key=lambda s: (-s.mean_score, -s.calls, s.name))

    def _criteria_chart(self, group: agg.GroupSummary, compare: agg.GroupSummary | None, compare_label: str) -> Markup:
        rows = []
        for c in group.criteria:
            other = compare.criterion(c.id) if compare is not None else None
            rows.append((c.label, c.hit_rate, other.hit_rate if other else None, f"{c.met}/{c.applicable}"))
        return charts.hit_rate_bars(rows, f"Criterion hit rates: {group.name}", compare_label)

    def _trend_chart(self, group: agg.GroupSummary, width: int = 1000) -> Markup | None:
        if not group.trend:
            return None
        points = [(float(i), p.mean_score) for i, p in enumerate(group.trend)]
        labels = [(float(i), group.trend[i].label.replace("week of ", "wk ")) for i in label_positions(len(points), width // 130)]
        tips = [f"{p.label}: {p.mean_score:.0f} average over {p.calls} call(s)" for p in group.trend]
        return charts.line_chart(
            points,
            title=f"Average score over time: {group.name}",
            y_range=(0, 100),
            y_ticks=(0, 50, 100),
            x_labels=labels,
            tips=tips,
            width=width,
        )

    # -- pages --------------------------------------------------------------------------------------------

    def index(self, ext: str) -> dict[str, Any]:
        teams = [(s, self._ranking(name)) for name, s in self.teams.items()]
        return {
            **self._common("", ext),
            "title": "Coaching report",
            "teams": teams,
            "entries": self.entries,
            "notes": self.notes,
            "grade_chart": charts.grade_bar(self.overall.grades),
            "criteria_chart": self._criteria_chart(self.overall, None, ""),
            "trend_chart": self._trend_chart(self.overall),
            "listen": agg.listen_lists(self.entries),
        }

    def team(self, name: str, ext: str) -> dict[str, Any]:
        summary = self.teams[name]
        ranking = self._ranking(name)
        names, pressure_rows = agg.pressure_matrix([a for a in ranking if a.pressure_calls])
        return {
            **self._common("../", ext),
            "title": f"Team {name}",
            "team": summary,
            "ranking": ranking,
            "tactic_names": names,
            "pressure_rows": pressure_rows,
            "priorities": agg.priorities(summary, self.rubric, self.overall.entries),
            "listen": agg.listen_lists(summary.entries),
            "grade_chart": charts.grade_bar(summary.grades),
            "criteria_chart": self._criteria_chart(summary, self.overall, "all calls"),
            "reasons_chart": charts.count_bars(
                [(humanize(r.category), r.stated, r.ack_rate) for r in summary.reasons], f"Reasons for leaving: {name}"
            )
            if summary.reasons
            else None,
            "trend_chart": self._trend_chart(summary),
        }

    def agent(self, name: str, ext: str) -> dict[str, Any]:
        summary = self.agents[name]
        team_name = self.agent_team[name]
        team = self.teams[team_name]
        return {
            **self._common("../", ext),
            "title": f"Coaching: {name}",
            "agent": summary,
            "team": team,
            "priorities": agg.priorities(summary, self.rubric, team.entries),
            "grade_chart": charts.grade_bar(summary.grades),
            "criteria_chart": self._criteria_chart(summary, team, f"team {team_name}"),
            "trend_chart": self._trend_chart(summary, 520),
        }

    def call(self, entry: agg.CallEntry, ext: str) -> dict[str, Any]:
        card = entry.card
        speakers = list(dict.fromkeys(t.speaker for t in card.turns))
        roles = {t.speaker: t.role for t in card.turns}
        per_role: Counter[Role] = Counter()
        speaker_class = {}
        for speaker in speakers:
            role = roles[speaker]
            speaker_class[speaker] = f"{role.value} {role.value}-{min(per_role[role], 2)}"
            per_role[role] += 1
        return {
            **self._common("../", ext),
            "title": f"Call {card.call_id}",
            "entry": entry,
            "card": card,
            "marks": turn_marks(card, self.rubric),
            "speaker_class": speaker_class,
            "missed": [
                (v, next((c for c in self.rubric.criteria if c.id == v.criterion), None))
                for v in card.verdicts
                if v.outcome is Outcome.MISSED
            ],
            "sentiment_chart": sentiment_chart(card),
            "sentiment_spark": charts.sparkline([v for _, v in card.sentiment.per_turn], -1.0, 1.0),
            "Outcome": Outcome,
        }

    def all_pages(self) -> Iterator[tuple[str, str, Callable[[str], dict[str, Any]]]]:
        """(folder, stem, context function) for every page, index first."""
        yield "", "index", self.index
        for name, stem in self.pages.teams.items():
            yield "teams", stem, lambda ext, n=name: self.team(n, ext)
        for name, stem in self.pages.agents.items():
            yield "agents", stem, lambda ext, n=name: self.agent(n, ext)
        for entry in self.entries:
            yield "calls", entry.page, lambda ext, e=entry: self.call(e, ext)


def _name_key(name: str) -> tuple[bool, str]:
    """Sort key that puts "(no team)" and "(unknown agent)" after every real name."""
    return name in (agg.NO_TEAM, agg.UNKNOWN_AGENT), name.casefold()


def _names(names: set[str]) -> list[str]:
    return sorted(names, key=_name_key)


def page_url(root: str, folder: str, stem: str, ext: str, turn: int | None = None) -> Markup:
    """A relative link to a report page (stems are already file-name safe); turn anchors in HTML only."""
    path = f"{root}{folder}/{stem}.{ext}" if folder else f"{root}{stem}.{ext}"
    return Markup(path + (f"#turn-{int(turn)}" if turn is not None and ext == "html" else ""))


def humanize(name: str) -> str:
    return name.replace("_", " ").replace(".", ": ")


@dataclass(frozen=True)
class Mark:
    label: str
    kind: str  # met | missed | near | pressure | reason
    note: str = ""


def turn_marks(card: Scorecard, rubric: Rubric) -> dict[int, list[Mark]]:
    """Turn index -> the labels a reviewer sees beside it: criteria met, tactics, near misses, the reason."""
    marks: dict[int, list[Mark]] = {}

    def add(turn: int, mark: Mark) -> None:
        existing = marks.setdefault(turn, [])
        if all(m.label != mark.label for m in existing):
            existing.append(mark)

    tactic_turns = set()
    for finding in card.findings:
        if finding.name.startswith("tactic."):
            for e in finding.evidence:
                if e.role is not Role.CUSTOMER:
                    tactic_turns.add(e.turn)
                    add(e.turn, Mark(f"pressure: {humanize(finding.name.split('.', 1)[1])}", "pressure", e.note))
    for v in card.verdicts:
        for e in v.evidence:
            if v.outcome is Outcome.MET:
                add(e.turn, Mark(v.label, "met", e.note))
            elif v.outcome is Outcome.MISSED and e.turn not in tactic_turns and e.role is not Role.CUSTOMER:
                add(e.turn, Mark(f"near miss: {v.label}", "near", e.note))
    if card.reason.stated and card.reason.turn is not None:
        add(card.reason.turn, Mark(f"reason for leaving: {card.reason.category or 'other'}", "reason"))
    return marks


def sentiment_chart(card: Scorecard) -> Markup | None:
    per_turn = card.sentiment.per_turn
    if not per_turn:
        return None
    points = [(float(i), v) for i, v in per_turn]
    labels = [(float(per_turn[k][0]), f"turn {per_turn[k][0]}") for k in label_positions(len(per_turn), 6)]
    tips = [f"turn {i}: {v:+.2f}" for i, v in per_turn]
    links = [f"#turn-{i}" for i, _ in per_turn]
    return charts.line_chart(
        points, title="Customer sentiment by turn (VADER compound, -1 to +1)", y_range=(-1, 1), y_ticks=(-1, 0, 1),
        x_labels=labels, tips=tips, links=links, zero_line=True, width=520,
    )  # fmt: skip


def label_positions(count: int, most: int) -> list[int]:
    """Up to ``most`` evenly spaced indexes out of ``count``, always the first and the last."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (max(most, 2) - 1)
    return sorted({round(k * step) for k in range(max(most, 2))})
