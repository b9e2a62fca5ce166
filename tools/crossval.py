"""Cross-validate the combined detectors (patterns + models) by call, over labelled sets other than test.

    python -m tools.crossval data/gold data/extra data/samples --folds 5 [--context-weight 0.5] [--json out.json]

The gold set's test split is always left out. Calls are dealt into folds by the SHA-256 of their id; for each
fold, models are trained on the other folds (thresholds chosen on one of them) and the held-out calls are
scored with patterns alone, models alone and both. The pooled held-out figures are how design choices
(context weight, which labels to learn) were made without looking at test. Patterns were written against the
gold train/dev calls, so figures on those are optimistic for patterns and combined (models alone are the fairer yardstick for a model change); ``--only`` restricts the report to calls from one
set (e.g. calls written after the patterns).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path


def _fold(call_id: str, folds: int) -> int:
    return int(hashlib.sha256(call_id.encode()).hexdigest(), 16) % folds


def main(argv: list[str] | None = None) -> int:
    from coach.classifier import CONTEXT_WEIGHT, UtteranceModels
    from coach.evaluate import compare, load_gold
    from coach.readers import read_calls
    from coach.scoring import Analyzer
    from coach.training import gold_examples, rule_examples

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--context-weight", type=float, default=CONTEXT_WEIGHT)
    parser.add_argument("--only", type=Path, help="report only calls from this set")
    parser.add_argument("--json", type=Path, help="write the pooled results here")
    args = parser.parse_args(argv)

    pool = []
    for directory in args.sets:
        pool += [(directory, g) for g in load_gold(directory) if g.split != "test"]
    rules = rule_examples()
    cards: dict[str, list] = {"patterns": [], "model": [], "combined": []}
    patterns = Analyzer(use_model=False)
    for k in range(args.folds):
        held = [(d, g) for d, g in pool if _fold(g.call_id, args.folds) == k]
        dev_fold = (k + 1) % args.folds
        dev = [g for d, g in pool if _fold(g.call_id, args.folds) == dev_fold]
        train = [g for d, g in pool if _fold(g.call_id, args.folds) not in (k, dev_fold)]
        train_rows, _ = gold_examples(train)
        dev_rows, _ = gold_examples(dev)
        models = UtteranceModels(context_weight=args.context_weight).fit(train_rows + rules, dev_rows)
        with tempfile.TemporaryDirectory() as tmp:
            models.save(tmp)
            combined = Analyzer(models_dir=tmp)
            alone = Analyzer(models_dir=tmp, only_models=True)
            for directory, g in held:
                if args.only and directory != args.only:
                    continue
                call = read_calls(str(g.path))[0]
                cards["patterns"].append((g, patterns.analyze(call)))
                cards["model"].append((g, alone.analyze(call)))
                cards["combined"].append((g, combined.analyze(call)))
        print(f"fold {k + 1}/{args.folds}: {len(held)} held out", file=sys.stderr)
    results = {mode: compare(pairs) for mode, pairs in cards.items()}
    for mode, r in results.items():
        flags = " ".join(f"{n}={v:.2f}" for n, v in r["mission_flags_f1"].items())
        print(f"{mode:<9} calls={r['calls']} {flags} reason_ignored={r['flags']['reason_ignored']['f1']:.2f} "
              f"tactics={r['tactics_macro_f1']:.2f} criteria={r['criteria_macro_f1']:.2f} concordance={r['ordering']['concordance']:.2f}")
        print("          tactics: " + " ".join(f"{t}={m['f1']:.2f}" for t, m in r["tactics"].items()))
        print("          criteria: " + " ".join(f"{c}={m['macro_f1']:.2f}" for c, m in r["criteria"].items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
