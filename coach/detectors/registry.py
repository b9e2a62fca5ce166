"""The detector contract and registry.

A detector is a function ``(AnalyzedCall, DetectorContext) -> list[Finding]`` registered under a name
with the finding names it can produce. Rubrics name detectors and findings; :func:`known_findings`
lets the rubric loader reject a typo before any call is scored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from coach.model import TACTICS, Evidence, Finding, Role, Source


@dataclass(frozen=True)
class DetectorContext:
    """What a detector may know besides the call: thresholds and which trained models are loaded."""

    model_thresholds: dict[str, float] = field(default_factory=dict)  # label -> probability needed


@dataclass(frozen=True)
class DetectorSpec:
    name: str
    produces: tuple[str, ...]
    func: Callable


DETECTORS: dict[str, DetectorSpec] = {}

# Findings derived at scoring time from detector findings and the rubric's policy (see coach.scoring).
DERIVED_FINDINGS = ("tactic.repeated_save_attempts",)


def register(name: str, produces: tuple[str, ...]) -> Callable:
    """Register a detector function under ``name``: ``@register("gratitude", produces=("gratitude",))``."""

    def wrap(func: Callable) -> Callable:
        DETECTORS[name] = DetectorSpec(name, tuple(produces), func)
        return func

    return wrap


def known_findings() -> set[str]:
    import coach.detectors  # noqa: F401  (importing the package registers every detector)

    names = {n for spec in DETECTORS.values() for n in spec.produces}
    return names | set(DERIVED_FINDINGS) | {f"tactic.{t}" for t in TACTICS}


def evidence(ac, match, note: str = "", by: Source = Source.PATTERN, probability: float | None = None) -> Evidence:
    """Evidence quoting the turn a match (or model hit) came from."""
    turn = ac.turn(match if isinstance(match, int) else match.turn)
    if not note and not isinstance(match, int):
        note = f'matched "{match.span}"'
    rule = None if isinstance(match, int) else match.rule
    return Evidence.from_turn(turn, rule=rule, by=by, probability=probability, note=note)


def first_per_turn(matches) -> list:
    """One match per turn, in turn order: evidence quotes turns, not every phrase in them. The longest
    matched phrase in a turn is kept, as it explains the verdict best."""
    best: dict[int, object] = {}
    for m in matches:
        if m.turn not in best or len(m.span) > len(best[m.turn].span):
            best[m.turn] = m
    return [best[t] for t in sorted(best)]


def finding(name: str, matches, ac, value: str | None = None) -> list[Finding]:
    """A one-element list with the finding, or an empty list when nothing matched."""
    chosen = first_per_turn(matches)
    if not chosen:
        return []
    return [Finding(name, tuple(evidence(ac, m) for m in chosen), value)]


def model_evidence(ac, ctx, label: str, note: str, *, role: Role = Role.AGENT, skip: set[int] = frozenset(), turns=None) -> list[Evidence]:
    """Evidence for turns the ``label`` model scored at or above its threshold (said by ``role``), except
    turns already quoted (``skip``) and, when ``turns`` is given, outside those turns."""
    threshold = ctx.model_thresholds.get(label, 1.01)  # a label without a model never fires
    return [
        evidence(ac, turn, note=note, by=Source.MODEL, probability=p)
        for turn, name, p in ac.model_scores
        if name == label and p >= threshold and turn not in skip and ac.turn(turn).role is role and (turns is None or turn in turns)
    ]
