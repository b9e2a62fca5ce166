"""Azure AI Speech: batch transcription results and fast transcription responses.

Batch (https://learn.microsoft.com/azure/ai-services/speech-service/batch-transcription-get):
``recognizedPhrases`` with ``speaker`` (diarization) or ``channel``, ``nBest[0].display``, and ``offset``
as ISO-8601 durations (``"PT1.2S"``) or ``offsetInTicks`` (100 ns). Phrases are listed channel by channel,
so they are sorted by time. Phrases whose ``recognitionStatus`` is not ``Success`` are skipped.
Fast transcription: ``phrases`` with ``offsetMilliseconds``/``durationMilliseconds``, ``text``, ``speaker``.
Labels stay as Azure writes them (``"1"``, ``"2"``); with channels only they are ``"channel 0"``, ...
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers._build import Piece, at, build_call, finite, label_of, load_json, short, text_of

WHAT = "Azure batch transcription result"
_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
NO_SPEAKERS = (
    'no speaker labels (expected "speaker" on phrases, or two channels; set diarizationEnabled or transcribe stereo audio)'
)


def read_azure(text: str, path: str) -> list[Call]:
    """Read an Azure speech-to-text result JSON into one Call."""
    data = load_json(text, path)
    if not isinstance(data, Mapping):
        raise TranscriptError(path, "$", f"expected an object ({WHAT})")
    if isinstance(data.get("recognizedPhrases"), list):
        key, phrases = "recognizedPhrases", data["recognizedPhrases"]
    elif isinstance(data.get("phrases"), list):
        key, phrases = "phrases", data["phrases"]
    else:
        raise TranscriptError(path, "$", f'expected "recognizedPhrases" ({WHAT})')
    channels = {json.dumps(p.get("channel")) for p in phrases if isinstance(p, Mapping)}
    found: list[tuple[float, int, Piece]] = []
    for i, phrase in enumerate(phrases):
        where = f"$.{key}[{i}]"
        if not isinstance(phrase, Mapping):
            raise TranscriptError(path, where, f"expected a phrase object ({WHAT})")
        status = phrase.get("recognitionStatus", "Success")
        if status != "Success":
            continue
        if phrase.get("speaker") is not None:
            label = label_of(phrase["speaker"], path, at(where, "speaker"), "speaker")
        elif len(channels) > 1 and phrase.get("channel") is not None:
            label = "channel " + label_of(phrase["channel"], path, at(where, "channel"), "channel")
        else:
            raise TranscriptError(path, where, NO_SPEAKERS)
        if key == "phrases":
            words = text_of(phrase.get("text"), path, at(where, "text"), "phrase text")
            offset = finite(phrase.get("offsetMilliseconds"), path, at(where, "offsetMilliseconds"), "milliseconds")
            length = finite(phrase.get("durationMilliseconds"), path, at(where, "durationMilliseconds"), "milliseconds")
            start = None if offset is None else offset / 1000
            duration = None if length is None else length / 1000
        else:
            best = phrase.get("nBest")
            if not isinstance(best, list) or not best or not isinstance(best[0], Mapping):
                raise TranscriptError(path, where, f'expected "nBest" with at least one result ({WHAT})')
            first = best[0]
            words = text_of(
                first.get("display", first.get("itn", first.get("lexical"))), path, f"{where}.nBest[0].display", "phrase text"
            )
            start = _seconds(phrase, "offset", path, where)
            duration = _seconds(phrase, "duration", path, where)
        end = start + duration if start is not None and duration is not None else None
        found.append((start if start is not None else 0.0, i, Piece(label, words, start, end, where)))
    found.sort(key=lambda x: (x[0], x[1]))
    source = data.get("source")
    call_id = None
    if isinstance(source, str) and source.strip():
        name = PurePosixPath(source.split("?")[0]).name
        call_id = name.rsplit(".", 1)[0] if "." in name else name or None
    return [
        build_call(
            path, [p for _, _, p in found], "azure", call_id or None, hint="recognized phrases with speakers", channel="voice"
        )
    ]


def _seconds(phrase: Mapping[str, Any], key: str, path: str, where: str) -> float | None:
    """``offsetInTicks`` (100 ns units) when present, else the ISO-8601 duration in ``offset``."""
    ticks = finite(phrase.get(f"{key}InTicks"), path, at(where, f"{key}InTicks"), "ticks")
    if ticks is not None:
        return ticks / 10_000_000
    value = phrase.get(key)
    if value is None:
        return None
    m = _DURATION.match(value) if isinstance(value, str) else None
    if not m or not any(m.groups()):
        raise TranscriptError(path, at(where, key), f'expected an ISO-8601 duration like "PT1.25S", got {short(value)}')
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if not math.isfinite(total):
        raise TranscriptError(path, at(where, key), f'expected an ISO-8601 duration like "PT1.25S", got {short(value)}')
    return total
