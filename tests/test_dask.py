"""The Dask engine scores exactly what the local engine scores, and writes complete parts."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from coach.batch import run_batch
from coach.output import read_records

pytest.importorskip("distributed")

SAMPLES = Path(__file__).resolve().parent.parent / "transcripts_sample"


@pytest.fixture(scope="module")
def cluster():
    """A small in-process cluster (threads, not processes: starts in a second)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask_in")
    shutil.copytree(SAMPLES, folder / "samples")
    (folder / "bad_empty.txt").write_bytes(b"")
    (folder / "bad_truncated.json").write_text('{"call_id": "x", "messages": [', encoding="utf-8")
    return folder


def test_dask_engine_writes_the_same_records_and_failures_as_the_local_engine(tmp_path, cluster, inputs):
    local = tmp_path / "local.jsonl"
    parts = tmp_path / "dask_out"
    expected = run_batch([str(inputs)], str(local), fmt="jsonl", use_model=False, jobs=1, progress=False)
    got = run_batch([str(inputs)], str(parts), fmt="jsonl", use_model=False, engine="dask",
                    scheduler=cluster.scheduler_address, progress=False)
    assert got == expected and got.scored == 14 and len(got.failures) == 2
    assert sorted(os.listdir(parts)) == ["part-00000.jsonl"]
    assert list(read_records(str(parts))) == [json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()]


def test_dask_engine_writes_a_parquet_dataset_directory_and_resumes_it(tmp_path, cluster, inputs):
    import pandas as pd

    out = tmp_path / "scores.parquet"
    first = run_batch([str(inputs / "samples" / "s01_cable.txt")], str(out), fmt="parquet", use_model=False,
                      engine="dask", scheduler=cluster.scheduler_address, progress=False)
    again = run_batch([str(inputs)], str(out), fmt="parquet", use_model=False, engine="dask",
                      scheduler=cluster.scheduler_address, progress=False, resume=True)
    assert (first.scored, again.scored, again.skipped) == (1, 13, 1)
    assert sorted(os.listdir(out)) == ["part-00000.parquet", "part-00001.parquet"]
    frame = pd.read_parquet(out)
    assert sorted(frame.call_id) == sorted(json.loads(line)["call_id"] for line in _local_lines(tmp_path, inputs))
    assert frame.call_id.is_unique


def _local_lines(tmp_path: Path, inputs: Path) -> list[str]:
    local = tmp_path / "local.jsonl"
    run_batch([str(inputs)], str(local), fmt="jsonl", use_model=False, jobs=1, progress=False)
    return local.read_text(encoding="utf-8").splitlines()
