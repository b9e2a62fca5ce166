"""Role inference on every labelled set stays where it was measured (README, Accuracy): one wrong role moves
every detector, so a drop here is a regression even when the flags happen to hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.role_accuracy import role_accuracy

DATA = Path(__file__).resolve().parents[1] / "data"


# fresh8 was measured once blind (12 of 402 turns wrong, all in one call) and is held there, not fixed from.
@pytest.mark.parametrize("name, floor", [("gold", 1.0), ("extra", 1.0), ("samples", 1.0), ("fresh", 1.0), ("fresh2", 1.0), ("fresh3", 1.0), ("fresh4", 1.0), ("fresh5", 1.0), ("fresh6", 1.0), ("fresh8", 0.97)])
def test_role_inference_per_turn_holds_on_each_labelled_set(name, floor):
    result = role_accuracy(DATA / name)
    assert not result["misaligned"]
    assert result["accuracy"] >= floor, result["calls_with_errors"]


def test_role_inference_holds_when_the_samples_are_rendered_in_every_format_with_generic_labels():
    from tools.role_accuracy import role_accuracy_all_formats

    result = role_accuracy_all_formats(DATA / "samples")
    assert result["renders"] >= 13 * 14
    assert result["accuracy"] == 1.0, result["calls_with_errors"]
