"""coach: a retention-call coaching analyzer.

Reads call transcripts, finds missing gratitude, the unasked "why are you leaving?" and
pressure-style retention tactics, and scores each call against a graceful-goodbye rubric.

>>> import coach
>>> calls = coach.read_calls("transcripts_sample/telecom_graceful.txt")   # doctest: +SKIP
>>> card = coach.analyze(calls[0])                                         # doctest: +SKIP
>>> card.score, card.grade                                                 # doctest: +SKIP

Heavy libraries (spaCy, scikit-learn, pandas) are imported lazily, inside the functions that need
them, so ``import coach`` and ``coach --help`` stay fast.
"""

from __future__ import annotations

from typing import Any

from coach.errors import CoachError, LabelError, ModelError, PatternError, RubricError, TranscriptError
from coach.model import Call, Evidence, Finding, Outcome, Reason, Role, Scorecard, Sentiment, Source, Turn, Verdict

__version__ = "0.1.0"

__all__ = [
    "Call",
    "CoachError",
    "Evidence",
    "Finding",
    "LabelError",
    "ModelError",
    "Outcome",
    "PatternError",
    "Reason",
    "Role",
    "RubricError",
    "Scorecard",
    "Sentiment",
    "Source",
    "TranscriptError",
    "Turn",
    "Verdict",
    "analyze",
    "load_rubric",
    "read_calls",
    "score_paths",
]

# Public functions live in modules that import heavy libraries; resolve them on first use.
_LAZY = {
    "read_calls": ("coach.readers", "read_calls"),
    "analyze": ("coach.scoring", "analyze"),
    "score_paths": ("coach.batch", "score_paths"),
    "load_rubric": ("coach.rubric", "load_rubric"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'coach' has no attribute {name!r}")
