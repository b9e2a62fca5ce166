"""Output writers: the CSV formula guard, flat rows, crash-safe JSONL/CSV, Parquet parts and resume keys."""

from __future__ import annotations

import csv
import io
import json
import os
from contextlib import redirect_stdout

import pytest

from coach.errors import CoachError
from coach.model import FLAG_NAMES
from coach.output import (
    FORMATS,
    PartsWriter,
    TableWriter,
    csv_safe,
    drop_partial_line,
    open_writer,
    read_records,
    scorecard_row,
)
from tests.conftest import make_call


def record(call_id: str, source: str = "calls/a.txt", score: float = 50.0, **extra) -> dict:
    base = {
        "call_id": call_id, "source": source, "agent": "Dana", "team": None, "date": None, "channel": "voice",
        "score": score, "grade": "F", "rubric": "graceful_goodbye@1.0",
        "flags": {"missing_gratitude": True, "pressure": True, "reason_ignored": False, "reason_not_asked": False,
                  "why_leaving_unanswered": True},
        "pressure_tactics": ["arguing", "false_urgency"],
        "reason": {"stated": False, "category": None, "text": None, "turn": None},
        "criteria": [{"id": "gratitude", "verdict": "missed"}, {"id": "ask_reason", "verdict": "met"}],
        "customer_sentiment": {"start": 0.1, "end": -0.25, "min": -0.5, "trend": -0.35, "per_turn": []},
        "warnings": [],
    }  # fmt: skip
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"http://evil\",\"x\")", "'=HYPERLINK(\"http://evil\",\"x\")"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("   =1+1", "'   =1+1"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("thank you for six years", "thank you for six years"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "true"),
        (3, "3"),
        (-0.25, "-0.25"),
        ("-0.25", "-0.25"),
        ("+12", "+12"),
        ("1e-3", "1e-3"),
    ],
)
def test_csv_safe_guards_formulas_and_keeps_numbers(value, expected):
    assert csv_safe(value) == expected


def test_scorecard_row_flattens_a_real_scorecard(analyzer):
    card = analyzer.analyze(make_call([
        ("agent", "Thanks for calling, how can I help?"),
        ("customer", "I want to cancel, it's too expensive."),
        ("agent", "Thank you for your eight years with us. I've cancelled it; you'll get a confirmation email."),
    ]))  # fmt: skip
    row = scorecard_row(card.to_dict())
    criteria = [c.id for c in analyzer.rubric.criteria]
    assert list(row) == [
        "call_id", "source", "agent", "team", "date", "channel", "score", "grade", "rubric", *FLAG_NAMES,
        "pressure_tactics", "reason_stated", "reason_category", "reason_text", *criteria,
        "sentiment_start", "sentiment_end", "sentiment_min", "sentiment_trend", "warnings",
    ]  # fmt: skip
    assert row["score"] == round(card.score, 1)
    assert all(isinstance(row[f], bool) for f in FLAG_NAMES)
    assert row["missing_gratitude"] is card.flag("missing_gratitude")
    assert row["gratitude"] == card.verdict("gratitude").outcome.value
    assert row["pressure_tactics"] == ";".join(card.pressure_tactics)


def test_scorecard_row_renames_a_criterion_that_collides_with_a_column():
    row = scorecard_row(record("c1", criteria=[{"id": "score", "verdict": "met"}]))
    assert row["score"] == 50.0 and row["criterion_score"] == "met"


def test_jsonl_resume_drops_a_truncated_last_line_and_keeps_the_rest(tmp_path):
    path = str(tmp_path / "out.jsonl")
    with open_writer(path, "jsonl") as w:
        for i in range(3):
            w.write(record(f"c{i}"))
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"call_id": "c3", "source": "calls/a.txt", "sco')  # killed mid-record
    with open_writer(path, "jsonl", resume=True) as w:
        assert sorted(w.done.keys) == [("calls/a.txt", f"c{i}") for i in range(3)]
        assert ("calls/a.txt", "c3") not in w.done
        w.write(record("c3"))
    lines = open(path, encoding="utf-8").read().splitlines()
    assert [json.loads(line)["call_id"] for line in lines] == ["c0", "c1", "c2", "c3"]


def test_drop_partial_line_keeps_a_file_that_ends_with_a_newline(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n')
    assert drop_partial_line(str(path)) == 0
    path.write_bytes(b'{"a": 1}\n{"b"')
    assert drop_partial_line(str(path)) == 4 and path.read_bytes() == b'{"a": 1}\n'
    path.write_bytes(b"no newline at all")
    assert drop_partial_line(str(path)) == 17 and path.read_bytes() == b""


def test_jsonl_resume_refuses_a_file_it_did_not_write(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"call_id": "c0", "source": "a.txt"}\nnot json at all\n', encoding="utf-8")
    with pytest.raises(CoachError) as e:
        open_writer(str(path), "jsonl", resume=True)
    assert str(e.value).startswith(f"{path}:2: not a JSON record")
    assert "Run without --resume" in str(e.value)


def test_jsonl_keys_read_records_with_other_key_order_and_escapes(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text(json.dumps({"source": 'we"ird\\.txt', "call_id": "é"}) + "\n"
                    + json.dumps({"call_id": 'q"\\', "source": "b.txt"}) + "\n", encoding="utf-8")
    with open_writer(str(path), "jsonl", resume=True) as w:
        assert ('we"ird\\.txt', "é") in w.done and ("b.txt", 'q"\\') in w.done


def test_csv_cells_are_guarded_and_one_record_is_one_line(tmp_path):
    path = str(tmp_path / "out.csv")
    with open_writer(path, "csv") as w:
        w.write(record("=cmd()", source="@calls/x.txt", reason={"stated": True, "category": "price",
                                                               "text": "too\nexpensive\r\n=1+1", "turn": 3}))
    text = open(path, encoding="utf-8").read()
    assert len(text.splitlines()) == 2
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row))
    assert cells["call_id"] == "'=cmd()" and cells["source"] == "'@calls/x.txt"
    assert cells["reason_text"] == "too expensive =1+1"
    assert cells["score"] == "50.0" and cells["sentiment_end"] == "-0.25" and cells["pressure"] == "true"


def test_csv_resume_skips_guarded_keys_and_drops_a_partial_row(tmp_path):
    path = str(tmp_path / "out.csv")
    with open_writer(path, "csv") as w:
        w.write(record("-17"))
        w.write(record("c2"))
    with open(path, "a", encoding="utf-8") as f:
        f.write("c3,calls/a.txt,Da")
    with open_writer(path, "csv", resume=True) as w:
        assert ("calls/a.txt", "-17") in w.done and ("calls/a.txt", "c2") in w.done
        assert ("calls/a.txt", "c3") not in w.done
        w.write(record("c3"))
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert [r["call_id"] for r in rows] == ["-17", "c2", "c3"]


def test_csv_resume_refuses_records_with_other_columns(tmp_path):
    path = str(tmp_path / "out.csv")
    with open_writer(path, "csv") as w:
        w.write(record("c1"))
    with open_writer(path, "csv", resume=True) as w, pytest.raises(CoachError) as e:
        w.write(record("c2", criteria=[{"id": "gratitude", "verdict": "met"}]))
    assert "columns differ" in str(e.value) and "missing: ask_reason" in str(e.value)


def test_parquet_is_written_in_parts_and_renamed_into_place_on_close(tmp_path):
    import pyarrow.parquet as pq

    path = str(tmp_path / "out.parquet")
    w = open_writer(path, "parquet", part_rows=2)
    for i in range(5):
        w.write(record(f"c{i}", team=None if i < 2 else "Loyalty"))
    assert not os.path.exists(path)
    assert sorted(os.listdir(path + ".parts")) == ["part-00000.parquet", "part-00001.parquet"]
    w.close()
    assert not os.path.exists(path + ".parts")
    table = pq.read_table(path)
    assert table.column("call_id").to_pylist() == [f"c{i}" for i in range(5)]
    assert table.column("team").to_pylist() == [None, None, "Loyalty", "Loyalty", "Loyalty"]
    assert str(table.schema.field("pressure").type) == "bool" and str(table.schema.field("score").type) == "double"


def test_parquet_resume_continues_from_complete_parts_without_duplicates(tmp_path):
    import pyarrow.parquet as pq

    path = str(tmp_path / "out.parquet")
    w = open_writer(path, "parquet", part_rows=2)
    for i in range(3):
        w.write(record(f"c{i}"))
    # killed here: part 0 is complete, c2 was only buffered; a half-written part lies next to it
    (tmp_path / "out.parquet.parts" / "part-00001.parquet.tmp").write_bytes(b"PAR1 half")
    with open_writer(path, "parquet", resume=True, part_rows=2) as w:
        assert sorted(k[1] for k in w.done.keys) == ["c0", "c1"]
        for i in range(2, 5):
            w.write(record(f"c{i}"))
    assert pq.read_table(path).column("call_id").to_pylist() == [f"c{i}" for i in range(5)]
    with open_writer(path, "parquet", resume=True) as w:  # resuming a finished file appends to it
        assert len(w.done) == 5
        w.write(record("c5"))
    assert pq.read_table(path).column("call_id").to_pylist() == [f"c{i}" for i in range(6)]


def test_parts_writer_writes_complete_numbered_parts(tmp_path):
    directory = str(tmp_path / "scores")
    with open_writer(directory, "jsonl", partitioned=True, part_rows=2) as w:
        for i in range(5):
            w.write_json(json.dumps(record(f"c{i}")))
    assert sorted(os.listdir(directory)) == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    assert [r["call_id"] for r in read_records(directory)] == [f"c{i}" for i in range(5)]
    resumed = PartsWriter(directory, "jsonl", resume=True)
    assert len(resumed.done) == 5
    resumed.write(record("c5"))
    resumed.close()
    assert os.path.exists(os.path.join(directory, "part-00003.jsonl"))


def test_table_writer_prints_fixed_width_rows_with_guarded_cells():
    out = io.StringIO()
    with redirect_stdout(out):
        with TableWriter() as w:
            w.write(record("=evil()", agent="A" * 40))
    header, rule, row = out.getvalue().splitlines()
    assert header.split() == ["file", "call_id", "agent", "score", "grade", "flags", "tactics"]
    assert " '=evil()" in row
    assert "A" * 11 + "\u2026" in row and "A" * 12 not in row
    assert "no-gratitude,pressure,no-reason-given" in row and row.endswith("arguing,false_urgency")
    assert len(header) <= len(rule)


@pytest.mark.parametrize(
    ("path", "fmt", "resume", "message"),
    [
        ("x.out", "xml", False, "unknown output format 'xml' (expected one of: table, jsonl, csv, parquet)"),
        (None, "jsonl", True, "resume needs an output file"),
        ("x.txt", "table", True, "resume needs an output file"),
        (None, "parquet", False, "parquet output needs a file"),
    ],
)
def test_open_writer_refuses_what_it_cannot_do(path, fmt, resume, message):
    with pytest.raises(CoachError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_writer(path, fmt, resume=resume)


def test_formats_are_the_cli_choices():
    assert FORMATS == ("table", "jsonl", "csv", "parquet")


def test_closing_a_results_file_fsyncs_it_so_reported_results_survive_a_power_cut(tmp_path, monkeypatch):
    from coach.output import JsonlWriter

    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    writer = JsonlWriter(str(tmp_path / "out.jsonl"))
    writer.write({"call_id": "a"})
    assert not synced  # per record only a flush
    writer.close()
    assert len(synced) == 1
    assert (tmp_path / "out.jsonl").read_text() == '{"call_id": "a"}\n'
