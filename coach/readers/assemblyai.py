"""AssemblyAI transcripts (https://www.assemblyai.com/docs/speech-to-text/speaker-diarization).

``utterances`` (present with ``speaker_labels=true``) carry ``speaker`` ("A", "B", ...), ``text`` and times in
milliseconds. Without utterances, ``words`` with a ``speaker`` are grouped instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import Piece, at, build_call, finite, get, label_of, load_json, text_of

WHAT = "AssemblyAI transcript"


def read_assemblyai(text: str, path: str) -> list[Call]:
    """Read an AssemblyAI transcript JSON into one Call."""
    data = load_json(text, path)
    if not isinstance(data, Mapping):
        raise TranscriptError(path, "$", f"expected an object ({WHAT})")
    status = data.get("status")
    if isinstance(status, str) and status not in ("completed", ""):
        detail = f": {data['error']}" if isinstance(data.get("error"), str) else ""
        raise TranscriptError(path, "$.status", f"transcript is not completed (status {status!r}{detail})")
    utterances = get(data, "utterances", list, path, "$", WHAT, [])
    key = "utterances"
    if not utterances:
        words = get(data, "words", list, path, "$", WHAT, [])
        if not any(isinstance(w, Mapping) and w.get("speaker") is not None for w in words):
            raise TranscriptError(path, "$", f'expected "utterances" ({WHAT} requested with speaker_labels=true)')
        utterances, key = words, "words"
    pieces: list[Piece] = []
    for i, u in enumerate(utterances):
        where = f"$.{key}[{i}]"
        if not isinstance(u, Mapping):
            raise TranscriptError(path, where, f"expected an object ({WHAT})")
        if u.get("speaker") is None:
            raise TranscriptError(path, where, f'expected "speaker" ({WHAT} requested with speaker_labels=true)')
        label = label_of(u["speaker"], path, at(where, "speaker"), "speaker")
        words = text_of(u.get("text"), path, at(where, "text"), "what was said")
        start = finite(u.get("start"), path, at(where, "start"), "milliseconds")
        end = finite(u.get("end"), path, at(where, "end"), "milliseconds")
        piece = Piece(label, words, None if start is None else start / 1000, None if end is None else end / 1000, where)
        if key == "words" and pieces and pieces[-1].speaker == label:
            pieces[-1].text += " " + words
            pieces[-1].end = piece.end
        else:
            pieces.append(piece)
    call_id = data.get("id")
    return [
        build_call(
            path,
            pieces,
            "assemblyai",
            str(call_id) if isinstance(call_id, (str, int)) and str(call_id).strip() else None,
            hint="utterances with speakers",
            channel="voice",
        )
    ]
