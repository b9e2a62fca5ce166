"""Deepgram pre-recorded responses (https://developers.deepgram.com/docs/diarization).

``results.utterances`` (requested with ``utterances=true``) carry ``speaker`` numbers with ``diarize=true``
and a ``channel`` with ``multichannel=true``. Without utterances the words of
``results.channels[*].alternatives[0].words`` are grouped by their ``speaker`` (or by channel). Labels stay as
Deepgram writes them (``"0"``, ``"1"``); with channels only they are ``"channel 0"``, ``"channel 1"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import Piece, at, build_call, finite, get, label_of, load_json, need, text_of

WHAT = "Deepgram response"
NO_SPEAKERS = (
    'no speaker labels (expected "speaker" on utterances or words; request diarize=true, or multichannel=true for stereo calls)'
)


def read_deepgram(text: str, path: str) -> list[Call]:
    """Read a Deepgram JSON response into one Call."""
    data = load_json(text, path)
    results = need(data, "results", dict, path, "$", WHAT)
    utterances = get(results, "utterances", list, path, "$.results", WHAT, [])
    pieces = _utterances(utterances, path) if utterances else _words(results, path)
    metadata = data.get("metadata") if isinstance(data, Mapping) else None
    request = metadata.get("request_id") if isinstance(metadata, Mapping) else None
    call_id = str(request) if isinstance(request, (str, int)) and str(request).strip() else None
    return [build_call(path, pieces, "deepgram", call_id, hint="utterances with speakers", channel="voice")]


def _label(obj: Mapping[str, Any], path: str, where: str, use_channel: bool) -> str | None:
    if obj.get("speaker") is not None:
        return label_of(obj["speaker"], path, at(where, "speaker"), "speaker")
    if use_channel and obj.get("channel") is not None:
        return "channel " + label_of(obj["channel"], path, at(where, "channel"), "channel")
    return None


def _utterances(utterances: list[Any], path: str) -> list[Piece]:
    loc = "$.results.utterances"
    channels = {json.dumps(u.get("channel")) for u in utterances if isinstance(u, Mapping)}
    pieces = []
    for i, u in enumerate(utterances):
        where = f"{loc}[{i}]"
        if not isinstance(u, Mapping):
            raise TranscriptError(path, where, f"expected an utterance object ({WHAT})")
        label = _label(u, path, where, len(channels) > 1)
        if label is None:
            raise TranscriptError(path, where, NO_SPEAKERS)
        words = text_of(u.get("transcript"), path, at(where, "transcript"), "utterance text")
        pieces.append(
            Piece(
                label,
                words,
                finite(u.get("start"), path, at(where, "start")),
                finite(u.get("end"), path, at(where, "end")),
                where,
            )
        )
    return pieces


def _words(results: Mapping[str, Any], path: str) -> list[Piece]:
    channels = need(results, "channels", list, path, "$.results", WHAT)
    found: list[tuple[float, int, int, Piece]] = []
    for c, channel in enumerate(channels):
        where = f"$.results.channels[{c}]"
        alternatives = need(channel, "alternatives", list, path, where, WHAT)
        if not alternatives:
            continue
        alt_where = f"{where}.alternatives[0]"
        words = get(alternatives[0], "words", list, path, alt_where, WHAT, [])
        for j, word in enumerate(words):
            w_where = f"{alt_where}.words[{j}]"
            if not isinstance(word, Mapping):
                raise TranscriptError(path, w_where, f"expected a word object ({WHAT})")
            label = _label({**word, "channel": c}, path, w_where, len(channels) > 1)
            if label is None:
                raise TranscriptError(path, w_where, NO_SPEAKERS)
            token = text_of(word.get("punctuated_word", word.get("word")), path, at(w_where, "word"), "word")
            start = finite(word.get("start"), path, at(w_where, "start"))
            end = finite(word.get("end"), path, at(w_where, "end"))
            found.append((start or 0.0, c, j, Piece(label, token, start, end, w_where)))
    found.sort(key=lambda x: (x[0], x[1], x[2]))
    pieces: list[Piece] = []
    for _, _, _, piece in found:
        if pieces and pieces[-1].speaker == piece.speaker:
            pieces[-1].text += " " + piece.text
            pieces[-1].end = piece.end
        else:
            pieces.append(piece)
    return pieces
