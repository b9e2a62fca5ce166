"""Utterance classifiers that recognise behaviours in wordings the patterns never listed.

One shared feature extractor (TF-IDF word 1-2-grams and character 2-5-grams, robust to speech-to-text
misspellings, capped in size) and one class-balanced logistic regression per label. Agent labels are trained
on agent turns, customer labels on customer turns. Thresholds are chosen on the dev split, never on test.
Each batch of utterances is vectorized once and then scored by every label's classifier.

Optionally (``context_weight`` > 0) a turn is read with the other party's turn before it, vectorized by the
same extractor into a second, down-weighted block of columns: "no, I've decided" is a refusal because an
offer came before it. Cross-validation over the training calls (``tools/crossval.py``) found no gain from it
at the current data size, so the shipped models read each turn alone; ``coach train --context-weight``
turns it on.

Everything is saved as plain data, never pickle: the feature extractor as JSON (vocabulary and IDF weights),
the classifiers' weights as one NumPy array loaded with ``allow_pickle=False`` (a file holding anything but
numbers is refused), and intercepts and thresholds in the JSON manifest. At prediction time every label is
scored with one sparse matrix product and a sigmoid: what logistic regression's ``predict_proba`` computes.
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
FEATURES = "features.json"
WEIGHTS = "weights.npy"
# TfidfVectorizer parameters that shape transform(); they are saved with the vocabulary and IDF weights.
_VECTORIZER_PARAMS = ("analyzer", "ngram_range", "lowercase", "sublinear_tf", "norm", "use_idf", "smooth_idf", "token_pattern", "strip_accents")
FORMAT_VERSION = 5
# Weight of the previous turn's block next to the turn's own (0 reads each turn alone). Chosen by
# cross-validation over training calls (see models/README.md), never on test: 0 and 0.5 were within noise,
# 0 slightly ahead (pressure 0.96 vs 0.94, tactics 0.85 vs 0.83 on 75 held-out-by-fold calls).
CONTEXT_WEIGHT = 0.0

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
    "reason_ack",
    "help_with_exit",
    "anything_else",
    "invite_return",
    "warm_farewell",
    "follow_up",
    "confirm_cancellation",
)
CUSTOMER_LABELS = (
    "cancel_request",
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



def speaker_of(label: str) -> str:
    return "agent" if label in AGENT_LABELS else "customer"


MAX_WORD_FEATURES = 8_000
MAX_CHAR_FEATURES = 12_000


def build_features():
    """The untrained feature extractor shared by every label."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=MAX_WORD_FEATURES, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=MAX_CHAR_FEATURES, sublinear_tf=True)),
        ]
    )


def build_classifier(seed: int = 0):
    """The untrained classifier for one label."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed)


@dataclass
class Example:
    text: str  # normalized utterance
    speaker: str  # "agent" | "customer"
    labels: frozenset[str]
    context: str = ""  # the other party's turn just before, normalized ("" at the start or when unknown)


class UtteranceModels:
    """A set of fitted per-label classifiers with their thresholds.

    Follows scikit-learn's contract: ``__init__`` stores parameters, ``fit`` returns self, learned
    attributes end in ``_``.
    """

    def __init__(self, labels: Sequence[str] = AGENT_LABELS + CUSTOMER_LABELS, seed: int = 0, context_weight: float = CONTEXT_WEIGHT):
        self.labels = tuple(labels)
        self.seed = seed
        self.context_weight = context_weight

    # ---- training -------------------------------------------------------------------------------------------
    def fit(self, train: Sequence[Example], dev: Sequence[Example] = ()) -> UtteranceModels:
        self.classifiers_: dict[str, object] = {}
        self.thresholds_: dict[str, float] = {}
        self.train_counts_: dict[str, int] = {}
        self.features_ = build_features().fit([e.text for e in train])
        for _, vectorizer in self.features_.transformer_list:
            vectorizer.stop_words_ = None  # the pruned n-grams: only needed for introspection, and huge
        self.scorer_ = None
        vectors = {speaker: [e for e in train if e.speaker == speaker] for speaker in ("agent", "customer")}
        matrices = {speaker: self._matrix([e.text for e in rows], [e.context for e in rows]) if rows else None for speaker, rows in vectors.items()}
        for label in self.labels:
            speaker = speaker_of(label)
            rows = vectors[speaker]
            y = [label in e.labels for e in rows]
            self.train_counts_[label] = sum(y)
            if sum(y) < MIN_POSITIVES or sum(y) == len(y):
                log.info("label %s: %d positives, left to the patterns", label, sum(y))
                continue
            classifier = build_classifier(self.seed).fit(matrices[speaker], y)
            self.classifiers_[label] = classifier
            self.thresholds_[label] = self._choose_threshold(classifier, [e for e in dev if e.speaker == speaker], label)
        self._stack()
        return self

    def _choose_threshold(self, classifier, dev: Sequence[Example], label: str) -> float:
        """The threshold that maximizes F1 on dev (ties: the higher, more precise one)."""
        positives = [label in e.labels for e in dev]
        if not dev or not any(positives):
            return 0.8  # no dev evidence: only fire when the model is confident
        scores = classifier.predict_proba(self._matrix([e.text for e in dev], [e.context for e in dev]))[:, 1]
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

    def _stack(self) -> None:
        """One weight matrix (labels x features) and intercept vector, in label order, for prediction."""
        import numpy as np

        order = tuple(self.classifiers_)
        width = sum(len(v.vocabulary_) for _, v in self.features_.transformer_list) * (2 if self.context_weight else 1)
        self.label_order_ = order
        self.weights_ = np.vstack([self.classifiers_[label].coef_[0] for label in order]) if order else np.zeros((0, width))
        self.intercepts_ = np.array([float(self.classifiers_[label].intercept_[0]) for label in order])

    def _matrix(self, texts: Sequence[str], contexts: Sequence[str]):
        """The turns' features, then (when context is used) their previous turns' features, down-weighted."""
        from scipy.sparse import hstack

        # Loaded models transform with NumPy alone (coach.features): no scikit-learn import when scoring.
        transform = self.scorer_.transform if self.scorer_ is not None else self.features_.transform
        if not self.context_weight:
            return transform(list(texts))
        # A turn's context is usually another turn in the same batch: vectorize each distinct text once.
        distinct = list(dict.fromkeys([*texts, *contexts]))
        row = {text: i for i, text in enumerate(distinct)}
        matrix = transform(distinct)
        own = matrix[[row[t] for t in texts]]
        before = matrix[[row[c] for c in contexts]] * self.context_weight
        return hstack([own, before], format="csr")

    def _probabilities(self, texts: Sequence[str], contexts: Sequence[str] | None = None):
        """(len(texts) x labels) probabilities: sigmoid(X W^T + b), as LogisticRegression.predict_proba."""
        import numpy as np

        if not len(texts):
            return np.empty((0, len(self.label_order_)))
        contexts = list(contexts) if contexts is not None else [""] * len(texts)
        scores = np.asarray(self._matrix(texts, contexts) @ self.weights_.T) + self.intercepts_
        return 1.0 / (1.0 + np.exp(-scores))

    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise ModelError("This UtteranceModels instance is not fitted yet. Call 'fit' with training examples first.")

    # ---- prediction -------------------------------------------------------------------------------------------
    @property
    def thresholds(self) -> dict[str, float]:
        self._check_fitted()
        return dict(self.thresholds_)

    @property
    def labels_(self) -> tuple[str, ...]:
        """The labels that have a fitted classifier (others are left to the patterns)."""
        self._check_fitted()
        return tuple(self.label_order_)

    def predict_proba(self, texts: Sequence[str], label: str, contexts: Sequence[str] | None = None):
        """Probability of ``label`` for each text, given the other party's previous turn (``contexts``)."""
        self._check_fitted()
        return self._probabilities(texts, contexts)[:, self.label_order_.index(label)]

    def annotate(self, analyzed: Sequence):
        """Add (turn, label, probability) model scores to analyzed calls, one batch per label."""
        from coach.model import Role

        self._check_fitted()
        speakers = {Role.AGENT: "agent", Role.CUSTOMER: "customer"}
        rows: dict[str, list[tuple[int, int, str, str]]] = {"agent": [], "customer": []}
        for n, ac in enumerate(analyzed):
            for turn, context in zip(ac.call.turns, previous_turns(ac.call.turns, ac.normalized)):
                key = speakers.get(turn.role)
                if key and ac.normalized[turn.index]:
                    rows[key].append((n, turn.index, ac.normalized[turn.index], context))
        scores: list[list[tuple[int, str, float]]] = [[] for _ in analyzed]
        by_speaker = {
            speaker: self._probabilities([row[2] for row in batch], [row[3] for row in batch]) for speaker, batch in rows.items() if batch
        }
        for column, label in enumerate(self.label_order_):
            batch = rows[speaker_of(label)]
            if not batch:
                continue
            probabilities = by_speaker[speaker_of(label)][:, column]
            floor = self.thresholds_[label]
            for (n, turn, _, _), p in zip(batch, probabilities):
                if p >= floor:
                    scores[n].append((turn, label, float(p)))
        return [replace(ac, model_scores=tuple(sorted(s))) for ac, s in zip(analyzed, scores)]

    # ---- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, metrics: dict | None = None) -> Path:
        import numpy as np

        self._check_fitted()
        if self.features_ is None:
            raise ModelError("models loaded from disk cannot be saved again; retrain them with 'coach train'")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _save_features(self.features_, directory / FEATURES)
        np.save(directory / WEIGHTS, self.weights_.astype(np.float32), allow_pickle=False)
        manifest = {
            "format_version": FORMAT_VERSION,
            "seed": self.seed,
            "context_weight": self.context_weight,
            "labels": list(self.label_order_),
            "intercepts": {label: float(b) for label, b in zip(self.label_order_, self.intercepts_)},
            "thresholds": self.thresholds_,
            "train_positives": self.train_counts_,
            "metrics": metrics or {},
        }
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return directory / MANIFEST

    @classmethod
    def load(cls, directory: str | Path) -> UtteranceModels:
        """Load models from plain data (JSON + a numeric array). Raises ModelError naming the file and the problem."""
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
        import numpy as np

        try:
            labels = tuple(manifest["labels"])
            models = cls(labels, seed=manifest.get("seed", 0), context_weight=float(manifest.get("context_weight", 0.0)))
            models.label_order_ = labels
            models.thresholds_ = {label: float(manifest["thresholds"][label]) for label in labels}
            models.intercepts_ = np.array([float(manifest["intercepts"][label]) for label in labels])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{manifest_path}: malformed model manifest ({type(e).__name__}: {e})") from None
        models.train_counts_ = manifest.get("train_positives", {})
        models.features_ = None
        models.scorer_ = _load_features(directory / FEATURES)
        weights_path = directory / WEIGHTS
        try:
            weights = np.load(weights_path, allow_pickle=False)
        except FileNotFoundError:
            raise ModelError(f"{weights_path}: model weights missing; retrain with 'coach train'") from None
        except (OSError, ValueError) as e:  # includes object arrays, which would need pickle
            raise ModelError(f"{weights_path}: refused to load: not a plain numeric array ({e})") from None
        width = models.scorer_.width * (2 if models.context_weight else 1)
        if weights.dtype.kind != "f" or weights.shape != (len(labels), width):
            raise ModelError(f"{weights_path}: expected a float array of shape ({len(labels)}, {width}), found {weights.dtype} {weights.shape}")
        models.weights_ = weights.astype(np.float64)
        return models


def _save_features(features, path: Path) -> None:
    vectorizers = []
    for name, vectorizer in features.transformer_list:
        params = {k: v for k, v in vectorizer.get_params().items() if k in _VECTORIZER_PARAMS}
        vocabulary = {term: int(index) for term, index in vectorizer.vocabulary_.items()}
        vectorizers.append({"name": name, "params": params, "vocabulary": vocabulary, "idf": [float(x) for x in vectorizer.idf_]})
    path.write_text(json.dumps({"vectorizers": vectorizers}, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def _load_features(path: Path):
    """The feature transform from plain JSON (see coach.features; no scikit-learn needed to score)."""
    import numpy as np

    from coach.features import Block, Features

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        blocks = []
        for spec in data["vectorizers"]:
            params = spec["params"]
            blocks.append(
                Block(
                    analyzer=params["analyzer"],
                    ngram_range=tuple(params["ngram_range"]),
                    vocabulary={str(k): int(v) for k, v in spec["vocabulary"].items()},
                    idf=np.asarray(spec["idf"], dtype=np.float64),
                    sublinear_tf=bool(params.get("sublinear_tf", True)),
                    lowercase=bool(params.get("lowercase", True)),
                )
            )
    except FileNotFoundError:
        raise ModelError(f"{path}: feature file missing; retrain with 'coach train'") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{path}: not a valid coach feature file ({type(e).__name__}: {e})") from None
    return Features(blocks)


def previous_turns(turns: Sequence, texts: Sequence[str]) -> list[str]:
    """For each turn, the text of the latest earlier agent or customer turn by the other party ("" if none).

    Every agent (after a transfer too) is one party; system lines (IVR) and unknown speakers are skipped.
    """
    from coach.model import Role

    out, last = [], {"agent": "", "customer": ""}
    for turn in turns:
        party = {Role.AGENT: "agent", Role.CUSTOMER: "customer"}.get(turn.role)
        out.append(last["agent" if party == "customer" else "customer"] if party else "")
        if party:
            last[party] = texts[turn.index]
    return out


def examples_from_turns(turns: Iterable[tuple[str, str, Iterable[str]] | tuple[str, str, Iterable[str], str]]) -> list[Example]:
    """(speaker role, normalized text, labels[, context]) -> Examples, mapping labels to what the models learn.

    Gold ``reason_stated:price`` becomes ``reason.price``; ``tactic:arguing`` becomes ``tactic.arguing``.
    """
    out = []
    for row in turns:
        speaker, text, labels = row[:3]
        context = row[3] if len(row) > 3 else ""
        mapped = set()
        for label in labels:
            if label.startswith("reason_stated:"):
                mapped.add("reason." + label.split(":", 1)[1])
            elif label.startswith("tactic:"):
                mapped.add("tactic." + label.split(":", 1)[1])
            else:
                mapped.add(label)
        out.append(Example(text, speaker, frozenset(mapped), context))
    return out
