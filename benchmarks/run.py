"""Measure coach's throughput, memory and start-up time, and write ``benchmarks/RESULTS.md``.

In one run, for each corpus size (built by ``make_corpus.py`` if missing):

* the floor: spaCy's blank English tokenizer over every turn via ``nlp.pipe`` (nothing can be faster);
* each pipeline stage on a sample (read, normalize, tokenize + sentencize, match, sentiment, models,
  detectors, scoring, JSON), in-process with one Analyzer;
* end to end: ``coach score CORPUS -o out.jsonl --format jsonl -q --jobs N`` as a subprocess, for each N,
  with wall time, calls/s, words/s and peak RSS of the whole process tree (workers included), sampled by psutil;
* cold start of ``coach --help`` and of scoring one call;
* a cProfile of the sample, grouped by where the time goes.

    python benchmarks/run.py                         # 1k and 10k, --jobs 1 and 2
    python benchmarks/run.py --sizes 1k 10k 100k
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # make_corpus sits beside this script

from make_corpus import SIZES, ensure_corpus  # noqa: E402

STAGE_SAMPLE = 2000  # calls timed stage by stage and profiled
TARGETS = {"end_to_end_vs_floor": 0.5, "peak_rss_mb": 400, "help_s": 0.3, "one_call_s": 2.0}


# ---------------------------------------------------------------------------------------------------------
# Helpers


def coach_command() -> list[str]:
    script = Path(sys.executable).with_name("coach")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coach.cli"]


def run_measured(cmd: list[str], interval: float = 0.05) -> dict[str, float]:
    """Run a command; return wall seconds, exit code and peak RSS (MB) of its process tree and of its largest process."""
    started = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = peak_one = 0
    while proc.poll() is None:
        total = biggest = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                biggest = max(biggest, rss)
        except psutil.Error:
            pass
        peak_tree, peak_one = max(peak_tree, total), max(peak_one, biggest)
        time.sleep(interval)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {"wall": wall, "rc": proc.returncode, "peak_tree_mb": peak_tree / 2**20, "peak_one_mb": peak_one / 2**20, "stderr": stderr[-2000:]}


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import spacy

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "os": platform.platform(),
        "python": platform.python_version(), "spacy": spacy.__version__, "commit": commit,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Measurements


def read_corpus(folder: Path) -> tuple[list[Any], float]:
    from coach.readers import expand_paths, read_calls

    started = time.perf_counter()
    calls = [c for path in expand_paths([str(folder)]) for c in read_calls(path)]
    return calls, time.perf_counter() - started


def floor(texts: list[str]) -> float:
    """Seconds for spaCy's blank English tokenizer over every text, batched with nlp.pipe."""
    import spacy

    nlp = spacy.blank("en")
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=1000):
        pass
    return time.perf_counter() - started


def stages(folder: Path, sample: int) -> tuple[dict[str, float], int, int]:
    """Seconds per pipeline stage over the first ``sample`` files; each stage is run on its own."""
    from coach.detectors import run_detectors
    from coach.nlp import _rule_sets, normalize
    from coach.readers import expand_paths, read_calls
    from coach.scoring import Analyzer, score_findings, sentiment_summary

    analyzer = Analyzer()
    pipeline = analyzer.pipeline
    paths = expand_paths([str(folder)])[:sample]
    out: dict[str, float] = {}

    t = time.perf_counter()
    calls = [c for p in paths for c in read_calls(p)]
    out["read + parse + roles"] = time.perf_counter() - t

    t = time.perf_counter()
    normalized = [[normalize(turn.text) for turn in call.turns] for call in calls]
    out["normalize"] = time.perf_counter() - t

    flat = [text for turns in normalized for text in turns]
    t = time.perf_counter()
    docs = list(pipeline.nlp.pipe(flat, batch_size=1000))
    out["tokenize + sentencize (nlp.pipe)"] = time.perf_counter() - t

    turns = [turn for call in calls for turn in call.turns]
    t = time.perf_counter()
    for doc, turn in zip(docs, turns):
        pipeline._match_doc(doc, turn.index, _rule_sets(turn.role))
    out["match patterns"] = time.perf_counter() - t
    del docs

    customer = [turn.text for turn in turns if turn.role.value == "customer" and turn.text.strip()]
    t = time.perf_counter()
    for text in customer:
        pipeline.vader.polarity_scores(text)
    out["sentiment (VADER, customer turns)"] = time.perf_counter() - t

    analyzed = pipeline.analyze(calls)
    if analyzer.models is not None:
        t = time.perf_counter()
        analyzed = analyzer.models.annotate(analyzed)
        out["trained models"] = time.perf_counter() - t
    else:
        out["trained models (none installed)"] = 0.0

    t = time.perf_counter()
    findings = [run_detectors(ac, analyzer.context) for ac in analyzed]
    out["detectors"] = time.perf_counter() - t

    t = time.perf_counter()
    cards = [score_findings(ac.call, f, analyzer.rubric, sentiment_summary(ac.sentiment), analyzer.warnings) for ac, f in zip(analyzed, findings)]
    out["rubric scoring"] = time.perf_counter() - t

    t = time.perf_counter()
    for card in cards:
        json.dumps(card.to_dict(), ensure_ascii=False)
    out["to_dict + JSON"] = time.perf_counter() - t

    t = time.perf_counter()
    analyzer.analyze_many(calls)
    out["= Analyzer.analyze_many (all stages after read)"] = time.perf_counter() - t
    return out, len(calls), sum(len(turn.text.split()) for turn in turns)


def profile(folder: Path, sample: int) -> list[tuple[str, float]]:
    """cProfile of reading and scoring the sample, own time grouped by component."""
    from coach.batch import Scorer, Settings, _expand

    tasks, _ = _expand([str(folder)])
    scorer = Scorer(Settings())
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(0, min(sample, len(tasks)), 16):
        scorer.score_chunk(tasks[i : i + 16])
    profiler.disable()
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        groups[_component(filename, func)] += tottime
    return sorted(groups.items(), key=lambda kv: -kv[1])


def _component(filename: str, func: str) -> str:
    name = filename.replace("\\", "/")
    if "spacy/tokenizer" in name or func.startswith("<method '") and "tokeniz" in func:
        return "spaCy tokenizer"
    if "spacy/" in name or "thinc/" in name or "cymem" in name or "preshed" in name:
        return "spaCy (vocab, Doc, sentencizer)"
    if "vaderSentiment" in name:
        return "VADER"
    for part in ("coach/matcher.py", "coach/nlp.py", "coach/detectors/", "coach/scoring.py", "coach/readers/", "coach/roles.py",
                 "coach/model.py", "coach/batch.py", "coach/classifier.py"):
        if part in name:
            return part
    if "json/" in name or func in ("<built-in method _json.encode_basestring_ascii>", "<method 'encode' of 'str' objects>"):
        return "json"
    if func.startswith("<method") and ("re.Pattern" in func or "'match'" in func or "'search'" in func or "'finditer'" in func):
        return "regex (re) called from coach"
    if "sklearn" in name or "numpy" in name or "scipy" in name:
        return "scikit-learn / numpy"
    return "other (builtins, stdlib)"


def end_to_end(folder: Path, jobs: int, out_dir: Path) -> dict[str, float]:
    out = out_dir / f"out-{folder.name}-j{jobs}.jsonl"
    result = run_measured([*coach_command(), "score", str(folder), "-o", str(out), "--format", "jsonl", "-q", "--jobs", str(jobs)])
    result["records"] = sum(1 for _ in open(out, encoding="utf-8")) if out.exists() else 0
    out.unlink(missing_ok=True)
    return result


# ---------------------------------------------------------------------------------------------------------
# Report


def write_report(path: Path, info: dict[str, Any], results: dict[str, Any]) -> str:
    rows = []
    add = rows.append
    add("# coach benchmarks\n")
    add(f"Written by `python benchmarks/run.py --sizes {' '.join(results['sizes'])}` on {time.strftime('%Y-%m-%d %H:%M')}.\n")
    add("## Machine\n")
    add("| | |\n|---|---|")
    for key in ("cpu", "cores", "ram_gb", "os", "python", "spacy", "commit"):
        add(f"| {key} | {info[key]} |")
    add(f"| load average at start / end | {info['load']} / {results['load_end']} |\n")

    floor_best = {}
    add("## Throughput\n")
    add("End to end is `coach score DIR -o out.jsonl --format jsonl -q --jobs N` in a fresh process (start-up included); "
        "the floor is spaCy's blank tokenizer alone over the same turns (`nlp.pipe`). Peak RSS is the sum over the process "
        "tree (main + workers), sampled every 50 ms; \"largest\" is the biggest single process.\n")
    add("| corpus | calls | words | what | seconds | calls/s | words/s | vs floor | peak RSS tree (MB) | largest process (MB) |")
    add("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for size, r in results["per_size"].items():
        calls, words = r["calls"], r["words"]
        fw = words / r["floor_s"]
        floor_best[size] = fw
        add(f"| {size} | {calls} | {words} | floor: blank tokenizer | {r['floor_s']:.2f} | {calls / r['floor_s']:.0f} | {fw:,.0f} | 1.00 | | |")
        for jobs, e in r["end_to_end"].items():
            ok = "" if e["rc"] in (0, 1) and e["records"] == calls else f" (rc {e['rc']}, {e['records']} records)"
            add(f"| {size} | {calls} | {words} | coach score --jobs {jobs}{ok} | {e['wall']:.2f} | {calls / e['wall']:.0f} | "
                f"{words / e['wall']:,.0f} | {words / e['wall'] / fw:.2f} | {e['peak_tree_mb']:.0f} | {e['peak_one_mb']:.0f} |")
    add("")

    add(f"## Stages (first {STAGE_SAMPLE} calls of the {results['stage_size']} corpus, one process, each stage timed alone)\n")
    st = results["stages"]
    total = st["seconds"]["= Analyzer.analyze_many (all stages after read)"]
    add(f"{st['calls']} calls, {st['words']:,} words.\n")
    add("| stage | seconds | words/s | share of analyze_many |\n|---|---:|---:|---:|")
    for stage, seconds in st["seconds"].items():
        wps = f"{st['words'] / seconds:,.0f}" if seconds else ""
        share = f"{seconds / total:.0%}" if total and not stage.startswith("=") and not stage.startswith("read") else ""
        add(f"| {stage} | {seconds:.2f} | {wps} | {share} |")
    add("")

    add("## Where the time goes (cProfile, own time by component, reading + scoring the same sample)\n")
    prof_total = sum(s for _, s in results["profile"])
    add("| component | seconds | share |\n|---|---:|---:|")
    for name, seconds in results["profile"][:14]:
        add(f"| {name} | {seconds:.2f} | {seconds / prof_total:.0%} |")
    add("")

    add("## Start-up (median of several runs)\n")
    add("| command | seconds |\n|---|---:|")
    add(f"| `coach --help` | {results['help_s']:.2f} |")
    add(f"| `coach score ONE_CALL -o x.jsonl --jobs 1 -q` (cold: imports, Analyzer, one call) | {results['one_call_s']:.2f} |\n")

    add("## Targets\n")
    add("| target | measured | met |\n|---|---|---|")
    sizes = list(results["per_size"])
    for size in sizes:
        r = results["per_size"][size]
        best = max(r["words"] / e["wall"] for e in r["end_to_end"].values())
        ratio = best / floor_best[size]
        add(f"| end to end >= {TARGETS['end_to_end_vs_floor']:.1f} x floor ({size}, best --jobs) | {ratio:.2f} x | {'yes' if ratio >= TARGETS['end_to_end_vs_floor'] else 'no'} |")
    one = {s: results["per_size"][s]["end_to_end"].get(1) for s in sizes}
    rss = {s: e["peak_tree_mb"] for s, e in one.items() if e}
    if rss:
        flat = max(rss.values()) - min(rss.values())
        add(f"| peak RSS flat across sizes (--jobs 1) | {', '.join(f'{s}: {v:.0f} MB' for s, v in rss.items())} (spread {flat:.0f} MB) | "
            f"{'yes' if flat <= 0.15 * min(rss.values()) else 'no'} |")
        add(f"| peak RSS < {TARGETS['peak_rss_mb']} MB (--jobs 1) | {max(rss.values()):.0f} MB | {'yes' if max(rss.values()) < TARGETS['peak_rss_mb'] else 'no'} |")
    add(f"| `coach --help` < {TARGETS['help_s']} s | {results['help_s']:.2f} s | {'yes' if results['help_s'] < TARGETS['help_s'] else 'no'} |")
    add(f"| one call cold < {TARGETS['one_call_s']:.0f} s | {results['one_call_s']:.2f} s | {'yes' if results['one_call_s'] < TARGETS['one_call_s'] else 'no'} |")
    text = "\n".join(rows) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["1k", "10k"])
    parser.add_argument("--jobs", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    info = machine()
    results: dict[str, Any] = {"sizes": args.sizes, "per_size": {}}
    scratch = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    try:
        for size in args.sizes:
            folder = args.corpus / size
            ensure_corpus(folder, SIZES[size], args.seed)
            calls, _ = read_corpus(folder)
            texts = [turn.text for call in calls for turn in call.turns]
            entry = {"calls": len(calls), "words": sum(len(t.split()) for t in texts), "floor_s": floor(texts)}
            del calls, texts
            print(f"{size}: floor {entry['floor_s']:.2f}s", file=sys.stderr)
            entry["end_to_end"] = {}
            for jobs in args.jobs:
                entry["end_to_end"][jobs] = e = end_to_end(folder, jobs, scratch)
                print(f"{size}: --jobs {jobs} {e['wall']:.1f}s, peak {e['peak_tree_mb']:.0f} MB", file=sys.stderr)
            results["per_size"][size] = entry

        stage_folder = args.corpus / args.sizes[0]
        results["stage_size"] = args.sizes[0]
        seconds, n_calls, n_words = stages(stage_folder, STAGE_SAMPLE)
        results["stages"] = {"seconds": seconds, "calls": n_calls, "words": n_words}
        results["profile"] = profile(stage_folder, STAGE_SAMPLE)

        one = next(p for p in sorted((stage_folder / "000").iterdir()) if p.suffix == ".txt")
        results["help_s"] = timed([*coach_command(), "--help"], 5)
        results["one_call_s"] = timed([*coach_command(), "score", str(one), "-o", str(scratch / "one.jsonl"), "--format", "jsonl", "--jobs", "1", "-q"], 3)
        results["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "last_run.json").write_text(json.dumps({"machine": info, **results}, indent=2, default=str) + "\n", encoding="utf-8")
    print(write_report(args.out, info, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
