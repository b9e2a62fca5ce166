"""PII masking: what is masked, what is left alone, and that calls and scorecards are masked everywhere."""

from __future__ import annotations

import time

import pytest
from conftest import make_call

from coach.model import Evidence, Finding, Reason, Role, Scorecard, Sentiment, Turn
from coach.pii import luhn_valid, mask_call, mask_scorecard, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # phone numbers
        ("Sure, it's 555-0148. I'm calling to cancel", "Sure, it's [PHONE]. I'm calling to cancel"),
        ("call me on (415) 555 2671 or 1-800-555-0199", "call me on [PHONE] or [PHONE]"),
        ("my cell is 415.555.2671", "my cell is [PHONE]"),
        ("from abroad: +44 20 7946 0958", "from abroad: [PHONE]"),
        # emails, written and spoken
        ("mail ben.h+coach@example.co.uk today", "mail [EMAIL] today"),
        ("it's ben dot halvorsen at gmail dot com", "it's [EMAIL]"),
        ("It's kevin.tran at fastmail dot com.", "It's [EMAIL]."),
        # cards: Luhn-checked, 13-19 digits, spaces or dashes
        ("card 4111 1111 1111 1111 exp 04/27", "card [CARD] exp 04/27"),
        ("4012-8888-8888-1881", "[CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("visa ending in 4821", "visa ending in [CARD]"),
        # account numbers keep their keyword
        ("the account number is 00427781", "the account number is [ACCOUNT]"),
        ("acct # 7781 2291 03", "acct # [ACCOUNT]"),
        ("my account is AC-7781-2291, thanks", "my account is [ACCOUNT], thanks"),
        ("customer id is 88231", "customer id is [ACCOUNT]"),
        ("ssn 123-45-6789", "ssn [SSN]"),
        ("my PIN is 4455", "my PIN is [SECRET]"),
        # street addresses
        ("I live at 12 Elm Street, Apt 4B in Springfield", "I live at [ADDRESS] in Springfield"),
        ("send it to 4410 north lamar blvd", "send it to [ADDRESS]"),
        ("we moved to 221B Baker St.", "we moved to [ADDRESS]"),
        # spoken digit runs in ASR text
        ("five five five one two three four", "[PHONE]"),
        ("it's double five five, one two three four", "it's [PHONE]"),
        ("zip is nine oh two one oh", "zip is [NUMBER]"),
        ("four one one one one one one one one one one one one one one one", "[CARD]"),
        ("5 5 5 0 1 4 8", "[PHONE]"),
        ("five five five one two three four, oh and one more thing", "[PHONE], oh and one more thing"),
    ],
)
def test_pii_masks(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "I've been with you since 2016 and pay $189 a month",
        "I'll take your bill from $189 down to $149 a month for twelve months.",
        "I paid 40 dollars on the way home",
        "the date is 2026-02-09 at 10:30",
        "1234 5678 9012 3456 fails the Luhn check",
        "I have two kids and one dog",
        "oh, one more thing, two three",
        "we met at 5 pm on 3rd street",
        "I was with you for 8 years on 2 lines",
        "thanks for being with us for eight years",
        "",
    ],
)
def test_pii_leaves_ordinary_text_alone(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text", ["a." * 20_000 + " at", "a." * 20_000 + "@", "1-" * 20_000, "dot " * 10_000 + "com", "id " + "1 " * 20_000]
)
def test_pii_masking_stays_fast_on_pathological_text(text):
    started = time.perf_counter()
    mask_text(text)
    assert time.perf_counter() - started < 2.0


def test_pii_luhn_check():
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


def test_pii_mask_call_masks_every_turn_and_metadata_but_keeps_speakers():
    call = make_call([("agent", "Can I have the number on the account?"), ("customer", "555-0148, and mail me at a@b.com")])
    call = call.replace(metadata={"caller": "+1 415 555 2671", "queue": "retention"}, agent="Derek")
    masked = mask_call(call)
    assert [t.text for t in masked.turns] == ["Can I have the number on the account?", "[PHONE], and mail me at [EMAIL]"]
    assert masked.meta("caller") == "[PHONE]" and masked.meta("queue") == "retention"
    assert masked.agent == "Derek" and [t.speaker for t in masked.turns] == [t.speaker for t in call.turns]
    assert call.turns[1].text.startswith("555-0148")  # the original is untouched


def test_pii_mask_scorecard_masks_transcript_evidence_and_reason():
    turn = Turn(1, "Caller", "Moving to 12 Elm Street, call 555-0148", Role.CUSTOMER)
    evidence = Evidence.from_turn(turn, note="reason: moving")
    card = Scorecard(
        "c1", "c1.txt", 90, "A", (), {}, (), Reason(True, "moving", turn.text, 1), Sentiment(),
        findings=(Finding("reason_stated", (evidence,), "moving"),), turns=(turn,),
    )  # fmt: skip
    masked = mask_scorecard(card)
    assert masked.turns[0].text == "Moving to [ADDRESS], call [PHONE]"
    assert masked.findings[0].evidence[0].text == "Moving to [ADDRESS], call [PHONE]"
    assert masked.reason.text == "Moving to [ADDRESS], call [PHONE]" and masked.reason.category == "moving"
