"""tools/render.py: authored calls -> vendor transcript files, deterministically.

Reading rendered files back with coach's readers is tested in the readers' tests; here each format is
checked with a few lines of format-specific parsing that only recover the speaker sequence and text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from coach.errors import LabelError

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tools/ is a dev folder, not part of the installed package
    sys.path.insert(0, str(ROOT))

from tools.render import (  # noqa: E402
    FORMATS,
    add_noise,
    check_authored,
    derive_expected,
    number_words,
    render_call,
    render_dir,
    speaker_labels,
    split_text,
)

SAMPLES = ROOT / "transcripts_sample"
SAMPLE_SOURCES = sorted((ROOT / "data" / "samples" / "src").glob("*.json"))


def make_authored(fmt: str = "text", noise: bool = False, call_id: str = "t_001", **extra) -> dict:
    turns = [
        ("system", "Thank you for calling Northwind Fitness. This call may be recorded.", ["courtesy_thanks"]),
        ("customer", "Hi, I'd like to cancel my membership, please. I'm moving to Denver on the 3rd.",
         ["cancel_request", "reason_stated:moving"]),
        ("agent", "I can help with that, Dana. Congratulations on the move! Before I do, we have 40 clubs in Colorado "
                  "and you could transfer your $39.99 rate there instead, locked since 2019, with no transfer fee at all "
                  "and no change to your billing date. Would that work for you?",
         ["reason_ack", "offer", "personalize"]),
        ("customer", "No thanks, I'd rather just cancel.", ["refusal"]),
        ("agent", "Understood. Let me bring in my colleague from memberships to finish this.", []),
        ("agent2", "Hi Dana, it's Sam. I've cancelled the membership effective today and emailed you the confirmation. "
                   "Thank you for six great years with us, and good luck in Denver!",
         ["confirm_cancellation", "follow_up", "gratitude", "personalize", "warm_farewell"]),
    ]
    authored = {"call_id": call_id, "industry": "gym", "quality": "graceful", "channel": "voice", "format": fmt,
                "noise": noise, "agent_name": "Sam", "team": "Retention East", "date": "2026-03-14",
                "turns": [{"speaker": s, "text": t, "labels": labels} for s, t, labels in turns]}
    # The separator turn 4 is by "agent" after a customer turn, then agent2: no two in a row by one role.
    authored.update(extra)
    authored["expected"] = derive_expected(authored)
    return authored


# ------------------------------------------------------------- minimal per-format speaker/text extraction

def pieces_of(fmt: str, data: bytes) -> list[tuple[str, str]]:
    """(speaker label, text) per piece, in file order."""
    text = data.decode("utf-8")
    if fmt == "text":
        body = text.split("\n\n", 1)[1]
        return [tuple(re.sub(r"^\[\d\d:\d\d:\d\d\] ", "", line).split(": ", 1)) for line in body.splitlines()]
    if fmt == "vtt":
        return [tuple(m) for m in re.findall(r"^<v ([^>]+)>(.*)</v>$", text, re.M)]
    if fmt == "srt":
        return [tuple(block.split("\n")[2].split(": ", 1)) for block in text.strip().split("\n\n")]
    if fmt in ("csv", "tsv"):
        rows = list(csv.DictReader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
        spk = next(c for c in ("speaker", "participant", "role") if c in rows[0])
        txt = next(c for c in ("text", "utterance", "transcript") if c in rows[0])
        return [(r[spk], r[txt]) for r in rows]
    doc = json.loads(text)
    if fmt == "json":
        return [(m["role"], m["content"]) for m in doc["messages"]]
    if fmt == "transcribe":
        return [(s["speaker_label"], s["transcript"]) for s in doc["results"]["audio_segments"]]
    if fmt == "transcribe-analytics":
        return [(t.get("ParticipantRole") or t["ParticipantId"], t["Content"]) for t in doc["Transcript"]]
    if fmt == "deepgram":
        return [(str(u["speaker"]), u["transcript"]) for u in doc["results"]["utterances"]]
    if fmt == "assemblyai":
        return [(u["speaker"], u["text"]) for u in doc["utterances"]]
    if fmt == "ccai":
        return [(s["segmentParticipant"]["userId"], s["text"]) for s in doc["transcript"]["transcriptSegments"]]
    if fmt == "azure":
        return [(str(p["speaker"]), p["nBest"][0]["display"]) for p in doc["recognizedPhrases"]]
    if fmt == "whisperx":
        return [(s["speaker"], s["text"].strip()) for s in doc["segments"]]
    raise AssertionError(fmt)


def merged_turns(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    turns: list[tuple[str, str]] = []
    for speaker, text in pieces:
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, turns[-1][1] + " " + text)
        else:
            turns.append((speaker, text))
    return turns


# ------------------------------------------------------------- tests

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("noise", [False, True])
def test_render_is_byte_identical_on_every_run(fmt, noise):
    authored = make_authored(fmt, noise)
    assert render_call(authored) == render_call(json.loads(json.dumps(authored)))


def test_render_is_identical_across_processes_with_different_hash_seeds(tmp_path):
    # str hashes are salted per process; rendering must not depend on them.
    src = tmp_path / "src"
    src.mkdir()
    for fmt in FORMATS:
        cid = f"p_{fmt.replace('-', '_')}"
        (src / f"{cid}.json").write_text(json.dumps(make_authored(fmt, noise=True, call_id=cid)), encoding="utf-8")
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        subprocess.run([sys.executable, "-m", "tools.render", str(src), str(out)], cwd=ROOT, check=True,
                       env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, capture_output=True)
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1] and len(outputs[0]) == len(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_keeps_one_turn_per_authored_turn_with_its_text(fmt):
    authored = make_authored(fmt)
    name, data = render_call(authored)
    labels = speaker_labels(authored)
    turns = merged_turns(pieces_of(fmt, data))
    assert [s for s, _ in turns] == [labels[t["speaker"]] for t in authored["turns"]]
    assert [" ".join(t.split()) for _, t in turns] == [t["text"] for t in authored["turns"]]
    assert name == f"t_001.{ {'text': 'txt', 'vtt': 'vtt', 'srt': 'srt', 'csv': 'csv', 'tsv': 'tsv'}.get(fmt, 'json')}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_noisy_render_keeps_turn_alignment(fmt):
    authored = make_authored(fmt, noise=True)
    turns = merged_turns(pieces_of(fmt, render_call(authored)[1]))
    assert len(turns) == len(authored["turns"])


@pytest.mark.parametrize("fmt", ["vtt", "srt", "transcribe", "whisperx"])
def test_long_turns_are_split_into_several_pieces_by_the_same_speaker(fmt):
    pieces = pieces_of(fmt, render_call(make_authored(fmt))[1])
    assert len(pieces) > len(make_authored(fmt)["turns"])


@pytest.mark.parametrize("fmt", ["text", "srt", "deepgram", "azure"])
def test_noise_is_applied_only_when_asked(fmt):
    clean = dict(merged_turns(pieces_of(fmt, render_call(make_authored(fmt))[1]))[1:2])
    noisy_turns = merged_turns(pieces_of(fmt, render_call(make_authored(fmt, noise=True))[1]))
    assert list(clean.values()) == ["Hi, I'd like to cancel my membership, please. I'm moving to Denver on the 3rd."]
    noisy = " ".join(t for _, t in noisy_turns)
    assert noisy == noisy.lower() and not re.search(r"[,?!;:]|\.(?!\d)", noisy)


def test_noise_lowercases_strips_punctuation_and_spells_some_numbers():
    import random

    outputs = {add_noise("I've paid $40 a month since 2019, right?", random.Random(seed)) for seed in range(40)}
    assert all(o == o.lower() and "," not in o and "?" not in o and "$" not in o for o in outputs)
    assert any("forty dollars" in o for o in outputs) and any("40 dollars" in o for o in outputs)
    assert any(re.search(r"\b(um|uh|like|you know)\b", o) for o in outputs)


def test_noise_depends_on_call_id():
    a = render_call(make_authored("text", noise=True, call_id="n_1", timestamps=False))[1].split(b"\n\n", 1)[1]
    b = render_call(make_authored("text", noise=True, call_id="n_2", timestamps=False))[1].split(b"\n\n", 1)[1]
    assert a != b


def test_times_follow_word_counts_at_about_two_point_six_words_a_second():
    doc = json.loads(render_call(make_authored("whisperx"))[1])
    words = [w for s in doc["segments"] for w in s["words"]]
    spoken = sum(w["end"] - w["start"] for w in words)
    assert 2.2 <= len(words) / spoken <= 3.0
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)


def test_transcribe_output_has_string_times_punctuation_items_and_audio_segments():
    results = json.loads(render_call(make_authored("transcribe"))[1])["results"]
    item = results["items"][0]
    assert isinstance(item["start_time"], str) and item["alternatives"][0]["content"] == "Thank"
    assert any(i["type"] == "punctuation" for i in results["items"])
    assert {s["speaker_label"] for s in results["speaker_labels"]["segments"]} == {"spk_0", "spk_1", "spk_2", "spk_3"}
    seg = results["audio_segments"][0]
    assert [results["items"][i]["id"] for i in seg["items"]] == seg["items"]


def test_diarized_speakers_are_numbered_in_order_of_first_appearance():
    authored = make_authored("transcribe")
    assert speaker_labels(authored) == {"system": "spk_0", "customer": "spk_1", "agent": "spk_2", "agent2": "spk_3"}
    authored["speaker_labels"] = {"agent": "spk_0", "customer": "spk_1"}
    assert speaker_labels(authored)["system"] == "spk_2"


def test_call_analytics_uses_participant_role_for_two_party_calls():
    authored = make_authored("transcribe-analytics")
    authored["turns"] = authored["turns"][1:4]
    authored["expected"] = derive_expected(authored)
    doc = json.loads(render_call(authored)[1])
    assert {t["ParticipantRole"] for t in doc["Transcript"]} == {"AGENT", "CUSTOMER"}
    assert all(isinstance(t["BeginOffsetMillis"], int) for t in doc["Transcript"])


def test_call_analytics_with_ivr_and_transfer_uses_contact_lens_participant_ids():
    doc = json.loads(render_call(make_authored("transcribe-analytics"))[1])
    roles = {p["ParticipantId"]: p["ParticipantRole"] for p in doc["Participants"]}
    assert roles == {"SYSTEM": "SYSTEM", "CUSTOMER": "CUSTOMER", "AGENT": "AGENT", "AGENT_2": "AGENT"}
    assert all(t["ParticipantId"] in roles for t in doc["Transcript"])


def test_text_format_writes_timestamps_only_when_asked():
    with_stamps = render_call(make_authored("text", timestamps=True))[1].decode()
    without = render_call(make_authored("text", timestamps=False))[1].decode()
    assert re.search(r"^\[00:00:\d\d\] IVR: Thank you", with_stamps, re.M)
    assert "\nIVR: Thank you" in without and "[00:" not in without


@pytest.mark.parametrize("style,header", [("standard", "call_id,speaker,start_time,end_time,text"),
                                          ("conversation", "conversation_id,participant,begin_offset,utterance"),
                                          ("contact", "contact_id,role,start,end,transcript,agent_name,date")])
def test_csv_header_variant_can_be_chosen(style, header):
    assert render_call(make_authored("csv", csv_columns=style))[1].decode().splitlines()[0] == header


@pytest.mark.parametrize("n,words", [(0, "zero"), (13, "thirteen"), (40, "forty"), (129, "one hundred twenty nine"),
                                     (2019, "twenty nineteen"), (2005, "two thousand five"), (1907, "nineteen oh seven"),
                                     (1200, "one thousand two hundred")])
def test_number_words(n, words):
    assert number_words(n) == words


def test_split_text_keeps_whole_sentences_under_the_limit():
    assert split_text("One two three. Four five. Six seven eight nine ten.", 5) == [
        "One two three. Four five.", "Six seven eight nine ten."]


def test_render_call_rejects_two_turns_in_a_row_by_one_speaker():
    authored = make_authored()
    authored["turns"][2]["speaker"] = "customer"
    with pytest.raises(LabelError) as err:
        render_call(authored)
    assert "$.turns[2]: same speaker 'customer' as turn 1; merge the two turns into one" in str(err.value)
    assert str(err.value).startswith("t_001: ")


def test_render_call_rejects_unknown_format_and_label_on_the_wrong_speaker():
    authored = make_authored(fmt="mp3")
    authored["turns"][1]["labels"].append("gratitude")
    with pytest.raises(LabelError) as err:
        render_call(authored)
    assert "$.format: 'mp3' is not one of text, vtt" in str(err.value)
    assert "$.turns[1].labels: 'gratitude' is an agent behaviour but turn 1 is by 'customer'" in str(err.value)


def test_check_authored_reports_expected_that_disagrees_with_labels():
    authored = make_authored()
    authored["expected"]["flags"]["missing_gratitude"] = True
    authored["expected"]["criteria"]["gratitude"] = "missed"
    assert check_authored(authored) == [
        "$.expected.flags.missing_gratitude: is True, the turn labels say False",
        "$.expected.criteria.gratitude: is 'missed', the turn labels say 'met'"]


def test_second_offer_after_a_clear_no_must_be_marked_repeated_save_attempt():
    authored = make_authored()
    authored["turns"][4]["labels"] = ["offer"]
    authored["expected"] = derive_expected(authored)
    assert check_authored(authored) == [
        "$.turns[4].labels: offer after the customer's clear no (turn 3) needs tactic:repeated_save_attempts"]
    authored["turns"][4]["labels"] = ["offer", "tactic:repeated_save_attempts"]
    authored["expected"] = derive_expected(authored)
    assert check_authored(authored) == [] and authored["expected"]["pressure_tactics"] == ["repeated_save_attempts"]


def test_render_dir_writes_labels_aligned_with_turns_and_skips_bad_sources(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    good = make_authored("vtt", call_id="good_1")
    bad = make_authored("srt", call_id="bad_1")
    bad["expected"]["pressure_tactics"] = ["arguing"]
    for a in (good, bad):
        (src / f"{a['call_id']}.json").write_text(json.dumps(a), encoding="utf-8")
    result = render_dir(src, out, out / "labels.jsonl")
    assert result.written == ["good_1.vtt"]
    assert [str(e) for e in result.failures] == [
        f"{src / 'bad_1.json'}: $.expected.pressure_tactics: is ['arguing'], the turn labels say [] (sorted, unique)"]
    records = [json.loads(line) for line in (out / "labels.jsonl").read_text().splitlines()]
    assert records[0]["file"] == "good_1.vtt" and records[0]["expected"] == good["expected"]
    assert records[0]["turn_labels"] == [t["labels"] for t in good["turns"]]
    assert set(records[0]) == {"call_id", "file", "quality", "industry", "format", "noise", "channel", "turn_labels",
                               "expected"}


# ------------------------------------------------------------- the bundled samples

@pytest.mark.parametrize("path", SAMPLE_SOURCES, ids=lambda p: p.stem)
def test_sample_source_labels_agree_with_expected(path):
    assert check_authored(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", SAMPLE_SOURCES, ids=lambda p: p.stem)
def test_rendered_sample_is_up_to_date_with_its_source(path):
    name, data = render_call(json.loads(path.read_text(encoding="utf-8")))
    assert (SAMPLES / name).read_bytes() == data, f"re-render: python -m tools.render data/samples/src {SAMPLES} --labels data/samples/labels.jsonl"


def test_sample_set_covers_the_brief():
    calls = [json.loads(p.read_text(encoding="utf-8")) for p in SAMPLE_SOURCES]
    assert len(calls) == 14
    assert sorted(c["quality"] for c in calls).count("graceful") == 5
    assert [c["quality"] for c in calls].count("mixed") == 4 and [c["quality"] for c in calls].count("poor") == 5
    assert len({c["format"] for c in calls}) >= 7 and len({c["industry"] for c in calls}) == 14
    assert sum(bool(c.get("noise")) for c in calls) == 2
    assert [c["format"] for c in calls if c.get("channel") == "chat"] == ["json"]
    assert all(20 <= len(c["turns"]) <= 60 for c in calls)
    assert any(c["format"] == "text" and c["turns"][0]["speaker"] == "system" and c["turns"][1]["speaker"] == "customer"
               for c in calls)
