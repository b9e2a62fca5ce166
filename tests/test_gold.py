"""The CI gate on accuracy: the mission flags on the gold test split, with the shipped models."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.evaluate import MISSION_FLAGS, evaluate, load_gold

GOLD = Path(__file__).resolve().parent.parent / "data" / "gold"
# Regression floors on the gold test split (65 calls: 15 dealt, 30 and 20 added blind): the bar, F1 0.90
# on every mission flag, or about a call below the measured figure where that is higher (README, Accuracy:
# missing_gratitude 0.98, reason_not_asked 0.95, why_leaving_unanswered 1.00, pressure 0.91). .ci/run also runs
# `coach evaluate data/gold --split test --fail-under 0.90`.
MISSION_F1_FLOORS = {"missing_gratitude": 0.95, "reason_not_asked": 0.92, "why_leaving_unanswered": 0.90, "pressure": 0.90}


def test_gold_labels_load_and_align_with_the_turns_coach_reads():
    from coach.readers import read_calls

    calls = load_gold(GOLD)
    assert len(calls) >= 80
    assert {c.split for c in calls} == {"train", "dev", "test"}
    for call in calls:
        assert len(read_calls(str(call.path))[0].turns) == len(call.turn_labels), call.call_id


@pytest.mark.slow
def test_mission_flags_on_the_test_split_do_not_regress():
    result = evaluate(GOLD, split="test")
    flags = result["flags"]
    assert result["calls"] == 65 and all(flags[name]["support"] for name in MISSION_FLAGS)
    low = {name: flags[name]["f1"] for name, floor in MISSION_F1_FLOORS.items() if flags[name]["f1"] < floor}
    assert not low, f"mission-flag F1 below its floor on the gold test split: {low} (floors {MISSION_F1_FLOORS})"
    assert set(MISSION_F1_FLOORS) == set(MISSION_FLAGS)


# Written blind after the first release and added to test only (tools.split --append-to test), so no call
# that was ever train or dev moved; see data/gold/README.md.
ADDED_TO_TEST = {f"gold_{n:03d}" for n in range(82, 132)}


def test_the_gold_split_is_the_documented_dealing_by_sha256_plus_test_only_additions():
    import json

    from tools.split import append, deal

    records = [json.loads(line) for line in (GOLD / "labels.jsonl").read_text().splitlines() if line.strip()]
    expected = json.loads((GOLD / "splits.json").read_text())
    first = [r for r in records if r["call_id"] not in ADDED_TO_TEST]
    dealt = deal(first, ["train", "train", "train", "dev", "test"])
    assert append(dealt, records, "test") == {k: sorted(v) for k, v in expected.items()}
    assert ADDED_TO_TEST <= set(expected["test"])


def test_appending_calls_never_moves_a_dealt_call():
    from tools.split import append

    existing = {"train": ["a", "b"], "dev": ["c"], "test": ["d"]}
    records = [{"call_id": x} for x in "abcdef"]
    assert append(existing, records, "test") == {"train": ["a", "b"], "dev": ["c"], "test": ["d", "e", "f"]}


# Floors on the blind sets, each set once all work of the round that wrote it was done (their READMEs):
# - fresh2: every mission flag it can measure held at 0.90, the bar; why_leaving_unanswered has one
#   positive there, too few for a floor.
# - fresh3: the flags it measured at the bar are held there; reason_not_asked (0.86, 4 positives) and pressure
#   (0.82) get floors a call below.
# - fresh4: gratitude and the reason question measured 1.00 and are held at the bar; pressure (0.82: three calls
#   whose only tactic is a soft second offer were missed) gets a floor a call below; why_leaving_unanswered has
#   one positive, too few for one.
# - fresh5: gratitude (0.96), the reason question (1.00) and pressure (0.96) held at the bar; it has no call
#   without a reason, so why_leaving_unanswered has nothing to measure.
# - fresh6: gratitude (0.92), the reason question (1.00) and pressure (1.00) held at the bar; it too has no call
#   without a reason.
# - fresh8 (first run at the end of the round that wrote fresh9): gratitude (1.00) held at the bar; the reason
#   question (0.80, 2 positives and a false alarm) and pressure (0.87, three false alarms) a call below; one call
#   without a reason, too few for a floor.
BLIND_SET_FLOORS = {
    "fresh2": {"missing_gratitude": 0.90, "reason_not_asked": 0.90, "pressure": 0.90},
    "fresh3": {"missing_gratitude": 0.90, "why_leaving_unanswered": 0.90, "reason_not_asked": 0.75, "pressure": 0.75},
    "fresh4": {"missing_gratitude": 0.90, "reason_not_asked": 0.90, "pressure": 0.75},
    "fresh5": {"missing_gratitude": 0.90, "reason_not_asked": 0.90, "pressure": 0.90},
    "fresh6": {"missing_gratitude": 0.90, "reason_not_asked": 0.90, "pressure": 0.90},
    "fresh8": {"missing_gratitude": 0.90, "reason_not_asked": 0.66, "pressure": 0.80},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BLIND_SET_FLOORS))
def test_mission_flags_on_the_blind_sets_do_not_regress(name):
    floors = BLIND_SET_FLOORS[name]
    flags = evaluate(GOLD.parent / name, split="all")["flags"]
    low = {flag: flags[flag]["f1"] for flag, floor in floors.items() if flags[flag]["f1"] < floor}
    assert not low, f"mission-flag F1 below {floors} on data/{name}: {low}"
