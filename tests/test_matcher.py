"""The regex-backed TokenMatcher must find what spaCy's own Matcher finds for the same token patterns."""

from __future__ import annotations

import pytest

from coach.matcher import TokenMatcher, token_regex
from coach.nlp import normalize
from coach.rules import load_rules

RULES = load_rules()
TEXTS = sorted({normalize(t) for r in RULES for t in r.examples + r.counter_examples})


@pytest.fixture(scope="module")
def matchers():
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    reference = Matcher(nlp.vocab, validate=True)
    ours = TokenMatcher()
    for rule in RULES:
        reference.add(rule.id, [list(p) for p in rule.patterns])
        ours.add(rule.id, rule.patterns)
    return nlp, reference, ours


def test_token_matcher_agrees_with_spacy_matcher_on_every_rule_example(matchers):
    nlp, reference, ours = matchers
    for doc in nlp.pipe(TEXTS):
        expected = {nlp.vocab.strings[i] for i, _, _ in reference(doc)}
        got = {key for key, _, _ in ours([t.lower_ for t in doc])}
        assert got == expected, f"{doc.text!r}: spaCy {sorted(expected - got)} only, ours {sorted(got - expected)} only"


def test_token_matcher_returns_token_offsets(matchers):
    nlp, _, _ = matchers
    m = TokenMatcher()
    m.add("x", [[{"LOWER": "thank"}, {"IS_PUNCT": False, "OP": "{0,3}"}, {"LOWER": "loyalty"}]])
    doc = nlp("well thank you for your loyalty today")
    assert m([t.lower_ for t in doc]) == [("x", 1, 6)]


@pytest.mark.parametrize("token", [{"LOWER": "x", "OP": "+"}, {"POS": "NOUN"}, {"LOWER": {"FUZZY": "x"}}])
def test_unsupported_token_attributes_are_refused(token):
    with pytest.raises(ValueError):
        token_regex(token)


def test_wildcards_skip_currency_but_not_punctuation(matchers):
    nlp, reference, _ = matchers
    m = TokenMatcher()
    pattern = [{"LOWER": "knock"}, {"IS_PUNCT": False, "OP": "{0,5}"}, {"LOWER": "off"}]
    m.add("x", [pattern])
    from spacy.matcher import Matcher

    spacy_matcher = Matcher(nlp.vocab)
    spacy_matcher.add("x", [pattern])
    for text, expected in (("i can knock $ 20 a month off", True), ("knock it , off", False)):
        doc = nlp(text)
        assert bool(m([t.lower_ for t in doc])) is expected is bool(spacy_matcher(doc))


def test_a_punctuation_prefix_still_matches_marked_punctuation():
    from coach.rules import compile_phrase

    m = TokenMatcher()
    m.add("x", compile_phrase(".* wait"))
    assert m(["...", "wait"]) == [("x", 0, 2)]
