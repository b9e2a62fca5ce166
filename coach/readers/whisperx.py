"""whisperX output (``whisperx --diarize``, https://github.com/m-bain/whisperX): ``segments`` with ``speaker``.

whisperX leaves ``speaker`` off segments it could not assign. Such a segment takes the most common speaker
of its words, else it continues the previous speaker (or, at the start, the next known one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import Piece, at, build_call, finite, label_of, load_json, text_of

WHAT = "whisperX output"


def read_whisperx(text: str, path: str) -> list[Call]:
    """Read whisperX JSON (``{"segments": [...]}`` or a bare list of segments) into one Call."""
    data = load_json(text, path)
    loc = "$"
    if isinstance(data, Mapping):
        if not isinstance(data.get("segments"), list):
            raise TranscriptError(path, loc, f'expected "segments" ({WHAT})')
        segments: list[Any] = data["segments"]
        loc = "$.segments"
    elif isinstance(data, list):
        segments = data
    else:
        raise TranscriptError(path, loc, f'expected {{"segments": [...]}} ({WHAT})')
    rows: list[tuple[str | None, Piece]] = []
    for i, seg in enumerate(segments):
        where = f"{loc}[{i}]"
        if not isinstance(seg, Mapping):
            raise TranscriptError(path, where, f"expected a segment object ({WHAT})")
        label = (
            label_of(seg["speaker"], path, at(where, "speaker"), "speaker")
            if seg.get("speaker") is not None
            else _word_speaker(seg, path, where)
        )
        words = text_of(seg.get("text"), path, at(where, "text"), "segment text")
        rows.append(
            (
                label,
                Piece(
                    "",
                    words,
                    finite(seg.get("start"), path, at(where, "start")),
                    finite(seg.get("end"), path, at(where, "end")),
                    where,
                ),
            )
        )
    known = [label for label, _ in rows if label is not None]
    if not known:
        raise TranscriptError(
            path, loc, f'no speaker labels (expected "speaker" on segments; run whisperX with --diarize) ({WHAT})'
        )
    previous = known[0]
    pieces = []
    for label, piece in rows:
        previous = label or previous
        piece.speaker = previous
        pieces.append(piece)
    return [build_call(path, pieces, "whisperx", hint="segments with speakers", channel="voice")]


def _word_speaker(seg: Mapping[str, Any], path: str, where: str) -> str | None:
    words = seg.get("words")
    if not isinstance(words, list):
        return None
    counts = Counter(
        label_of(w["speaker"], path, f"{where}.words[{k}].speaker", "speaker")
        for k, w in enumerate(words)
        if isinstance(w, Mapping) and w.get("speaker") is not None
    )
    return counts.most_common(1)[0][0] if counts else None
