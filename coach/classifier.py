"""Utterance classifiers that recognise behaviours in wordings the patterns never listed.

One scikit-learn pipeline per label: TF-IDF word 1-2-grams and character 2-5-grams (robust to
speech-to-text misspellings) into a class-balanced logistic regression. Agent labels are trained on agent
turns, customer labels on customer turns. Thresholds are chosen on the dev split, never on test.

Models are saved with ``skops.io`` and loaded only with an explicit list of trusted types, never with
pickle: a swapped or tampered file that needs any other type is refused with a clear error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from coach.errors import ModelError

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1

# Labels the models learn, by the speaker whose turns they read. Others in the gold set are patterns-only.
AGENT_LABELS = (
    "gratitude",
    "reason_question",
    "offer",
    "tactic.refusal_to_cancel",
    "tactic.interrogation",
    "tactic.guilt_or_shame",
    "tactic.fear_of_loss",
    "tactic.false_urgency",
    "tactic.arguing",
    "tactic.penalty_threat",
)
CUSTOMER_LABELS = (
    "refusal",
    "reason.price",
    "reason.moving",
    "reason.service_quality",
    "reason.competitor",
    "reason.no_longer_needed",
    "reason.financial_hardship",
    "reason.life_event",
)
MIN_POSITIVES = 8  # fewer training examples than this and a label is left to the patterns
MIN_THRESHOLD = 0.5  # a model never fires below even odds, whatever dev says

# The only types a coach model file may contain. Anything else in a file is refused at load.
TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model.LogisticRegression",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.core.multiarray._reconstruct",
    "builtins.slice",
    "builtins.tuple",
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
]


def speaker_of(label: str) -> str:
    return "agent" if label in AGENT_LABELS else "customer"


def build_pipeline(seed: int = 0):
    """The untrained pipeline for one label (sklearn's contract: parameters only, fit later)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)),
        ]
    )
    classifier = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass
class Example:
    text: str  # normalized utterance
    speaker: str  # "agent" | "customer"
    labels: frozenset[str]


class UtteranceModels:
    """A set of fitted per-label classifiers with their thresholds.

    Follows scikit-learn's contract: ``__init__`` stores parameters, ``fit`` returns self, learned
    attributes end in ``_``.
    """

    def __init__(self, labels: Sequence[str] = AGENT_LABELS + CUSTOMER_LABELS, seed: int = 0):
        self.labels = tuple(labels)
        self.seed = seed

    # ---- training -------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] = ()) -> UtteranceModels:
        self.pipelines_: dict[str, object] = {}
        self.thresholds_: dict[str, float] = {}
        self.train_counts_: dict[str, int] = {}
        for label in self.labels:
            speaker = speaker_of(label)
            rows = [e for e in train if e.speaker == speaker]
            y = [label in e.labels for e in rows]
            self.train_counts_[label] = sum(y)
            if sum(y) < MIN_POSITIVES or sum(y) == len(y):
                log.info("label %s: %d positives, left to the patterns", label, sum(y))
                continue
            pipeline = build_pipeline(self.seed).fit([e.text for e in rows], y)
            self.pipelines_[label] = pipeline
            self.thresholds_[label] = self._choose_threshold(pipeline, [e for e in dev if e.speaker == speaker], label)
        return self

    @staticmethod
    def _choose_threshold(pipeline, dev: Sequence[Example], label: str) -> float:
        """The threshold that maximizes F1 on dev (ties: the higher, more precise one)."""
        positives = [label in e.labels for e in dev]
        if not dev or not any(positives):
            return 0.8  # no dev evidence: only fire when the model is confident
        scores = pipeline.predict_proba([e.text for e in dev])[:, 1]
        best, best_f1 = 0.8, -1.0
        for step in range(10, 20):
            threshold = step / 20
            tp = sum(s >= threshold and p for s, p in zip(scores, positives))
            fp = sum(s >= threshold and not p for s, p in zip(scores, positives))
            fn = sum(s < threshold and p for s, p in zip(scores, positives))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 >= best_f1:
                best, best_f1 = threshold, f1
        return max(best, MIN_THRESHOLD)

    def _check_fitted(self) -> None:
        if not hasattr(self, "pipelines_"):
            raise ModelError("This UtteranceModels instance is not fitted yet. Call 'fit' with training examples first.")

    # ---- prediction -------------------------------------------------------------------------------------------
    @property
    def thresholds(self) -> dict[str, float]:
        self._check_fitted()
        return dict(self.thresholds_)

    def predict_proba(self, texts: Sequence[str], label: str):
        self._check_fitted()
        return self.pipelines_[label].predict_proba(list(texts))[:, 1]

    def annotate(self, analyzed: Sequence):
        """Add (turn, label, probability) model scores to analyzed calls, one batch per label."""
        from coach.model import Role

        self._check_fitted()
        rows = {"agent": [], "customer": []}
        for n, ac in enumerate(analyzed):
            for turn in ac.call.turns:
                key = {Role.AGENT: "agent", Role.CUSTOMER: "customer"}.get(turn.role)
                if key and ac.normalized[turn.index]:
                    rows[key].append((n, turn.index, ac.normalized[turn.index]))
        scores: list[list[tuple[int, str, float]]] = [[] for _ in analyzed]
        for label, pipeline in self.pipelines_.items():
            batch = rows[speaker_of(label)]
            if not batch:
                continue
            probabilities = pipeline.predict_proba([text for _, _, text in batch])[:, 1]
            floor = self.thresholds_[label]
            for (n, turn, _), p in zip(batch, probabilities):
                if p >= floor:
                    scores[n].append((turn, label, float(p)))
        return [replace(ac, model_scores=tuple(sorted(s))) for ac, s in zip(analyzed, scores)]

    # ---- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        import skops.io as sio

        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        files = {}
        for label, pipeline in self.pipelines_.items():
            name = label.replace(".", "_") + ".skops"
            sio.dump(pipeline, directory / name)
            files[label] = name
        manifest = {
            "format_version": FORMAT_VERSION,
            "seed": self.seed,
            "labels": files,
            "thresholds": self.thresholds_,
            "train_positives": self.train_counts_,
            "metrics": metrics or {},
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return directory / MANIFEST

    @classmethod
    def load(cls, directory: str | Path) -> UtteranceModels:
        """Load models, trusting only :data:`TRUSTED_TYPES`. Raises ModelError naming the file and the problem."""
        import skops.io as sio

        directory = Path(directory)
        manifest_path = directory / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{manifest_path}: no model manifest; train models with 'coach train GOLD_DIR -o {directory}'") from None
        except (OSError, ValueError) as e:
            raise ModelError(f"{manifest_path}: unreadable model manifest ({e})") from None
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"{manifest_path}: model format {manifest.get('format_version')!r}, this coach reads {FORMAT_VERSION}; retrain with 'coach train'")
        models = cls(tuple(manifest["labels"]), seed=manifest.get("seed", 0))
        models.pipelines_, models.thresholds_ = {}, {}
        models.train_counts_ = manifest.get("train_positives", {})
        for label, name in manifest["labels"].items():
            path = directory / name
            try:
                untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
            except FileNotFoundError:
                raise ModelError(f"{path}: model file missing (listed in {manifest_path})") from None
            except Exception as e:  # skops raises several types for a corrupt archive
                raise ModelError(f"{path}: not a readable skops model file ({type(e).__name__}: {e})") from None
            if untrusted:
                raise ModelError(f"{path}: refused to load: the file asks for types coach does not trust ({', '.join(sorted(untrusted))})")
            try:
                models.pipelines_[label] = sio.load(path, trusted=TRUSTED_TYPES)
            except Exception as e:
                raise ModelError(f"{path}: could not load model ({type(e).__name__}: {e})") from None
            models.thresholds_[label] = float(manifest["thresholds"][label])
        return models


def examples_from_turns(turns: Iterable[tuple[str, str, Iterable[str]]]) -> list[Example]:
    """(speaker role, normalized text, labels) -> Examples, mapping labels to what the models learn.

    Gold ``reason_stated:price`` becomes ``reason.price``; ``tactic:arguing`` becomes ``tactic.arguing``.
    """
    out = []
    for speaker, text, labels in turns:
        mapped = set()
        for label in labels:
            if label.startswith("reason_stated:"):
                mapped.add("reason." + label.split(":", 1)[1])
            elif label.startswith("tactic:"):
                mapped.add("tactic." + label.split(":", 1)[1])
            else:
                mapped.add(label)
        out.append(Example(text, speaker, frozenset(mapped)))
    return out
