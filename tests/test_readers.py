"""Readers: every format against real-shaped fixtures in tests/fixtures/<format>/, broken inputs pinned by exact text."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import coach.readers as readers
from coach.errors import TranscriptError
from coach.model import Call, Role
from coach.readers import FORMATS, call_from_dict, call_to_dict, detect_format, expand_paths, read_calls

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
# Only the folders named after a reader format: tests/fixtures/ also holds other modules' fixtures.
READER_FOLDERS = {p.parent for p in FIXTURES.glob("*/*") if p.parent.name in FORMATS}
GOOD = sorted(p for p in FIXTURES.glob("*/*") if p.parent in READER_FOLDERS and not p.name.startswith("bad_"))
BAD = sorted(p for p in FIXTURES.glob("*/bad_*") if p.parent in READER_FOLDERS)
NORMALIZED = {"json/coach_call.json", "jsonl/coach_calls.jsonl"}


def rel(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def read_text(text: str, name: str = "call.txt", **kw) -> Call:
    calls = read_calls(name, data=text.encode("utf-8"), **kw)
    assert len(calls) == 1
    return calls[0]


def turns(call: Call) -> list[tuple[str, str]]:
    return [(t.speaker, t.text) for t in call.turns]


# ---------------------------------------------------------------------------------------------------------
# Every fixture


def test_every_good_fixture_has_expectations_and_every_format_has_fixtures():
    assert sorted(rel(p) for p in GOOD) == sorted(EXPECTED)
    assert {rel(p).split("/")[0] for p in GOOD} == set(FORMATS)


@pytest.mark.parametrize("path", GOOD, ids=rel)
def test_reader_reads_fixture_into_expected_calls_speakers_and_roles(path):
    calls = read_calls(str(path))
    expected = EXPECTED[rel(path)]
    assert [c.call_id for c in calls] == [e["call_id"] for e in expected]
    for call, want in zip(calls, expected):
        assert len(call.turns) == want["turns"]
        roles = call.speakers()
        assert sorted(s for s, r in roles.items() if r is Role.AGENT) == sorted(want["agents"])
        assert sorted(s for s, r in roles.items() if r is Role.SYSTEM) == sorted(want["system"])
        assert all(r in (Role.AGENT, Role.CUSTOMER, Role.SYSTEM) for r in roles.values())
        if rel(path) in NORMALIZED:  # written by `coach parse --format jsonl`: keeps the original file and format
            assert (call.source, call.format) in (
                ("tests/fixtures/text/first_names.txt", "text"),
                ("tests/fixtures/csv/multi_call.csv", "csv"),
            )
        else:
            assert (call.source, call.format) == (str(path), path.parent.name)
        assert 0.6 <= call.role_confidence <= 1.0


@pytest.mark.parametrize("path", GOOD, ids=rel)
def test_reader_numbers_merged_turns_and_says_where_each_came_from(path):
    for call in read_calls(str(path)):
        assert [t.index for t in call.turns] == list(range(len(call.turns)))
        assert all(t.text.strip() == t.text and t.text for t in call.turns)
        assert all(a.speaker != b.speaker for a, b in zip(call.turns, call.turns[1:])), "consecutive turns by one speaker"
        assert all(t.location for t in call.turns)
        assert all(t.location.startswith(("line ", "row ", "cue ", "$")) for t in call.turns)


@pytest.mark.parametrize("path", GOOD, ids=rel)
def test_detect_format_recognizes_fixture_from_its_content(path):
    data = path.read_bytes()
    assert detect_format(str(path), data) == path.parent.name
    if path.suffix == ".json":  # vendor JSON is recognized by its keys, not just the extension
        assert detect_format("download", data) == path.parent.name


@pytest.mark.parametrize("path", GOOD, ids=rel)
def test_round_trip_through_normalized_json_gives_equal_calls(path, tmp_path):
    calls = read_calls(str(path))
    restored = [call_from_dict(json.loads(json.dumps(call_to_dict(c)))) for c in calls]
    assert restored == calls
    out = tmp_path / "parsed.jsonl"
    out.write_text("".join(json.dumps(call_to_dict(c), ensure_ascii=False) + "\n" for c in calls), encoding="utf-8")
    assert read_calls(str(out)) == calls


# ---------------------------------------------------------------------------------------------------------
# Broken inputs: exact error text ("location: message", or " message" when the whole file is at fault)

BAD_ERRORS = {
    "assemblyai/bad_error_status.json": "$.status: transcript is not completed (status 'error': Download error, unable to download https://storage.example.com/missing.mp3)",
    "assemblyai/bad_no_utterances.json": '$: expected "utterances" (AssemblyAI transcript requested with speaker_labels=true)',
    "azure/bad_no_phrases.json": '$: expected "recognizedPhrases" (Azure batch transcription result)',
    "azure/bad_no_speakers.json": '$.recognizedPhrases[0]: no speaker labels (expected "speaker" on phrases, or two channels; set diarizationEnabled or transcribe stereo audio)',
    "ccai/bad_no_segments.json": '$.transcript: expected "transcriptSegments" (CCAI Insights conversation)',
    "csv/bad_bad_time.csv": "row 3: \"start_time\" is not a time ('soon'; expected seconds, hh:mm:ss or an ISO date-time)",
    "csv/bad_empty_speaker.csv": "row 3: \"speaker\" is empty (expected who said 'I want to cancel my plan')",
    "csv/bad_no_text_column.csv": "row 1: no text column (expected one of: text, utterance, transcript, content, message; found: call_id, speaker, start; comma-separated)",
    "deepgram/bad_no_speakers.json": '$.results.channels[0].alternatives[0].words[0]: no speaker labels (expected "speaker" on utterances or words; request diarize=true, or multichannel=true for stereo calls)',
    "json/bad_not_json.json": "3: invalid JSON: Expecting ',' delimiter (column 26)",
    "json/bad_shape.json": '$: expected a coach call {"call_id", "turns": [{"speaker", "text"}]}, a chat export {"messages": [{"role", "content"}]}, or a list of them; found keys call_id, lines',
    "json/bad_turn.json": '$.turns[1]: expected "speaker" (who spoke)',
    "jsonl/bad_line.jsonl": "3: invalid JSON: Unterminated string starting at (column 47)",
    "srt/bad_no_speaker.srt": '3: cue text has no speaker (expected "Name: text")',
    "srt/bad_timing.srt": '5: expected a cue timing line like "00:00:01,000 --> 00:00:04,000"',
    "text/bad_binary.txt": " not a text file (binary data at byte 8)",
    "text/bad_empty.txt": " file is empty",
    "text/bad_no_speaker.txt": '1: no speaker found (expected lines like "Agent: text" or "[00:01:12] Customer: text")',
    "text/bad_whitespace.txt": " file is empty",
    "transcribe-analytics/bad_no_participant.json": '$.Transcript[1]: expected "ParticipantRole" or "ParticipantId" (Transcribe Call Analytics or Contact Lens output)',
    "transcribe/bad_no_items.json": '$.results: expected "items" (Amazon Transcribe output)',
    "transcribe/bad_no_speakers.json": '$.results: no speaker labels (expected "speaker_labels" or "channel_labels"; turn on speaker partitioning or channel identification for the job)',
    "tsv/bad_no_speaker_column.tsv": "row 1: no speaker column (expected one of: speaker, role, participant, channel; found: start, end, text; tab-separated)",
    "vtt/bad_missing_header.vtt": '1: expected "WEBVTT" on the first line (a WebVTT file)',
    "vtt/bad_no_speaker.vtt": '17: cue text has no speaker (expected <v Name> or "Name: ")',
    "vtt/bad_timing.vtt": "4: bad cue timing '00:00:01.000 --> soon' (expected \"00:00:01.000 --> 00:00:04.000\")",
    "whisperx/bad_no_speakers.json": '$.segments: no speaker labels (expected "speaker" on segments; run whisperX with --diarize) (whisperX output)',
}


def test_every_bad_fixture_has_a_pinned_error():
    assert sorted(rel(p) for p in BAD) == sorted(BAD_ERRORS)


@pytest.mark.parametrize("name", sorted(BAD_ERRORS))
def test_bad_fixture_raises_transcript_error_naming_file_place_and_expectation(name):
    path = fixture(name)
    with pytest.raises(TranscriptError) as err:
        read_calls(path)
    assert str(err.value) == f"{path}:{BAD_ERRORS[name]}"
    assert err.value.path == path


def test_error_for_binary_data_says_where_it_starts():
    with pytest.raises(TranscriptError, match=r"^blob.bin: not a text file \(binary data at byte 12\)$"):
        read_calls("blob.bin", data=b"Agent: hello" + b"\x00\x01\x02")


def test_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_BYTES", 100)
    big = tmp_path / "big.txt"
    big.write_text("Agent: hi\n" * 20)
    with pytest.raises(TranscriptError) as err:
        read_calls(str(big))
    assert (
        str(err.value) == f"{big}: file is too large (0.0 MB; the limit is 0 MB); split it into smaller files (one call per file)"
    )
    with pytest.raises(TranscriptError, match="file is too large"):
        read_calls("x.txt", data=b"Agent: hi\n" * 20)


def test_default_size_limit_is_twenty_megabytes():
    assert readers.MAX_BYTES == 20 * 1024 * 1024


def test_missing_file_and_unknown_format_are_transcript_errors(tmp_path):
    with pytest.raises(TranscriptError, match=r"nope.txt: no such file or directory$"):
        read_calls(str(tmp_path / "nope.txt"))
    with pytest.raises(TranscriptError, match=r"^x.txt: unknown format 'docx' \(expected one of: text, vtt, srt, csv"):
        read_calls("x.txt", "docx", data=b"Agent: hi")
    with pytest.raises(TranscriptError, match="is a directory"):
        read_calls(str(tmp_path))


def test_a_file_with_no_turns_is_an_error():
    with pytest.raises(TranscriptError, match=r"^x.json:\$.turns: no turns found"):
        read_calls("x.json", data=b'{"call_id": "x", "turns": [{"speaker": "Agent", "text": "   "}]}')


# ---------------------------------------------------------------------------------------------------------
# Plain text


def test_text_reader_keeps_agent_hello_line_as_turn_not_header():
    call = read_text("Agent: Hi, thanks for calling Acme, how can I help?\nCustomer: I want to cancel.")
    assert call.agent is None
    assert turns(call)[0] == ("Agent", "Hi, thanks for calling Acme, how can I help?")


def test_text_reader_reads_header_block_into_call_fields():
    call = read_calls(fixture("text/agent_customer_headers.txt"))[0]
    assert (call.call_id, call.agent, call.date, call.team, call.channel) == (
        "BW-0412",
        "Maria Lopez",
        "2024-04-02",
        "Retention East",
        "voice",
    )
    assert call.turns[0].speaker == "Agent" and call.turns[0].text.startswith("Thank you for calling Brightwave")
    assert call.turns[0].location == "line 7"


@pytest.mark.parametrize(
    "first_line, is_header",
    [
        ("Agent: Maria Lopez", True),
        ("Agent: J. R. Smith", True),
        ("Agent: Lopez, Maria", True),
        ("Agent: agent_417", True),
        ("Agent: Maria de la Cruz", True),
        ("Agent: Hello", False),
        ("Agent: Hi, thanks for calling", False),
        ("Agent: Thanks!", False),
        ("Agent: Good morning", False),
        ("Agent: Maria speaking, how can I help?", False),
        ("Agent: okay", False),
        ("Agent: This is Maria.", False),
    ],
)
def test_text_reader_treats_person_header_only_when_value_looks_like_a_name(first_line, is_header):
    call = read_text(f"{first_line}\nCustomer: I want to cancel my plan.\nAgent: Sure, I've processed the cancellation.")
    if is_header:
        assert call.agent == first_line.split(": ", 1)[1]
        assert len(call.turns) == 2
    else:
        assert call.agent is None
        assert turns(call)[0] == ("Agent", first_line.split(": ", 1)[1])


def test_text_reader_header_keys_only_count_before_the_first_turn():
    call = read_text(
        "Date: 2024-05-01\nAgent: How can I help?\nCustomer: I want to cancel.\nDate: tomorrow works\nAgent: Sure.\nCustomer: Thanks.\n"
    )
    assert call.date == "2024-05-01"
    assert turns(call)[1] == ("Customer", "I want to cancel. Date: tomorrow works")


def test_text_reader_unknown_header_fields_go_to_metadata():
    call = read_text(
        "Call ID: 77\nQueue: Retention\nCustomer: Dana Whitfield\n\nRep: Thanks for calling!\nDana: I want to cancel."
    )
    assert call.call_id == "77"
    assert call.meta("queue") == "Retention" and call.meta("customer") == "Dana Whitfield"
    assert call.speakers() == {"Rep": Role.AGENT, "Dana": Role.CUSTOMER}


@pytest.mark.parametrize(
    "line, start, end",
    [
        ("[00:01:12] Agent: hello there", 72.0, None),
        ("00:01:12 Agent: hello there", 72.0, None),
        ("(1:12) Agent: hello there", 72.0, None),
        ("12.5s Agent: hello there", 12.5, None),
        ("Agent [00:01:12]: hello there", 72.0, None),
        ("Agent (1:12): hello there", 72.0, None),
        ("Agent 00:01:12: hello there", 72.0, None),
        ("[00:00:01.000 --> 00:00:04.500] Agent: hello there", 1.0, 4.5),
        ("Agent: [01:02:03.25] hello there", 3723.25, None),
        ("Agent: hello there", None, None),
    ],
)
def test_text_reader_parses_timestamps_before_or_after_the_label(line, start, end):
    call = read_text(line + "\nCustomer: I want to cancel.")
    first = call.turns[0]
    assert (first.speaker, first.text, first.start, first.end) == ("Agent", "hello there", start, end)


@pytest.mark.parametrize(
    "label", ["Agent", "Rep", "CSR", "Customer", "Caller", "Maria", "Maria Lopez", "Speaker 1", "SPEAKER_00", "spk_0", "A"]
)
def test_text_reader_accepts_common_speaker_labels(label):
    call = read_text(f"{label}: first words\nOther: second words")
    assert turns(call) == [(label, "first words"), ("Other", "second words")]


def test_text_reader_appends_unlabelled_lines_to_the_previous_turn():
    call = read_text("Agent: Let me check.\n   One moment please.\n\n\tStill there?\nCustomer: Yes.")
    assert turns(call) == [("Agent", "Let me check. One moment please. Still there?"), ("Customer", "Yes.")]


def test_text_reader_reads_a_once_only_colon_phrase_inside_a_turn_as_text():
    text = "Agent: Hi.\nCustomer: I want to cancel.\nNote: it renews Friday.\nAgent: Okay.\nCustomer: Thanks."
    call = read_text(text)
    assert turns(call)[1] == ("Customer", "I want to cancel. Note: it renews Friday.")
    assert "Note" not in call.speakers()


def test_text_reader_merges_consecutive_lines_by_one_speaker_keeping_first_start_and_location():
    call = read_text("[00:00:01] Agent: Hello.\n[00:00:03] Agent: How can I help?\n[00:00:06] Customer: Cancel please.")
    assert turns(call)[0] == ("Agent", "Hello. How can I help?")
    assert (call.turns[0].start, call.turns[0].location, call.turns[1].location) == (1.0, "line 1", "line 3")


def test_text_reader_reads_otter_style_speaker_lines_with_text_below():
    call = read_calls(fixture("text/otter_export.txt"))[0]
    assert (call.turns[1].speaker, call.turns[1].start, call.turns[1].location) == ("Speaker 2", 6.0, "line 4")
    assert call.turns[1].text == "Hi Maria. I need to cancel my internet service."


def test_text_reader_skips_a_title_before_the_first_speaker_with_a_warning():
    call = read_calls(fixture("text/transfer_abc.txt"))[0]
    assert call.warnings == (f"{fixture('text/transfer_abc.txt')}: skipped text before the first speaker (line 1, 2)",)


def test_text_reader_handles_crlf_tabs_and_a_tab_indented_continuation():
    call = read_calls(fixture("text/customer_first_ivr.txt"))[0]
    assert "\r" not in "".join(t.text for t in call.turns)
    assert (
        call.turns[2].text
        == "Sure, I can take care of that for you. Could I please confirm your date of birth and the email on file?"
    )


@pytest.mark.parametrize(
    "name, first_text",
    [
        ("text/utf16_bom.txt", "Hi there! You're chatting with Sam from PlanBox. How can I help you today?"),
        ("text/bom_utf8.txt", "Thanks for calling, how can I help?"),
        ("text/windows1252.txt", "Thank you for calling Café Bleu rewards, this is Renée. How can I help?"),
    ],
)
def test_text_reader_decodes_utf16_utf8_bom_and_windows_1252(name, first_text):
    call = read_calls(fixture(name))[0]
    assert call.turns[0].text == first_text
    assert not call.turns[0].speaker.startswith("\ufeff")


def test_windows_1252_file_gets_a_warning_and_keeps_curly_quotes():
    call = read_calls(fixture("text/windows1252.txt"))[0]
    assert call.turns[1].text == "Hi Renée, I\u2019d like to cancel my membership \u2013 I\u2019m moving to Montréal."
    assert call.warnings == (
        f"{fixture('text/windows1252.txt')}: not valid UTF-8; read as Windows-1252 (cp1252), check accented characters",
    )


def test_text_reader_keeps_a_very_long_line_whole():
    call = read_calls(fixture("text/long_line.txt"))[0]
    assert len(call.turns[1].text) > 40_000
    assert call.turns[1].text.endswith("charged for.")


def test_stdin_is_read_when_path_is_dash(monkeypatch):
    class Stdin:
        buffer = io.BytesIO(b"Agent: Thanks for calling!\nCustomer: I want to cancel.")

    monkeypatch.setattr("sys.stdin", Stdin())
    call = read_calls("-")[0]
    assert (call.call_id, call.source, len(call.turns)) == ("stdin", "-", 2)


# ---------------------------------------------------------------------------------------------------------
# Subtitles


def test_vtt_reader_uses_voice_tags_and_ignores_note_style_and_cue_settings():
    call = read_calls(fixture("vtt/voice_tags.vtt"))[0]
    assert list(call.speakers()) == ["Maria Lopez", "Dana Whitfield"]
    assert all("NOTE" not in t.text and "::cue" not in t.text and "align:" not in t.text for t in call.turns)
    assert call.turns[0].location == "cue 1" and call.turns[0].start == 0.5


def test_vtt_reader_splits_one_cue_with_two_voices_and_strips_tags():
    call = read_calls(fixture("vtt/voice_tags.vtt"))[0]
    five, six = call.turns[5], call.turns[6]
    assert (five.speaker, five.location, six.speaker, six.location) == ("Dana Whitfield", "cue 8", "Maria Lopez", "cue 8")
    assert six.text.startswith("Oh, congratulations on the move!") and "<i>" not in six.text


def test_vtt_reader_merges_a_turn_split_over_two_cues():
    call = read_calls(fixture("vtt/voice_tags.vtt"))[0]
    assert call.turns[2].text == "I can help with that. Can I get the account number or the phone number on the account?"
    assert (call.turns[2].location, call.turns[2].end) == ("cue 3", 17.46)


def test_vtt_reader_decodes_entities():
    call = read_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agent>Fees &amp; taxes &lt;included&gt;</v>\n", "c.vtt")
    assert call.turns[0].text == "Fees & taxes <included>"


def test_vtt_cue_without_speaker_continues_the_previous_speaker():
    call = read_calls(fixture("vtt/name_prefix.vtt"))[0]
    assert call.turns[0].speaker == "Recording"
    assert call.turns[0].text.endswith("Please stay on the line for the next available representative.")


def test_srt_reader_strips_font_italic_and_position_tags():
    call = read_calls(fixture("srt/names.srt"))[0]
    assert call.turns[2].text == "Why would you want to do that? You have the best package we offer."
    assert call.turns[4].text.startswith("Which provider?")
    assert call.turns[0].start == 0.5


def test_srt_reader_splits_dash_lines_with_two_speakers_in_one_cue():
    call = read_calls(fixture("srt/dialog_lines.srt"))[0]
    assert [(t.speaker, t.location) for t in call.turns[5:7]] == [("Speaker 2", "cue 6"), ("Speaker 1", "cue 6")]
    assert call.turns[5].text == "thank you, that was easy"


# ---------------------------------------------------------------------------------------------------------
# Tables


def test_csv_reader_groups_calls_by_id_in_first_appearance_order_with_call_fields():
    calls = read_calls(fixture("csv/multi_call.csv"))
    assert [c.call_id for c in calls] == ["SKY-2201", "NWF-7731"]
    assert (calls[0].agent, calls[0].team, calls[0].date) == ("Ryan Patel", "Save Desk", "2024-05-03")
    assert calls[1].turns[0].location == "row 13"


def test_csv_reader_sniffs_semicolons_reads_milliseconds_roles_and_multiline_cells():
    call = read_calls(fixture("csv/semicolon_roles.csv"))[0]
    assert call.call_id == "PB-5510"
    assert call.turns[1].start == 6.48
    assert call.turns[4].text.startswith("I completely understand; I'm sorry things are tight. I've processed")
    assert call.speakers() == {"Sam": Role.AGENT, "Lee": Role.CUSTOMER}


def test_csv_reader_without_call_id_column_names_the_call_after_the_file():
    call = read_text(
        'speaker,start_time,text\nAgent,00:00:01,Hi\nCustomer,00:00:03,"I want to cancel, please"\n', "exports/call-42.csv"
    )
    assert call.call_id == "call-42"
    assert turns(call) == [("Agent", "Hi"), ("Customer", "I want to cancel, please")]
    assert (call.turns[0].start, call.turns[0].location) == (1.0, "row 2")


def test_csv_reader_makes_iso_timestamps_relative_to_the_first_row():
    call = read_text(
        "speaker,timestamp,message\nAgent,2024-05-02T10:00:00Z,Hi\nCustomer,2024-05-02T10:00:07.5Z,Cancel it\n", "c.csv"
    )
    assert [t.start for t in call.turns] == [0.0, 7.5]


def test_tsv_reader_reads_tab_separated_turns():
    call = read_calls(fixture("tsv/transfer.tsv"))[0]
    assert (call.turns[0].speaker, call.turns[0].start, call.turns[0].end) == ("spk_0", 0.5, 6.27)


# ---------------------------------------------------------------------------------------------------------
# JSON and JSON Lines


def test_json_chat_export_reads_roles_fields_and_iso_timestamps():
    call = read_calls(fixture("json/chat_export.json"))[0]
    assert (call.call_id, call.agent, call.team, call.date, call.channel) == ("PB-5510", "Sam", "Care Chat", "2024-05-02", "chat")
    assert call.turns[0].start == 0.0 and call.turns[1].start == pytest.approx(23.92)
    assert call.turns[1].location == "$.messages[1]"
    assert call.role_confidence == 1.0


def test_json_list_of_messages_is_grouped_by_call_id():
    calls = read_calls(fixture("json/messages_grouped.json"))
    assert [c.call_id for c in calls] == ["SKY-2201", "NWF-7731"]
    assert calls[1].turns[0].location == "$[11]"


def test_json_chat_export_accepts_content_parts_and_author_objects():
    data = {
        "id": "c9",
        "messages": [
            {"author": {"name": "Sam", "role": "agent"}, "content": [{"type": "text", "text": "Hi, how can I help?"}]},
            {"author": {"name": "Lee", "role": "customer"}, "content": "cancel please"},
        ],
    }
    call = read_calls("chat.json", data=json.dumps(data).encode())[0]
    assert call.call_id == "c9"
    assert [(t.speaker, t.role, t.text) for t in call.turns] == [
        ("Sam", Role.AGENT, "Hi, how can I help?"),
        ("Lee", Role.CUSTOMER, "cancel please"),
    ]


def test_jsonl_one_message_per_line_is_grouped_by_call_id_with_line_locations():
    calls = read_calls(fixture("jsonl/messages.jsonl"))
    assert [c.call_id for c in calls] == ["LUM-7781", "PB-5510"]
    assert calls[1].turns[0].location == "line 13"
    assert calls[1].turns[1].start == 6.48  # start_ms


def test_coach_jsonl_keeps_roles_confidence_and_warnings_as_written():
    line = {
        "call_id": "k1",
        "source": "orig.txt",
        "format": "text",
        "role_confidence": 0.55,
        "warnings": ["orig.txt: low confidence"],
        "turns": [
            {"speaker": "A", "role": "customer", "text": "How can I help?"},
            {"speaker": "B", "role": "agent", "text": "Cancel."},
        ],
    }
    call = read_calls("p.jsonl", data=(json.dumps(line) + "\n").encode())[0]
    assert (call.source, call.format, call.role_confidence, call.warnings) == (
        "orig.txt",
        "text",
        0.55,
        ("orig.txt: low confidence",),
    )
    assert [t.role for t in call.turns] == [Role.CUSTOMER, Role.AGENT]


def test_call_from_dict_rejects_unknown_roles_with_json_path():
    with pytest.raises(TranscriptError) as err:
        call_from_dict({"turns": [{"speaker": "A", "text": "hi", "role": "boss"}]}, "x.jsonl", "4:$")
    assert str(err.value) == "x.jsonl:4:$.turns[0].role: unknown role 'boss' (expected agent, customer, system or unknown)"


def test_call_to_dict_writes_the_documented_schema():
    call = read_calls(fixture("text/agent_customer_headers.txt"))[0]
    d = call_to_dict(call)
    assert list(d) == [
        "call_id",
        "source",
        "format",
        "agent",
        "team",
        "date",
        "channel",
        "metadata",
        "role_confidence",
        "warnings",
        "turns",
    ]
    assert d["turns"][0] == {
        "index": 0,
        "speaker": "Agent",
        "role": "agent",
        "text": call.turns[0].text,
        "start": None,
        "end": None,
        "location": "line 7",
    }


# ---------------------------------------------------------------------------------------------------------
# Vendors


def test_transcribe_prefers_audio_segments_when_they_carry_speakers():
    call = read_calls(fixture("transcribe/diarized.json"))[0]
    assert call.call_id == "brightwave-0412"
    assert call.turns[1].location == "$.results.audio_segments[1]"


def test_transcribe_items_attach_punctuation_and_resolve_speakers_from_segments():
    call = read_calls(fixture("transcribe/legacy_segments.json"))[0]
    assert call.turns[0].text == "Hi, yeah, I'm trying to cancel my gym membership."
    assert (call.turns[0].location, call.turns[1].location) == ("$.results.items[0]", "$.results.items[12]")
    assert (call.turns[1].start, call.turns[1].end) == (4.56, 12.99)


def test_transcribe_channel_identification_uses_channel_labels():
    call = read_calls(fixture("transcribe/channels.json"))[0]
    assert list(call.speakers()) == ["ch_0", "ch_1"]


def test_transcribe_without_items_but_with_channel_lists_reads_the_channels():
    data = json.loads((FIXTURES / "transcribe/channels.json").read_text())
    del data["results"]["items"]
    call = read_calls("ch.json", "transcribe", data=json.dumps(data).encode())[0]
    assert len(call.turns) == 11 and call.turns[1].location == "$.results.channel_labels.channels[1].items[0]"


def test_call_analytics_sets_explicit_roles_and_converts_milliseconds():
    call = read_calls(fixture("transcribe-analytics/call_analytics.json"))[0]
    assert (call.turns[0].role, call.turns[0].start, call.turns[0].end) == (Role.AGENT, 0.5, 5.88)
    assert call.turns[0].location == "$.Transcript[0]"


def test_contact_lens_resolves_participant_ids_through_participants():
    call = read_calls(fixture("transcribe-analytics/contact_lens_chat.json"))[0]
    assert (call.call_id, call.channel) == ("5b2f0e2c-chat-4c1e", "chat")
    assert [t.role for t in call.turns[:3]] == [Role.SYSTEM, Role.AGENT, Role.CUSTOMER]


def test_contact_lens_keeps_two_agents_apart_when_their_ids_share_a_prefix():
    transcript = [
        {"ParticipantId": pid, "Content": text, "BeginOffsetMillis": i * 1000, "EndOffsetMillis": i * 1000 + 900}
        for i, (pid, text) in enumerate(
            [("Speaker 1", "Billing, this is Ana."), ("Speaker 2", "I want to cancel."), ("Speaker 1", "Transferring you now."),
             ("Speaker 3", "Hi, Omar in retention."), ("Speaker 2", "Please cancel it.")]
        )
    ]  # fmt: skip
    participants = [{"ParticipantId": "Speaker 1", "ParticipantRole": "AGENT"}, {"ParticipantId": "Speaker 2", "ParticipantRole": "CUSTOMER"},
                    {"ParticipantId": "Speaker 3", "ParticipantRole": "AGENT"}]  # fmt: skip
    data = json.dumps({"Participants": participants, "Transcript": transcript}).encode()
    call = read_calls("cl.json", "transcribe-analytics", data=data)[0]
    assert len(call.turns) == 5
    assert call.turns[2].speaker != call.turns[3].speaker
    assert [t.role for t in call.turns] == [Role.AGENT, Role.CUSTOMER, Role.AGENT, Role.AGENT, Role.CUSTOMER]


def test_deepgram_falls_back_to_words_with_speakers():
    call = read_calls(fixture("deepgram/words_only.json"))[0]
    assert call.turns[0].text == "Hi, yeah, I'm trying to cancel my gym membership."
    assert call.turns[0].location == "$.results.channels[0].alternatives[0].words[0]"


def test_assemblyai_converts_millisecond_times():
    call = read_calls(fixture("assemblyai/utterances.json"))[0]
    assert (call.turns[1].start, call.turns[1].end) == (4.95, 8.029)


def test_ccai_reads_roles_word_offsets_and_conversation_fields():
    call = read_calls(fixture("ccai/conversation.json"))[0]
    assert (call.call_id, call.agent, call.channel, call.date) == (
        "8815432950192873405",
        "maria.lopez",
        "voice",
        "2024-04-02T14:31:00Z",
    )
    assert call.turns[0].role is Role.AGENT and call.turns[0].start == 0.5


def test_ccai_maps_channel_tags_to_roles_through_call_metadata():
    call = read_calls(fixture("ccai/channel_tags.json"))[0]
    assert call.speakers() == {"channel 2": Role.CUSTOMER, "channel 1": Role.AGENT}


def test_ccai_upload_entries_make_microsecond_timestamps_relative():
    call = read_calls(fixture("ccai/upload_entries.json"))[0]
    assert [t.start for t in call.turns[:2]] == [0.0, 5.98]
    assert call.channel == "chat"


def test_azure_sorts_channel_ordered_phrases_by_time_and_reads_iso_durations():
    call = read_calls(fixture("azure/batch_stereo.json"))[0]
    assert [t.speaker for t in call.turns[:3]] == ["channel 0", "channel 1", "channel 0"]
    assert (call.turns[1].start, call.turns[1].end) == (6.48, 9.94)


def test_azure_skips_phrases_that_were_not_recognized():
    call = read_calls(fixture("azure/batch_diarized.json"))[0]
    assert len(call.turns) == 12 and all(t.text for t in call.turns)


def test_whisperx_gives_a_segment_without_speaker_the_speaker_of_its_words():
    call = read_calls(fixture("whisperx/diarized.json"))[0]
    assert call.turns[4].speaker == "SPEAKER_01"
    assert call.turns[4].text.startswith("Which provider?")


# ---------------------------------------------------------------------------------------------------------
# Detection and paths


@pytest.mark.parametrize(
    "name, head, fmt",
    [
        ("a.txt", b"Agent: hi", "text"),
        ("a", b"[00:00:01] Agent: hi", "text"),
        ("a", b"\xef\xbb\xbfWEBVTT\n\n", "vtt"),
        ("a", b"1\n00:00:01,000 --> 00:00:02,000\nAgent: hi\n", "srt"),
        ("a", b"speaker,text\nAgent,hi\n", "csv"),
        ("a", b"speaker\ttext\nAgent\thi\n", "tsv"),
        ("a", b'{"call_id": "x"}\n{"call_id": "y"}\n', "jsonl"),
        ("a.json", b'{"results": {"transcripts": [], "items": [', "transcribe"),
        ("a.json", b'{"recognizedPhrases": [{"speaker": 1', "azure"),
        ("a.json", b'{"Transcript": [{"ParticipantRole": "AGENT"', "transcribe-analytics"),
    ],
)
def test_detect_format_uses_extension_and_content(name, head, fmt):
    assert detect_format(name, head) == fmt


def test_expand_paths_walks_directories_sorted_and_skips_hidden_and_readme(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("z.txt", "a.json", "README", "README.md", "notes.md", ".hidden.txt", "b/c.vtt", ".git/config"):
        (tmp_path / name).write_text("x")
    found = expand_paths([str(tmp_path), "-", str(tmp_path / ".hidden.txt")])
    assert found == [
        str(tmp_path / "a.json"),
        str(tmp_path / "b" / "c.vtt"),
        str(tmp_path / "z.txt"),
        "-",
        str(tmp_path / ".hidden.txt"),
    ]


def test_expand_paths_raises_for_a_missing_path(tmp_path):
    with pytest.raises(TranscriptError) as err:
        expand_paths([str(tmp_path / "gone")])
    assert str(err.value) == f"{tmp_path / 'gone'}: no such file or directory"


def test_formats_registry_names_every_documented_format():
    assert list(FORMATS) == [
        "text",
        "vtt",
        "srt",
        "csv",
        "tsv",
        "json",
        "jsonl",
        "transcribe",
        "transcribe-analytics",
        "deepgram",
        "assemblyai",
        "ccai",
        "azure",
        "whisperx",
    ]


def test_format_override_beats_detection():
    call = read_calls("notes.json", "text", data=b"Agent: {not json}\nCustomer: cancel please")[0]
    assert call.format == "text" and call.turns[0].text == "{not json}"


def test_plain_text_labels_in_brackets_or_angle_brackets_are_speakers(tmp_path):
    path = tmp_path / "bracketed.txt"
    path.write_text("[Agent]: Thanks for calling Northwind.\n[Customer] : I'd like to cancel.\n<Agent>: Sure, may I ask why?\n")
    call = read_calls(str(path))[0]
    assert [(t.speaker, t.role.value) for t in call.turns] == [("Agent", "agent"), ("Customer", "customer"), ("Agent", "agent")]
