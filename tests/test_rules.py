"""Meta-tests on the pattern data: every rule's examples match, its counter-examples don't, ids are unique,
and broken pattern files fail with the file, line and rule id."""

from __future__ import annotations

import pytest

from coach.errors import PatternError
from coach.nlp import normalize
from coach.rules import compile_phrase, load_rules, parse_rules

RULES = load_rules()


def _role(rule) -> str:
    return "customer" if rule.speaker == "customer" else "agent"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_matches_every_example_and_no_counter_example(rule, pipeline):
    for text in rule.examples:
        hits = [m for m in pipeline.match_texts([normalize(text)], _role(rule))[0] if m.rule == rule.id and not m.negated]
        assert hits, f"{rule.id} ({rule.path}:{rule.line}) should match example {text!r}"
    for text in rule.counter_examples:
        hits = [m for m in pipeline.match_texts([normalize(text)], _role(rule))[0] if m.rule == rule.id and not m.negated]
        assert not hits, f"{rule.id} ({rule.path}:{rule.line}) should not match {text!r} but matched {hits[0].span!r}"


def test_rule_ids_are_unique():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_every_label_a_detector_reads_has_rules():
    labels = {r.label for r in RULES}
    needed = {"gratitude", "courtesy_thanks", "reason_question", "empathy", "offer", "refusal", "cancel_request",
              "help_with_exit", "anything_else", "personalize", "invite_return", "warm_farewell", "follow_up",
              "confirm_cancellation", "fee_mention", "leverage", "loss_mention", "legit_transfer"}  # fmt: skip
    needed |= {f"tactic.{t}" for t in ("refusal_to_cancel", "interrogation", "guilt_or_shame", "fear_of_loss", "false_urgency", "arguing", "penalty_threat")}
    needed |= {f"reason.{c}" for c in ("price", "moving", "service_quality", "competitor", "no_longer_needed", "financial_hardship", "life_event")}
    assert needed <= labels, f"no rules for {sorted(needed - labels)}"


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("thank|thanks you", [[{"LOWER": "thank"}], [{"LOWER": "thanks"}, {"LOWER": "you"}]]),
        ("[thank|thanks] you?", [[{"LOWER": {"IN": ["thank", "thanks"]}}, {"LOWER": "you", "OP": "?"}]]),
        ("cancel* ... now", [[{"LOWER": {"REGEX": "^cancel"}}, {"IS_PUNCT": False, "OP": "{0,3}"}, {"LOWER": "now"}]]),
        ("auto-renew", [[{"LOWER": "auto"}, {"LOWER": "renew"}]]),  # hyphens are spaces, as in normalized text
    ],
)
def test_phrase_syntax_compiles_to_spacy_patterns(phrase, expected):
    got = compile_phrase(phrase)
    assert sorted(map(str, got)) == sorted(map(str, expected))


def test_an_optional_comma_before_unbracketed_alternatives_is_refused():
    # ",? honestly|mainly" would be ",? honestly" or a bare "mainly": "the price, mainly" would never match
    with pytest.raises(ValueError, match=r"bracket them: ',\? \[honestly\|mainly\]'"):
        compile_phrase("[the price|the cost] ,? honestly|mainly")
    assert len(compile_phrase("[the price|the cost] ,? [honestly|mainly]")) == 2


def test_bad_pattern_file_names_file_line_and_rule():
    text = "rules:\n  - id: ok.rule\n    label: x\n    patterns: ['hello']\n    examples: ['hello']\n  - id: broken.rule\n    label: x\n    patterns: ['hello WORLD']\n    examples: []\n"
    with pytest.raises(PatternError) as info:
        parse_rules(text, "custom/greetings.yaml")
    message = str(info.value)
    assert message.startswith("custom/greetings.yaml:6: rule 'broken.rule'")
    assert "'WORLD' is not a plain lowercase word" in message
    assert "needs at least one example" in message


def test_a_key_given_twice_in_one_rule_is_an_error_naming_its_line():
    # YAML keeps the last of two equal keys: a second `unless:` once silently dropped the first list.
    text = ("rules:\n  - id: a.rule\n    label: x\n    unless: ['hello there']\n    patterns: ['hello']\n"
            "    unless: ['hello you']\n    examples: ['hello']\n")
    with pytest.raises(PatternError, match=r"^p\.yaml:6: key 'unless' given twice"):
        parse_rules(text, "p.yaml")


def test_the_shipped_pattern_and_rubric_files_give_no_key_twice():
    from pathlib import Path

    from coach.rules import duplicate_key

    files = sorted((Path(__file__).parent.parent / "coach").rglob("*.yaml"))
    assert files
    assert {str(f): duplicate_key(f.read_text(encoding="utf-8")) for f in files} == {str(f): None for f in files}


def test_invalid_yaml_in_pattern_file_names_the_line():
    with pytest.raises(PatternError, match=r"^p\.yaml:\d+: not valid YAML"):
        parse_rules("rules:\n  - id: a\n    label: [unclosed\n", "p.yaml")
