"""TF-IDF features for prediction, in NumPy alone.

Training uses scikit-learn's ``TfidfVectorizer`` (word 1-2-grams and char_wb n-grams, sublinear TF, IDF, L2
norm per block, the blocks side by side as in a ``FeatureUnion``). Scoring needs only the transform, and
importing scikit-learn costs about two seconds of a cold start, so this module reproduces the transform from
the saved vocabulary and IDF weights. ``tests/test_classifier.py`` checks it against scikit-learn's output.
"""

from __future__ import annotations

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

    def counts(self, text: str) -> tuple[list[int], list[int]]:
        """Vocabulary columns present in ``text`` and how often each occurs."""
        get = self.vocabulary.get
        columns, counts = [], []
        for term, count in Counter(self.terms(text)).items():
            column = get(term)
            if column is not None:
                columns.append(column)
                counts.append(count)
        return columns, counts


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

    def transform(self, texts: Sequence[str]):
        """A (len(texts) x width) sparse CSR matrix, the same as the FeatureUnion's transform: per block,
        sublinear TF times IDF, L2-normalized per row; blocks side by side."""
        import numpy as np
        from scipy.sparse import csr_matrix

        parts = []
        for block, offset in zip(self.blocks, self.offsets):
            rows, columns, counts = [], [], []
            for i, text in enumerate(texts):
                c, n = block.counts(text)
                rows.extend([i] * len(c))
                columns.extend(c)
                counts.extend(n)
            rows_a, columns_a = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
            tf = np.asarray(counts, dtype=np.float64)
            values = (1.0 + np.log(tf) if block.sublinear_tf else tf) * np.asarray(block.idf)[columns_a]
            norms = np.sqrt(np.bincount(rows_a, weights=values * values, minlength=len(texts)))
            values = values / np.where(norms > 0, norms, 1.0)[rows_a]
            parts.append((rows_a, columns_a + offset, values))
        rows = np.concatenate([p[0] for p in parts])
        columns = np.concatenate([p[1] for p in parts])
        values = np.concatenate([p[2] for p in parts])
        return csr_matrix((values, (rows, columns)), shape=(len(texts), self.width))

    def scores(self, texts: Sequence[str], weights, intercepts):
        """sigmoid(X W^T + b) for each text: (len(texts) x labels) probabilities, one sparse product per batch."""
        import numpy as np

        if not len(texts):
            return np.empty((0, weights.shape[0]))
        logits = np.asarray(self.transform(texts) @ weights.T) + intercepts
        return 1.0 / (1.0 + np.exp(-logits))
