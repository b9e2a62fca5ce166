"""Batch scoring: input order, workers, bad files, internal errors, resume after kill -9, progress, score_paths."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

import coach.readers
from coach.batch import BatchResult, Failure, run_batch, score_paths
from coach.errors import CoachError
from coach.readers import expand_paths, read_calls

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "transcripts_sample"

TINY_CALLS = [
    "Agent: Thanks for calling, how can I help?\nCustomer: I want to cancel my plan.\n"
    "Agent: Thank you for {n} years with us. It's cancelled, you'll get an email. Take care!\nCustomer: Bye.\n",
    "Agent: Hello.\nCustomer: Cancel my account please, call me at 555-01{n:02d}.\n"
    "Agent: Why? You'll lose everything. This offer is only good today.\nCustomer: No. Cancel it.\n",
    "Agent: Hi, this is Dana.\nCustomer: I'm moving to Denver, so I need to cancel.\n"
    "Agent: I understand, congratulations on the move. Is there anything else I can help with?\nCustomer: No, thanks.\n",
]


def write_tiny_calls(folder: Path, count: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"call_{i:04d}.txt"
        path.write_text(f"Call ID: tiny-{i}\n\n" + TINY_CALLS[i % len(TINY_CALLS)].format(n=i % 40 + 2), encoding="utf-8")
        paths.append(path)
    return paths


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_run_batch_writes_every_call_in_input_order_as_the_analyzer_scores_it(tmp_path, analyzer):
    out = tmp_path / "out.jsonl"
    result = run_batch([str(SAMPLES)], str(out), fmt="jsonl", use_model=False, jobs=1, progress=False)
    calls = [c for p in expand_paths([str(SAMPLES)]) for c in read_calls(p)]
    assert result == BatchResult(scored=len(calls), failures=[], skipped=0)
    written = [json.loads(line) for line in lines(out)]
    assert [r["call_id"] for r in written] == [c.call_id for c in calls]
    assert written == [json.loads(json.dumps(analyzer.analyze(c).to_dict())) for c in calls]


def test_run_batch_with_two_jobs_writes_the_same_bytes_as_one_job(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs / "samples")
    write_tiny_calls(inputs / "tiny", 40)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    r1 = run_batch([str(inputs)], str(one), fmt="jsonl", use_model=False, jobs=1, progress=False)
    r2 = run_batch([str(inputs)], str(two), fmt="jsonl", use_model=False, jobs=2, progress=False)
    assert r1 == r2 and r1.scored == 54
    assert one.read_bytes() == two.read_bytes()


BAD_KINDS = {
    "empty": (".txt", b"", "file is empty"),
    "binary": (".txt", bytes(range(256)) * 4, "not a text file"),
    "truncated": (".json", b'{"call_id": "x", "messages": [{"role": "agent", "content": "Thank you for', "invalid JSON"),
    "utf16": (".txt", "Agent: hello\nCustomer: cancel please\n".encode("utf-16-le"), "not a text file"),
    "huge": (".txt", None, "file is too large (50.0 MB"),
}


def test_batch_of_1000_files_with_5_percent_bad_writes_every_good_result(tmp_path):
    inputs = tmp_path / "in"
    good = write_tiny_calls(inputs, 950)
    bad: dict[str, str] = {}
    for i in range(50):
        kind = list(BAD_KINDS)[i % len(BAD_KINDS)]
        ext, data, reason = BAD_KINDS[kind]
        path = inputs / f"bad_{i:02d}_{kind}{ext}"
        if data is None:
            with open(path, "wb") as f:
                f.truncate(50 * 1024 * 1024)  # 50 MB (sparse): refused by size, never read
        else:
            path.write_bytes(data)
        bad[str(path)] = reason
    out = tmp_path / "out.jsonl"
    seen: list[Failure] = []
    result = run_batch([str(inputs)], str(out), fmt="jsonl", use_model=False, jobs=1, progress=False, on_failure=seen.append)

    assert result.scored == 950 and result.skipped == 0
    assert sorted(json.loads(line)["source"] for line in lines(out)) == sorted(map(str, good))
    assert {f.path for f in result.failures} == set(bad)
    for failure in result.failures:
        assert failure.message.startswith(failure.path) and bad[failure.path] in failure.message
    assert seen == result.failures


def test_an_unexpected_exception_in_one_file_becomes_a_failure_naming_it(tmp_path, monkeypatch):
    paths = write_tiny_calls(tmp_path / "in", 5)
    real = coach.readers.read_calls

    def flaky(path, *args, **kwargs):
        if path.endswith("call_0002.txt"):
            raise KeyError("speaker")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(coach.readers, "read_calls", flaky)
    out = tmp_path / "out.jsonl"
    result = run_batch([str(tmp_path / "in")], str(out), fmt="jsonl", use_model=False, jobs=1, progress=False)
    assert result.scored == 4
    assert result.failures == [Failure(str(paths[2]), f"{paths[2]}: internal error: KeyError: 'speaker' "
                                                      "(please report it with this file, if you can share it)")]


def test_an_analyzer_crash_on_one_call_fails_only_that_file(tmp_path, monkeypatch):
    from coach.scoring import Analyzer

    paths = write_tiny_calls(tmp_path / "in", 6)
    real = Analyzer.analyze_many

    def fragile(self, calls):
        if any(c.call_id == "tiny-4" for c in calls):
            raise ZeroDivisionError("division by zero")
        return real(self, calls)

    monkeypatch.setattr(Analyzer, "analyze_many", fragile)
    out = tmp_path / "out.jsonl"
    result = run_batch([str(tmp_path / "in")], str(out), fmt="jsonl", use_model=False, jobs=1, progress=False)
    assert [json.loads(line)["call_id"] for line in lines(out)] == ["tiny-0", "tiny-1", "tiny-2", "tiny-3", "tiny-5"]
    assert [(f.path, "internal error: ZeroDivisionError" in f.message) for f in result.failures] == [(str(paths[4]), True)]


def test_a_missing_input_is_a_failure_not_an_exception(tmp_path):
    write_tiny_calls(tmp_path / "in", 2)
    missing = str(tmp_path / "nope.txt")
    result = run_batch([missing, str(tmp_path / "in")], str(tmp_path / "o.jsonl"), fmt="jsonl", use_model=False, jobs=1, progress=False)
    assert result.scored == 2 and result.failures == [Failure(missing, f"{missing}: no such file or directory")]


def _run_cli(args: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "coach.cli", "score", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def test_resume_after_kill_9_loses_and_duplicates_nothing(tmp_path):
    inputs = tmp_path / "in"
    for copy in range(8):  # 112 real-length calls: long enough to be killed mid-batch
        shutil.copytree(SAMPLES, inputs / f"batch{copy:02d}")
    out = tmp_path / "out.jsonl"
    args = [str(inputs), "-o", str(out), "--format", "jsonl", "--no-model", "-q"]

    proc = _run_cli([*args, "--jobs", "1"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and len(out.read_bytes().splitlines()) >= 20:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the batch finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = len(lines(out))
    assert 20 <= written < 112
    with open(out, "ab") as f:  # as if the kill had landed in the middle of a record
        f.write(b'{"call_id": "s03_streaming", "source": "' + str(inputs).encode() + b'/batch')

    resumed = _run_cli([*args, "--jobs", "2", "--resume"])
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr.decode()

    reference = tmp_path / "reference.jsonl"
    run_batch([str(inputs)], str(reference), fmt="jsonl", use_model=False, jobs=1, progress=False)
    assert lines(out) == lines(reference)


def test_resume_skips_calls_already_written_and_counts_them(tmp_path):
    write_tiny_calls(tmp_path / "in", 10)
    out = tmp_path / "out.csv"
    first = run_batch([str(tmp_path / "in" / "call_0000.txt"), str(tmp_path / "in" / "call_0001.txt")], str(out), fmt="csv",
                      use_model=False, jobs=1, progress=False)
    again = run_batch([str(tmp_path / "in")], str(out), fmt="csv", use_model=False, jobs=1, progress=False, resume=True)
    assert (first.scored, again.scored, again.skipped) == (2, 8, 2)
    assert len(lines(out)) == 1 + 10


def test_progress_bar_goes_to_stderr_only_when_asked_or_on_a_terminal(tmp_path, capsys):
    write_tiny_calls(tmp_path / "in", 3)
    (tmp_path / "in" / "bad.txt").write_bytes(b"")
    run_batch([str(tmp_path / "in")], str(tmp_path / "a.jsonl"), fmt="jsonl", use_model=False, jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "3 calls" in err and "files=4/4" in err and "failed=1" in err and "calls/s" in err
    run_batch([str(tmp_path / "in")], str(tmp_path / "b.jsonl"), fmt="jsonl", use_model=False, jobs=1)  # stderr is no TTY
    assert capsys.readouterr().err == ""


def test_mask_pii_masks_each_call_before_analysis(tmp_path, monkeypatch):
    pii = types.ModuleType("coach.pii")
    pii.mask_call = lambda call: call.replace(turns=tuple(t.__class__(**{**t.__dict__, "text": "".join("#" if ch.isdigit() else ch for ch in t.text)}) for t in call.turns))
    monkeypatch.setitem(sys.modules, "coach.pii", pii)
    write_tiny_calls(tmp_path / "in", 2, start=1)
    out = tmp_path / "out.jsonl"
    run_batch([str(tmp_path / "in")], str(out), fmt="jsonl", use_model=False, jobs=1, progress=False, mask_pii=True)
    turns = [t["text"] for line in lines(out) for t in json.loads(line)["turns"]]
    assert any("call me at ###-####." in t for t in turns) and not any(ch.isdigit() for t in turns for ch in t)


def test_mask_pii_without_the_pii_module_fails_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "coach.pii", None)
    with pytest.raises(CoachError, match="mask_pii needs coach.pii.mask_call"):
        run_batch([str(SAMPLES)], str(tmp_path / "o.jsonl"), fmt="jsonl", mask_pii=True)
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(("kwargs", "message"), [({"fmt": "xml"}, "unknown output format 'xml'"), ({"engine": "spark"}, "unknown engine 'spark'")])
def test_run_batch_refuses_unknown_formats_and_engines(tmp_path, kwargs, message):
    with pytest.raises(CoachError, match=message):
        run_batch([str(SAMPLES)], str(tmp_path / "o"), **kwargs)


def test_score_paths_returns_one_row_per_call_and_logs_failures(tmp_path, caplog):
    write_tiny_calls(tmp_path / "in", 4)
    (tmp_path / "in" / "broken.json").write_text("{", encoding="utf-8")
    with caplog.at_level("WARNING", logger="coach.batch"):
        df = score_paths([str(tmp_path / "in")], use_model=False)
    assert list(df.call_id) == ["tiny-0", "tiny-1", "tiny-2", "tiny-3"]
    assert df.dtypes["missing_gratitude"].kind == "b" and {"gratitude", "no_pressure", "sentiment_trend"} <= set(df.columns)
    assert "broken.json" in caplog.text


def test_score_paths_with_nothing_readable_returns_an_empty_frame_with_columns(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    df = score_paths([str(tmp_path / "empty.txt")], use_model=False)
    assert len(df) == 0 and "call_id" in df.columns and "pressure_tactics" in df.columns
