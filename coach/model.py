"""The core model every part of coach speaks: Call, Turn, Evidence, Finding, Verdict, Scorecard.

Plain frozen dataclasses with no I/O. Instances are immutable and hashable (mappings are stored as
sorted tuples of pairs for that reason), so a Call can be shared between detectors without copies and
a Scorecard can be cached or compared.

The split between ``Finding`` and ``Verdict`` is deliberate: detectors report *what happened* in a
call (findings, each with quoted evidence); a rubric turns findings into *verdicts* per criterion.
A stored scorecard keeps its findings, so a call can be re-scored against another rubric without
re-reading its transcript.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Role(str, Enum):
    """Who a speaker is in the call."""

    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"  # IVR, bot, hold messages
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # so f-strings and tables show "agent", not "Role.AGENT"
        return self.value


class Outcome(str, Enum):
    """A rubric criterion's verdict."""

    MET = "met"
    MISSED = "missed"
    NA = "n/a"

    def __str__(self) -> str:
        return self.value


class Source(str, Enum):
    """What produced a piece of evidence or a verdict."""

    PATTERN = "pattern"
    MODEL = "model"
    RULE = "rule"  # derived by call-level logic (counts, sequences, absences)
    REVIEWER = "reviewer"

    def __str__(self) -> str:
        return self.value


def _pairs(mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    if mapping is None:
        return ()
    items = mapping.items() if isinstance(mapping, Mapping) else mapping
    return tuple(sorted((str(k), v) for k, v in items))


@dataclass(frozen=True)
class Turn:
    """One speaker's uninterrupted contribution, as read from the transcript.

    ``location`` says where it came from in the source file (``"line 12"``, ``"$.results.items[40]"``,
    ``"row 7"``, ``"cue 3"``), so every error and every piece of evidence can point back at the file.
    """

    index: int
    speaker: str
    text: str
    role: Role = Role.UNKNOWN
    start: float | None = None
    end: float | None = None
    location: str = ""

    def with_role(self, role: Role) -> Turn:
        return dataclasses.replace(self, role=role)


@dataclass(frozen=True)
class Call:
    """A whole conversation with its turns and what is known about it.

    ``metadata`` holds header fields the readers found and that have no typed field (stored as sorted
    pairs so the Call stays hashable; use :meth:`meta` to look one up). ``role_confidence`` is how sure
    role inference is that the agent was identified (1.0 for explicit labels); ``warnings`` are
    non-fatal problems a reviewer should see (low role confidence, empty turns dropped, ...).
    """

    call_id: str
    source: str
    turns: tuple[Turn, ...]
    format: str = ""
    agent: str | None = None
    team: str | None = None
    date: str | None = None
    channel: str | None = None  # "voice" | "chat" | None
    metadata: tuple[tuple[str, str], ...] = ()
    role_confidence: float | None = None
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists and dicts from callers; store tuples so the dataclass stays hashable.
        object.__setattr__(self, "turns", tuple(self.turns))
        object.__setattr__(self, "metadata", _pairs(self.metadata))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    def meta(self, key: str, default: str | None = None) -> str | None:
        return dict(self.metadata).get(key, default)

    def turns_by(self, role: Role) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.role is role)

    def speakers(self) -> dict[str, Role]:
        """Speaker label -> role, in order of first appearance."""
        seen: dict[str, Role] = {}
        for turn in self.turns:
            seen.setdefault(turn.speaker, turn.role)
        return seen

    def replace(self, **changes: Any) -> Call:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Evidence:
    """A quoted turn (or part of one) that supports a finding or verdict.

    ``rule`` names what fired: a pattern id such as ``"gratitude.tenure"`` or a model name.
    ``probability`` is the model's probability when ``by`` is ``model``. ``note`` explains an
    absence or a near miss ("closest candidate: 'thanks for holding' is courtesy, not gratitude").
    """

    turn: int
    speaker: str
    role: Role
    text: str
    start: float | None = None
    rule: str | None = None
    by: Source = Source.PATTERN
    probability: float | None = None
    note: str = ""

    @classmethod
    def from_turn(cls, turn: Turn, **kw: Any) -> Evidence:
        return cls(turn=turn.index, speaker=turn.speaker, role=turn.role, text=turn.text, start=turn.start, **kw)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "turn": self.turn,
            "speaker": self.speaker,
            "role": self.role.value,
            "text": self.text,
            "start": self.start,
            "rule": self.rule,
            "by": self.by.value,
        }
        if self.probability is not None:
            d["probability"] = round(self.probability, 4)
        if self.note:
            d["note"] = self.note
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Evidence:
        return cls(
            turn=int(d["turn"]),
            speaker=str(d.get("speaker", "")),
            role=Role(d.get("role", "unknown")),
            text=str(d.get("text", "")),
            start=d.get("start"),
            rule=d.get("rule"),
            by=Source(d.get("by", "pattern")),
            probability=d.get("probability"),
            note=d.get("note", ""),
        )


@dataclass(frozen=True)
class Finding:
    """Something a detector observed in a call, e.g. ``gratitude`` or ``tactic.fear_of_loss``.

    A finding is present-only: the absence of a behaviour is the absence of its finding. Detectors
    may also emit ``near_miss.<behaviour>`` findings for candidates they rejected, so an absence
    verdict can show the closest candidate and why it did not count. ``value`` carries a detail
    such as the reason category or an offer count.
    """

    name: str
    evidence: tuple[Evidence, ...] = ()
    value: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(d["name"], tuple(Evidence.from_dict(e) for e in d.get("evidence", ())), d.get("value"))


@dataclass(frozen=True)
class Verdict:
    """One rubric criterion's outcome for one call, with the evidence that decides it."""

    criterion: str
    label: str
    outcome: Outcome
    points: float
    max_points: float
    evidence: tuple[Evidence, ...] = ()
    why: str = ""
    source: Source = Source.PATTERN

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.criterion,
            "label": self.label,
            "verdict": self.outcome.value,
            "points": round(self.points, 2),
            "max_points": round(self.max_points, 2),
            "evidence": [e.to_dict() for e in self.evidence],
            "why": self.why,
            "source": self.source.value,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Verdict:
        return cls(
            criterion=d["id"],
            label=d.get("label", d["id"]),
            outcome=Outcome(d["verdict"]),
            points=float(d.get("points", 0.0)),
            max_points=float(d.get("max_points", 0.0)),
            evidence=tuple(Evidence.from_dict(e) for e in d.get("evidence", ())),
            why=d.get("why", ""),
            source=Source(d.get("source", "pattern")),
        )


@dataclass(frozen=True)
class Sentiment:
    """The customer's VADER compound sentiment over the call (-1..1); None when the customer never spoke."""

    start: float | None = None
    end: float | None = None
    min: float | None = None
    trend: float | None = None  # end - start
    per_turn: tuple[tuple[int, float], ...] = ()  # (turn index, compound) for customer turns

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "start": r(self.start),
            "end": r(self.end),
            "min": r(self.min),
            "trend": r(self.trend),
            "per_turn": [[i, round(v, 4)] for i, v in self.per_turn],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Sentiment:
        d = d or {}
        return cls(d.get("start"), d.get("end"), d.get("min"), d.get("trend"), tuple((int(i), float(v)) for i, v in d.get("per_turn", ())))


@dataclass(frozen=True)
class Reason:
    """Why the customer is leaving, as established in the call."""

    stated: bool = False
    category: str | None = None  # price | moving | service_quality | competitor | no_longer_needed | financial_hardship | life_event | other
    text: str | None = None
    turn: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"stated": self.stated, "category": self.category, "text": self.text, "turn": self.turn}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Reason:
        d = d or {}
        return cls(bool(d.get("stated", False)), d.get("category"), d.get("text"), d.get("turn"))


FLAG_NAMES = ("missing_gratitude", "reason_not_asked", "why_leaving_unanswered", "reason_ignored", "pressure")

TACTICS = (
    "refusal_to_cancel",
    "repeated_save_attempts",
    "interrogation",
    "guilt_or_shame",
    "fear_of_loss",
    "false_urgency",
    "arguing",
    "penalty_threat",
)


@dataclass(frozen=True)
class Scorecard:
    """A call scored against a rubric: the output contract of ``coach score``.

    ``to_dict`` produces exactly the JSONL record documented in the README; ``from_dict`` reads it
    back, so reports and re-scoring never need the transcript again.
    """

    call_id: str
    source: str
    score: float
    grade: str
    verdicts: tuple[Verdict, ...]
    flags: tuple[tuple[str, bool], ...]
    pressure_tactics: tuple[str, ...]
    reason: Reason
    sentiment: Sentiment
    findings: tuple[Finding, ...] = ()
    agent: str | None = None
    team: str | None = None
    date: str | None = None
    channel: str | None = None
    rubric: str = ""
    warnings: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = field(default=(), compare=False)  # kept for `coach show` and call pages

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdicts", tuple(self.verdicts))
        object.__setattr__(self, "flags", _pairs(self.flags))
        object.__setattr__(self, "pressure_tactics", tuple(self.pressure_tactics))
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "turns", tuple(self.turns))

    def flag(self, name: str) -> bool:
        return dict(self.flags)[name]

    def verdict(self, criterion: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.criterion == criterion), None)

    def to_dict(self, include_turns: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "call_id": self.call_id,
            "source": self.source,
            "agent": self.agent,
            "team": self.team,
            "date": self.date,
            "channel": self.channel,
            "score": round(self.score, 1),
            "grade": self.grade,
            "rubric": self.rubric,
            "flags": dict(self.flags),
            "pressure_tactics": list(self.pressure_tactics),
            "reason": self.reason.to_dict(),
            "criteria": [v.to_dict() for v in self.verdicts],
            "customer_sentiment": self.sentiment.to_dict(),
            "warnings": list(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
        }
        if include_turns:
            d["turns"] = [
                {"index": t.index, "speaker": t.speaker, "role": t.role.value, "text": t.text, "start": t.start, "end": t.end}
                for t in self.turns
            ]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scorecard:
        return cls(
            call_id=d["call_id"],
            source=d.get("source", ""),
            score=float(d["score"]),
            grade=d.get("grade", ""),
            verdicts=tuple(Verdict.from_dict(v) for v in d.get("criteria", ())),
            flags=d.get("flags", {}),
            pressure_tactics=tuple(d.get("pressure_tactics", ())),
            reason=Reason.from_dict(d.get("reason")),
            sentiment=Sentiment.from_dict(d.get("customer_sentiment")),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", ())),
            agent=d.get("agent"),
            team=d.get("team"),
            date=d.get("date"),
            channel=d.get("channel"),
            rubric=d.get("rubric", ""),
            warnings=tuple(d.get("warnings", ())),
            turns=tuple(
                Turn(int(t["index"]), t.get("speaker", ""), t.get("text", ""), Role(t.get("role", "unknown")), t.get("start"), t.get("end"))
                for t in d.get("turns", ())
            ),
        )
