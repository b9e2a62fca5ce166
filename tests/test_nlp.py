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


def test_no_before_a_noun_negates_it(pipeline):
    hits = pipeline.match_texts([normalize("There's no export feature, I'm afraid.")], "agent")[0]
    assert [m for m in hits if m.label == "help_with_exit"]
    assert all(m.negated for m in hits if m.label == "help_with_exit")


def test_spoken_no_starting_a_clause_negates_nothing_further_on(pipeline):
    hits = pipeline.match_texts([normalize("no twenty nine is still double just turn the renewals off please")], "customer")[0]
    assert [m for m in hits if m.label == "refusal" and not m.negated]


def test_language_word_lists_hold_only_words():
    # YAML reads a bare no/yes/on/off as a boolean; "no" once sat in the negator list as False.
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("coach.patterns").joinpath("language.yaml").read_text(encoding="utf-8"))
    for key, words in data.items():
        if isinstance(words, list):
            assert all(isinstance(w, str) for w in words), key
