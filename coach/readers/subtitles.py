"""Subtitle files: WebVTT (``<v Name>`` voice tags or ``Name: text``) and SubRip (``Name: text``).

Captions often name the speaker only when it changes, so a cue without a speaker continues the previous
speaker. Only a file whose first spoken cue has no speaker is an error: nobody is known to continue.
NOTE, STYLE and REGION blocks and cue settings (``align:start position:10%``) are ignored; formatting tags
(``<i>``, ``<c.yellow>``, ``<font>``, ``{\\an8}``) are removed and HTML entities decoded.
"""

from __future__ import annotations

import html
import re

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import Piece, build_call, parse_clock
from coach.readers.plaintext import plausible_label

_TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+(?P<name>[^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>|\{\\[^}]*\}")
_NAME = re.compile(r"^\s*(?:-+|>>)?\s*(?P<label>[^\W\d_][\w.'’&#()-]{0,39}?(?: [\w.'’&#()-]{1,39}?){0,3}?)\s*:\s+(?P<text>\S.*)$")

VTT_HINT = 'WebVTT cues with <v Name> voice tags or "Name: text"'
SRT_HINT = 'SubRip cues with "Name: text"'


def read_vtt(text: str, path: str) -> list[Call]:
    """Read a WebVTT file into one Call."""
    lines = text.split("\n")
    if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise TranscriptError(path, 1, 'expected "WEBVTT" on the first line (a WebVTT file)')
    pieces = _cues(lines, path, vtt=True)
    return [build_call(path, pieces, "vtt", hint=VTT_HINT, channel="voice")]


def read_srt(text: str, path: str) -> list[Call]:
    """Read a SubRip (.srt) file into one Call."""
    pieces = _cues(text.split("\n"), path, vtt=False)
    return [build_call(path, pieces, "srt", hint=SRT_HINT, channel="voice")]


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (first line number, lines)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _cues(lines: list[str], path: str, vtt: bool) -> list[Piece]:
    pieces: list[Piece] = []
    cue = 0
    expected = "00:00:01.000 --> 00:00:04.000" if vtt else "00:00:01,000 --> 00:00:04,000"
    blocks = _blocks(lines)
    if vtt and blocks and blocks[0][1][0].lstrip("\ufeff").startswith("WEBVTT"):
        blocks = blocks[1:]
    for first, block in blocks:
        head = block[0].strip()
        if vtt and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", head):
            continue
        timing_at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            raise TranscriptError(path, first, f'expected a cue timing line like "{expected}"')
        timing = _TIMING.match(block[timing_at])
        number = first + timing_at
        if not timing:
            raise TranscriptError(path, number, f'bad cue timing {block[timing_at].strip()[:60]!r} (expected "{expected}")')
        start, end = parse_clock(timing.group("start")), parse_clock(timing.group("end"))
        if start is None or end is None:
            raise TranscriptError(path, number, f'bad cue timing {block[timing_at].strip()[:60]!r} (expected "{expected}")')
        cue += 1
        payload = block[timing_at + 1 :]
        if not payload:
            continue
        for speaker, words in _speakers(payload, vtt):
            if not words.strip():
                continue
            if speaker is None:
                if not pieces:
                    want = '<v Name> or "Name: "' if vtt else '"Name: text"'
                    raise TranscriptError(path, number + 1, f"cue text has no speaker (expected {want})")
                speaker = pieces[-1].speaker
            pieces.append(Piece(speaker, words, start, end, f"cue {cue}"))
    return pieces


def _speakers(payload: list[str], vtt: bool) -> list[tuple[str | None, str]]:
    """Split a cue's text into (speaker or None, text) parts, by voice tag and by ``Name:`` line prefixes."""
    body = "\n".join(payload)
    segments: list[tuple[str | None, str]] = []
    tags = list(_VOICE.finditer(body)) if vtt else []
    if tags:
        if _TAG.sub("", body[: tags[0].start()]).strip():
            segments.append((None, body[: tags[0].start()]))
        for i, tag in enumerate(tags):
            stop = tags[i + 1].start() if i + 1 < len(tags) else len(body)
            name = " ".join((tag.group("name") or "").split()) or None
            segments.append((name, body[tag.end() : stop]))
    else:
        segments.append((None, body))
    parts: list[tuple[str | None, str]] = []
    for name, chunk in segments:
        text = html.unescape(_TAG.sub("", chunk))
        if name is not None:
            parts.append((name, " ".join(text.split())))
            continue
        for line in text.split("\n"):
            m = _NAME.match(line)
            if m and plausible_label(m.group("label")):
                parts.append((" ".join(m.group("label").split()), m.group("text")))
            elif parts:
                parts[-1] = (parts[-1][0], parts[-1][1] + " " + line)
            else:
                parts.append((None, line))
    return parts
