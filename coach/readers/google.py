"""Google Contact Center AI Insights: conversation JSON and the transcript upload format.

Conversation (https://cloud.google.com/contact-center/insights/docs/reference/rest/v1/projects.locations.conversations):
``transcript.transcriptSegments[]`` with ``text``, ``segmentParticipant.role`` (HUMAN_AGENT, AUTOMATED_AGENT,
END_USER, ANY_AGENT), ``channelTag`` and ``words[]`` with ``startOffset``/``endOffset`` durations (``"1.5s"``);
chat segments have ``messageTime``. Without a role, ``channelTag`` is matched against
``callMetadata.agentChannel``/``customerChannel``. snake_case spellings (protobuf JSON exports) work too.

Upload format (https://cloud.google.com/contact-center/insights/docs/conversation-data-format):
``entries[]`` with ``text``, ``role`` (AGENT, AUTOMATED_AGENT, CUSTOMER, END_USER), ``user_id`` and
``start_timestamp_usec``. Roles are explicit in both, so the reader sets them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call, Role
from coach.readers._build import (
    Piece,
    at,
    build_call,
    channel_value,
    finite,
    load_json,
    relative_times,
    short,
    text_of,
    time_value,
)
from coach.roles import label_role

WHAT = "CCAI Insights conversation"
UPLOAD = "CCAI Insights conversation data"


def read_ccai(text: str, path: str) -> list[Call]:
    """Read a CCAI Insights conversation (or upload-format transcript) into one Call."""
    data = load_json(text, path)
    if not isinstance(data, Mapping):
        raise TranscriptError(path, "$", f"expected an object ({WHAT})")
    if isinstance(data.get("entries"), list):
        return [_entries(data, path)]
    transcript = _get(data, "transcript")
    if not isinstance(transcript, Mapping):
        raise TranscriptError(path, "$", f'expected "transcript" ({WHAT}) or "entries" ({UPLOAD})')
    segments = _get(transcript, "transcriptSegments")
    if not isinstance(segments, list):
        raise TranscriptError(path, "$.transcript", f'expected "transcriptSegments" ({WHAT})')
    metadata = _get(data, "callMetadata")
    channel_roles: dict[str, Role] = {}
    if isinstance(metadata, Mapping):
        for key, role in (("agentChannel", Role.AGENT), ("customerChannel", Role.CUSTOMER)):
            if _get(metadata, key) is not None:
                channel_roles[str(_get(metadata, key))] = role
    rows: list[tuple[str, str | None, Role | None, str, Any, Any, str]] = []
    for i, seg in enumerate(segments):
        where = f"$.transcript.transcriptSegments[{i}]"
        if not isinstance(seg, Mapping):
            raise TranscriptError(path, where, f"expected a segment object ({WHAT})")
        participant = _get(seg, "segmentParticipant")
        role_name = _get(participant, "role") if isinstance(participant, Mapping) else None
        role = label_role(role_name) if isinstance(role_name, str) else None
        user = None
        if isinstance(participant, Mapping):
            user = next(
                (
                    _get(participant, k)
                    for k in ("userId", "dialogflowParticipantName", "obfuscatedExternalUserId")
                    if _get(participant, k)
                ),
                None,
            )
        tag = _get(seg, "channelTag")
        if role is None and tag is not None:
            role = channel_roles.get(str(tag))
        if role is None and tag is None and user is None:
            raise TranscriptError(path, where, f'expected "segmentParticipant.role" or "channelTag" ({WHAT})')
        label = (
            role_name if isinstance(role_name, str) and role is not None else f"channel {tag}" if tag is not None else str(user)
        )
        words = text_of(_get(seg, "text"), path, at(where, "text"), "segment text")
        start, end = _word_times(seg, path, where)
        message_time = _get(seg, "messageTime")
        if start is None and message_time is not None:
            start = time_value(message_time, path, at(where, "messageTime"), "messageTime")
        rows.append((label, str(user) if user is not None else None, role, words, start, end, where))
    pieces = relative_times(_disambiguate(rows))
    name = _get(data, "name")
    call_id = name.rstrip("/").rsplit("/", 1)[-1] if isinstance(name, str) and name.strip("/ ") else None
    agent = _get(data, "agentId")
    date = _get(data, "startTime") or _get(data, "createTime")
    medium = _get(data, "medium")
    channel = channel_value(medium) if isinstance(medium, str) else None
    call = build_call(
        path,
        pieces,
        "ccai",
        call_id,
        hint="transcript segments",
        agent=str(agent) if isinstance(agent, (str, int)) else None,
        date=date if isinstance(date, str) else None,
        channel=channel or "voice",
    )
    return [call]


def _entries(data: Mapping[str, Any], path: str) -> Call:
    rows = []
    for i, entry in enumerate(data["entries"]):
        where = f"$.entries[{i}]"
        if not isinstance(entry, Mapping):
            raise TranscriptError(path, where, f"expected an entry object ({UPLOAD})")
        role_name = entry.get("role")
        if not isinstance(role_name, str) or not role_name.strip():
            raise TranscriptError(path, where, f'expected "role" (AGENT, AUTOMATED_AGENT, CUSTOMER or END_USER) ({UPLOAD})')
        user = entry.get("user_id")
        words = text_of(entry.get("text"), path, at(where, "text"), "message text")
        usec = finite(entry.get("start_timestamp_usec"), path, at(where, "start_timestamp_usec"), "microseconds")
        start = None if usec is None else ("abs", usec / 1_000_000)
        rows.append((role_name, None if user is None else str(user), label_role(role_name), words, start, None, where))
    pieces = relative_times(_disambiguate(rows))
    return build_call(path, pieces, "ccai", hint='"entries" with "role" and "text"', channel="chat")


def _disambiguate(rows: list[tuple[str, str | None, Role | None, str, Any, Any, str]]) -> list[tuple[Piece, Any, Any]]:
    """Label = role, plus the user id when one role has several users (a transfer between two agents)."""
    users: dict[str, set[str]] = {}
    for label, user, *_ in rows:
        if user is not None:
            users.setdefault(label, set()).add(user)
    out = []
    for label, user, role, words, start, end, where in rows:
        if user is not None and len(users.get(label, ())) > 1:
            label = f"{label} ({user})"
        out.append((Piece(label, words, None, None, where, role or Role.UNKNOWN), start, end))
    return out


def _word_times(seg: Mapping[str, Any], path: str, where: str) -> tuple[Any, Any]:
    words = _get(seg, "words")
    if not isinstance(words, list) or not words:
        return None, None
    first, last = words[0], words[-1]
    start = _offset(_get(first, "startOffset") if isinstance(first, Mapping) else None, path, f"{where}.words[0].startOffset")
    end = _offset(
        _get(last, "endOffset") if isinstance(last, Mapping) else None, path, f"{where}.words[{len(words) - 1}].endOffset"
    )
    return (None if start is None else ("rel", start)), (None if end is None else ("rel", end))


def _offset(value: Any, path: str, where: str) -> float | None:
    """A protobuf Duration as JSON: ``"1.500s"``, or ``{"seconds": 1, "nanos": 500000000}``."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        seconds = finite(value.get("seconds", 0), path, at(where, "seconds")) or 0.0
        nanos = finite(value.get("nanos", 0), path, at(where, "nanos"), "nanoseconds") or 0.0
        return seconds + nanos / 1e9
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}(\.\d{1,9})?s", value.strip()):
        number = float(value.strip()[:-1])
        if math.isfinite(number):
            return number
    raise TranscriptError(path, where, f'expected a duration like "1.5s", got {short(value)}')


def _get(obj: Any, camel: str) -> Any:
    """A field by its camelCase name or its snake_case spelling."""
    if not isinstance(obj, Mapping):
        return None
    if camel in obj:
        return obj[camel]
    return obj.get(re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower())
