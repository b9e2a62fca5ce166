"""Turn calls into scorecards: run the detectors, apply the rubric, compute flags and sentiment.

Scoring proper (:func:`score_findings`) is a pure function of findings and a rubric, so a stored scorecard
can be re-scored against another rubric or save-offer policy without its transcript (:func:`rescore`).
The :class:`Analyzer` owns the expensive parts (spaCy pipeline, matchers, VADER, trained models) and is
built once per process.

>>> from coach.readers import read_calls                      # doctest: +SKIP
>>> card = Analyzer().analyze(read_calls("call.txt")[0])      # doctest: +SKIP
>>> card.score, card.grade, card.pressure_tactics             # doctest: +SKIP
(82.5, 'B', ())
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import replace

from coach.detectors import DetectorContext, run_detectors
from coach.detectors.registry import DERIVED_FINDINGS
from coach.model import TACTICS, Call, Evidence, Finding, Outcome, Reason, Role, Scorecard, Sentiment, Source, Verdict
from coach.rubric import Criterion, Rubric, load_rubric

# A save attempt the offer model alone recognised, this unsure, is not enough to call an offer a *repeated*
# one: a repeat is a pressure tactic that caps the grade, and the model's low-confidence hits are mostly
# plan details read back ("so you're on Monthly Plus at $9") or exit costs ("removal is a flat $125").
REPEAT_MIN_MODEL_PROBABILITY = 0.65

log = logging.getLogger(__name__)


class Analyzer:
    """Builds the NLP pipeline (and loads trained models) once; scores any number of calls.

    ``use_model=False`` scores with patterns only. When models are asked for but none can be loaded, the
    analyzer falls back to patterns and says so in every scorecard's warnings.
    """

    def __init__(self, rubric: Rubric | None = None, *, use_model: bool = True, models_dir: str | None = None, only_models: bool = False):
        from coach.nlp import Pipeline

        # only_models drops pattern matches for the labels the models cover, to measure the models alone.
        self.only_models = only_models
        self.rubric = rubric or load_rubric()
        self.pipeline = Pipeline()
        self.models = None
        self.warnings: tuple[str, ...] = ()
        if use_model:
            from coach.models import load_models

            self.models, problem = load_models(models_dir)
            if problem:
                self.warnings = (problem,)
        thresholds = self.models.thresholds if self.models is not None else {}
        self.context = DetectorContext(model_thresholds=dict(thresholds))

    def analyze(self, call: Call) -> Scorecard:
        return self.analyze_many([call])[0]

    def analyze_many(self, calls: Sequence[Call]) -> list[Scorecard]:
        """Score several calls; tokenizing them together in one ``nlp.pipe`` batch is faster."""
        analyzed = self.pipeline.analyze(calls)
        if self.models is not None:
            analyzed = self.models.annotate(analyzed)
            if self.only_models:
                covered = set(self.models.labels_)
                analyzed = [replace(ac, matches=tuple(m for m in ac.matches if m.label not in covered)) for ac in analyzed]
        cards = []
        for ac in analyzed:
            findings = run_detectors(ac, self.context)
            cards.append(score_findings(ac.call, findings, self.rubric, sentiment_summary(ac.sentiment), self.warnings))
        return cards


_DEFAULT: dict[str, Analyzer] = {}


def analyze(call: Call, rubric: Rubric | None = None) -> Scorecard:
    """Score one call with a cached default :class:`Analyzer` (built on first use)."""
    key = rubric.path if rubric is not None else ""
    if key not in _DEFAULT:
        _DEFAULT[key] = Analyzer(rubric)
    return _DEFAULT[key].analyze(call)


def sentiment_summary(per_turn: Sequence[tuple[int, float]]) -> Sentiment:
    """Start, end, minimum and trend of the customer's VADER compound scores over the call."""
    if not per_turn:
        return Sentiment()
    values = [v for _, v in per_turn]
    # Two turns at each end: one "okay" or "thanks, bye" should not decide the mood of a call.
    start = sum(values[:2]) / len(values[:2])
    end = sum(values[-2:]) / len(values[-2:])
    return Sentiment(start=start, end=end, min=min(values), trend=end - start, per_turn=tuple(per_turn))


def derive_policy_findings(findings: Sequence[Finding], allowed_save_offers: int) -> list[Finding]:
    """Findings that depend on the rubric's policy: today, save attempts beyond the allowed number.

    An attempt counts against the limit only when the customer said no (declined, or asked again to
    cancel) since the previous attempt: elaborating on one offer is one attempt. Once the agent has confirmed
    the cancellation nothing is a save attempt any more ("we'll forward your mail at no charge" is exit help).
    """
    by_name = {f.name: f for f in findings}
    attempts = by_name.get("save_attempt")
    nos = by_name.get("customer_no")
    if attempts is None or nos is None:
        return []
    no_turns = [e.turn for e in nos.evidence]
    # A "confirmation" the agent followed with another pitch that the customer turned down at once was not final
    # ("once it's cancelled the seat goes back to the pool... could we not freeze it instead?" - "No, cancel it"):
    # the cut-off is the first confirmation after which no attempt met a no in the reply. A "no, that's
    # everything" several turns after exit help is an answer to "anything else?", not to a pitch.
    trusted = [e for e in attempts.evidence if not (e.by is Source.MODEL and (e.probability or 0) < REPEAT_MIN_MODEL_PROBABILITY)]
    confirmed = by_name.get("confirm_cancellation")
    cutoff = None
    for c in sorted(e.turn for e in confirmed.evidence) if confirmed else ():
        if not any(c <= a.turn < n <= a.turn + 2 for a in trusted for n in no_turns):
            cutoff = c
            break
    counted = [e for e in trusted if cutoff is None or e.turn < cutoff]
    attempt_turns = [e.turn for e in counted]
    extra = []
    for k, attempt in enumerate(counted):
        if k < allowed_save_offers:
            continue
        previous = attempt_turns[k - 1] if k > 0 else -1
        if any(previous < n < attempt.turn for n in no_turns):
            extra.append(attempt)
    if not extra:
        return []
    note = f"save attempt after the customer said no (policy allows {allowed_save_offers})"
    refusals = [e for e in nos.evidence if e.turn < extra[-1].turn][-2:]
    evidence = [Evidence(**{**e.__dict__, "note": note}) for e in extra] + refusals
    return [Finding("tactic.repeated_save_attempts", tuple(sorted(evidence, key=lambda e: e.turn)), str(len(attempt_turns)))]


def score_findings(
    call: Call,
    findings: Sequence[Finding],
    rubric: Rubric,
    sentiment: Sentiment | None = None,
    warnings: Sequence[str] = (),
) -> Scorecard:
    """Apply a rubric to a call's findings. Pure: no NLP, no I/O."""
    base = [f for f in findings if f.name not in DERIVED_FINDINGS]
    everything = base + derive_policy_findings(base, rubric.allowed_save_offers)
    names = {f.name for f in everything}
    verdicts = [_verdict(criterion, everything, call) for criterion in rubric.criteria]

    available = sum(v.max_points for v in verdicts)
    earned = sum(v.points for v in verdicts)
    score = 100.0 * earned / available if available else 0.0
    for verdict, criterion in zip(verdicts, rubric.criteria):
        if criterion.critical and criterion.cap is not None and verdict.outcome is Outcome.MISSED:
            score = min(score, criterion.cap)

    tactics = tuple(t for t in TACTICS if f"tactic.{t}" in names)
    stated = next((f for f in everything if f.name == "reason_stated"), None)
    reason = Reason()
    if stated is not None:
        quote = stated.evidence[0]
        reason = Reason(True, stated.value, quote.text, quote.turn)
    flags = {
        "missing_gratitude": "gratitude" not in names,
        "reason_not_asked": "reason_asked" not in names,
        "why_leaving_unanswered": "reason_stated" not in names,
        "reason_ignored": "reason_stated" in names and "reason_acknowledged" not in names,
        "pressure": bool(tactics),
    }
    all_warnings = list(call.warnings) + list(warnings)
    if not call.turns_by(Role.AGENT):
        all_warnings.append(f"{call.source}: no agent turns were identified; every agent behaviour is scored as missed")
    return Scorecard(
        call_id=call.call_id,
        source=call.source,
        score=score,
        grade=rubric.grade(score),
        verdicts=tuple(verdicts),
        flags=flags,
        pressure_tactics=tactics,
        reason=reason,
        sentiment=sentiment or Sentiment(),
        findings=tuple(everything),
        agent=call.agent,
        team=call.team,
        date=call.date,
        channel=call.channel,
        rubric=rubric.label,
        warnings=tuple(dict.fromkeys(all_warnings)),
        turns=call.turns,
    )


def rescore(card: Scorecard, rubric: Rubric) -> Scorecard:
    """Score a stored scorecard again against another rubric, from its findings alone."""
    call = Call(
        call_id=card.call_id,
        source=card.source,
        turns=card.turns,
        agent=card.agent,
        team=card.team,
        date=card.date,
        channel=card.channel,
    )
    kept = [w for w in card.warnings if "no agent turns were identified" not in w]
    return score_findings(call, card.findings, rubric, card.sentiment, kept)


def _source_of(evidence: Sequence[Evidence]) -> Source:
    kinds = {e.by for e in evidence}
    if Source.REVIEWER in kinds:
        return Source.REVIEWER
    if kinds == {Source.MODEL}:
        return Source.MODEL
    return Source.PATTERN if Source.PATTERN in kinds else Source.RULE


def _verdict(criterion: Criterion, findings: Sequence[Finding], call: Call) -> Verdict:
    by_name = {f.name: f for f in findings}
    if criterion.na_unless and criterion.na_unless not in by_name:
        why = f"n/a: no {criterion.na_unless.replace('_', ' ')} in this call"
        return Verdict(criterion.id, criterion.label, Outcome.NA, 0.0, 0.0, (), why, Source.RULE)

    if criterion.missed_if is not None:
        hits = [f for f in findings if fnmatch.fnmatchcase(f.name, criterion.missed_if)]
        if hits:
            evidence = tuple(e for f in hits for e in f.evidence)
            names = ", ".join(f.name.split(".", 1)[-1] for f in hits)
            return Verdict(criterion.id, criterion.label, Outcome.MISSED, 0.0, criterion.weight, evidence, f"missed: {names}", _source_of(evidence))
        why = f"met: none of {criterion.missed_if} found in {len(call.turns_by(Role.AGENT))} agent turns"
        return Verdict(criterion.id, criterion.label, Outcome.MET, criterion.weight, criterion.weight, (), why, Source.RULE)

    hit = by_name.get(criterion.met_if)
    if hit is not None:
        why = f"met: {hit.evidence[0].note}" if hit.evidence and hit.evidence[0].note else "met"
        return Verdict(criterion.id, criterion.label, Outcome.MET, criterion.weight, criterion.weight, hit.evidence, why, _source_of(hit.evidence))
    return _absence(criterion, by_name, call)


def _absence(criterion: Criterion, by_name: dict[str, Finding], call: Call) -> Verdict:
    """A missed verdict whose evidence says where we looked and the closest candidate, if any."""
    agent_turns = [t.index for t in call.turns_by(Role.AGENT)]
    searched = f"turns {agent_turns[0]}-{agent_turns[-1]}" if agent_turns else "no agent turns"
    why = f"missed: searched {len(agent_turns)} agent turns ({searched}); no {criterion.met_if.replace('_', ' ')} found"
    near = by_name.get(f"near_miss.{criterion.met_if}")
    evidence: tuple[Evidence, ...] = ()
    if near is not None:
        evidence = near.evidence
        why += f"; {near.evidence[0].note}"
    return Verdict(criterion.id, criterion.label, Outcome.MISSED, 0.0, criterion.weight, evidence, why, Source.RULE)
