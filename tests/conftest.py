"""Shared fixtures. Detectors are unit-tested on hand-built calls (like spaCy builds a Doc by hand)."""

from __future__ import annotations

import pytest

from coach.model import Call, Role, Turn


def make_call(pairs, call_id: str = "test-call", **meta) -> Call:
    """Build a call from (role, text) pairs: make_call([("agent", "Hi"), ("customer", "I want to cancel")])."""
    turns = [Turn(i, role, text, Role(role)) for i, (role, text) in enumerate(pairs)]
    return Call(call_id, f"{call_id}.txt", turns, **meta)


@pytest.fixture(scope="session")
def analyzer():
    """One pattern-only Analyzer for the whole session: building the pipeline takes a second."""
    from coach.scoring import Analyzer

    return Analyzer(use_model=False)


@pytest.fixture(scope="session")
def pipeline(analyzer):
    return analyzer.pipeline
