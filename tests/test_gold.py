"""The CI gate on accuracy: the mission flags on the gold test split, with the shipped models."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.evaluate import MISSION_FLAGS, evaluate, load_gold

GOLD = Path(__file__).resolve().parent.parent / "data" / "gold"
MISSION_F1_FLOOR = 0.90


def test_gold_labels_load_and_align_with_the_turns_coach_reads():
    from coach.readers import read_calls

    calls = load_gold(GOLD)
    assert len(calls) >= 80
    assert {c.split for c in calls} == {"train", "dev", "test"}
    for call in calls:
        assert len(read_calls(str(call.path))[0].turns) == len(call.turn_labels), call.call_id


@pytest.mark.slow
def test_mission_flag_f1_on_the_test_split_stays_above_the_floor():
    result = evaluate(GOLD, split="test")
    low = {name: result["flags"][name]["f1"] for name in MISSION_FLAGS if result["flags"][name]["f1"] < MISSION_F1_FLOOR}
    assert not low, f"mission-flag F1 below {MISSION_F1_FLOOR} on the gold test split: {low}"
