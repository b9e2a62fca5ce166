"""JSON and JSON Lines: the coach normalized schema, and chat exports.

The coach schema is what ``coach parse --format jsonl`` writes (see :func:`call_to_dict`); reading it back
gives equal Calls. Chat exports are objects with a ``messages`` list (also ``conversation``, ``transcript``,
``chat``, ``dialogue``) of ``{role, content}`` or ``{speaker, text}`` items (``sender``/``author``/``from``,
``message``/``body`` work too) with optional timestamps, or a bare list of such messages, grouped by a call
id field when the messages carry one. ``{"calls": [...]}`` / ``{"conversations": [...]}`` and lists hold
several calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call, Role
from coach.readers._build import (
    Piece,
    at,
    build_call,
    default_call_id,
    finite,
    header_fields,
    label_of,
    load_json,
    merge,
    norm_key,
    relative_times,
    text_of,
    time_value,
)
from coach.roles import label_role

MESSAGE_LISTS = ("messages", "conversation", "transcript", "chat", "dialogue", "dialog")
CALL_LISTS = ("calls", "conversations", "chats", "transcripts")
SPEAKER_KEYS = ("speaker", "sender", "author", "from", "name", "participant", "speaker_label", "user", "role")
ROLE_KEYS = ("role", "speaker_role", "participant_role", "sender_type", "author_type", "type")
TEXT_KEYS = ("text", "content", "message", "body", "utterance", "value", "transcript")
START_KEYS = tuple(
    "start start_time start_ms start_millis timestamp time ts created_at sent_at date begin_offset "
    "begin_offset_millis offset_ms".split()
)
END_KEYS = ("end", "end_time", "end_ms", "end_millis", "end_offset_millis")
CALL_ID_KEYS = ("call_id", "conversation_id", "contact_id", "chat_id", "session_id", "conversationId", "callId", "contactId")

SCHEMA_HINT = 'a coach call {"call_id", "turns": [{"speaker", "text"}]}, a chat export {"messages": [{"role", "content"}]}, or a list of them'
CHAT_HINT = 'messages with a speaker ("role"/"speaker") and text ("content"/"text")'


# ---------------------------------------------------------------------------------------------------------
# The coach normalized schema


def call_to_dict(call: Call) -> dict[str, Any]:
    """A Call as the project's normalized JSON object (one line of ``coach parse --format jsonl``)."""
    return {
        "call_id": call.call_id,
        "source": call.source,
        "format": call.format,
        "agent": call.agent,
        "team": call.team,
        "date": call.date,
        "channel": call.channel,
        "metadata": dict(call.metadata),
        "role_confidence": call.role_confidence,
        "warnings": list(call.warnings),
        "turns": [
            {
                "index": t.index,
                "speaker": t.speaker,
                "role": t.role.value,
                "text": t.text,
                "start": t.start,
                "end": t.end,
                "location": t.location,
            }
            for t in call.turns
        ],
    }


def call_from_dict(d: Any, path: str = "", location: str = "") -> Call:
    """Build a Call from the normalized JSON object; errors name ``path`` and the JSON path under ``location``.

    Turns are taken as given, except that blank turns are dropped, consecutive turns by one speaker merged
    and indices renumbered, as for every reader (a normalized call is unchanged by this).
    """
    loc = location or "$"
    what = "a coach call"
    if not isinstance(d, Mapping):
        raise TranscriptError(path, loc, f'expected an object ({what}: {{"call_id", "turns": [...]}})')
    raw_turns = d.get("turns")
    if not isinstance(raw_turns, list):
        raise TranscriptError(path, loc, f'expected "turns" as a list ({what})')
    pieces = []
    for i, t in enumerate(raw_turns):
        tl = f"{at(loc, 'turns')}[{i}]"
        if not isinstance(t, Mapping):
            raise TranscriptError(path, tl, 'expected a turn object {"speaker", "text"}')
        if "speaker" not in t:
            raise TranscriptError(path, tl, 'expected "speaker" (who spoke)')
        speaker = label_of(t["speaker"], path, at(tl, "speaker"), "who spoke")
        text = text_of(t.get("text"), path, at(tl, "text"), "what was said")
        role_value = t.get("role") or "unknown"
        try:
            role = Role(role_value) if isinstance(role_value, str) else None
        except ValueError:
            role = None
        if role is None:
            raise TranscriptError(
                path, at(tl, "role"), f"unknown role {role_value!r} (expected agent, customer, system or unknown)"
            )
        start = finite(t.get("start"), path, at(tl, "start"))
        end = finite(t.get("end"), path, at(tl, "end"))
        where = t.get("location")
        pieces.append(Piece(speaker, text, start, end, where if isinstance(where, str) and where else tl, role))
    turns = merge(pieces)
    if not turns:
        raise TranscriptError(path, at(loc, "turns"), f"no turns found (expected {what} with at least one non-empty turn)")

    def opt(key: str) -> str | None:
        value = d.get(key)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            raise TranscriptError(path, at(loc, key), f"expected text, got {type(value).__name__}")
        return str(value)

    metadata = d.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise TranscriptError(path, at(loc, "metadata"), "expected an object of text values")
    warnings = d.get("warnings") or []
    if not isinstance(warnings, list):
        raise TranscriptError(path, at(loc, "warnings"), "expected a list of text")
    confidence = finite(d.get("role_confidence"), path, at(loc, "role_confidence"), "a number from 0 to 1")
    if confidence is not None and not 0 <= confidence <= 1:
        raise TranscriptError(path, at(loc, "role_confidence"), f"expected a number from 0 to 1, got {confidence}")
    return Call(
        call_id=opt("call_id") or default_call_id(path),
        source=opt("source") or path,
        turns=tuple(turns),
        format=opt("format") or "json",
        agent=opt("agent"),
        team=opt("team"),
        date=opt("date"),
        channel=opt("channel"),
        metadata={str(k): str(v) for k, v in metadata.items() if v is not None},
        role_confidence=confidence,
        warnings=tuple(str(w) for w in warnings),
    )


# ---------------------------------------------------------------------------------------------------------
# Readers


def read_json(text: str, path: str) -> list[Call]:
    """Read a ``.json`` file: a coach call, a chat export, or a list/``{"calls": [...]}`` of them."""
    return _from_value(load_json(text, path), path, "$", "json")


def read_jsonl(text: str, path: str) -> list[Call]:
    """Read JSON Lines: one coach call or chat export per line, or one message per line grouped by call id."""
    calls: list[Call | str] = []  # a str is a placeholder for a message group, filled in order of first appearance
    groups: dict[str, list[tuple[int, dict]]] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        value = load_json(line, path, number - 1)
        if isinstance(value, Mapping) and isinstance(value.get("turns"), list):
            calls.append(call_from_dict(value, path, f"{number}:$"))
        elif isinstance(value, Mapping) and _message_list(value) is not None:
            calls.append(_chat_call(value, path, f"{number}:$", "jsonl", line=number))
        elif isinstance(value, Mapping) and _text_key(value) is not None:
            key = _call_id_of(value) or ""
            if key not in groups:
                groups[key] = []
                calls.append(key)
            groups[key].append((number, dict(value)))
        else:
            raise TranscriptError(path, number, f"expected a JSON object per line ({SCHEMA_HINT}, or one message per line)")
    result = []
    for item in calls:
        if isinstance(item, Call):
            result.append(item)
            continue
        rows = groups[item]
        pieces = [_message_piece(msg, path, f"{n}:$", f"line {n}") for n, msg in rows]
        fields = header_fields(((k, v) for k, v in rows[0][1].items() if norm_key(k) in _CALL_FIELDS), keep_unknown=False)
        fields.pop("call_id", None)
        fields.setdefault("channel", "chat")
        result.append(
            build_call(path, relative_times(pieces), "jsonl", item or None, hint=CHAT_HINT, location=str(rows[0][0]), **fields)
        )
    if not result:
        raise TranscriptError(path, None, "file is empty")
    return result


_CALL_FIELDS = {"agent", "agent_name", "team", "date", "channel"}


def _from_value(value: Any, path: str, loc: str, fmt: str) -> list[Call]:
    if isinstance(value, Mapping):
        if isinstance(value.get("turns"), list):
            return [call_from_dict(value, path, loc)]
        for key in CALL_LISTS:
            if isinstance(value.get(key), list):
                items = value[key]
                calls = []
                for i, item in enumerate(items):
                    calls.extend(_from_value(item, path, f"{at(loc, key)}[{i}]", fmt))
                if not calls:
                    raise TranscriptError(path, at(loc, key), f"no calls found (expected {SCHEMA_HINT})")
                return calls
        if _message_list(value) is not None:
            return [_chat_call(value, path, loc, fmt)]
        raise TranscriptError(path, loc, f"expected {SCHEMA_HINT}; found keys {', '.join(list(map(str, value))[:8]) or 'none'}")
    if isinstance(value, list):
        if not value:
            raise TranscriptError(path, loc, f"empty list (expected {SCHEMA_HINT})")
        if all(
            isinstance(v, Mapping)
            and _text_key(v) is not None
            and not isinstance(v.get("turns"), list)
            and _message_list(v) is None
            for v in value
        ):
            return _message_groups(value, path, loc, fmt)
        calls = []
        for i, item in enumerate(value):
            calls.extend(_from_value(item, path, f"{loc}[{i}]", fmt))
        return calls
    raise TranscriptError(path, loc, f"expected {SCHEMA_HINT}")


def _message_list(obj: Mapping[str, Any]) -> str | None:
    for key in MESSAGE_LISTS:
        if isinstance(obj.get(key), list):
            return key
    return None


def _text_key(obj: Mapping[str, Any]) -> str | None:
    return next((k for k in TEXT_KEYS if k in obj and not isinstance(obj[k], Mapping)), None)


def _call_id_of(obj: Mapping[str, Any]) -> str | None:
    for key in CALL_ID_KEYS:
        value = obj.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _chat_call(obj: Mapping[str, Any], path: str, loc: str, fmt: str, line: int | None = None) -> Call:
    key = _message_list(obj)
    assert key is not None
    messages = obj[key]
    rows = []
    for i, msg in enumerate(messages):
        where = f"{at(loc, key)}[{i}]"
        rows.append(_message_piece(msg, path, where, f"line {line} {where.split(':', 1)[-1]}" if line else where))
    scalars = ((k, v) for k, v in obj.items() if k != key and not isinstance(v, (dict, list)))
    fields = header_fields(scalars)
    call_id = fields.pop("call_id", None) or _call_id_of(obj)
    fields.setdefault("channel", "chat")
    return build_call(path, relative_times(rows), fmt, call_id, hint=CHAT_HINT, location=loc if loc != "$" else None, **fields)


def _message_groups(messages: list[Any], path: str, loc: str, fmt: str) -> list[Call]:
    groups: dict[str, list] = {}
    for i, msg in enumerate(messages):
        where = f"{loc}[{i}]"
        groups.setdefault(_call_id_of(msg) or "", []).append((msg, where))
    calls = []
    for call_id, items in groups.items():
        rows = [_message_piece(msg, path, where, where) for msg, where in items]
        fields = header_fields(((k, v) for k, v in items[0][0].items() if norm_key(k) in _CALL_FIELDS), keep_unknown=False)
        fields.setdefault("channel", "chat")
        calls.append(build_call(path, relative_times(rows), fmt, call_id or None, hint=CHAT_HINT, location=items[0][1], **fields))
    return calls


def _message_piece(msg: Any, path: str, where: str, location: str) -> tuple[Piece, Any, Any]:
    """One chat message as (piece, start, end); the speaker may be a label, a role, or an object with both."""
    if not isinstance(msg, Mapping):
        raise TranscriptError(path, where, f"expected a message object ({CHAT_HINT})")
    label: str | None = None
    role: Role | None = None
    for key in SPEAKER_KEYS:
        value = msg.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, Mapping):
            inner = next((value[k] for k in ("name", "display_name", "id", "role") if value.get(k) not in (None, "")), None)
            if inner is None:
                continue
            label = label_of(inner, path, at(where, key), "who spoke")
            role_value = value.get("role") or value.get("type")
            role = label_role(str(role_value)) if isinstance(role_value, str) else None
        else:
            label = label_of(value, path, at(where, key), "who spoke")
        break
    if label is None:
        raise TranscriptError(path, where, f'expected a speaker ("{SPEAKER_KEYS[0]}", "role", "sender" or "author")')
    if role is None:
        for key in ROLE_KEYS:
            value = msg.get(key)
            if isinstance(value, str) and value.strip():
                role = label_role(value)
                if role is not None:
                    break
    text_key = _text_key(msg)
    if text_key is None:
        raise TranscriptError(path, where, 'expected the message text ("text" or "content")')
    content = msg[text_key]
    if isinstance(content, list):  # [{"type": "text", "text": "..."}] as in several chat APIs
        text = " ".join(
            text_of(part.get("text") if isinstance(part, Mapping) else part, path, f"{at(where, text_key)}[{i}]", "message text")
            for i, part in enumerate(content)
        )
    else:
        text = text_of(content, path, at(where, text_key), "message text")
    start_key = next((k for k in START_KEYS if msg.get(k) not in (None, "")), None)
    end_key = next((k for k in END_KEYS if msg.get(k) not in (None, "")), None)
    # time_value reads "start_ms"/"begin_offset_millis" keys as milliseconds by their names
    start = time_value(msg[start_key], path, at(where, start_key), start_key) if start_key else None
    end = time_value(msg[end_key], path, at(where, end_key), end_key) if end_key else None
    piece = Piece(label, text, None, None, location, role or Role.UNKNOWN)
    return piece, start, end
