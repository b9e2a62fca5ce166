"""Build a reproducible synthetic corpus of retention calls for the benchmarks: 1k, 10k and 100k calls.

Each call is assembled from the templates and word lists in ``benchmarks/corpus_words.yaml`` (industry,
names, reasons, offers, pressure lines, graceful or curt endings, small talk for varied length) with a
generator seeded by ``--seed`` and the call number, then rendered by ``tools.render`` into one of thirteen
real-shaped formats (plain text, captions, CSV/TSV, chat JSON and seven vendors' JSON), some with
speech-to-text noise. The same seed gives the same bytes on every machine.

    python benchmarks/make_corpus.py --sizes 1k 10k            # -> benchmarks/corpus/1k/, benchmarks/corpus/10k/
    python benchmarks/make_corpus.py --sizes 100k --out /data/corpus

Files go 1,000 to a folder (``000/c000000.txt`` ...); ``.manifest.json`` records the seed and the mix.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tools/ is a repo folder, not part of the installed package

from tools.render import render_call  # noqa: E402

WORDS = yaml.safe_load((Path(__file__).with_name("corpus_words.yaml")).read_text(encoding="utf-8"))
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
# format -> share of the corpus (roughly what a contact center's mix of exports looks like)
FORMAT_MIX = {"text": 24, "json": 10, "vtt": 8, "srt": 8, "csv": 8, "tsv": 4, "transcribe": 6, "transcribe-analytics": 6,
              "deepgram": 6, "assemblyai": 6, "ccai": 5, "azure": 5, "whisperx": 4}
VENDORS = {"transcribe", "transcribe-analytics", "deepgram", "assemblyai", "ccai", "azure", "whisperx"}
QUALITY_MIX = {"graceful": 4, "mixed": 3, "poor": 3}
FILES_PER_FOLDER = 1000
MANIFEST = ".manifest.json"  # hidden, so `coach score corpus/1k` does not try to read it as a call


def _fill(template: str, slots: dict[str, str], rng: random.Random) -> str:
    def value(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in slots:
            return slots[key]
        if key in ("nn", "yy", "yy2", "day"):
            return str(rng.randint(10, 28))
        if key == "nnnn":
            return str(rng.randint(1000, 9999))
        if key in ("price", "price2", "discount", "fee", "credit"):
            return str(rng.randint(10, 240))
        if key == "month":
            return rng.choice(WORDS["months"])
        if key == "city":
            return rng.choice(WORDS["cities"])
        if key == "years":
            return rng.choice(WORDS["years"])
        raise KeyError(f"corpus_words.yaml: unknown placeholder {{{key}}} in {template!r}")

    return re.sub(r"\{(\w+)\}", value, template)


def authored_call(number: int, seed: int) -> dict[str, Any]:
    """One synthetic call in the authored-call schema of ``transcripts_sample/README.md`` (unlabelled)."""
    rng = random.Random(f"{seed}:{number}")
    industry = rng.choice(sorted(WORDS["industries"]))
    world = WORDS["industries"][industry]
    quality = rng.choices(list(QUALITY_MIX), weights=list(QUALITY_MIX.values()))[0]
    fmt = rng.choices(list(FORMAT_MIX), weights=list(FORMAT_MIX.values()))[0]
    customer = rng.choice(WORDS["customer_names"])
    slots = {"company": rng.choice(world["company"]), "product": rng.choice(world["product"]),
             "competitor": rng.choice(world["competitor"]), "agent": rng.choice(WORDS["agent_names"]),
             "team": rng.choice(WORDS["teams"]), "customer": customer, "first": customer.split()[0],
             "years": rng.choice(WORDS["years"])}

    def say(key: str) -> str:
        return _fill(rng.choice(WORDS[key]), slots, rng)

    category = rng.choice(sorted(WORDS["reasons"]))
    reason = _fill(rng.choice(WORDS["reasons"][category]), slots, rng)
    turns: list[tuple[str, str]] = [("agent", say("greetings")), ("customer", say("cancel_requests")),
                                    ("agent", say("verify_questions")), ("customer", say("verify_answers"))]
    for _ in range(rng.randint(0, 6)):  # account lookups: calls of varied length
        turns += [("agent", _fill(rng.choice(WORDS["small_talk"]["agent"]), slots, rng)),
                  ("customer", _fill(rng.choice(WORDS["small_talk"]["customer"]), slots, rng))]
    asks = quality == "graceful" or (quality == "mixed" and rng.random() < 0.6) or (quality == "poor" and rng.random() < 0.3)
    if asks:
        turns += [("agent", say("reason_questions")), ("customer", reason)]
        if quality != "poor":
            turns.append(("agent", say("acknowledgements")))
    else:
        turns.append(("customer", reason))
    turns += [("agent", say("offers")), ("customer", say("refusals"))]
    tactics = {"graceful": 0, "mixed": rng.randint(0, 1), "poor": rng.randint(2, 4)}[quality]
    for tactic in rng.sample(sorted(WORDS["pressure_lines"]), tactics):
        turns += [("agent", _fill(rng.choice(WORDS["pressure_lines"][tactic]), slots, rng)), ("customer", say("refusals"))]
    turns += [("agent", say("help_exit")), ("customer", rng.choice(WORDS["small_talk"]["customer"]))]
    if quality == "poor":
        turns += [("agent", say("curt_endings")), ("customer", say("customer_byes"))]
    else:
        ending = [say("anything_else")]
        turns += [("agent", " ".join(ending)), ("customer", say("no_more"))]
        closing = [say(k) for k in ("gratitude", "invite_return", "follow_up", "farewells") if quality == "graceful" or rng.random() < 0.5]
        turns += [("agent", " ".join(closing) or say("farewells")), ("customer", say("customer_byes"))]

    merged: list[dict[str, Any]] = []
    for speaker, text in turns:  # the renderer wants speakers to alternate
        if merged and merged[-1]["speaker"] == speaker:
            merged[-1]["text"] += " " + text
        else:
            merged.append({"speaker": speaker, "text": text, "labels": []})
    channel = "chat" if fmt == "json" and rng.random() < 0.5 else "voice"
    return {"call_id": f"c{number:06d}", "industry": industry, "quality": quality, "channel": channel, "format": fmt,
            "noise": fmt in VENDORS and rng.random() < 0.3, "agent_name": slots["agent"], "team": slots["team"],
            "date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "turns": merged, "expected": {}}


def _render_range(args: tuple[int, int, int, str]) -> Counter:
    start, stop, seed, out = args
    mix: Counter = Counter()
    for number in range(start, stop):
        authored = authored_call(number, seed)
        name, data = render_call(authored)
        folder = Path(out) / f"{number // FILES_PER_FOLDER:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        mix[authored["format"]] += 1
        mix["words"] += sum(len(t["text"].split()) for t in authored["turns"])
        mix["turns"] += len(authored["turns"])
    return mix


def make_corpus(out: Path, count: int, seed: int, workers: int = 2) -> dict[str, Any]:
    """Write ``count`` calls to ``out`` (replacing it) and return the manifest."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    step = 500
    ranges = [(s, min(s + step, count), seed, str(out)) for s in range(0, count, step)]
    mix: Counter = Counter()
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(_render_range, ranges):
            mix.update(part)
    manifest = {"calls": count, "seed": seed, "words": mix.pop("words"), "turns": mix.pop("turns"), "formats": dict(sorted(mix.items()))}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def ensure_corpus(out: Path, count: int, seed: int, workers: int = 2) -> dict[str, Any]:
    """The corpus at ``out``, built only if missing or made with another size or seed."""
    manifest_path = out / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("calls") == count and manifest.get("seed") == seed:
            return manifest
    return make_corpus(out, count, seed, workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["1k", "10k"])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("corpus"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for size in args.sizes:
        started = time.perf_counter()
        manifest = make_corpus(args.out / size, SIZES[size], args.seed, args.workers)
        print(f"{size}: {manifest['calls']} calls, {manifest['words']} words in {time.perf_counter() - started:.1f}s -> {args.out / size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
