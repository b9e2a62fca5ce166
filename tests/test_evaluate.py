"""Evaluation metrics on tiny hand-computed cases, and label-file validation."""

from __future__ import annotations

import json

import pytest

from coach.errors import LabelError
from coach.evaluate import concordance, load_gold, macro_f1_over_classes, prf, spearman


def test_prf_hand_computed():
    pairs = [(True, True), (True, True), (True, False), (False, True), (False, False)]
    m = prf(pairs)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 1)
    assert m["precision"] == pytest.approx(2 / 3, abs=1e-4) and m["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_prf_with_nothing_to_find_and_nothing_found_is_perfect():
    assert prf([(False, False)] * 3)["f1"] == 1.0


def test_macro_f1_over_verdict_classes():
    pairs = [("met", "met"), ("met", "missed"), ("missed", "missed"), ("n/a", "n/a")]
    # met: P 1, R .5 -> .667; missed: P .5, R 1 -> .667; n/a: 1.0
    assert macro_f1_over_classes(pairs) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3, abs=1e-3)


def test_concordance_and_spearman():
    assert concordance(["graceful", "mixed", "poor"], [90, 60, 20]) == 1.0
    assert concordance(["graceful", "poor"], [20, 90]) == 0.0
    assert concordance(["graceful", "poor"], [50, 50]) == 0.5
    assert spearman([2, 1, 0, 0], [90, 60, 30, 10]) == pytest.approx(0.9487, abs=1e-3)


def _write(tmp_path, lines, transcript=True):
    (tmp_path / "labels.jsonl").write_text("\n".join(lines) + "\n")
    if transcript:
        (tmp_path / "c1.txt").write_text("Agent: hi\nCustomer: cancel\n")


GOOD = {"call_id": "c1", "file": "c1.txt", "quality": "poor", "expected": {
    "flags": {"missing_gratitude": True, "reason_not_asked": True, "why_leaving_unanswered": True, "reason_ignored": False, "pressure": False},
    "pressure_tactics": [], "criteria": {"gratitude": "missed"}}}  # fmt: skip


def test_malformed_label_line_names_file_and_line(tmp_path):
    _write(tmp_path, [json.dumps(GOOD), "{not json"])
    with pytest.raises(LabelError, match=r"labels\.jsonl:2: not valid JSON"):
        load_gold(tmp_path)


def test_label_with_unknown_tactic_is_rejected(tmp_path):
    bad = json.loads(json.dumps(GOOD))
    bad["expected"]["pressure_tactics"] = ["nagging"]
    _write(tmp_path, [json.dumps(bad)])
    with pytest.raises(LabelError, match=r"labels\.jsonl:1: expected\.pressure_tactics must be a list of"):
        load_gold(tmp_path)


def test_label_pointing_at_a_missing_transcript(tmp_path):
    _write(tmp_path, [json.dumps(GOOD)], transcript=False)
    with pytest.raises(LabelError, match=r"labels\.jsonl:1: transcript 'c1\.txt' not found"):
        load_gold(tmp_path)


def test_evaluate_cli_exits_nonzero_on_malformed_labels(tmp_path):
    from click.testing import CliRunner

    from coach.cli import main

    _write(tmp_path, ["[1, 2]"])
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path), "--split", "all"])
    assert result.exit_code == 1
    assert "labels.jsonl:1: expected a JSON object per line" in result.output
