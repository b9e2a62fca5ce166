"""Render authored calls (the project's labelled JSON) into real-shaped vendor transcript files.

An authored call is what people write for the samples, the gold set and the fresh set (schema:
``transcripts_sample/README.md``). This module turns one into the file a contact center would actually
have: a plain-text export, WebVTT/SRT captions, a CSV/TSV turn table, a chat export, or the JSON a speech
vendor returns (Amazon Transcribe, Transcribe Call Analytics / Contact Lens, Deepgram, AssemblyAI, Google
CCAI Insights, Azure batch transcription, whisperX).

Everything is deterministic: times come from word counts (~2.6 words/s) and every random choice (pauses,
confidences, ids, speech-to-text noise) is drawn from a generator seeded by the call id, so rendering the
same source twice gives the same bytes. A vendor format may split one authored turn into several
segments/cues by the same speaker; readers merge consecutive same-speaker pieces, so turn *i* of the
rendered file is turn *i* of the source.

    python -m tools.render SRC_DIR OUT_DIR [--labels OUT_DIR/labels.jsonl]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import random
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.errors import LabelError

FORMATS = ("text", "vtt", "srt", "csv", "tsv", "json", "transcribe", "transcribe-analytics", "deepgram",
           "assemblyai", "ccai", "azure", "whisperx")
EXTENSIONS = {"text": "txt", "vtt": "vtt", "srt": "srt", "csv": "csv", "tsv": "tsv"}  # every other format: json
ROLE_KEYS = ("agent", "agent2", "customer", "system")
QUALITIES = ("graceful", "mixed", "poor")
CHANNELS = ("voice", "chat")
REASON_CATEGORIES = ("price", "moving", "service_quality", "competitor", "no_longer_needed", "financial_hardship",
                     "life_event", "other")
TACTIC_IDS = ("refusal_to_cancel", "repeated_save_attempts", "interrogation", "guilt_or_shame", "fear_of_loss",
              "false_urgency", "arguing", "penalty_threat")
AGENT_LABELS = ("gratitude", "courtesy_thanks", "reason_question", "reason_ack", "offer", "help_with_exit",
                "anything_else", "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation")
CUSTOMER_LABELS = ("cancel_request", "refusal")
# criterion -> the turn label whose presence makes it "met" (acknowledge_reason and no_pressure are derived)
CRITERION_LABEL = {"gratitude": "gratitude", "ask_reason": "reason_question", "help_with_exit": "help_with_exit",
                   "anything_else": "anything_else", "personalize": "personalize", "invite_return": "invite_return",
                   "warm_farewell": "warm_farewell", "follow_up": "follow_up",
                   "confirm_cancellation": "confirm_cancellation"}
CRITERIA = ("gratitude", "ask_reason", "acknowledge_reason", "no_pressure", "help_with_exit", "anything_else",
            "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation")
FLAGS = ("missing_gratitude", "reason_not_asked", "why_leaving_unanswered", "reason_ignored", "pressure")

# Label each role gets in a file when the authored call does not say (per format family).
DEFAULT_LABELS: dict[str, dict[str, str]] = {
    "text": {"agent": "Agent", "agent2": "Agent 2", "customer": "Customer", "system": "IVR"},
    "table": {"agent": "agent", "agent2": "agent_2", "customer": "customer", "system": "system"},
    "json": {"agent": "agent", "agent2": "agent2", "customer": "customer", "system": "system"},
    "transcribe": {"agent": "spk_0", "customer": "spk_1", "agent2": "spk_2", "system": "spk_3"},
    "transcribe-analytics": {"agent": "AGENT", "customer": "CUSTOMER", "agent2": "AGENT_2", "system": "SYSTEM"},
    "deepgram": {"agent": "0", "customer": "1", "agent2": "2", "system": "3"},
    "assemblyai": {"agent": "A", "customer": "B", "agent2": "C", "system": "D"},
    "ccai": {"agent": "agent-1", "customer": "customer-1", "agent2": "agent-2", "system": "ivr"},
    "azure": {"agent": "1", "customer": "2", "agent2": "3", "system": "4"},
    "whisperx": {"agent": "SPEAKER_00", "customer": "SPEAKER_01", "agent2": "SPEAKER_02", "system": "SPEAKER_03"},
}
LABEL_FAMILY = {"vtt": "text", "srt": "text", "csv": "table", "tsv": "table"}
CCAI_ROLES = {"agent": "HUMAN_AGENT", "agent2": "HUMAN_AGENT", "customer": "END_USER", "system": "AUTOMATED_AGENT"}
CONTACT_LENS_ROLES = {"agent": "AGENT", "agent2": "AGENT", "customer": "CUSTOMER", "system": "SYSTEM"}

# CSV header variants seen in real exports; readers must cope with all of them.
CSV_COLUMNS = {
    "standard": ("call_id", "speaker", "start_time", "end_time", "text"),
    "conversation": ("conversation_id", "participant", "begin_offset", "utterance"),
    "contact": ("contact_id", "role", "start", "end", "transcript", "agent_name", "date"),
}
CHAT_CSV_COLUMNS = ("call_id", "timestamp", "speaker", "text")

# Speech-to-text noise. Fillers are what ASR keeps from disfluent speech; the confusions are common
# homophone errors of call-center ASR. Small on purpose: a few per call, not a different call.
FILLERS = ("um", "uh", "like", "you know", "um", "uh")
MISHEARD = {"there": "their", "their": "there", "your": "you're", "then": "than", "new": "knew", "week": "weak",
            "wait": "weight", "here": "hear", "right": "write", "plan": "plant", "bill": "build", "month": "mouth",
            "quote": "coat", "sure": "shore", "know": "no", "mail": "male", "fine": "find", "four": "for",
            "would": "wood", "whole": "hole", "been": "bin", "account": "a count", "rate": "great"}

WORDS_PER_SECOND = 2.6
MAX_PIECE_WORDS = {"vtt": 14, "srt": 14, "whisperx": 22, "transcribe": 30, "deepgram": 24, "azure": 20,
                   "transcribe-analytics": 28, "ccai": 40}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# ---------------------------------------------------------------- timing and pieces

@dataclass
class Word:
    text: str  # as it appears in a punctuated transcript ("Hi,", "cancel.")
    start: int  # milliseconds
    end: int
    confidence: float

    @property
    def bare(self) -> str:
        """The word without surrounding punctuation, lowercase (ASR "lexical" form)."""
        return _bare(self.text)

    @property
    def content(self) -> str:
        """The word as a vendor's word item holds it: case kept, quotes and trailing punctuation dropped."""
        return re.sub(r"[.,?!;:]+$", "", _unquote(self.text)) or self.text

    @property
    def punct(self) -> str:
        m = re.search(r"[.,?!;:]+$", _unquote(self.text))
        return m.group(0)[-1] if m else ""


def _unquote(token: str) -> str:
    return re.sub(r"^[\"“”‘(\[]+|[\"“”’)\]]+$", "", token)


def _bare(token: str) -> str:
    return re.sub(r"^[^\w']+|[^\w']+$", "", token).lower() or token.lower()


@dataclass
class Piece:
    """A run of words by one speaker: a cue, a segment, an utterance. One turn has one or more pieces."""

    turn: int
    role: str
    label: str
    text: str
    words: list[Word] = field(default_factory=list)

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end


def _rng(call_id: str, purpose: str) -> random.Random:
    # hashlib, not hash(): str hashes are salted per process, which would break byte-for-byte output.
    return random.Random(int.from_bytes(hashlib.sha256(f"{call_id}/{purpose}".encode()).digest()[:8], "big"))


def split_text(text: str, max_words: int) -> list[str]:
    """Split a turn into pieces of whole sentences, at most ``max_words`` words each when possible."""
    sentences = [s for s in SENTENCE_END.split(text.strip()) if s]
    pieces: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        while len(words) > max_words * 3 // 2:  # only break a sentence when it is really long
            pieces.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if pieces and pieces[-1] and len(pieces[-1].split()) + len(words) <= max_words and pieces[-1][-1] in ".!?":
            pieces[-1] += " " + " ".join(words)
        else:
            pieces.append(" ".join(words))
    return pieces or [text.strip()]


def _time_words(texts: list[str], t: int, rng: random.Random, noisy: bool) -> tuple[list[Word], int]:
    words = []
    for token in texts:
        letters = len(re.sub(r"\W", "", token)) or 1
        # ~0.385 s per average word (2.6 words/s): a base plus a per-letter share, jittered.
        dur = int((150 + 48 * min(letters, 12)) * rng.uniform(0.85, 1.15))
        lo = 0.62 if noisy else 0.86
        words.append(Word(token, t, t + dur, round(rng.uniform(lo, 1.0), 4)))
        t += dur + rng.randint(0, 40)
        if token[-1] in ".!?":
            t += rng.randint(150, 350)
        elif token[-1] in ",;:":
            t += rng.randint(60, 160)
    return words, t


def build_pieces(authored: dict[str, Any], labels: dict[str, str], max_words: int | None) -> list[Piece]:
    """Cut every turn into pieces, apply noise if asked, and give every word a time in milliseconds."""
    call_id = authored["call_id"]
    timing, noise_rng = _rng(call_id, "timing"), _rng(call_id, "noise")
    noisy = bool(authored.get("noise"))
    t = timing.randint(300, 2200)
    chat = authored.get("channel") == "chat"
    pieces: list[Piece] = []
    for i, turn in enumerate(authored["turns"]):
        role = turn["speaker"]
        if max_words:
            chunks = split_text(turn["text"], max_words)
        else:
            chunks = [turn["text"].strip()]
            sentences = SENTENCE_END.split(chunks[0])
            if chat and len(sentences) >= 2 and timing.random() < 0.3:  # people send a thought in two messages
                cut = timing.randint(1, len(sentences) - 1)
                chunks = [" ".join(sentences[:cut]), " ".join(sentences[cut:])]
        for j, chunk in enumerate(chunks):
            text = add_noise(chunk, noise_rng, first=j == 0) if noisy else chunk
            if j:
                t += timing.randint(350, 900) if not chat else timing.randint(2000, 9000)
            tokens = [w for w in text.split() if re.search(r"\w", w)] or text.split()
            words, t = _time_words(tokens, t, timing, noisy)
            pieces.append(Piece(i, role, labels[role], text, words))
        t += timing.randint(300, 1300) if not chat else timing.randint(6000, 45000)  # typing takes longer
    return pieces


# ---------------------------------------------------------------- speech-to-text noise

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 ("one hundred twenty nine"); years read as people say them."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if 1900 <= n < 2100 and not 2000 <= n < 2010:  # "twenty nineteen", "nineteen ninety"
        return number_words(n // 100) + " " + (number_words(n % 100) if n % 100 >= 10 else
                                              "hundred" if n % 100 == 0 else "oh " + _ONES[n % 100])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    return number_words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + number_words(n % 1000))


_NUMBER = re.compile(r"(?<![\w.])(\$)?(\d[\d,]*)(?:\.(\d+))?(%)?(?![\w])")


def spell_numbers(text: str, rng: random.Random | None = None, share: float = 1.0) -> str:
    """Replace numbers with words (all of them, or a random ``share``): "$39.99" -> "thirty nine ninety nine"."""

    def repl(m: re.Match[str]) -> str:
        dollar, whole, frac, pct = m.groups()
        spell = rng is None or rng.random() < share
        n = int(whole.replace(",", ""))
        if spell and n < 1_000_000:
            out = number_words(n)
            if frac:
                out += (" dollars and " + number_words(int(frac[:2].ljust(2, "0"))) + " cents") if dollar and len(frac) == 2 \
                    else " point " + " ".join(_ONES[int(d)] for d in frac)
            elif dollar:
                out += " dollars"
        else:
            out = whole.replace(",", "") + ("." + frac if frac else "") + (" dollars" if dollar else "")
        return out + (" percent" if pct else "")

    return _NUMBER.sub(repl, text)


def add_noise(text: str, rng: random.Random, first: bool = True) -> str:
    """Make clean text look like speech-to-text output: lowercase, no punctuation, fillers, spelled
    numbers and a few misheard words. Deterministic for a given generator state; never returns ""."""
    text = spell_numbers(text, rng, share=0.6)
    text = text.replace("&", " and ").replace("%", " percent").replace("@", " at ")
    text = re.sub(r"(?<=[A-Za-z])\.(?=[A-Za-z])", " dot ", text)  # e-mail addresses and web sites are read out
    text = re.sub(r"(?<=\w)[-/](?=\w)", " ", text.lower())
    tokens = [re.sub(r"^[^\w']+|[^\w'.]+$|(?<!\d)\.(?!\d)", "", w) for w in text.split()]
    tokens = [re.sub(r"\.$", "", w).strip("'") for w in tokens]
    out: list[str] = []
    if first and rng.random() < 0.15:
        out.append(rng.choice(FILLERS))
    for k, token in enumerate(tokens):
        if not token:
            continue
        if token in MISHEARD and rng.random() < 0.14:
            token = MISHEARD[token]
        out.append(token)
        if k < len(tokens) - 1 and rng.random() < 0.025:
            out.append(rng.choice(FILLERS))
    return " ".join(out) or "hmm"


# ---------------------------------------------------------------- helpers for writers

def _sec(ms: int) -> str:
    return f"{ms / 1000:.3f}"


def _clock(ms: int, sep: str = ".") -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def _iso_duration(ms: int) -> str:
    """Azure's ISO-8601 durations: "PT1M2.34S", "PT0.07S"."""
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s = f"{rem / 1000:.2f}".rstrip("0").rstrip(".")
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + f"{s}S"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _start_of_day(authored: dict[str, Any]) -> tuple[str, int]:
    """The call's date and a plausible local start time (seconds after midnight), fixed by the call id."""
    return authored.get("date") or "2026-01-05", _rng(authored["call_id"], "clock").randint(8 * 3600, 19 * 3600)


def _iso_at(authored: dict[str, Any], ms: int) -> str:
    date, day_seconds = _start_of_day(authored)
    total = day_seconds + ms // 1000
    return f"{date}T{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}Z"


def _joined(pieces: Iterable[Piece]) -> str:
    return " ".join(p.text for p in pieces)


def _dumps(obj: Any, pretty: bool = True) -> bytes:
    # Speech APIs return compact JSON (one long line); exports and console downloads are pretty-printed.
    return (json.dumps(obj, indent=2 if pretty else None, ensure_ascii=False) + "\n").encode("utf-8")


def _sentiment(text: str) -> str:
    # Vendor-style coarse sentiment so the field is present and varies; coach never trusts it.
    low = text.lower()
    neg = sum(w in low for w in ("ridiculous", "frustrat", "not happy", "unacceptable", "angry", "terrible", "upset",
                                 "annoy", "worse", "ridiculously", "awful", "stop"))
    pos = sum(w in low for w in ("thank", "great", "appreciate", "wonderful", "perfect", "glad", "love", "awesome"))
    return "MIXED" if neg and pos else "NEGATIVE" if neg else "POSITIVE" if pos else "NEUTRAL"


# ---------------------------------------------------------------- writers, one per format

def _write_text(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    stamps = a.get("timestamps", _rng(a["call_id"], "style").random() < 0.5)
    head = [f"Call ID: {a['call_id']}"]
    head += [f"{key}: {a[field_]}" for key, field_ in (("Agent", "agent_name"), ("Team", "team"), ("Date", "date"))
             if a.get(field_)]
    lines = []
    for p in pieces:
        prefix = f"[{_clock(p.start)[:8]}] " if stamps else ""
        lines.append(f"{prefix}{p.label}: {p.text}")
    return ("\n".join(head) + "\n\n" + "\n".join(lines) + "\n").encode("utf-8")


def _write_vtt(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    out = ["WEBVTT", ""]
    for n, p in enumerate(pieces, 1):
        out += [str(n), f"{_clock(p.start)} --> {_clock(p.end)}", f"<v {p.label}>{p.text}</v>", ""]
    return "\n".join(out).encode("utf-8")


def _write_srt(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    out = []
    for n, p in enumerate(pieces, 1):
        out += [str(n), f"{_clock(p.start, ',')} --> {_clock(p.end, ',')}", f"{p.label}: {p.text}", ""]
    return "\n".join(out).encode("utf-8")


def _write_table(a: dict[str, Any], pieces: list[Piece], delimiter: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if a.get("channel") == "chat":
        w.writerow(CHAT_CSV_COLUMNS)
        for p in pieces:
            w.writerow([a["call_id"], _iso_at(a, p.start), p.label, p.text])
        return buf.getvalue().encode("utf-8")
    style = a.get("csv_columns") or sorted(CSV_COLUMNS)[_rng(a["call_id"], "style").randrange(len(CSV_COLUMNS))]
    cols = CSV_COLUMNS[style]
    w.writerow(cols)
    for p in pieces:
        row = {"call_id": a["call_id"], "conversation_id": a["call_id"], "contact_id": a["call_id"],
               "speaker": p.label, "participant": p.label, "role": p.label, "start_time": _sec(p.start),
               "begin_offset": _sec(p.start), "start": _sec(p.start), "end_time": _sec(p.end), "end": _sec(p.end),
               "text": p.text, "utterance": p.text, "transcript": p.text, "agent_name": a.get("agent_name", ""),
               "date": a.get("date", "")}
        w.writerow([row[c] for c in cols])
    return buf.getvalue().encode("utf-8")


def _write_json_chat(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    chat = a.get("channel") == "chat"
    messages = []
    for p in pieces:
        m: dict[str, Any] = {"role": p.label, "content": p.text}
        if chat:
            m["timestamp"] = _iso_at(a, p.start)
        else:
            m["start"], m["end"] = round(p.start / 1000, 3), round(p.end / 1000, 3)
        messages.append(m)
    doc = {"call_id": a["call_id"], "channel": a.get("channel", "voice"), "agent": a.get("agent_name"),
           "team": a.get("team"), "date": a.get("date"), "messages": messages}
    return _dumps({k: v for k, v in doc.items() if v is not None})


def _write_transcribe(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """Amazon Transcribe batch output with speaker diarization (items, speaker_labels, audio_segments).
    Shape: https://docs.aws.amazon.com/transcribe/latest/dg/diarization-output-batch.html"""
    items, segments, audio_segments = [], [], []
    for p in pieces:
        ids = []
        for w in p.words:
            ids.append(len(items))
            items.append({"id": len(items), "type": "pronunciation",
                          "alternatives": [{"confidence": f"{w.confidence:.3f}", "content": w.content}],
                          "start_time": _sec(w.start), "end_time": _sec(w.end), "speaker_label": p.label})
            if w.punct:
                ids.append(len(items))
                items.append({"id": len(items), "type": "punctuation",
                              "alternatives": [{"confidence": "0.0", "content": w.punct}], "speaker_label": p.label})
        segments.append({"start_time": _sec(p.start), "speaker_label": p.label, "end_time": _sec(p.end),
                         "items": [{"start_time": _sec(w.start), "speaker_label": p.label, "end_time": _sec(w.end)}
                                   for w in p.words]})
        audio_segments.append({"id": len(audio_segments), "transcript": p.text, "start_time": _sec(p.start),
                               "end_time": _sec(p.end), "speaker_label": p.label, "items": ids})
    job = f"{a['call_id']}-{hashlib.sha256(a['call_id'].encode()).hexdigest()[:8]}"
    doc = {"jobName": job, "accountId": "111122223333", "status": "COMPLETED",
           "results": {"transcripts": [{"transcript": _joined(pieces)}],
                       "speaker_labels": {"channel_label": "ch_0", "speakers": len({p.label for p in pieces}),
                                          "segments": segments},
                       "items": items, "audio_segments": audio_segments}}
    return _dumps(doc, pretty=False)


def _write_transcribe_analytics(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """Transcribe Call Analytics output (ParticipantRole per turn). With more than one agent or an IVR the
    two fixed roles cannot tell speakers apart, so we write Contact Lens' shape instead: ParticipantId per
    turn, resolved through Participants. https://docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html"""
    rng = _rng(a["call_id"], "ids")
    roles = {p.role for p in pieces}
    contact_lens = not roles <= {"agent", "customer"}
    transcript = []
    for p in pieces:
        entry: dict[str, Any] = {
            "LoudnessScores": [round(rng.uniform(70, 92), 2) for _ in range(max(1, (p.end - p.start) // 1000))],
            "Content": p.text, "Id": _uuid(rng), "BeginOffsetMillis": p.start, "EndOffsetMillis": p.end,
            "Sentiment": _sentiment(p.text)}
        if contact_lens:
            entry["ParticipantId"] = p.label
        else:
            entry["ParticipantRole"] = CONTACT_LENS_ROLES[p.role]
            entry["Items"] = [{"Confidence": w.confidence, "Content": w.content, "BeginOffsetMillis": w.start,
                               "EndOffsetMillis": w.end, "Type": "pronunciation"} for w in p.words]
        transcript.append(entry)
    talk: dict[str, int] = {}
    for p in pieces:
        key = p.label if contact_lens else CONTACT_LENS_ROLES[p.role]
        talk[key] = talk.get(key, 0) + p.end - p.start
    seen: dict[str, str] = {}
    for p in pieces:
        seen.setdefault(p.label, p.role)
    participants = ([{"ParticipantId": label, "ParticipantRole": CONTACT_LENS_ROLES[role]} for label, role in seen.items()]
                    if contact_lens else [{"ParticipantRole": "AGENT"}, {"ParticipantRole": "CUSTOMER"}])
    doc: dict[str, Any] = {
        "JobStatus": "COMPLETED", "LanguageCode": "en-US", "AccountId": "111122223333", "Channel": "VOICE",
        "Participants": participants, "ContentMetadata": {"Output": "Raw"},
        "Version": "1.1.0" if contact_lens else "1.0.0",
        "Categories": {"MatchedCategories": [], "MatchedDetails": {}},
        "ConversationCharacteristics": {
            "TotalConversationDurationMillis": pieces[-1].end,
            "TalkTime": {"DetailsByParticipant": {k: {"TotalTimeMillis": v} for k, v in talk.items()},
                         "TotalTimeMillis": sum(talk.values())},
            "NonTalkTime": {"Instances": [], "TotalTimeMillis": pieces[-1].end - sum(talk.values())}},
        "Transcript": transcript}
    if not contact_lens:
        doc["JobName"] = f"{a['call_id']}-analytics"
    return _dumps(doc, pretty=False)


def _dg_word(w: Word, speaker: int) -> dict[str, Any]:
    return {"word": w.bare, "start": round(w.start / 1000, 3), "end": round(w.end / 1000, 3),
            "confidence": w.confidence, "speaker": speaker, "speaker_confidence": round(min(1.0, w.confidence + 0.03), 4),
            "punctuated_word": w.text}


def _write_deepgram(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """Deepgram pre-recorded response with diarize=true&utterances=true&punctuate=true."""
    rng = _rng(a["call_id"], "ids")
    model = _uuid(rng)
    all_words = [_dg_word(w, int(p.label)) for p in pieces for w in p.words]
    utterances = [{"start": round(p.start / 1000, 3), "end": round(p.end / 1000, 3),
                   "confidence": round(sum(w.confidence for w in p.words) / len(p.words), 4), "channel": 0,
                   "transcript": p.text, "words": [_dg_word(w, int(p.label)) for w in p.words],
                   "speaker": int(p.label), "id": _uuid(rng)} for p in pieces]
    doc = {"metadata": {"transaction_key": "deprecated", "request_id": _uuid(rng),
                        "sha256": hashlib.sha256(a["call_id"].encode()).hexdigest(),
                        "created": _iso_at(a, pieces[-1].end + 4000).replace("Z", ".000Z"),
                        "duration": round(pieces[-1].end / 1000 + 0.6, 3), "channels": 1, "models": [model],
                        "model_info": {model: {"name": "2-phonecall-nova", "version": "2024-01-09.29447",
                                               "arch": "nova-2"}}},
           "results": {"channels": [{"alternatives": [{"transcript": _joined(pieces),
                                                        "confidence": round(sum(w["confidence"] for w in all_words)
                                                                            / len(all_words), 4),
                                                        "words": all_words}]}],
                       "utterances": utterances}}
    return _dumps(doc, pretty=False)


def _write_assemblyai(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """AssemblyAI transcript (GET /v2/transcript/{id}) with speaker_labels=true: ms times, speakers "A"/"B"."""
    rng = _rng(a["call_id"], "ids")

    def words(p: Piece) -> list[dict[str, Any]]:
        return [{"text": w.text, "start": w.start, "end": w.end, "confidence": w.confidence, "speaker": p.label}
                for w in p.words]

    utterances = [{"confidence": round(sum(w.confidence for w in p.words) / len(p.words), 4), "end": p.end,
                   "speaker": p.label, "start": p.start, "text": p.text, "words": words(p)} for p in pieces]
    all_words = [w for u in utterances for w in u["words"]]
    doc = {"id": _uuid(rng), "language_model": "assemblyai_default", "acoustic_model": "assemblyai_default",
           "language_code": "en_us", "status": "completed",
           "audio_url": f"https://recordings.example.com/{a['call_id']}.wav", "text": _joined(pieces),
           "words": all_words, "utterances": utterances,
           "confidence": round(sum(w["confidence"] for w in all_words) / len(all_words), 4),
           "audio_duration": round(pieces[-1].end / 1000 + 0.5), "punctuate": True, "format_text": True,
           "speaker_labels": True, "speakers_expected": None, "webhook_url": None}
    return _dumps(doc, pretty=False)


def _write_ccai(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """Google Contact Center AI Insights Conversation resource (projects.locations.conversations)."""
    rng = _rng(a["call_id"], "ids")
    conv = f"projects/coach-samples/locations/us-central1/conversations/{rng.getrandbits(60)}"
    segments = []
    for p in pieces:
        segments.append({
            "text": p.text,
            "confidence": round(sum(w.confidence for w in p.words) / len(p.words), 4),
            "words": [{"startOffset": f"{w.start / 1000:.3f}s", "endOffset": f"{w.end / 1000:.3f}s",
                       "word": w.text, "confidence": w.confidence} for w in p.words],
            "languageCode": "en-US",
            "channelTag": 1 if p.role == "customer" else 2,
            "segmentParticipant": {"role": CCAI_ROLES[p.role], "userId": p.label},
            "messageTime": _iso_at(a, p.start),
        })
    doc = {"name": conv, "dataSource": {"gcsSource": {"audioUri": f"gs://coach-samples/audio/{a['call_id']}.wav"}},
           "createTime": _iso_at(a, pieces[-1].end + 60_000), "updateTime": _iso_at(a, pieces[-1].end + 61_000),
           "startTime": _iso_at(a, 0), "languageCode": "en-US", "agentId": a.get("agent_name", "agent"),
           "labels": {"team": a.get("team", "")}, "medium": "PHONE_CALL",
           "callMetadata": {"customerChannel": 1, "agentChannel": 2},
           "duration": f"{pieces[-1].end / 1000:.3f}s", "turnCount": len({p.turn for p in pieces}),
           "transcript": {"transcriptSegments": segments}}
    return _dumps(doc)


def _write_azure(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """Azure AI Speech batch transcription result with diarization (speaker 1, 2, ...; 100-ns ticks)."""
    phrases = []
    for p in pieces:
        lexical = " ".join(_bare(t) for t in spell_numbers(p.text).split() if re.search(r"\w", t))
        phrases.append({
            "recognitionStatus": "Success", "channel": 0, "speaker": int(p.label),
            "offset": _iso_duration(p.start), "duration": _iso_duration(p.end - p.start),
            "offsetInTicks": float(p.start * 10_000), "durationInTicks": float((p.end - p.start) * 10_000),
            "nBest": [{"confidence": round(sum(w.confidence for w in p.words) / len(p.words), 7), "lexical": lexical,
                       "itn": " ".join(w.bare for w in p.words), "maskedITN": " ".join(w.bare for w in p.words),
                       "display": p.text}]})
    total = pieces[-1].end + 800
    doc = {"source": f"https://recordings.example.com/{a['call_id']}.wav", "timestamp": _iso_at(a, total + 30_000),
           "durationInTicks": total * 10_000, "duration": _iso_duration(total),
           "combinedRecognizedPhrases": [{"channel": 0, "lexical": " ".join(ph["nBest"][0]["lexical"] for ph in phrases),
                                          "itn": " ".join(ph["nBest"][0]["itn"] for ph in phrases),
                                          "maskedITN": " ".join(ph["nBest"][0]["maskedITN"] for ph in phrases),
                                          "display": _joined(pieces)}],
           "recognizedPhrases": phrases}
    return _dumps(doc)


def _write_whisperx(a: dict[str, Any], pieces: list[Piece]) -> bytes:
    """whisperX after assign_word_speakers: segments with speaker, words with score and speaker."""
    def words(p: Piece) -> list[dict[str, Any]]:
        return [{"word": w.text, "start": round(w.start / 1000, 3), "end": round(w.end / 1000, 3),
                 "score": round(w.confidence, 3), "speaker": p.label} for w in p.words]

    segments = [{"start": round(p.start / 1000, 3), "end": round(p.end / 1000, 3), "text": " " + p.text,
                 "words": words(p), "speaker": p.label} for p in pieces]
    doc = {"segments": segments, "word_segments": [w for s in segments for w in s["words"]], "language": "en"}
    return _dumps(doc, pretty=False)


WRITERS: dict[str, Callable[[dict[str, Any], list[Piece]], bytes]] = {
    "text": _write_text, "vtt": _write_vtt, "srt": _write_srt,
    "csv": lambda a, p: _write_table(a, p, ","), "tsv": lambda a, p: _write_table(a, p, "\t"),
    "json": _write_json_chat, "transcribe": _write_transcribe, "transcribe-analytics": _write_transcribe_analytics,
    "deepgram": _write_deepgram, "assemblyai": _write_assemblyai, "ccai": _write_ccai, "azure": _write_azure,
    "whisperx": _write_whisperx,
}


# ---------------------------------------------------------------- validation

def _label_problems(turn_no: int, role: str, labels: Any) -> list[str]:
    where = f"$.turns[{turn_no}].labels"
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        return [f"{where}: expected a list of strings"]
    problems = []
    for label in labels:
        kind, _, arg = label.partition(":")
        if label in AGENT_LABELS or kind == "tactic":
            if kind == "tactic" and arg not in TACTIC_IDS:
                problems.append(f"{where}: unknown tactic {label!r} (known: {', '.join(TACTIC_IDS)})")
            elif role not in ("agent", "agent2") and not (role == "system" and label == "courtesy_thanks"):
                problems.append(f"{where}: {label!r} is an agent behaviour but turn {turn_no} is by {role!r}")
        elif label in CUSTOMER_LABELS or kind == "reason_stated":
            if kind == "reason_stated" and arg not in REASON_CATEGORIES:
                problems.append(f"{where}: unknown reason category {label!r} (known: {', '.join(REASON_CATEGORIES)})")
            elif role != "customer":
                problems.append(f"{where}: {label!r} is a customer behaviour but turn {turn_no} is by {role!r}")
        else:
            problems.append(f"{where}: unknown label {label!r} (known: {', '.join(AGENT_LABELS + CUSTOMER_LABELS)}, "
                            "reason_stated:<category>, tactic:<id>)")
    return problems


def structure_problems(authored: Any) -> list[str]:
    """Everything that makes an authored call impossible to render, as "$.path: what is wrong" strings."""
    if not isinstance(authored, dict):
        return ["$: expected a JSON object with call_id, format, turns, ..."]
    problems = []
    for key in ("call_id", "industry", "quality", "format", "turns", "expected"):
        if key not in authored:
            problems.append(f"$: missing required key {key!r}")
    call_id = authored.get("call_id")
    if "call_id" in authored and (not isinstance(call_id, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", call_id)):
        problems.append("$.call_id: expected letters, digits, '_', '-' or '.' (it becomes the file name)")
    for key, allowed in (("format", FORMATS), ("quality", QUALITIES), ("channel", CHANNELS)):
        if key in authored and authored[key] not in allowed:
            problems.append(f"$.{key}: {authored[key]!r} is not one of {', '.join(allowed)}")
    if "csv_columns" in authored and authored["csv_columns"] not in CSV_COLUMNS:
        problems.append(f"$.csv_columns: {authored['csv_columns']!r} is not one of {', '.join(CSV_COLUMNS)}")
    turns = authored.get("turns")
    if "turns" in authored and (not isinstance(turns, list) or not turns):
        problems.append("$.turns: expected a non-empty list of {speaker, text, labels}")
        turns = []
    for i, turn in enumerate(turns or []):
        if not isinstance(turn, dict):
            problems.append(f"$.turns[{i}]: expected an object with speaker, text, labels")
            continue
        role = turn.get("speaker")
        if role not in ROLE_KEYS:
            problems.append(f"$.turns[{i}].speaker: {role!r} is not one of {', '.join(ROLE_KEYS)}")
        if not isinstance(turn.get("text"), str) or not re.search(r"\w", turn.get("text", "")):
            problems.append(f"$.turns[{i}].text: expected non-empty text")
        if i and isinstance(turns[i - 1], dict) and turns[i - 1].get("speaker") == role:
            problems.append(f"$.turns[{i}]: same speaker {role!r} as turn {i - 1}; merge the two turns into one")
        problems += _label_problems(i, role, turn.get("labels", []))
    labels = authored.get("speaker_labels", {})
    if not isinstance(labels, dict) or any(k not in ROLE_KEYS or not isinstance(v, (str, int)) for k, v in labels.items()):
        problems.append(f"$.speaker_labels: expected an object mapping {', '.join(ROLE_KEYS)} to labels")
    elif not problems:
        problems += _speaker_label_problems(authored)
    return problems


def _speaker_label_problems(authored: dict[str, Any]) -> list[str]:
    resolved = speaker_labels(authored)
    fmt = authored["format"]
    problems = []
    if len(set(resolved.values())) != len(resolved):
        problems.append(f"$.speaker_labels: two roles share a label ({resolved}); every speaker needs its own label")
    if fmt in ("deepgram", "azure") and not all(v.isdigit() for v in resolved.values()):
        problems.append(f"$.speaker_labels: {fmt} speakers are numbers, got {resolved}")
    if any(re.search(r"[:\n<>]", v) for v in resolved.values()) and fmt in ("text", "vtt", "srt"):
        problems.append("$.speaker_labels: a text label cannot contain ':', '<', '>' or a newline")
    return problems


def speaker_labels(authored: dict[str, Any]) -> dict[str, str]:
    """Role key -> the label that appears in the file, for the roles this call uses.

    Explicit ``speaker_labels`` win. Otherwise text-like formats use role words (Agent/Customer), and
    diarizing vendors number speakers in order of first appearance, as their engines do.
    """
    fmt = authored["format"]
    given = {k: str(v) for k, v in (authored.get("speaker_labels") or {}).items()}
    roles = list(dict.fromkeys(t["speaker"] for t in authored["turns"]))
    family = LABEL_FAMILY.get(fmt, fmt)
    defaults = DEFAULT_LABELS[family]
    if family in ("transcribe", "deepgram", "assemblyai", "azure", "whisperx"):
        pool = [v for v in sorted(defaults.values(), key=lambda v: (len(v), v)) if v not in given.values()]
        return {role: given[role] if role in given else pool.pop(0) for role in roles}
    return {role: given.get(role, defaults[role]) for role in roles}


def _verdict(present: bool) -> str:
    return "met" if present else "missed"


def derive_expected(authored: dict[str, Any]) -> dict[str, Any]:
    """What the turn labels imply for the call-level ``expected`` block (flags, tactics, criteria).

    ``reason_category`` is the first stated reason's category; ``help_with_exit`` is derived as met/missed
    (an author may say n/a instead when there is genuinely nothing to hand over).
    """
    labels = [set(t.get("labels", [])) for t in authored["turns"]]
    every = set().union(*labels)
    tactics = sorted({x.split(":", 1)[1] for x in every if x.startswith("tactic:")})
    reasons = [x.split(":", 1)[1] for turn in labels for x in sorted(turn) if x.startswith("reason_stated:")]
    flags = {"missing_gratitude": "gratitude" not in every, "reason_not_asked": "reason_question" not in every,
             "why_leaving_unanswered": not reasons, "reason_ignored": bool(reasons) and "reason_ack" not in every,
             "pressure": bool(tactics)}
    criteria = {c: _verdict(CRITERION_LABEL[c] in every) if c in CRITERION_LABEL else "" for c in CRITERIA}
    criteria["acknowledge_reason"] = "n/a" if not reasons else _verdict("reason_ack" in every)
    criteria["no_pressure"] = _verdict(not tactics)
    return {"flags": flags, "pressure_tactics": tactics, "reason_category": reasons[0] if reasons else None,
            "criteria": criteria}


def _repeated_offer_problems(authored: dict[str, Any]) -> list[str]:
    # Policy: one polite save offer is fine; each further offer after the customer's clear no is pressure.
    problems: list[str] = []
    first_offer: int | None = None
    refused_at: int | None = None
    for i, turn in enumerate(authored["turns"]):
        labels = set(turn.get("labels", []))
        is_repeat = "tactic:repeated_save_attempts" in labels
        if is_repeat and "offer" not in labels:
            problems.append(f"$.turns[{i}].labels: tactic:repeated_save_attempts goes on an 'offer' turn")
        if "offer" in labels:
            due = first_offer is not None and refused_at is not None
            if due and not is_repeat:
                problems.append(f"$.turns[{i}].labels: offer after the customer's clear no (turn {refused_at}) "
                                "needs tactic:repeated_save_attempts")
            elif is_repeat and not due:
                problems.append(f"$.turns[{i}].labels: tactic:repeated_save_attempts but no earlier offer was refused")
            first_offer = i if first_offer is None else first_offer
        if "refusal" in labels and first_offer is not None and refused_at is None:
            refused_at = i
    return problems


def check_authored(authored: dict[str, Any]) -> list[str]:
    """All problems in an authored call: structure first, then whether ``expected`` follows from the labels."""
    problems = structure_problems(authored)
    if problems:
        return problems
    want, got = derive_expected(authored), authored["expected"]
    if not isinstance(got, dict):
        return ["$.expected: expected an object with flags, pressure_tactics, reason_category, criteria"]
    for name in FLAGS:
        if (got.get("flags") or {}).get(name) != want["flags"][name]:
            problems.append(f"$.expected.flags.{name}: is {(got.get('flags') or {}).get(name)!r}, the turn labels "
                            f"say {want['flags'][name]!r}")
    if got.get("pressure_tactics") != want["pressure_tactics"]:
        problems.append(f"$.expected.pressure_tactics: is {got.get('pressure_tactics')!r}, the turn labels say "
                        f"{want['pressure_tactics']!r} (sorted, unique)")
    stated = {x.split(":", 1)[1] for t in authored["turns"] for x in t.get("labels", []) if x.startswith("reason_stated:")}
    if (got.get("reason_category") is None) != (not stated) or (stated and got.get("reason_category") not in stated):
        problems.append(f"$.expected.reason_category: is {got.get('reason_category')!r}, the stated reasons are "
                        f"{sorted(stated) or 'none (use null)'}")
    crit = got.get("criteria") or {}
    for name in CRITERIA:
        ok = crit.get(name) == want["criteria"][name] or (name == "help_with_exit" and crit.get(name) == "n/a")
        if not ok:
            problems.append(f"$.expected.criteria.{name}: is {crit.get(name)!r}, the turn labels say "
                            f"{want['criteria'][name]!r}")
    return problems + _repeated_offer_problems(authored)


# ---------------------------------------------------------------- public API

def render_call(authored: dict[str, Any]) -> tuple[str, bytes]:
    """Render one authored call to ``(file name, file bytes)`` in its ``format``.

    Raises :class:`coach.errors.LabelError` listing every structural problem (unknown format, two turns in a
    row by one speaker, a label on the wrong speaker...). Consistency of ``expected`` is not checked here:
    see :func:`check_authored`.

    >>> name, data = render_call({"call_id": "c1", "industry": "gym", "quality": "graceful", "format": "srt",
    ...     "expected": {}, "turns": [{"speaker": "agent", "text": "Hi."}, {"speaker": "customer", "text": "Bye."}]})
    >>> name
    'c1.srt'
    """
    problems = structure_problems(authored)
    if problems:
        name = authored.get("call_id", "<call>") if isinstance(authored, dict) else "<call>"
        raise LabelError(str(name), None, "; ".join(problems))
    fmt = authored["format"]
    pieces = build_pieces(authored, speaker_labels(authored), MAX_PIECE_WORDS.get(fmt))
    return f"{authored['call_id']}.{EXTENSIONS.get(fmt, 'json')}", WRITERS[fmt](authored, pieces)


def labels_record(authored: dict[str, Any], file_name: str) -> dict[str, Any]:
    """The labels.jsonl line for one rendered call (turn_labels aligned with the authored turns)."""
    return {"call_id": authored["call_id"], "file": file_name, "quality": authored["quality"],
            "industry": authored["industry"], "format": authored["format"], "noise": bool(authored.get("noise")),
            "channel": authored.get("channel", "voice"),
            "turn_labels": [list(t.get("labels", [])) for t in authored["turns"]], "expected": authored["expected"]}


def load_authored(path: str | Path) -> dict[str, Any]:
    """Read one authored call; a file that is not JSON raises LabelError with the line number."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise LabelError(str(path), e.lineno, f"not valid JSON: {e.msg} (column {e.colno})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise LabelError(str(path), None, f"cannot read authored call: {e}") from None


@dataclass
class RenderResult:
    written: list[str] = field(default_factory=list)  # file names written into out_dir
    failures: list[LabelError] = field(default_factory=list)  # one per source that was not rendered


def render_dir(src_dir: str | Path, out_dir: str | Path, labels_path: str | Path | None = None,
               check: bool = True) -> RenderResult:
    """Render every ``*.json`` in ``src_dir`` into ``out_dir``; keep going past bad sources.

    With ``check`` (the default) a source whose ``expected`` block disagrees with its turn labels is not
    rendered but reported. ``labels_path`` gets one JSON line per rendered call, in source-name order.
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise LabelError(str(src), None, "no such directory of authored calls")
    out.mkdir(parents=True, exist_ok=True)
    result, records = RenderResult(), []
    for path in sorted(src.glob("*.json")):
        try:
            authored = load_authored(path)
            problems = check_authored(authored) if check else structure_problems(authored)
            if problems:
                raise LabelError(str(path), None, "; ".join(problems))
            if path.stem != authored["call_id"]:
                raise LabelError(str(path), None, f"$.call_id: {authored['call_id']!r} differs from the file name "
                                                  f"{path.stem!r}; make them the same")
            name, data = render_call(authored)
        except LabelError as e:
            result.failures.append(e)
            continue
        (out / name).write_bytes(data)
        result.written.append(name)
        # Labels name their transcript relative to the labels file, so they can live apart from it.
        relative = os.path.relpath(out / name, Path(labels_path).parent) if labels_path is not None else name
        records.append(labels_record(authored, Path(relative).as_posix()))
    if labels_path is not None:
        lines = "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in records)
        Path(labels_path).write_text(lines, encoding="utf-8")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.split("\n\n")[0])
    parser.add_argument("src_dir", help="folder of authored call JSON files")
    parser.add_argument("out_dir", help="folder to write rendered transcripts into")
    parser.add_argument("--labels", help="write labels JSONL here (e.g. OUT_DIR/labels.jsonl)")
    parser.add_argument("--no-check", action="store_true",
                        help="render even when a call's expected block disagrees with its turn labels")
    args = parser.parse_args(argv)
    try:
        result = render_dir(args.src_dir, args.out_dir, args.labels, check=not args.no_check)
    except LabelError as e:
        sys.stderr.write(f"error: {e}\n")
        return 1
    for failure in result.failures:
        sys.stderr.write(f"error: {failure}\n")
    sys.stderr.write(f"rendered {len(result.written)} call(s) into {args.out_dir}"
                     + (f", {len(result.failures)} failed\n" if result.failures else "\n"))
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
