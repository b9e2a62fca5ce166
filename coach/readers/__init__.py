"""Read call transcripts in any supported format into :class:`~coach.model.Call` objects.

>>> from coach.readers import read_calls
>>> calls = read_calls("x.txt", data=b"Agent: Thanks for calling Acme, how can I help?\\nCaller: I want to cancel.")
>>> [(t.speaker, t.role.value) for t in calls[0].turns]
[('Agent', 'agent'), ('Caller', 'customer')]

The format is detected from the file extension and content (:func:`detect_format`) unless given; each
format family lives in its own module and registers a :class:`Reader` in :data:`FORMATS`. Every reader
raises :class:`~coach.errors.TranscriptError` naming the file, the place (line, row, cue or JSON path) and what
was expected, and nothing else. Roles are assigned by :func:`coach.roles.assign_roles` after parsing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers import assemblyai, aws, azure, deepgram, google, jsonchat, plaintext, subtitles, tables, whisperx
from coach.readers._build import parse_json
from coach.readers._text import decode
from coach.readers.jsonchat import call_from_dict, call_to_dict
from coach.roles import assign_roles

__all__ = ["FORMATS", "MAX_BYTES", "Reader", "call_from_dict", "call_to_dict", "detect_format", "expand_paths", "read_calls"]

MAX_BYTES = 20 * 1024 * 1024
"""Files larger than this are refused unread: a single call transcript is far smaller (a 2-hour call is ~2 MB
even as word-level vendor JSON). Raise it here if you really need to."""


@dataclass(frozen=True)
class Reader:
    """A format: its name, the function that parses decoded text into Calls, and its usual extensions."""

    name: str
    read: Callable[[str, str], list[Call]]
    extensions: tuple[str, ...]
    description: str


FORMATS: dict[str, Reader] = {
    r.name: r
    for r in (
        Reader("text", plaintext.read_text, (".txt", ".text", ".log"), 'plain text, "Speaker: text" lines'),
        Reader("vtt", subtitles.read_vtt, (".vtt",), "WebVTT captions"),
        Reader("srt", subtitles.read_srt, (".srt",), "SubRip captions"),
        Reader("csv", tables.read_csv, (".csv",), "CSV turn table (delimiter sniffed)"),
        Reader("tsv", tables.read_tsv, (".tsv", ".tab"), "tab-separated turn table"),
        Reader("json", jsonchat.read_json, (".json",), "coach JSON or a chat export"),
        Reader("jsonl", jsonchat.read_jsonl, (".jsonl", ".ndjson"), "coach JSON Lines or one message per line"),
        Reader("transcribe", aws.read_transcribe, (), "Amazon Transcribe output"),
        Reader("transcribe-analytics", aws.read_analytics, (), "Transcribe Call Analytics / Contact Lens output"),
        Reader("deepgram", deepgram.read_deepgram, (), "Deepgram response"),
        Reader("assemblyai", assemblyai.read_assemblyai, (), "AssemblyAI transcript"),
        Reader("ccai", google.read_ccai, (), "Google CCAI Insights conversation"),
        Reader("azure", azure.read_azure, (), "Azure speech batch transcription"),
        Reader("whisperx", whisperx.read_whisperx, (), "whisperX output"),
    )
}


def read_calls(
    path: str, format: str | None = None, *, agent_speakers: Sequence[str] = (), data: bytes | None = None
) -> list[Call]:
    """Read one transcript file (``"-"`` is stdin) and return its calls with speaker roles assigned.

    ``data`` gives the bytes directly; ``path`` then only names the calls and errors. ``format`` overrides
    detection (one of :data:`FORMATS`). ``agent_speakers`` names the agent's label(s), overriding inference.
    Raises TranscriptError for anything unreadable.
    """
    path = str(path)
    if data is None:
        data = _read_bytes(path)
    if len(data) > MAX_BYTES:
        raise TranscriptError(path, None, _too_large(len(data)))
    fmt = format or detect_format(path, data)
    reader = FORMATS.get(fmt)
    if reader is None:
        raise TranscriptError(path, None, f"unknown format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    text, encoding = decode(data, path)
    calls = reader.read(text, path)
    if encoding == "cp1252":
        note = f"{path}: not valid UTF-8; read as Windows-1252 (cp1252), check accented characters"
        calls = [c.replace(warnings=(*c.warnings, note)) for c in calls]
    return [assign_roles(call, agent_speakers) for call in calls]


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1)
    try:
        size = os.stat(path).st_size
        if os.path.isdir(path):
            raise TranscriptError(path, None, "is a directory (expected a transcript file)")
        if size > MAX_BYTES:
            raise TranscriptError(path, None, _too_large(size))
        with open(path, "rb") as f:
            return f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise TranscriptError(path, None, "no such file or directory") from None
    except PermissionError:
        raise TranscriptError(path, None, "permission denied") from None
    except OSError as e:
        raise TranscriptError(path, None, f"cannot read file: {e.strerror or e}") from None


def _too_large(size: int) -> str:
    return (
        f"file is too large ({size / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB); "
        "split it into smaller files (one call per file)"
    )


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given; directories searched recursively in sorted order, skipping hidden files and folders,
    README* and ``.md`` files. ``"-"`` (stdin) is kept. A missing path raises TranscriptError."""
    out: list[str] = []
    for p in paths:
        p = str(p)
        if p == "-":
            out.append(p)
        elif os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if name.startswith(".") or name.upper().startswith("README") or name.lower().endswith(".md"):
                        continue
                    found.append(os.path.join(root, name))
            out.extend(sorted(found))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise TranscriptError(p, None, "no such file or directory")
    return out


# ---------------------------------------------------------------------------------------------------------
# Detection


def detect_format(path: str, head: bytes) -> str:
    """Guess a file's format from its extension and its first bytes (the whole file is best for JSON).

    >>> detect_format("call.txt", b"Agent: hi"), detect_format("x", b"WEBVTT\\n"), detect_format("a.json", b'{"results": {"items": []}}')
    ('text', 'vtt', 'transcribe')
    """
    name = os.path.basename(str(path)).lower()
    ext = os.path.splitext(name)[1]
    text = _peek(head)
    start = text.lstrip()
    if ext == ".vtt" or start.startswith("WEBVTT"):
        return "vtt"
    for fmt in ("srt", "tsv", "csv", "jsonl"):
        if ext in FORMATS[fmt].extensions:
            return fmt
    if ext == ".json":
        return _json_kind(text)
    if start[:1] in ("{", "[") and _parses_as_json(text):  # "[00:00:01] Agent: hi" also starts with "["
        return _json_kind(text)
    lines = start.split("\n")[:3]
    if len(lines) >= 2 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    first = lines[0].lower() if lines else ""
    if any(col in first for col in ("text", "utterance", "transcript", "content", "message")) and ":" not in first:
        if "\t" in first:
            return "tsv"
        if "," in first or ";" in first or "|" in first:
            return "csv"
    return "text"


def _peek(head: bytes) -> str:
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    return head.decode("utf-8", errors="replace").lstrip("\ufeff").replace("\r\n", "\n")


def _parses_as_json(text: str) -> bool:
    for candidate in (text, text.lstrip().split("\n", 1)[0]):
        try:
            parse_json(candidate)
            return True
        except (ValueError, RecursionError):
            continue
    return False


def _json_kind(text: str) -> str:
    try:
        value = parse_json(text)
    except (ValueError, RecursionError):
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        if len(lines) > 1 and lines[0].startswith("{"):
            try:
                json.loads(lines[0])
                return "jsonl"
            except (ValueError, RecursionError):
                pass
        return _json_kind_by_keys(text)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "words" in value[0] and "speaker" in value[0]:
        return "whisperx"
    if not isinstance(value, dict):
        return "json"
    keys = set(value)
    results = value.get("results")
    if "recognizedPhrases" in keys or "combinedRecognizedPhrases" in keys or ("phrases" in keys and "combinedPhrases" in keys):
        return "azure"
    if isinstance(value.get("Transcript"), list):
        return "transcribe-analytics"
    if isinstance(results, dict):
        if {"channels", "utterances"} & set(results) and not {"items", "transcripts", "speaker_labels"} & set(results):
            return "deepgram"
        return "transcribe"
    transcript = value.get("transcript")
    if isinstance(transcript, dict) and (
        {"transcriptSegments", "transcript_segments"} & set(transcript)
        or {"medium", "callMetadata", "agentId", "dataSource"} & keys
    ):
        return "ccai"
    entries = value.get("entries")
    if isinstance(entries, list) and entries and isinstance(entries[0], dict) and "start_timestamp_usec" in entries[0]:
        return "ccai"
    if "utterances" in keys and ("audio_url" in keys or "acoustic_model" in keys or "language_model" in keys or "status" in keys):
        return "assemblyai"
    segments = value.get("segments")
    if isinstance(segments, list) and (
        "word_segments" in keys or any(isinstance(s, dict) and "speaker" in s for s in segments[:50])
    ):
        return "whisperx"
    return "json"


def _json_kind_by_keys(text: str) -> str:
    """For JSON that does not parse (a truncated head): look for each vendor's telltale keys."""

    def has(*keys: str) -> bool:
        return any(f'"{k}"' in text for k in keys)

    if has("recognizedPhrases", "combinedRecognizedPhrases"):
        return "azure"
    if has("BeginOffsetMillis", "ParticipantRole") and has("Transcript"):
        return "transcribe-analytics"
    if has("transcriptSegments", "transcript_segments", "start_timestamp_usec"):
        return "ccai"
    if has("speaker_labels", "jobName", "transcripts") and has("results"):
        return "transcribe"
    if has("request_id", "punctuated_word") and has("results"):
        return "deepgram"
    if has("audio_url", "acoustic_model") and has("utterances"):
        return "assemblyai"
    if has("word_segments") or (has("segments") and has("speaker") and not has("messages", "turns")):
        return "whisperx"
    return "json"
