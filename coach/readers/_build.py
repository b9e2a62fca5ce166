"""What every reader shares: pieces of speech, merging them into turns, header fields, times and JSON access.

A reader turns a file into :class:`Piece` objects (one cue, row, utterance or word run each) and hands them
to :func:`build_call`, which drops blank pieces, merges consecutive pieces by the same speaker into one
:class:`~coach.model.Turn` and numbers the turns. Readers never build Turns themselves, so merging and
numbering behave the same for every format.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call, Role, Turn


@dataclass
class Piece:
    """One piece of speech as found in the file, before merging."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    location: str = ""
    role: Role = Role.UNKNOWN


def clean_text(text: str) -> str:
    """Collapse whitespace (tabs, newlines, runs of spaces) to single spaces."""
    return " ".join(text.split())


def merge(pieces: Iterable[Piece]) -> list[Turn]:
    """Drop blank pieces, merge consecutive pieces by one speaker, number the turns 0..n-1.

    A merged turn keeps the first piece's start and location and the last piece's end.
    """
    turns: list[Turn] = []
    current: Piece | None = None
    texts: list[str] = []

    def flush() -> None:
        if current is not None:
            start = None if current.start is None else round(current.start, 3)  # milliseconds; hides float noise
            end = None if current.end is None else round(current.end, 3)
            turns.append(Turn(len(turns), current.speaker, " ".join(texts), current.role, start, end, current.location))

    for piece in pieces:
        text = clean_text(piece.text)
        speaker = clean_text(piece.speaker)
        if not text or not speaker:
            continue
        if current is not None and speaker == current.speaker and piece.role is current.role:
            texts.append(text)
            current.end = piece.end
            continue
        flush()
        current = Piece(speaker, text, piece.start, piece.end, piece.location, piece.role)
        texts = [text]
    flush()
    return turns


def build_call(
    path: str,
    pieces: Iterable[Piece],
    fmt: str,
    call_id: str | None = None,
    *,
    hint: str,
    location: str | None = None,
    **fields: Any,
) -> Call:
    """Merge pieces into a Call; a call with no turns is an error naming what the format expects (``hint``).

    ``location`` (where the call starts, for files holding several calls) goes into that error.
    """
    turns = merge(pieces)
    where = f" in call {call_id!r}" if location else ""
    if not turns:
        raise TranscriptError(path, location, f"no turns found{where} (expected {hint})")
    metadata = fields.pop("metadata", {}) or {}
    return Call(
        call_id=call_id or default_call_id(path), source=path, turns=tuple(turns), format=fmt, metadata=metadata, **fields
    )


def default_call_id(path: str) -> str:
    """The file name without its extension (``calls/0412.vtt`` -> ``0412``); ``stdin`` for ``-``."""
    if path in ("-", ""):
        return "stdin"
    name = PurePath(path).name
    for suffix in (".json", ".jsonl", ".ndjson", ".txt", ".vtt", ".srt", ".csv", ".tsv", ".tab"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return PurePath(name).stem or name


# ---------------------------------------------------------------------------------------------------------
# Header fields (plain-text headers, CSV columns, JSON top-level keys) -> typed Call fields + metadata

_FIELD_ALIASES = {
    "call_id": "call_id callid call call_number conversation_id conversationid contact_id contactid interaction_id "
    "interactionid session_id ticket_id id",
    "agent": "agent agent_name agentname agent_id agentid rep rep_name representative csr advisor",
    "team": "team team_name teamname group department",
    "date": "date call_date calldate datetime date_time started_at start_date created_at timestamp_start",
    "channel": "channel medium call_type contact_type media",
}
FIELD_OF_KEY = {alias: field for field, aliases in _FIELD_ALIASES.items() for alias in aliases.split()}

_VOICE = {"voice", "phone", "call", "phone_call", "telephone", "telephony", "audio", "inbound", "outbound"}
_CHAT = {"chat", "web_chat", "webchat", "sms", "text", "messaging", "message", "whatsapp", "live_chat", "livechat"}


def norm_key(key: str) -> str:
    """``"Call ID"`` -> ``"call_id"``; ``"conversationId"`` -> ``"conversation_id"``."""
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.strip())
    return re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def channel_value(value: str) -> str | None:
    """Map a channel/medium value to ``"voice"`` or ``"chat"``; None when it is neither."""
    v = norm_key(value)
    if v in _VOICE:
        return "voice"
    if v in _CHAT:
        return "chat"
    return None


def header_fields(pairs: Iterable[tuple[str, Any]], *, keep_unknown: bool = True) -> dict[str, Any]:
    """Turn ``(key, value)`` pairs into Call keyword arguments: call_id, agent, team, date, channel, metadata.

    Known keys (any spelling in ``FIELD_OF_KEY``) fill typed fields, first value wins; the rest go to
    ``metadata`` under their normalized key. A channel value that is neither voice nor chat stays in metadata.
    """
    fields: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    for key, value in pairs:
        if value is None or isinstance(value, (dict, list)):
            continue
        text = clean_text(str(value))
        if not text:
            continue
        k = norm_key(str(key))
        field = FIELD_OF_KEY.get(k)
        if field == "channel":
            channel = channel_value(text)
            if channel is None:
                metadata.setdefault(k, text)
                continue
            text = channel
        if field and field not in fields:
            fields[field] = text
        elif keep_unknown and k:
            metadata.setdefault(k, text)
    if metadata:
        fields["metadata"] = metadata
    return fields


# ---------------------------------------------------------------------------------------------------------
# Times

_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:[.,]\d{1,9})?)$")
_SECONDS = re.compile(r"^(\d{1,9}(?:\.\d{1,9})?)\s*s?$")


def parse_clock(value: str) -> float | None:
    """``"01:02:03.5"``, ``"1:12"``, ``"00:00:04,000"``, ``"12.5s"``, ``"12.5"`` -> seconds; None if not a time."""
    v = value.strip()
    m = _CLOCK.match(v)
    if m:
        hours = int(m.group(1) or 0)
        minutes = int(m.group(2))
        seconds = float(m.group(3).replace(",", "."))
        if minutes >= 60 or seconds >= 60:
            return None
        return hours * 3600 + minutes * 60 + seconds
    m = _SECONDS.match(v)
    if m:
        return float(m.group(1))
    return None


def finite(value: Any, path: str, location: str, what: str = "a time in seconds") -> float | None:
    """A JSON/CSV number (or numeric string) as a finite float; None for null/empty; error otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TranscriptError(path, location, f"expected {what}, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise TranscriptError(path, location, f"expected {what}, got {short(value)}") from None
    if not math.isfinite(number):
        raise TranscriptError(path, location, f"expected {what}, got {short(value)}")
    return number


def iso_seconds(value: str) -> float | None:
    """An ISO-8601 timestamp as POSIX seconds (naive times are taken as UTC); None if it is not one."""
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(v)
    except ValueError:
        return None
    if moment.tzinfo is None:
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def short(value: Any, limit: int = 40) -> str:
    """``repr`` cut to ``limit`` characters, for quoting bad values in error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def time_value(value: Any, path: str, where: str, column: str = "", millis: bool = False) -> tuple[str, float] | None:
    """A time cell or JSON value as ``(kind, number)``; kind ``"rel"`` is seconds into the call, ``"abs"`` is
    POSIX seconds (ISO date-times, epoch numbers) to be made relative with :func:`relative_times`.

    Seconds, ``hh:mm:ss(.fff)`` and ``12.5s`` are offsets; a column named ``*_ms``/``*millis`` holds milliseconds.
    """
    if value is None or value == "":
        return None
    millis = millis or bool(re.search(r"(^|_)(ms|millis|milliseconds|msec)$", column))
    what = f'"{column}"' if column else "the time"
    if isinstance(value, bool) or isinstance(value, (dict, list)):
        raise TranscriptError(
            path, where, f"{what} is not a time ({short(value)}; expected seconds, hh:mm:ss or an ISO date-time)"
        )
    if isinstance(value, str):
        clock = parse_clock(value) if not millis else None
        if clock is not None:
            return ("rel", clock)
        try:
            number = float(value)
        except ValueError:
            moment = iso_seconds(value)
            if moment is None:
                raise TranscriptError(
                    path, where, f"{what} is not a time ({short(value)}; expected seconds, hh:mm:ss or an ISO date-time)"
                ) from None
            return ("abs", moment)
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    if not math.isfinite(number) or number < 0:
        raise TranscriptError(
            path, where, f"{what} is not a time ({short(value)}; expected seconds, hh:mm:ss or an ISO date-time)"
        )
    if millis:
        return ("rel", number / 1000)
    if number > 1e12:
        return ("abs", number / 1000)  # epoch milliseconds
    if number > 1e9:
        return ("abs", number)  # epoch seconds
    return ("rel", number)


def relative_times(rows: Iterable[tuple[Piece, tuple[str, float] | None, tuple[str, float] | None]]) -> list[Piece]:
    """Set each piece's start/end; absolute times become seconds since the earliest absolute time given."""
    rows = list(rows)
    origin = min((t[1] for _, s, e in rows for t in (s, e) if t and t[0] == "abs"), default=0.0)
    pieces = []
    for piece, start, end in rows:
        piece.start = None if start is None else (start[1] - origin if start[0] == "abs" else start[1])
        piece.end = None if end is None else (end[1] - origin if end[0] == "abs" else end[1])
        pieces.append(piece)
    return pieces


# ---------------------------------------------------------------------------------------------------------
# JSON


@functools.lru_cache(maxsize=1)
def parse_json(text: str) -> Any:
    """json.loads, remembering the last document: format detection and the reader parse the same text, and a
    vendor export with word-level timings is worth parsing once. Readers only read what it returns."""
    return json.loads(text)


def load_json(text: str, path: str, line_offset: int = 0) -> Any:
    """Parse JSON, turning every parser failure (including absurd nesting) into a TranscriptError with a line."""
    try:
        return parse_json(text)
    except json.JSONDecodeError as e:
        raise TranscriptError(path, e.lineno + line_offset, f"invalid JSON: {e.msg} (column {e.colno})") from None
    except (RecursionError, ValueError) as e:  # ValueError: integers with more digits than Python allows
        raise TranscriptError(
            path, line_offset + 1 if line_offset else None, f"invalid JSON: {type(e).__name__}: {str(e)[:80]}"
        ) from None


def at(location: str, key: str | int) -> str:
    """Extend a JSON path: ``at("$.results", "items")`` -> ``"$.results.items"``; ints index arrays."""
    base = location or "$"
    return f"{base}[{key}]" if isinstance(key, int) else f"{base}.{key}"


def need(obj: Any, key: str, kind: type | tuple[type, ...], path: str, location: str, what: str) -> Any:
    """``obj[key]`` checked to be of ``kind``; a missing or mistyped key is an error naming the format."""
    if not isinstance(obj, Mapping):
        raise TranscriptError(path, location, f"expected an object ({what})")
    if key not in obj or obj[key] is None:
        raise TranscriptError(path, location, f'expected "{key}" ({what})')
    value = obj[key]
    if not _is(value, kind):
        raise TranscriptError(path, at(location, key), f"expected {_kind_name(kind)}, got {type(value).__name__} ({what})")
    return value


def get(obj: Any, key: str, kind: type | tuple[type, ...], path: str, location: str, what: str, default: Any = None) -> Any:
    """Like :func:`need` but an absent or null key gives ``default``."""
    if not isinstance(obj, Mapping) or obj.get(key) is None:
        return default
    value = obj[key]
    if not _is(value, kind):
        raise TranscriptError(path, at(location, key), f"expected {_kind_name(kind)}, got {type(value).__name__} ({what})")
    return value


def text_of(value: Any, path: str, location: str, what: str) -> str:
    """A JSON value that must be text (numbers are accepted and written out)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TranscriptError(path, location, f"expected text, got {type(value).__name__} ({what})")


def label_of(value: Any, path: str, location: str, what: str) -> str:
    """A speaker label: text or a number (Deepgram speaker 0 -> ``"0"``)."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise TranscriptError(path, location, f"expected a speaker label, got {short(value)} ({what})")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):  # JSON true/false are ints to Python; never accept them as numbers
        return bool in kinds
    return isinstance(value, kinds)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {list: "a list", dict: "an object", str: "text", int: "a number", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
