"""Fuzzing every reader: arbitrary bytes, mutated real fixtures and type-confused JSON raise only TranscriptError.

Each example must finish well inside the deadline (no pathological regex or loop), and every error must name
the file and, unless the whole file is at fault, the place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import TranscriptError
from coach.model import Call
from coach.readers import FORMATS, read_calls

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = {fmt: sorted(p for p in (FIXTURES / fmt).glob("*") if not p.name.startswith("bad_")) for fmt in FORMATS}
JSON_FORMATS = [f for f in FORMATS if all(p.suffix == ".json" for p in GOOD[f])]
# Errors about the file as a whole carry no location.
FILE_LEVEL = ("file is empty", "not a text file", "not valid UTF-", "no turns found", "no speaker found", "file is too large")

FUZZ = settings(
    max_examples=100, deadline=1500, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def read_or_error(name: str, fmt: str | None, data: bytes) -> None:
    try:
        calls = read_calls(name, fmt, data=data)
    except TranscriptError as e:
        assert e.path == name
        assert e.location or e.message.startswith(FILE_LEVEL), str(e)
        assert str(e).startswith(name)
        return
    assert calls and all(isinstance(c, Call) and c.turns for c in calls)
    for call in calls:
        assert [t.index for t in call.turns] == list(range(len(call.turns)))
        assert call.role_confidence is not None and 0 <= call.role_confidence <= 1


@pytest.mark.parametrize("fmt", list(FORMATS))
@FUZZ
@given(data=st.binary(max_size=3000))
def test_reader_raises_only_transcript_errors_on_arbitrary_bytes(fmt, data):
    read_or_error(f"fuzz.{fmt}", fmt, data)


@pytest.mark.parametrize("fmt", list(FORMATS))
@FUZZ
@given(draw=st.data())
def test_reader_raises_only_transcript_errors_on_mutated_fixtures(fmt, draw):
    path = draw.draw(st.sampled_from(GOOD[fmt]), label="fixture")
    data = bytearray(path.read_bytes()[:20000])
    for _ in range(draw.draw(st.integers(1, 6), label="mutations")):
        if not data:
            break
        at = draw.draw(st.integers(0, len(data) - 1), label="at")
        kind = draw.draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]), label="kind")
        if kind == "flip":
            data[at] = draw.draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw.draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw.draw(
                st.sampled_from(
                    [
                        b"\n",
                        b":",
                        b"-->",
                        b"<v ",
                        b"[",
                        b"]",
                        b"{",
                        b"}",
                        b'"',
                        b",",
                        b"\t",
                        b"\x00",
                        b"\xff\xfe",
                        b"null",
                        b"1e999",
                        b"-1",
                    ]
                )
            )
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw.draw(st.integers(1, 200))]
    read_or_error(path.name, fmt, bytes(data))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:30]):
            yield from _paths(v, (*prefix, i))


@pytest.mark.parametrize("fmt", [*JSON_FORMATS, "jsonl"])
@FUZZ
@given(draw=st.data())
def test_json_reader_raises_only_transcript_errors_when_a_field_has_the_wrong_type(fmt, draw):
    path = draw.draw(st.sampled_from(GOOD[fmt]), label="fixture")
    lines = path.read_text(encoding="utf-8").splitlines() if fmt == "jsonl" else [path.read_text(encoding="utf-8")]
    values = [json.loads(line) for line in lines if line.strip()]
    target = draw.draw(st.integers(0, len(values) - 1), label="line")
    for _ in range(draw.draw(st.integers(1, 3), label="replacements")):
        paths = list(_paths(values[target]))
        where = draw.draw(st.sampled_from(paths), label="path")
        replacement = draw.draw(JSON_VALUES, label="value")
        if not where:
            values[target] = replacement
            continue
        node = values[target]
        for key in where[:-1]:
            node = node[key]
        node[where[-1]] = replacement
    data = "\n".join(json.dumps(v) for v in values).encode()
    read_or_error(path.name, fmt, data)


TOKENS = st.sampled_from(
    [
        *'AaBb Speakr01:[]()-.>\n\t,;"<v/WEBVTT',
        "-->",
        "Agent",
        "Customer",
        "00:01:12",
        "press 2",
        "\n\n",
        "<v Maria>",
        "Call ID: ",
    ]
)


@FUZZ
@given(parts=st.lists(TOKENS, max_size=150))
def test_text_like_readers_raise_only_transcript_errors_on_speaker_like_noise(parts):
    data = "".join(parts).encode()
    for fmt in ("text", "vtt", "srt", "csv", "tsv", None):
        read_or_error("noise.txt", fmt, data)
