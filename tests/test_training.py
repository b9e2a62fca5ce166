"""`coach train`: which calls train the models, which choose thresholds, and which are left out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.training import train_models

ROOT = Path(__file__).resolve().parents[1]


def _labelled_set(tmp: Path, source: Path, splits: dict[str, list[int]]) -> Path:
    """A copy of a labelled set's labels.jsonl (transcript paths made absolute) with our own splits.json."""
    tmp.mkdir()
    records = [json.loads(line) for line in (source / "labels.jsonl").read_text().splitlines() if line.strip()]
    for r in records:
        r["file"] = str((source / r["file"]).resolve())
    (tmp / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    ids = [r["call_id"] for r in records]
    (tmp / "splits.json").write_text(json.dumps({name: [ids[i] for i in idx] for name, idx in splits.items()}))
    return tmp


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    gold = _labelled_set(tmp / "gold", ROOT / "data/samples", {"train": list(range(0, 9)), "dev": [9, 10, 11], "test": [12, 13]})
    extra = _labelled_set(tmp / "extra", ROOT / "data/fresh", {"train": list(range(0, 10)), "dev": [10, 11, 12], "test": [13, 14]})
    return train_models(gold, tmp / "models", seed=1, extra=[extra], context_weight=0.5), tmp / "models"


def test_an_extra_sets_dev_calls_choose_thresholds_and_its_test_calls_are_left_out(trained):
    metrics, _ = trained
    assert metrics["calls"] == {"train": 9, "dev": 3, "test": 2, "extra_train": 10, "extra_dev": 3}


def test_training_writes_models_that_load_and_score(trained):
    from coach.classifier import UtteranceModels

    _, directory = trained
    models = UtteranceModels.load(directory)
    assert "offer" in models.labels_ and models.context_weight > 0
    p = models.predict_proba(["i could take twenty percent off if you stay with us"], "offer", ["i want to cancel my plan"])
    assert p[0] >= models.thresholds["offer"]


def test_utterance_metrics_of_saved_models_match_what_training_reported(trained):
    from tools.utterance_metrics import utterance_metrics

    metrics, models_dir = trained
    again = utterance_metrics(models_dir.parent / "gold", "test", models_dir)
    assert set(again) == set(metrics["test"])
    for label, m in metrics["test"].items():
        assert (again[label]["precision"], again[label]["recall"], again[label]["support"]) == (m["precision"], m["recall"], m["support"])
