"""The benchmark script keeps working as the code under it changes (its figures live in the README, not
here: no timing is asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_run():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_stages_run_on_the_bundled_samples():
    run = _load_run()
    seconds, calls, words = run.stages(ROOT / "transcripts_sample", 4)
    assert calls == 4 and words > 0
    assert {"read + parse + roles", "match patterns"} <= set(seconds)
    assert all(value >= 0 for value in seconds.values())
