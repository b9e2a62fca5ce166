from __future__ import annotations

import pytest
import yaml

from coach.detectors import DETECTORS
from coach.errors import RubricError
from coach.rubric import load_rubric, parse_rubric

DEFAULT = load_rubric()


def test_default_rubric_has_the_documented_criteria():
    assert [c.id for c in DEFAULT.criteria] == [
        "gratitude", "ask_reason", "acknowledge_reason", "no_pressure", "help_with_exit", "anything_else",
        "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation",
    ]  # fmt: skip
    assert DEFAULT.allowed_save_offers == 1


@pytest.mark.parametrize("criterion", DEFAULT.criteria, ids=lambda c: c.id)
def test_every_criterion_has_a_registered_detector_a_tip_and_phrasings(criterion):
    assert criterion.detector in DETECTORS
    assert criterion.tip and criterion.try_saying and criterion.description


@pytest.mark.parametrize("score, grade", [(100, "A"), (90, "A"), (89.9, "B"), (70, "C"), (60, "D"), (59.9, "F"), (0, "F")])
def test_grade_bands(score, grade):
    assert DEFAULT.grade(score) == grade


def _raw():
    from importlib import resources

    return yaml.safe_load(resources.files("coach.rubrics").joinpath("graceful_goodbye.yaml").read_text())


def test_invalid_rubric_names_every_bad_key_at_once():
    raw = _raw()
    raw["criteria"][3]["weight"] = "ten"
    raw["criteria"][5]["detector"] = "goodby"
    raw["criteria"][6]["met_if"] = "personalise"
    with pytest.raises(RubricError) as info:
        parse_rubric(raw, "my_rubric.yaml")
    message = str(info.value)
    assert message.startswith("my_rubric.yaml: ")
    assert "criteria[3] (no_pressure).weight: expected int or float, got 'ten'" in message
    assert "criteria[5] (anything_else).detector: unknown detector 'goodby' (known: goodbye, gratitude, pressure, reason)" in message
    assert "criteria[6] (personalize).met_if: 'personalise' names no known finding" in message


def test_grade_bands_must_reach_zero():
    raw = _raw()
    raw["grade_bands"] = [{"min": 50, "grade": "P"}]
    with pytest.raises(RubricError, match="lowest band must start at 0"):
        parse_rubric(raw, "r.yaml")


def test_missing_rubric_file_is_a_clear_error(tmp_path):
    with pytest.raises(RubricError, match="cannot read rubric"):
        load_rubric(tmp_path / "nope.yaml")
