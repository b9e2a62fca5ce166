"""Train the utterance classifiers from a labelled gold set (``coach train GOLD_DIR -o models/``).

Train on the train split, choose each label's threshold on dev, and report utterance-level precision,
recall and F1 on test; the figures go into the manifest and the model card. Training is reproducible: the
same gold set and seed give the same coefficients.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from coach.classifier import Example, UtteranceModels, examples_from_turns
from coach.errors import CoachError
from coach.evaluate import GoldCall, load_gold, prf
from coach.model import Role

log = logging.getLogger(__name__)


def gold_examples(calls: Sequence[GoldCall]) -> tuple[list[Example], list[str]]:
    """Utterance examples from gold calls whose parsed turns line up with their labels; plus warnings."""
    from coach.classifier import previous_turns
    from coach.nlp import normalize
    from coach.readers import read_calls

    rows, warnings = [], []
    for g in calls:
        try:
            call = read_calls(str(g.path))[0]
        except CoachError as e:
            warnings.append(f"skipped {g.call_id}: {e}")
            continue
        if len(call.turns) != len(g.turn_labels):
            warnings.append(f"skipped {g.call_id}: {len(call.turns)} turns read but {len(g.turn_labels)} labelled")
            continue
        texts = [normalize(turn.text) for turn in call.turns]
        for turn, labels, context in zip(call.turns, g.turn_labels, previous_turns(call.turns, texts)):
            speaker = {Role.AGENT: "agent", Role.CUSTOMER: "customer"}.get(turn.role)
            if speaker:
                rows.append((speaker, texts[turn.index], labels, context))
    return examples_from_turns(rows), warnings


def rule_examples() -> list[Example]:
    """The pattern files' own examples as labelled utterances: each rule's ``examples`` are positives for its
    label, its ``not`` examples negatives. They add wordings the gold calls do not have."""
    from coach.classifier import AGENT_LABELS, CUSTOMER_LABELS
    from coach.nlp import normalize
    from coach.rules import load_rules

    learned = set(AGENT_LABELS) | set(CUSTOMER_LABELS)
    out = []
    for rule in load_rules():
        if rule.label not in learned:
            continue
        speaker = "customer" if rule.label in CUSTOMER_LABELS else "agent"
        out += [Example(normalize(t), speaker, frozenset({rule.label})) for t in rule.examples]
        out += [Example(normalize(t), speaker, frozenset()) for t in rule.counter_examples]
    return out


def train_models(
    gold_dir: str | Path, out_dir: str | Path, *, seed: int = 0, extra: Sequence[str | Path] = (), context_weight: float | None = None
) -> dict[str, Any]:
    """Fit, pick thresholds, measure on test, save. Returns the metrics written to the manifest.

    ``extra`` names more labelled sets (same layout). Their calls train the models, except those their own
    ``splits.json`` puts in dev (they join the threshold choice) or test (left out).
    """
    gold = load_gold(gold_dir)
    by_split = {s: [g for g in gold if g.split == s] for s in ("train", "dev", "test")}
    if not by_split["train"]:
        raise CoachError(f"{gold_dir}: no training calls (splits.json must list a train split)")
    extra_calls = [g for directory in extra for g in load_gold(directory)]
    extra_train = [g for g in extra_calls if g.split in ("train", "all")]
    extra_dev = [g for g in extra_calls if g.split == "dev"]
    train, w1 = gold_examples(by_split["train"] + extra_train)
    train += rule_examples()
    dev, w2 = gold_examples(by_split["dev"] + extra_dev)
    test, w3 = gold_examples(by_split["test"])
    from coach.classifier import CONTEXT_WEIGHT

    weight = CONTEXT_WEIGHT if context_weight is None else context_weight
    models = UtteranceModels(seed=seed, context_weight=weight).fit(train, dev)
    metrics: dict[str, Any] = {
        "calls": {**{s: len(v) for s, v in by_split.items()}, "extra_train": len(extra_train), "extra_dev": len(extra_dev)},
        "sources": {"gold": str(gold_dir), "extra": [str(e) for e in extra], "seed": seed, "context_weight": weight},
        "utterances": {"train": len(train), "dev": len(dev), "test": len(test)},
        "test": {},
        "warnings": w1 + w2 + w3,
    }
    for label in models.labels_:
        rows = [e for e in test if e.speaker == ("agent" if label in _agent_labels() else "customer")]
        if not rows:
            continue
        probabilities = models.predict_proba([e.text for e in rows], label, [e.context for e in rows])
        threshold = models.thresholds_[label]
        metrics["test"][label] = prf((label in e.labels, p >= threshold) for e, p in zip(rows, probabilities))
    models.save(out_dir, metrics)
    return metrics


def _agent_labels():
    from coach.classifier import AGENT_LABELS

    return AGENT_LABELS
