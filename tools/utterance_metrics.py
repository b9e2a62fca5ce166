"""Utterance-level precision / recall / F1 of saved models on a labelled set's split, the measure `coach train`
prints at training time, for models that were not retrained when the split changed.

    python -m tools.utterance_metrics data/gold --split test --models-dir models
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def utterance_metrics(gold_dir: str | Path, split: str = "test", models_dir: str | Path = "models") -> dict[str, dict[str, Any]]:
    from coach.classifier import AGENT_LABELS, UtteranceModels
    from coach.evaluate import load_gold, prf
    from coach.training import gold_examples

    calls = [g for g in load_gold(gold_dir) if split == "all" or g.split == split]
    examples, _ = gold_examples(calls)
    models = UtteranceModels.load(models_dir)
    out = {}
    for label in models.labels_:
        rows = [e for e in examples if e.speaker == ("agent" if label in AGENT_LABELS else "customer")]
        if not rows:
            continue
        probabilities = models.predict_proba([e.text for e in rows], label, [e.context for e in rows])
        threshold = models.thresholds_[label]
        out[label] = {"threshold": threshold, **prf((label in e.labels, p >= threshold) for e, p in zip(rows, probabilities))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold_dir", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    args = parser.parse_args(argv)
    print("| label | threshold | precision | recall | F1 | support |\n|---|---|---|---|---|---|")
    for label, m in sorted(utterance_metrics(args.gold_dir, args.split, args.models_dir).items()):
        print(f"| `{label}` | {m['threshold']:.2f} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
