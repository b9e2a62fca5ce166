"""TF-IDF features for prediction, in NumPy alone.

Training uses scikit-learn's ``TfidfVectorizer`` (word 1-2-grams and char_wb n-grams, sublinear TF, IDF, L2
norm per block, the blocks side by side as in a ``FeatureUnion``). Scoring needs only the transform, and
importing scikit-learn costs about two seconds of a cold start, so this module reproduces the transform from
the saved vocabulary and IDF weights. ``tests/test_classifier.py`` checks it against scikit-learn's output.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


@dataclass
class Block:
    """One fitted vectorizer: its analyzer, n-gram range, vocabulary and IDF weights."""

    analyzer: str  # "word" | "char_wb"
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: Any  # numpy array
    sublinear_tf: bool = True
    lowercase: bool = True

    def terms(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        low, high = self.ngram_range
        if self.analyzer == "word":
            tokens = _TOKEN.findall(text)
            out = []
            for n in range(low, high + 1):
                out += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            return out
        if self.analyzer == "char_wb":
            out = []
            for word in " ".join(text.split()).split(" "):
                word = f" {word} "
                for n in range(low, high + 1):
                    # As scikit-learn's _char_wb_ngrams: a padded word no longer than n is counted once, whole,
                    # and no longer n-grams are taken from it.
                    out += [word[i : i + n] for i in range(max(1, len(word) - n + 1))]
                    if len(word) <= n:
                        break
            return out
        raise ValueError(f"unsupported analyzer {self.analyzer!r}")

    def row(self, text: str) -> tuple[list[int], list[float]]:
        """Column indices and L2-normalized TF-IDF values for one text."""
        counts = Counter(t for t in self.terms(text) if t in self.vocabulary)
        columns = [self.vocabulary[t] for t in counts]
        values = [(1.0 + math.log(c) if self.sublinear_tf else float(c)) * float(self.idf[j]) for j, c in zip(columns, counts.values())]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return columns, [v / norm for v in values]


class Features:
    """Blocks side by side: column offsets like scikit-learn's FeatureUnion."""

    def __init__(self, blocks: Sequence[Block]):
        self.blocks = list(blocks)
        self.offsets = []
        offset = 0
        for block in self.blocks:
            self.offsets.append(offset)
            offset += len(block.vocabulary)
        self.width = offset

    def scores(self, texts: Sequence[str], weights, intercepts):
        """sigmoid(X W^T + b) for each text, without building X: (len(texts) x labels) probabilities."""
        import numpy as np

        out = np.empty((len(texts), weights.shape[0]))
        for i, text in enumerate(texts):
            total = intercepts.copy()
            for block, offset in zip(self.blocks, self.offsets):
                columns, values = block.row(text)
                if columns:
                    total += weights[:, np.asarray(columns) + offset] @ np.asarray(values)
            out[i] = total
        return 1.0 / (1.0 + np.exp(-out))
