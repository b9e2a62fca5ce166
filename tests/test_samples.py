"""The bundled samples, scored end to end: the product's own acceptance checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABELS = [json.loads(line) for line in (ROOT / "data" / "samples" / "labels.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cards(analyzer):
    from coach.readers import read_calls

    return {d["call_id"]: (d, analyzer.analyze(read_calls(str(ROOT / "data" / "samples" / d["file"]))[0])) for d in LABELS}


def test_every_graceful_sample_scores_above_every_poor_one(cards):
    graceful = [c.score for d, c in cards.values() if d["quality"] == "graceful"]
    poor = [c.score for d, c in cards.values() if d["quality"] == "poor"]
    assert graceful and poor
    assert min(graceful) > max(poor), {k: (d["quality"], round(c.score)) for k, (d, c) in cards.items()}


def test_every_verdict_on_the_samples_is_backed_by_evidence_or_an_explained_absence(cards):
    for _, card in cards.values():
        for v in card.verdicts:
            assert v.evidence or v.why.startswith(("missed: searched", "met: none of", "n/a")), (card.call_id, v.criterion)
            for e in v.evidence:
                assert card.turns[e.turn].text == e.text


def test_pressure_is_found_in_every_poor_sample_and_no_graceful_one(cards):
    for d, card in cards.values():
        if d["quality"] == "poor":
            assert card.flag("pressure"), card.call_id
        if d["quality"] == "graceful":
            assert not card.flag("pressure"), (card.call_id, card.pressure_tactics)
