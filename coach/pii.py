"""Mask personal data in transcripts before they are stored, scored or shown in a report.

:func:`mask_text` replaces what it recognises with a bracketed placeholder, so a reviewer still sees
*that* something was said and detectors still see a sentence::

    >>> mask_text("Call me on (555) 014-8123 or mail ben.h@example.com")
    'Call me on [PHONE] or mail [EMAIL]'
    >>> mask_text("it's account number 0042 7781 93, card 4111 1111 1111 1111")
    "it's account number [ACCOUNT], card [CARD]"
    >>> mask_text("my number is five five five, oh one four eight")
    'my number is [PHONE]'

What it masks (in this order, so a card number is never half-masked as a phone number):

- ``[EMAIL]``: written addresses (``name@host.tld``) and spoken ones in ASR text
  (``ben dot h at example dot com``).
- ``[SSN]``: US social security numbers written ``123-45-6789``.
- ``[CARD]``: 13-19 digit payment card numbers, whole or in groups of 3-6 separated by spaces or dashes,
  that pass the Luhn check; also the digits after "card ending in" / "card number".
- ``[ACCOUNT]``: the digit run after "account", "acct", "member/customer/policy number" or "ID"
  (4+ digits, spaces and dashes allowed, letters prefix such as ``AC-``); the keyword itself is kept.
- ``[SECRET]``: digits after "PIN", "passcode", "CVV" or "security/verification code".
- ``[PHONE]``: North American numbers (``+1 (555) 014-8123``, ``555.014.8123``, ``555-0148``) and
  international numbers written with a leading ``+``.
- ``[ADDRESS]``: a house number, one to four street-name words and a street suffix (``12 Elm Street``,
  ``4410 north Lamar Blvd Apt 3``).
- Spoken digit sequences in ASR text: four or more digits said as words or single figures
  (``five five five one two three four``, ``nine oh two one oh``, ``double seven``), masked as
  ``[PHONE]`` (7, 10 or 11 digits), ``[CARD]`` (13-19 digits passing Luhn) or ``[NUMBER]``.

What it does **not** catch, so do not treat masked output as anonymised:

- Names of people (the customer's, family members', the agent's) and company or place names.
- Addresses without a number and a street suffix, spelled-out house numbers ("twelve Elm Street"),
  cities, ZIP codes written as 5 digits, PO boxes.
- Numbers said as larger number words ("forty-two eleven"), or split across two turns.
- Dates of birth, ages, ID numbers with no keyword in front, IBANs without a keyword, licence plates.
- Anything in another language's number words.
- Free-text personal details (health, family situation, the reason they are leaving).

It errs on the side of masking: a phrase such as "look at this dot com" is masked as ``[EMAIL]``, and a
countdown ("four, three, two, one") as ``[NUMBER]``. Every pattern is bounded, so masking takes linear time
even on adversarial input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from coach.model import Call, Evidence, Finding, Reason, Scorecard

# Spoken digits as ASR writes them. "oh"/"o" for zero only count inside a run of other digits.
DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
REPEATERS = {"double": 2, "triple": 3}
STREET_SUFFIXES = (
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr", "court", "ct",
    "way", "place", "pl", "terrace", "ter", "circle", "cir", "parkway", "pkwy", "highway", "hwy", "square", "sq",
    "trail", "trl", "crescent", "close", "row", "alley", "plaza",
)  # fmt: skip
# Words that end a street name: "I paid 40 dollars on the way" is not an address.
NOT_STREET_WORDS = (
    "a", "an", "the", "on", "in", "of", "to", "for", "and", "or", "my", "your", "our", "their", "by", "at", "is",
    "was", "it", "this", "that", "per", "dollars", "bucks", "months", "years", "days", "weeks", "minutes", "percent",
)  # fmt: skip

_SEP = r"[ \t]*[-.]?[ \t]*"
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+\b")
_SPOKEN_EMAIL = re.compile(
    r"\b[a-z0-9][a-z0-9._-]{0,63}(?:\s+(?:dot|underscore|dash)\s+[a-z0-9._-]+){0,4}\s+at\s+[a-z0-9-]+(?:\s+dot\s+[a-z0-9-]+){0,3}"
    r"\s+dot\s+(?:com|net|org|edu|gov|io|co|us|uk|ca|de|fr|info|biz|me)\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_CARD = re.compile(r"(?<![\d-])(?:\d{13,19}|\d{3,6}(?:[ -]\d{3,6}){2,5})(?![\d-])")
_KEYWORD_DIGITS = r"(?P<digits>(?:[A-Z]{1,3}-?)?\d[\d \t-]{2,}\d|\d{4,})"
_KEYWORDED = (
    (
        "[CARD]",
        re.compile(
            r"\b(?:card|visa|mastercard|amex)\s+(?:number\s+|no\.?\s+|ending\s+(?:in|with)\s+)(?:is\s+)?[:#]?\s*"
            + _KEYWORD_DIGITS,
            re.I,
        ),
    ),
    (
        "[ACCOUNT]",
        re.compile(
            r"\b(?:account|acct|a/c|member(?:ship)?|customer|policy|contract|reference|ref|id)\b"
            r"(?:\s+(?:number|no\.?|num|#|id|ending\s+(?:in|with)|is|was|it's))*\s*[:#]?\s*" + _KEYWORD_DIGITS,
            re.I,
        ),
    ),
    (
        "[SECRET]",
        re.compile(
            r"\b(?:pin|passcode|cvv|cvc|(?:security|verification)\s+code)\b(?:\s+(?:is|was|number))*\s*[:#]?\s*(?P<digits>\d{3,8})\b",
            re.I,
        ),
    ),
)
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[ \t.-]?\(?\d{1,4}\)?(?:[ \t.-]?\d{2,4}){2,4}"  # international, leading +
    r"|(?:1" + _SEP + r")?(?:\(\d{3}\)|\d{3})" + _SEP + r"\d{3}" + _SEP + r"\d{4}"  # (555) 014-8123, 555.014.8123, 555 014 8123
    r"|\d{3}[-.]\d{4}"  # 555-0148
    r")(?![\w-])"
)
_STREET_WORD = r"(?!(?:" + "|".join(NOT_STREET_WORDS) + r")\b)[A-Za-z][A-Za-z'.-]*"
_ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:" + _STREET_WORD + r"\s+){1,4}(?:" + "|".join(STREET_SUFFIXES) + r")\b\.?"
    r"(?:,?\s+(?:apt|apartment|unit|suite|ste|#)\.?\s*#?\s*[A-Za-z0-9-]+)?",
    re.IGNORECASE,
)
_DIGIT_TOKEN = r"(?:" + "|".join(sorted(DIGIT_WORDS, key=len, reverse=True)) + r"|\d)"
_SPOKEN_RUN = re.compile(
    r"\b(?!(?:oh|o)\b)(?:(?:double|triple)\s+)?"
    + _DIGIT_TOKEN
    + r"(?:(?:\s*[,-]\s*|\s+(?:dash\s+)?)(?:(?:double|triple)\s+)?"
    + _DIGIT_TOKEN
    + r"){3,}\b",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _keyworded(label: str) -> Callable[[re.Match[str]], str]:
    def mask(match: re.Match[str]) -> str:
        start, end = match.span("digits")
        digits = match.group("digits").rstrip(" \t-")
        return match.string[match.start() : start] + label + match.string[start + len(digits) : end]

    return mask


def _spoken_digits(match: re.Match[str]) -> str:
    text = match.group(0)
    tokens = list(re.finditer(r"double|triple|dash|\d|[a-z]+", text, re.IGNORECASE))
    # "oh" after a pause ends the run: "... four, oh and one more thing" is the word, "two one oh" a zero.
    while tokens and (
        tokens[-1].group(0).lower() in ("double", "triple", "dash")
        or tokens[-1].group(0).lower() in ("oh", "o")
        and len(tokens) > 1
        and "," in text[tokens[-2].end() : tokens[-1].start()]
    ):
        tokens.pop()
    tail = text[tokens[-1].end() :] if tokens else text
    digits, repeat = [], 1
    for token in tokens:
        word = token.group(0).lower()
        if word in REPEATERS:
            repeat = REPEATERS[word]
        elif word != "dash":
            digits.append((word if word.isdigit() else DIGIT_WORDS[word]) * repeat)
            repeat = 1
    number = "".join(digits)
    if len(tokens) < 4 or len(number) < 4:
        return text
    if 13 <= len(number) <= 19 and luhn_valid(number):
        label = "[CARD]"
    elif len(number) in (7, 10, 11):
        label = "[PHONE]"
    else:
        label = "[NUMBER]"
    return label + tail


def mask_text(text: str) -> str:
    """Replace emails, phone, card, account and social security numbers, street addresses and spoken digit
    runs in ``text`` with ``[EMAIL]``, ``[PHONE]``, ``[CARD]``, ``[ACCOUNT]``, ``[SSN]``, ``[SECRET]``,
    ``[ADDRESS]`` or ``[NUMBER]``. See the module docstring for what is not caught."""
    if not text:
        return text
    text = _EMAIL.sub("[EMAIL]", text)
    text = _SPOKEN_EMAIL.sub("[EMAIL]", text)
    text = _SSN.sub("[SSN]", text)
    for label, pattern in _KEYWORDED:
        text = pattern.sub(_keyworded(label), text)
    text = _CARD.sub(_card, text)
    text = _PHONE.sub("[PHONE]", text)
    text = _ADDRESS.sub("[ADDRESS]", text)
    text = _SPOKEN_RUN.sub(_spoken_digits, text)
    return text


def mask_call(call: Call) -> Call:
    """A copy of ``call`` with every turn's text and every metadata value masked by :func:`mask_text`.

    Speaker labels, the agent's name and the source path are kept: they identify the agent being coached,
    not the customer.
    """
    turns = tuple(replace(t, text=mask_text(t.text)) for t in call.turns)
    metadata = tuple((k, mask_text(v) if isinstance(v, str) else v) for k, v in call.metadata)
    return call.replace(turns=turns, metadata=metadata)


def _mask_evidence(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    return tuple(replace(e, text=mask_text(e.text), note=mask_text(e.note)) for e in evidence)


def mask_scorecard(card: Scorecard) -> Scorecard:
    """A copy of a stored scorecard with its transcript, quoted evidence and reason text masked.

    For reports built from ``coach score`` output that was written without ``--mask-pii``.
    """
    return replace(
        card,
        turns=tuple(replace(t, text=mask_text(t.text)) for t in card.turns),
        verdicts=tuple(replace(v, evidence=_mask_evidence(v.evidence), why=mask_text(v.why)) for v in card.verdicts),
        findings=tuple(Finding(f.name, _mask_evidence(f.evidence), f.value) for f in card.findings),
        reason=Reason(card.reason.stated, card.reason.category, mask_text(card.reason.text or "") or None, card.reason.turn),
    )


__all__ = ["luhn_valid", "mask_call", "mask_scorecard", "mask_text"]
