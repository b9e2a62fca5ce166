"""Scoring arithmetic on hand-built findings: weights, n/a rescaling, caps, flags, and re-scoring from JSON."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import make_call

from coach.model import Evidence, Finding, Role, Scorecard, Source
from coach.rubric import load_rubric
from coach.scoring import derive_policy_findings, rescore, score_findings

RUBRIC = load_rubric()
CALL = make_call([("customer", "cancel please"), ("agent", "done"), ("customer", "no"), ("agent", "offer"), ("customer", "no"), ("agent", "offer")])


def ev(turn, role="agent"):
    return Evidence(turn, role, Role(role), "text")


def test_all_behaviours_present_scores_100():
    names = ["gratitude", "reason_asked", "reason_stated", "reason_acknowledged", "help_with_exit", "anything_else", "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation"]
    card = score_findings(CALL, [Finding(n, (ev(1),)) for n in names], RUBRIC)
    assert card.score == 100 and card.grade == "A"
    assert not any(on for _, on in card.flags)


def test_na_criterion_is_left_out_of_both_sides():
    # Only gratitude + no_pressure earned; acknowledge_reason is n/a (no reason stated).
    card = score_findings(CALL, [Finding("gratitude", (ev(1),))], RUBRIC)
    available = sum(c.weight for c in RUBRIC.criteria) - RUBRIC.criterion("acknowledge_reason").weight
    assert card.verdict("acknowledge_reason").outcome.value == "n/a"
    assert card.score == pytest.approx(100 * (15 + 20) / available)


def test_pressure_caps_the_score():
    names = ["gratitude", "reason_asked", "reason_stated", "reason_acknowledged", "help_with_exit", "anything_else", "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation"]
    findings = [Finding(n, (ev(1),)) for n in names] + [Finding("tactic.guilt_or_shame", (ev(3),))]
    card = score_findings(CALL, findings, RUBRIC)
    assert card.score == 59 and card.grade == "F"
    assert card.pressure_tactics == ("guilt_or_shame",) and card.flag("pressure")


@pytest.mark.parametrize(
    "attempt_turns, no_turns, allowed, extra",
    [
        ((1,), (0, 2), 1, 0),  # one offer after the cancel request: fine
        ((1, 3), (0, 2), 1, 1),  # a second offer after a no
        ((1, 2), (0,), 1, 0),  # elaborating the same offer, no refusal between
        ((1, 3, 5), (0, 2, 4), 1, 2),
        ((1, 3, 5), (0, 2, 4), 2, 1),
        ((1,), (0,), 0, 1),  # a policy of no offers at all
    ],
)
def test_repeated_save_attempts_follow_the_policy(attempt_turns, no_turns, allowed, extra):
    findings = [Finding("save_attempt", tuple(ev(t) for t in attempt_turns)), Finding("customer_no", tuple(ev(t, "customer") for t in no_turns))]
    derived = derive_policy_findings(findings, allowed)
    got = len([e for e in derived[0].evidence if e.role is Role.AGENT]) if derived else 0
    assert got == extra


def test_scorecard_json_round_trip_rescores_identically(analyzer):
    call = make_call([("customer", "I want to cancel, it's too expensive."), ("agent", "I can offer you 20% off."), ("customer", "No thanks."),
                      ("agent", "What about a free month?"), ("agent", "Thank you for your loyalty, it's cancelled. Take care!")])  # fmt: skip
    card = analyzer.analyze(call)
    restored = Scorecard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert rescore(restored, analyzer.rubric).to_dict() == card.to_dict()
    lenient = rescore(restored, replace(analyzer.rubric, allowed_save_offers=3))
    assert "repeated_save_attempts" in card.pressure_tactics and not lenient.pressure_tactics


def test_every_verdict_carries_evidence_or_says_where_it_looked(analyzer):
    card = analyzer.analyze(make_call([("customer", "cancel my plan"), ("agent", "Thanks for calling. Done.")]))
    for v in card.verdicts:
        assert v.evidence or v.why.startswith(("missed: searched", "met: none of", "n/a"))


def test_offers_after_the_cancellation_is_confirmed_are_exit_help_not_save_attempts():
    findings = [
        Finding("save_attempt", (ev(1), ev(5))),
        Finding("customer_no", (ev(0, "customer"), ev(2, "customer"))),
        Finding("confirm_cancellation", (ev(3),)),
    ]
    assert derive_policy_findings(findings, 1) == []


def test_a_confirmation_followed_by_a_pitch_the_customer_turns_down_was_not_final():
    # extra_373: "I've released the seats" is said early as an aside; then "could we not freeze it instead?" - "No."
    findings = [
        Finding("save_attempt", (ev(12), ev(16))),
        Finding("customer_no", (ev(1, "customer"), ev(13, "customer"), ev(17, "customer"))),
        Finding("confirm_cancellation", (ev(8), ev(20))),
    ]
    derived = derive_policy_findings(findings, 1)
    assert [e.turn for e in derived[0].evidence if e.role is Role.AGENT] == [16]


def test_a_no_to_anything_else_long_after_exit_help_does_not_reopen_the_confirmation():
    # extra_275: exit help read as a pitch at 18, and "No, that's everything" at 25 answers "anything else?"
    findings = [
        Finding("save_attempt", (ev(14), ev(18))),
        Finding("customer_no", (ev(1, "customer"), ev(15, "customer"), ev(25, "customer"))),
        Finding("confirm_cancellation", (ev(16), ev(20))),
    ]
    assert derive_policy_findings(findings, 1) == []


def test_a_weak_model_guess_after_a_confirmation_does_not_reopen_it():
    # the count ignores model offers below the floor, so the "was it final?" check must too
    findings = [
        Finding("save_attempt", (ev(2), Evidence(5, "agent", Role.AGENT, "text", by=Source.MODEL, probability=0.4), ev(8))),
        Finding("customer_no", tuple(ev(t, "customer") for t in (1, 6))),
        Finding("confirm_cancellation", (ev(4),)),
    ]
    assert derive_policy_findings(findings, 1) == []
