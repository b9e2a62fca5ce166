"""The numbers behind the coaching pages: pure functions from scorecards to summaries, no rendering.

Everything a page shows is computed here, so the tests can check the figures on a hand-built batch without
reading HTML. A :class:`CallEntry` is one scorecard with the agent and team it is reported under and the
name of its page; a :class:`GroupSummary` is what an agent, team or the whole batch did.

Definitions a trainer may ask about:

- **hit rate**: calls where the criterion was met over calls where it applied (n/a left out).
- **coaching priority**: criteria ranked by the score points their misses cost per call,
  ``100 * weight * missed / (total rubric weight * calls)``, then by miss rate, then rubric order.
- **acknowledged**: the customer gave a reason and the ``reason_ignored`` flag is off.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coach.model import TACTICS, Evidence, Outcome, Role, Scorecard
from coach.rubric import Rubric

UNKNOWN_AGENT = "(unknown agent)"
NO_TEAM = "(no team)"
NO_REASON = "not established"
TOP_PRIORITIES = 3
EXAMPLES_PER_PRIORITY = 3
QUOTES_PER_TACTIC = 2


@dataclass(frozen=True)
class CallEntry:
    """A scorecard as the report files it: under which agent and team, on which page."""

    card: Scorecard
    agent: str
    team: str
    page: str  # file stem of the call page, unique in the report
    day: dt.date | None = None


@dataclass(frozen=True)
class Example:
    """A quoted turn from a call (or, for an absence, the call and why nothing could be quoted)."""

    entry: CallEntry
    turn: int | None
    start: float | None
    speaker: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class CriterionStats:
    id: str
    label: str
    weight: float
    met: int
    missed: int
    na: int

    @property
    def applicable(self) -> int:
        return self.met + self.missed

    @property
    def hit_rate(self) -> float | None:
        return self.met / self.applicable if self.applicable else None


@dataclass(frozen=True)
class Priority:
    """A criterion to coach, with what it costs, quoted misses and the rubric's coaching text."""

    stats: CriterionStats
    points_per_call: float  # score points lost per call to this criterion's misses
    examples: tuple[Example, ...]  # from the group's own calls
    good_examples: tuple[Example, ...]  # met in a call of the wider team: "what it sounds like done well"
    tip: str
    try_saying: tuple[str, ...]
    critical: bool = False
    cap: float | None = None


@dataclass(frozen=True)
class TacticStats:
    name: str
    calls: int
    quotes: tuple[Example, ...]

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


@dataclass(frozen=True)
class ReasonStats:
    category: str
    stated: int
    acknowledged: int
    quotes: tuple[Example, ...] = ()

    @property
    def ack_rate(self) -> float | None:
        return self.acknowledged / self.stated if self.stated else None


@dataclass(frozen=True)
class TrendPoint:
    label: str  # "2026-02-09", "week of 2026-02-09" or "2026-02"
    start: dt.date
    calls: int
    mean_score: float


@dataclass(frozen=True)
class GroupSummary:
    """What one agent, one team or the whole batch did."""

    name: str
    entries: tuple[CallEntry, ...]
    mean_score: float
    grades: tuple[tuple[str, int], ...]
    criteria: tuple[CriterionStats, ...]
    tactics: tuple[TacticStats, ...]  # only tactics seen, most calls first
    pressure_calls: int
    reasons: tuple[ReasonStats, ...]  # stated reasons by category, most frequent first
    reason_not_stated: int
    reason_not_asked: int
    flag_counts: tuple[tuple[str, int], ...]
    trend: tuple[TrendPoint, ...]

    @property
    def calls(self) -> int:
        return len(self.entries)

    def criterion(self, id: str) -> CriterionStats | None:
        return next((c for c in self.criteria if c.id == id), None)


def parse_day(value: str | None) -> dt.date | None:
    """The calendar day of a scorecard's date (``2026-02-09`` or an ISO timestamp); None when unreadable."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def grade_order(rubric: Rubric, grades: Iterable[str]) -> list[str]:
    """The rubric's grades best first, then any other grade found in the cards."""
    ordered = [g for _, g in rubric.grade_bands]
    return ordered + sorted(set(grades) - set(ordered))


def summarize(name: str, entries: Sequence[CallEntry], rubric: Rubric) -> GroupSummary:
    """Every figure for one group of calls."""
    cards = [e.card for e in entries]
    grades = Counter(c.grade for c in cards)
    stated = [e for e in entries if e.card.reason.stated]
    by_reason: dict[str, list[CallEntry]] = {}
    for e in stated:
        by_reason.setdefault(e.card.reason.category or "other", []).append(e)
    reasons = [
        ReasonStats(cat, len(es), sum(1 for e in es if not _flag(e.card, "reason_ignored")), tuple(_reason_quotes(es)))
        for cat, es in by_reason.items()
    ]
    reasons.sort(key=lambda r: (-r.stated, r.category))
    flag_names = sorted({n for c in cards for n, _ in c.flags})
    return GroupSummary(
        name=name,
        entries=tuple(entries),
        mean_score=sum(c.score for c in cards) / len(cards) if cards else 0.0,
        grades=tuple((g, grades.get(g, 0)) for g in grade_order(rubric, grades)),
        criteria=criterion_stats(cards, rubric),
        tactics=tactic_stats(entries),
        pressure_calls=sum(1 for c in cards if c.pressure_tactics),
        reasons=tuple(reasons),
        reason_not_stated=len(cards) - len(stated),
        reason_not_asked=sum(1 for c in cards if _flag(c, "reason_not_asked")),
        flag_counts=tuple((n, sum(1 for c in cards if _flag(c, n))) for n in flag_names),
        trend=trend(entries),
    )


def _flag(card: Scorecard, name: str) -> bool:
    return bool(dict(card.flags).get(name, False))


def criterion_stats(cards: Sequence[Scorecard], rubric: Rubric) -> tuple[CriterionStats, ...]:
    """Met / missed / n/a counts per criterion, in rubric order; criteria only in the cards come last."""
    known = {c.id: (c.label, c.weight) for c in rubric.criteria}
    order = [c.id for c in rubric.criteria]
    for card in cards:
        for v in card.verdicts:
            if v.criterion not in known:
                known[v.criterion] = (v.label, v.max_points)
                order.append(v.criterion)
    counts: dict[str, Counter[Outcome]] = {cid: Counter() for cid in order}
    for card in cards:
        for v in card.verdicts:
            counts[v.criterion][v.outcome] += 1
    return tuple(
        CriterionStats(
            cid, known[cid][0], known[cid][1], counts[cid][Outcome.MET], counts[cid][Outcome.MISSED], counts[cid][Outcome.NA]
        )
        for cid in order
    )


def _clean(evidence: Iterable[Evidence], role: Role | None = Role.AGENT) -> list[Evidence]:
    items = list(evidence)
    preferred = [e for e in items if role is None or e.role is role]
    return preferred or items


def _example(entry: CallEntry, e: Evidence) -> Example:
    return Example(entry, e.turn, e.start, e.speaker, e.text, e.note)


def _pick(candidates: Iterable[Example], limit: int) -> tuple[Example, ...]:
    """Up to ``limit`` examples, one per call, in the order given."""
    chosen: list[Example] = []
    seen: set[str] = set()
    for ex in candidates:
        if ex.entry.page not in seen:
            seen.add(ex.entry.page)
            chosen.append(ex)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def tactic_stats(entries: Sequence[CallEntry]) -> tuple[TacticStats, ...]:
    """Calls with each pressure tactic and a few quotes (one per call, worst-scored calls first)."""
    result = []
    ranked = sorted(entries, key=lambda e: e.card.score)
    for name in (*TACTICS, *sorted({t for e in entries for t in e.card.pressure_tactics} - set(TACTICS))):
        hits = [e for e in ranked if name in e.card.pressure_tactics]
        if not hits:
            continue
        quotes = (
            _example(e, ev) for e in hits for f in e.card.findings if f.name == f"tactic.{name}" for ev in _clean(f.evidence)[:1]
        )
        result.append(TacticStats(name, len(hits), _pick(quotes, QUOTES_PER_TACTIC)))
    result.sort(key=lambda t: -t.calls)
    return tuple(result)


def _reason_quotes(entries: Sequence[CallEntry]) -> list[Example]:
    card_turns = ((e, e.card.reason) for e in entries if e.card.reason.text)
    return list(_pick((Example(e, r.turn, _turn_start(e.card, r.turn), "customer", r.text or "") for e, r in card_turns), 2))


def _turn_start(card: Scorecard, turn: int | None) -> float | None:
    return next((t.start for t in card.turns if t.index == turn), None)


def priorities(
    group: GroupSummary, rubric: Rubric, team: Sequence[CallEntry] = (), limit: int = TOP_PRIORITIES
) -> tuple[Priority, ...]:
    """The criteria whose misses cost this group the most points per call, with quoted examples.

    ``team`` is where examples of the criterion done well are looked for (the group's own calls first).
    """
    total_weight = sum(c.weight for c in rubric.criteria) or sum(c.weight for c in group.criteria) or 1.0
    ranked = []
    for order, stats in enumerate(group.criteria):
        if not stats.missed:
            continue
        cost = 100.0 * stats.weight * stats.missed / (total_weight * group.calls)
        ranked.append((-cost, -(stats.missed / stats.applicable), order, stats, cost))
    ranked.sort(key=lambda r: r[:3])
    own = {e.page for e in group.entries}
    wider = [*group.entries, *(e for e in team if e.page not in own)]
    result = []
    for *_, stats, cost in ranked[:limit]:
        criterion = next((c for c in rubric.criteria if c.id == stats.id), None)
        result.append(
            Priority(
                stats=stats,
                points_per_call=cost,
                examples=missed_examples(group.entries, stats.id),
                good_examples=good_examples(wider, stats.id),
                tip=criterion.tip if criterion else "",
                try_saying=criterion.try_saying if criterion else (),
                critical=bool(criterion and criterion.critical),
                cap=criterion.cap if criterion else None,
            )
        )
    return tuple(result)


def missed_examples(entries: Sequence[CallEntry], criterion: str, limit: int = EXAMPLES_PER_PRIORITY) -> tuple[Example, ...]:
    """Calls where ``criterion`` was missed: quoted evidence (a tactic, a near miss) first, lowest scores first."""
    quoted: list[Example] = []
    unquoted: list[Example] = []
    for entry in sorted(entries, key=lambda e: (e.card.score, e.page)):
        verdict = entry.card.verdict(criterion)
        if verdict is None or verdict.outcome is not Outcome.MISSED:
            continue
        evidence = _clean(verdict.evidence)
        if evidence:
            e = evidence[0]
            quoted.append(Example(entry, e.turn, e.start, e.speaker, e.text, e.note or verdict.why))
            continue
        # Nothing to quote for a behaviour that never happened: show how the agent closed the call instead.
        last = next((t for t in reversed(entry.card.turns) if t.role is Role.AGENT), None)
        if last is not None:
            unquoted.append(
                Example(entry, last.index, last.start, last.speaker, last.text, f"{verdict.why}. Quoted: the agent's last turn.")
            )
        else:
            unquoted.append(Example(entry, None, None, "", "", verdict.why))
    return _pick([*quoted, *unquoted], limit)


def good_examples(entries: Sequence[CallEntry], criterion: str, limit: int = 2) -> tuple[Example, ...]:
    """Agent turns that met ``criterion``, from the best-scored calls."""
    candidates = []
    for entry in sorted(entries, key=lambda e: (-e.card.score, e.page)):
        verdict = entry.card.verdict(criterion)
        if verdict is None or verdict.outcome is not Outcome.MET:
            continue
        agent_evidence = [e for e in verdict.evidence if e.role is Role.AGENT]
        if agent_evidence:
            candidates.append(_example(entry, agent_evidence[0]))
    return _pick(candidates, limit)


def trend(entries: Sequence[CallEntry]) -> tuple[TrendPoint, ...]:
    """Mean score per day (up to 45 days of data), per week (up to a year) or per month; () with < 2 periods."""
    dated = [e for e in entries if e.day is not None]
    if not dated:
        return ()
    first = min(e.day for e in dated)  # type: ignore[type-var]
    last = max(e.day for e in dated)  # type: ignore[type-var]
    span = (last - first).days

    def bucket(day: dt.date) -> tuple[dt.date, str]:
        if span <= 45:
            return day, day.isoformat()
        if span <= 366:
            monday = day - dt.timedelta(days=day.weekday())
            return monday, f"week of {monday.isoformat()}"
        return day.replace(day=1), day.strftime("%Y-%m")

    groups: dict[tuple[dt.date, str], list[float]] = {}
    for e in dated:
        groups.setdefault(bucket(e.day), []).append(e.card.score)  # type: ignore[arg-type]
    if len(groups) < 2:
        return ()
    return tuple(TrendPoint(label, start, len(s), sum(s) / len(s)) for (start, label), s in sorted(groups.items()))


def listen_lists(entries: Sequence[CallEntry], limit: int = 5) -> dict[str, tuple[CallEntry, ...]]:
    """The calls most worth a trainer's time: lowest scores, most pressure tactics, best examples to share."""
    lowest = sorted(entries, key=lambda e: (e.card.score, e.page))[:limit]
    pressure = sorted(
        (e for e in entries if e.card.pressure_tactics), key=lambda e: (-len(e.card.pressure_tactics), e.card.score, e.page)
    )
    best = sorted(
        (e for e in entries if not e.card.pressure_tactics),
        key=lambda e: (-e.card.score, -sum(1 for v in e.card.verdicts if v.outcome is Outcome.MET and v.evidence), e.page),
    )
    return {"lowest": tuple(lowest), "pressure": tuple(pressure[:limit]), "best": tuple(best[:limit])}


def pressure_matrix(groups: Sequence[GroupSummary]) -> tuple[tuple[str, ...], tuple[tuple[GroupSummary, tuple[int, ...]], ...]]:
    """Tactic names seen in any group, and per group the number of calls with each."""
    seen = {t.name for g in groups for t in g.tactics}
    names = tuple(t for t in TACTICS if t in seen) + tuple(sorted(seen - set(TACTICS)))
    rows = tuple((g, tuple(next((t.calls for t in g.tactics if t.name == n), 0) for n in names)) for g in groups)
    return names, rows
