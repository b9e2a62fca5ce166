from __future__ import annotations

import pytest

from coach.nlp import normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("I can't cancel", "i can not cancel"),
        ("we won't", "we will not"),
        ("um so uh i i wanna cancel", "so i want to cancel"),
        ("it’s too expensive", "it is too expensive"),
        ("youre all set im done", "you are all set i am done"),
        ("auto-renew is off", "auto renew is off"),
        ("the subscription's cancelled and Dana's bag", "the subscription is cancelled and dana's bag"),
        ("dont worry", "do not worry"),
    ],
)
def test_normalize_unifies_typed_and_speech_to_text_shapes(raw, expected):
    assert normalize(raw) == expected


def test_negation_before_match_blocks_it(pipeline):
    hits = pipeline.match_texts([normalize("I'm not going to say you'll lose your number forever")], "agent")[0]
    assert all(m.negated for m in hits if m.label == "tactic.fear_of_loss")


def test_phrase_never_spans_two_sentences(pipeline):
    hits = pipeline.match_texts([normalize("Thanks for holding. Your loyalty points are zero.")], "agent")[0]
    assert not [m for m in hits if m.label == "gratitude"]
