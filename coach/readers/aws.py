"""Amazon: Transcribe batch output, Transcribe Call Analytics output and Amazon Connect Contact Lens output.

Transcribe (https://docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html): ``results.items``
are words and punctuation with string times; speakers come from ``speaker_label`` on each item (newer jobs),
``results.speaker_labels.segments`` (older jobs, matched by start time) or channel identification
(``channel_label``). When ``results.audio_segments`` carry speaker labels they are used directly: they are
Transcribe's own sentence-level grouping. Punctuation items attach to the word before them.

Call Analytics and Contact Lens (https://docs.aws.amazon.com/connect/latest/adminguide/contact-lens-example-output-files.html):
``Transcript`` entries with ``Content``, ``BeginOffsetMillis``/``EndOffsetMillis`` and ``ParticipantRole``, or a
``ParticipantId`` resolved through ``Participants`` (Contact Lens chat uses ids there). These roles are
explicit, so the reader sets them.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call, Role
from coach.readers._build import Piece, at, build_call, channel_value, finite, get, label_of, load_json, need, text_of
from coach.roles import label_role

TRANSCRIBE = "Amazon Transcribe output"
ANALYTICS = "Transcribe Call Analytics or Contact Lens output"


def read_transcribe(text: str, path: str) -> list[Call]:
    """Read Amazon Transcribe batch JSON (with speaker diarization or channel identification)."""
    data = load_json(text, path)
    results = need(data, "results", dict, path, "$", TRANSCRIBE)
    loc = "$.results"
    job = data.get("jobName") if isinstance(data, Mapping) else None
    call_id = job if isinstance(job, str) and job.strip() else None
    segments = get(results, "audio_segments", list, path, loc, TRANSCRIBE, [])
    if segments and all(isinstance(s, Mapping) and (s.get("speaker_label") or s.get("channel_label")) for s in segments):
        pieces = _audio_segments(segments, path, at(loc, "audio_segments"))
    else:
        pieces = _items(results, path, loc)
    return [build_call(path, pieces, "transcribe", call_id, hint="Transcribe items with speaker labels", channel="voice")]


def _audio_segments(segments: list[Any], path: str, loc: str) -> list[Piece]:
    pieces = []
    for i, seg in enumerate(segments):
        where = f"{loc}[{i}]"
        label = label_of(seg.get("speaker_label") or seg.get("channel_label"), path, where, "speaker_label")
        words = text_of(seg.get("transcript"), path, at(where, "transcript"), "segment text")
        start = finite(seg.get("start_time"), path, at(where, "start_time"))
        end = finite(seg.get("end_time"), path, at(where, "end_time"))
        pieces.append(Piece(label, words, start, end, where))
    return pieces


def _items(results: Mapping[str, Any], path: str, loc: str) -> list[Piece]:
    items = results.get("items")
    item_loc = at(loc, "items")
    if items is None or (not items and isinstance(results.get("channel_labels"), Mapping)):
        channels = _channel_items(results, path, loc)
        if channels is None:
            raise TranscriptError(path, loc, f'expected "items" ({TRANSCRIBE})')
        located = channels
    else:
        if not isinstance(items, list):
            raise TranscriptError(path, item_loc, f"expected a list ({TRANSCRIBE})")
        located = [(item, f"{item_loc}[{i}]") for i, item in enumerate(items)]
    lookup = _segment_lookup(results, path, loc)
    pieces: list[Piece] = []
    for item, where in located:
        if not isinstance(item, Mapping):
            raise TranscriptError(path, where, f"expected an item object ({TRANSCRIBE})")
        alternatives = need(item, "alternatives", list, path, where, TRANSCRIBE)
        if not alternatives or not isinstance(alternatives[0], Mapping):
            raise TranscriptError(path, at(where, "alternatives"), f'expected [{{"content": ...}}] ({TRANSCRIBE})')
        content = text_of(alternatives[0].get("content"), path, f"{at(where, 'alternatives')}[0].content", "word")
        start = finite(item.get("start_time"), path, at(where, "start_time"))
        end = finite(item.get("end_time"), path, at(where, "end_time"))
        if item.get("type") == "punctuation" or start is None:
            if pieces:
                pieces[-1].text += content
            continue
        raw_label = item.get("speaker_label") or item.get("channel_label")
        label = label_of(raw_label, path, where, "speaker_label") if raw_label is not None else lookup(start)
        if label is None:
            raise TranscriptError(
                path,
                loc,
                'no speaker labels (expected "speaker_labels" or "channel_labels"; turn on speaker partitioning or channel identification for the job)',
            )
        if pieces and pieces[-1].speaker == label:
            pieces[-1].text += " " + content
            pieces[-1].end = end
        else:
            pieces.append(Piece(label, content, start, end, where))
    return pieces


def _channel_items(results: Mapping[str, Any], path: str, loc: str) -> list[tuple[Any, str]] | None:
    """Items from ``channel_labels.channels[*].items``, in time order, for outputs without ``results.items``."""
    labels = results.get("channel_labels")
    if not isinstance(labels, Mapping) or not isinstance(labels.get("channels"), list):
        return None
    found = []
    for c, channel in enumerate(labels["channels"]):
        where = f"{loc}.channel_labels.channels[{c}]"
        items = need(channel, "items", list, path, where, TRANSCRIBE)
        label = channel.get("channel_label")
        previous = 0.0
        for j, item in enumerate(items):
            if isinstance(item, Mapping) and label is not None and "channel_label" not in item:
                item = {**item, "channel_label": label}
            start = finite(item.get("start_time"), path, f"{where}.items[{j}].start_time") if isinstance(item, Mapping) else None
            previous = start if start is not None else previous  # punctuation sorts right after its word
            found.append((previous, c, j, item, f"{where}.items[{j}]"))
    found.sort(key=lambda x: (x[0], x[1], x[2]))
    return [(item, where) for _, _, _, item, where in found]


def _segment_lookup(results: Mapping[str, Any], path: str, loc: str):
    """start time -> speaker label, from ``speaker_labels.segments`` (exact item times, else the enclosing segment)."""
    labels = results.get("speaker_labels")
    exact: dict[float, str] = {}
    spans: list[tuple[float, float, str]] = []
    if isinstance(labels, Mapping) and isinstance(labels.get("segments"), list):
        for s, seg in enumerate(labels["segments"]):
            where = f"{loc}.speaker_labels.segments[{s}]"
            if not isinstance(seg, Mapping):
                raise TranscriptError(path, where, f"expected a segment object ({TRANSCRIBE})")
            label = label_of(
                need(seg, "speaker_label", (str, int), path, where, TRANSCRIBE), path, at(where, "speaker_label"), "speaker"
            )
            seg_start = finite(seg.get("start_time"), path, at(where, "start_time"))
            seg_end = finite(seg.get("end_time"), path, at(where, "end_time"))
            if seg_start is not None:
                spans.append((seg_start, seg_end if seg_end is not None else seg_start, label))
            for k, item in enumerate(get(seg, "items", list, path, where, TRANSCRIBE, [])):
                if isinstance(item, Mapping):
                    t = finite(item.get("start_time"), path, f"{where}.items[{k}].start_time")
                    if t is not None:
                        exact[t] = label_of(item.get("speaker_label", label), path, f"{where}.items[{k}]", "speaker")
    spans.sort()
    starts = [s for s, _, _ in spans]

    def lookup(t: float | None) -> str | None:
        if t is None:
            return None
        if t in exact:
            return exact[t]
        i = bisect.bisect_right(starts, t) - 1
        return spans[i][2] if i >= 0 else (spans[0][2] if spans else None)

    return lookup


def read_analytics(text: str, path: str) -> list[Call]:
    """Read Transcribe Call Analytics or Amazon Connect Contact Lens JSON (roles are explicit)."""
    data = load_json(text, path)
    entries = need(data, "Transcript", list, path, "$", ANALYTICS)
    participants = get(data, "Participants", list, path, "$", ANALYTICS, [])
    role_of_id: dict[str, str] = {}
    for p in participants:
        if isinstance(p, Mapping) and p.get("ParticipantId") is not None and isinstance(p.get("ParticipantRole"), str):
            role_of_id[str(p["ParticipantId"])] = p["ParticipantRole"]
    ids_per_role: dict[str, set[str]] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("ParticipantId") is not None:
            pid = str(entry["ParticipantId"])
            role_name = entry.get("ParticipantRole") or role_of_id.get(pid) or pid
            ids_per_role.setdefault(str(role_name), set()).add(pid)
    # A transfer: two agents with the same role stay two speakers, shown by a short id ("AGENT (3f9c2a1b)")
    # unless short ids would collide ("Speaker 1" / "Speaker 3"), then by the whole id.
    shown: dict[str, str] = {}
    for ids in ids_per_role.values():
        short = {pid: pid[:8] for pid in ids}
        distinct = len(set(short.values())) == len(ids)
        shown.update({pid: short[pid] if distinct else pid for pid in ids})
    pieces = []
    for i, entry in enumerate(entries):
        where = f"$.Transcript[{i}]"
        if not isinstance(entry, Mapping):
            raise TranscriptError(path, where, f"expected a transcript entry object ({ANALYTICS})")
        pid = entry.get("ParticipantId")
        role_name = entry.get("ParticipantRole") or (role_of_id.get(str(pid)) if pid is not None else None)
        if role_name is None and pid is None:
            raise TranscriptError(path, where, f'expected "ParticipantRole" or "ParticipantId" ({ANALYTICS})')
        role_name = label_of(role_name if role_name is not None else pid, path, where, "participant")
        label = role_name
        if pid is not None and len(ids_per_role.get(role_name, ())) > 1:
            label = f"{role_name} ({shown.get(str(pid), str(pid))})"
        role = label_role(role_name)
        content = text_of(entry.get("Content"), path, at(where, "Content"), "what was said")
        start = finite(entry.get("BeginOffsetMillis"), path, at(where, "BeginOffsetMillis"), "milliseconds")
        end = finite(entry.get("EndOffsetMillis"), path, at(where, "EndOffsetMillis"), "milliseconds")
        pieces.append(
            Piece(
                label,
                content,
                None if start is None else start / 1000,
                None if end is None else end / 1000,
                where,
                role or Role.UNKNOWN,
            )
        )
    call_id = data.get("JobName")
    metadata = data.get("CustomerMetadata")
    if not (isinstance(call_id, str) and call_id.strip()) and isinstance(metadata, Mapping):
        call_id = metadata.get("ContactId")
    channel = channel_value(data["Channel"]) if isinstance(data.get("Channel"), str) else None
    return [
        build_call(
            path,
            pieces,
            "transcribe-analytics",
            str(call_id) if isinstance(call_id, (str, int)) and str(call_id).strip() else None,
            hint='"Transcript" entries with "Content"',
            channel=channel or "voice",
        )
    ]
