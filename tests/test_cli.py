"""The command line: exit codes, good results written despite bad inputs, report wiring."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from coach.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "transcripts_sample"


def test_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("parse", "score", "show", "report", "evaluate", "train"):
        assert command in result.output


def test_score_writes_good_results_reports_the_bad_file_and_exits_1(tmp_path):
    (tmp_path / "good.txt").write_text((SAMPLES / "s01_cable.txt").read_text())
    (tmp_path / "bad.json").write_text('{"results": ')
    out = tmp_path / "scores.jsonl"
    result = CliRunner().invoke(main, ["score", str(tmp_path), "-o", str(out), "--no-model", "--jobs", "1", "-q"])
    assert result.exit_code == 1
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["call_id"] for r in records] == ["s01_cable"]
    assert "bad.json" in result.output and "1 input(s) failed" in result.output


def test_usage_errors_exit_2():
    assert CliRunner().invoke(main, ["score"]).exit_code == 2
    assert CliRunner().invoke(main, ["score", "x.txt", "--format", "xml"]).exit_code == 2


def test_report_reads_stored_scorecards_without_rescoring(tmp_path):
    scores = tmp_path / "scores.jsonl"
    runner = CliRunner()
    assert runner.invoke(main, ["score", str(SAMPLES / "s02_gym.vtt"), str(SAMPLES / "s08_mobile.srt"), "-o", str(scores), "--no-model", "-q", "--jobs", "1"]).exit_code == 0
    result = runner.invoke(main, ["report", str(scores), "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report" / "index.html").is_file()
    assert len(list((tmp_path / "report" / "calls").glob("*.html"))) == 2


def test_show_marks_evidence_turns():
    result = CliRunner().invoke(main, ["show", str(SAMPLES / "s14_home_security.tsv"), "--no-model"])
    assert result.exit_code == 0
    assert "grade" in result.output and ">>" in result.output
