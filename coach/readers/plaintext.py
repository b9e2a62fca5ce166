"""Plain-text transcripts: ``Speaker: text`` lines, optional timestamps, header lines, continuation lines.

Rules, in the order they are applied (tests/test_readers.py pins each one):

* A turn line is ``[timestamp] Label [timestamp]: text``. Timestamps look like ``[00:01:12]``, ``00:01:12``,
  ``(1:12)``, ``12.5s`` or a range ``[00:00:01.000 --> 00:00:04.000]``. A label is 1-4 words starting with a
  letter, at most 40 characters (``Agent``, ``Rep``, ``Speaker 1``, ``SPEAKER_00``, ``A``, ``Maria Lopez``).
  A line that is only ``Label timestamp`` (Otter-style exports) starts a turn whose text follows on the next lines.
* Lines without a label continue the previous turn. Blank lines are ignored.
* Header lines (``Call ID:``, ``Agent:``, ``Date:``, ``Team:``, ``Channel:``, ...) are recognized only at the top,
  before the first turn, and only for known keys. For keys that name a person (``Agent``, ``Customer``, ``Rep``)
  the value must look like a name or an id: at most 4 words, each capitalized (or a particle such as "de", or
  an id with a digit), no sentence punctuation, and not starting with a word people say ("Hi", "Yes",
  "Thanks"...). So ``Agent: Maria Lopez`` is a header and ``Agent: Hi, thanks for calling`` is a turn.
* A label that appears only once, is not a role word or a generic label (``Speaker 2``), and sits in a file
  where at least two other labels speak several times, is not a speaker: the line is text of the previous
  turn ("Note: I'll call back" inside a turn).
* Text before the first turn that is not a header is skipped with a warning.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import FIELD_OF_KEY, Piece, build_call, header_fields, norm_key, parse_clock
from coach.roles import label_role

_T = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?|\d{1,6}(?:\.\d{1,3})?s"
_RANGE = rf"(?:{_T})(?:\s*(?:-->|-|–|to)\s*(?:{_T}))?"
_TS = rf"\[\s*{_RANGE}\s*\]|\(\s*{_RANGE}\s*\)|{_T}"
_LABEL = r"[^\W\d_][\w.'’&#()/-]{0,39}?(?: [\w.'’&#()/-]{1,39}?){0,3}?"
_BULLET = r"^[ \t]*(?:[-*•>]+[ \t]+)?"

_TURN = re.compile(
    rf"{_BULLET}(?:(?P<ts1>{_TS})[ \t]+)?(?:\*\*|__|\[|<)?(?P<label>{_LABEL})(?:\*\*|__|\]|>)?"
    rf"(?:[ \t]*(?P<ts2>{_TS}))?(?:\*\*|__)?[ \t]*[:：](?:\*\*|__)?(?:[ \t]+(?P<text>.*)|$)"
)
_SPEAKER_LINE = re.compile(
    rf"{_BULLET}(?:(?P<ts1>{_TS})[ \t]+(?P<label1>{_LABEL})|(?P<label2>{_LABEL})[ \t]+(?P<ts2>{_TS}))[ \t]*$"
)
_LEADING_TS = re.compile(rf"^[ \t]*(?P<ts>\[\s*{_RANGE}\s*\])[ \t]*")
_TS_PARTS = re.compile(_T)

_GENERIC = re.compile(
    r"^(speaker|spk|participant|person|party|voice|channel|ch|talker)[ _-]?\w{1,3}$|^[A-Z]$|^[A-Z]\d?$", re.IGNORECASE
)
_PERSON_KEYS = set(
    "advisor agent agent_name caller caller_name client csr customer customer_name member member_name rep "
    "rep_name representative".split()
)
_OTHER_KEYS = set(
    "account account_id account_number brand case case_id category company conversation customer_id "
    "customer_since direction disposition duration end_time language location notes outcome phone priority "
    "product queue reason recording recording_id site skill source start_time status subject tags tenure "
    "ticket time title transcript".split()
)
_HEADER_KEYS = set(FIELD_OF_KEY) | _PERSON_KEYS | _OTHER_KEYS
# Words a turn starts with but a name never does: "Agent: Hello" is the agent speaking, not an agent called Hello.
_SPEECH_WORDS = set(
    "hi hello hey yes yeah yep no nope okay ok sure thanks thank good great so well um uh right alright oh "
    "sorry please hmm bye goodbye welcome morning afternoon evening i we you my your this that it is are can "
    "could would what why how when who the a an and but absolutely certainly of course exactly understood fine "
    "cancel just".split()
)
_PARTICLES = set("al bin da das de del della den der di dos du el la le van von y".split())

HINT = 'lines like "Agent: text" or "[00:01:12] Customer: text"'


@dataclass
class _Line:
    number: int
    label: str | None  # None: a text line
    text: str
    start: float | None = None
    end: float | None = None


def read_text(text: str, path: str) -> list[Call]:
    """Read a plain-text transcript into one Call."""
    lines = text.split("\n")
    header: list[tuple[str, str]] = []
    parsed: list[_Line] = []
    in_header = True
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        candidate = _parse_line(line, number)
        if in_header:
            if candidate is not None and candidate.label is not None:
                key = norm_key(candidate.label)
                if _is_header(key, candidate.text, candidate.start):
                    if candidate.text:
                        header.append((candidate.label, candidate.text))
                    continue
            if candidate is not None and candidate.label is not None and plausible_label(candidate.label):
                in_header = False
        parsed.append(candidate if candidate is not None else _Line(number, None, line))

    counts = Counter(p.label for p in parsed if p.label is not None)
    frequent = sum(1 for n in counts.values() if n >= 2)
    pieces: list[Piece] = []
    skipped: list[int] = []
    for item in parsed:
        label = item.label
        if label is not None and not _accept_label(label, counts[label], frequent):
            item = _Line(item.number, None, lines[item.number - 1].strip())
            label = None
        if label is None:
            if pieces:
                pieces[-1].text += " " + item.text
            else:
                skipped.append(item.number)
            continue
        pieces.append(Piece(label, item.text, item.start, item.end, f"line {item.number}"))
    if not pieces:
        first = skipped[0] if skipped else None
        raise TranscriptError(path, first, f"no speaker found (expected {HINT})")
    fields = header_fields(header)
    call_id = fields.pop("call_id", None)
    call = build_call(path, pieces, "text", call_id, hint=HINT, **fields)
    if skipped:
        where = ", ".join(map(str, skipped[:5])) + (", ..." if len(skipped) > 5 else "")
        call = call.replace(warnings=(*call.warnings, f"{path}: skipped text before the first speaker (line {where})"))
    return [call]


def _parse_line(line: str, number: int) -> _Line | None:
    """A labelled line, a bare ``Label timestamp`` speaker line, or None (plain text)."""
    m = _TURN.match(line)
    if m and not (m.group("text") or "").startswith("//"):
        return _from_turn_match(m, number, m.group("text") or "")
    m = _SPEAKER_LINE.match(line)
    if m:
        label = m.group("label1") or m.group("label2")
        start, end = _times(m.group("ts1") or m.group("ts2"))
        if plausible_label(label):
            return _Line(number, _clean_label(label), "", start, end)
    return None


def _from_turn_match(m: re.Match[str], number: int, text: str) -> _Line:
    start, end = _times(m.group("ts1") or m.group("ts2"))
    lead = _LEADING_TS.match(text)
    if lead and start is None:
        start, end = _times(lead.group("ts"))
        text = text[lead.end() :]
    return _Line(number, _clean_label(m.group("label")), text.strip(), start, end)


def _times(stamp: str | None) -> tuple[float | None, float | None]:
    if not stamp:
        return None, None
    parts = [parse_clock(p) for p in _TS_PARTS.findall(stamp)]
    start = parts[0] if parts else None
    end = parts[1] if len(parts) > 1 else None
    return start, end


def _clean_label(label: str) -> str:
    return " ".join(label.strip("*_ \t").split())


@lru_cache(maxsize=4096)
def plausible_label(label: str) -> bool:
    """Labels worth treating as speakers at all: role words, generic labels, or capitalized names/ids."""
    label = _clean_label(label)
    if not label or len(label) > 40:
        return False
    if label_role(label) is not None or _GENERIC.match(label):
        return True
    words = label.split()
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in _PARTICLES for w in words) and len(words) <= 3


def _accept_label(label: str, count: int, frequent: int) -> bool:
    if not plausible_label(label):
        return False
    if label_role(label) is not None or _GENERIC.match(label):
        return True
    return not (count == 1 and frequent >= 2)


def _is_header(key: str, value: str, start: float | None) -> bool:
    if start is not None or key not in _HEADER_KEYS:
        return False
    person = key in _PERSON_KEYS or FIELD_OF_KEY.get(key) == "agent"
    if not value:
        return not person  # "Transcript:" on its own line is a header; "Agent:" is a turn whose text follows
    if person:
        return _looks_like_name(value)
    return len(value) <= 100 and not re.search(r"[.!?]\s+\w", value)


def _looks_like_name(value: str) -> bool:
    """``Maria Lopez``, ``Lopez, Maria``, ``J. R. Smith``, ``agent_417``: yes. ``Hi, thanks for calling``: no."""
    if len(value) > 40 or re.search(r"[!?;:\"]", value):
        return False
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > 2 or (len(parts) == 2 and (len(parts[0].split()) != 1 or len(parts[1].split()) != 1)):
        return False
    words = " ".join(parts).split()
    if not 1 <= len(words) <= 4 or words[0].lower().strip(".") in _SPEECH_WORDS:
        return False
    if value.endswith(".") and not re.search(r"(^|\s)[A-Z]\.$", value):
        return False
    for word in words:
        bare = word.strip(".'’")
        if not bare:
            return False
        if any(ch.isdigit() for ch in bare) and re.fullmatch(r"[\w\-]+", bare):
            continue
        if bare.lower() in _PARTICLES:
            continue
        if not (bare[0].isupper() and re.fullmatch(r"[^\W\d_][\w'’.\-]*", bare)):
            return False
        if bare.lower() in _SPEECH_WORDS:
            return False
    return True
