"""CSV/TSV turn tables: one row per utterance, columns found by their common names, calls grouped by id.

Columns (case, spaces and dashes do not matter; the first listed name present wins):

* who spoke: a speaker column (``speaker``, ``participant``, ...) and/or a role column (``role``, ...). With
  both, the speaker column is the label and an explicit role value ("agent", "customer") sets the role.
  A ``channel`` column is the speaker only when there is neither.
* what was said: ``text``, ``utterance``, ``transcript``, ``content``, ``message``, ...
* when: ``start``/``start_time``/``timestamp``/``begin_offset``..., ``end``/``end_time``...; seconds,
  ``hh:mm:ss``, milliseconds when the column name says so (``_ms``, ``millis``), or ISO date-times and epoch
  numbers, which are made relative to the call's first row.
* which call: ``call_id``/``conversation_id``/``contact_id``...; rows are grouped by it in order of first
  appearance. Without such a column the file is one call named after the file.
* about the call: ``agent``/``agent_name``, ``date``, ``team``, ``channel`` (when it holds voice/chat).

Rows are numbered like a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from coach.errors import TranscriptError
from coach.model import Call, Role
from coach.readers._build import Piece, build_call, channel_value, norm_key, relative_times, short, time_value
from coach.roles import label_role

SPEAKER_COLUMNS = tuple(
    "speaker speaker_label speaker_name speaker_id participant participant_name participant_id party "
    "author sender from who name user".split()
)
ROLE_COLUMNS = tuple(
    "role speaker_role participant_role party_role speaker_type participant_type sender_type author_type".split()
)
CHANNEL_COLUMNS = ("channel", "channel_id", "audio_channel", "channel_label")
TEXT_COLUMNS = tuple("text utterance transcript content message body sentence utterance_text caption line message_text".split())
START_COLUMNS = tuple(
    "start start_time starttime timestamp begin_offset begin_offset_millis begin begin_time start_offset "
    "offset start_ms start_seconds start_sec time created_at sent_at".split()
)
END_COLUMNS = tuple("end end_time endtime end_offset end_offset_millis stop stop_time end_ms end_seconds end_sec".split())
CALL_COLUMNS = tuple(
    "call_id conversation_id contact_id callid conversationid contactid interaction_id session_id "
    "transcript_id call conversation chat_id ticket_id".split()
)
AGENT_COLUMNS = ("agent", "agent_name", "agent_id", "rep", "rep_name")
DATE_COLUMNS = ("date", "call_date", "started_at", "start_date")
TEAM_COLUMNS = ("team", "team_name", "queue", "department")
CALL_CHANNEL_COLUMNS = ("medium", "call_channel", "contact_channel", "channel_type") + CHANNEL_COLUMNS

_CSV_HINT = "a header row with speaker and text columns, then one row per utterance"


def read_csv(text: str, path: str) -> list[Call]:
    """Read a comma/semicolon/pipe/tab separated turn table (the delimiter is sniffed)."""
    return _read(text, path, _sniff(text), "csv")


def read_tsv(text: str, path: str) -> list[Call]:
    """Read a tab-separated turn table."""
    return _read(text, path, "\t", "tsv")


def _sniff(text: str) -> str:
    sample = text[:16384]
    first = next((line for line in sample.split("\n") if line.strip()), "")
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _read(text: str, path: str, delimiter: str, fmt: str) -> list[Call]:
    # The csv module refuses fields over 128 kB by default; a transcript row can legitimately be longer.
    if csv.field_size_limit() < 32 * 1024 * 1024:
        csv.field_size_limit(32 * 1024 * 1024)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next((row for row in rows if any(cell.strip() for cell in row)), None)
    except csv.Error as e:
        raise TranscriptError(path, "row 1", f"unreadable header row: {e}") from None
    if header is None:
        raise TranscriptError(path, None, "file is empty")
    names = [norm_key(cell) for cell in header]
    sep = {"\t": "tab", ",": "comma"}.get(delimiter, repr(delimiter))

    def col(options: Sequence[str]) -> int | None:
        for option in options:
            if option in names:
                return names.index(option)
        return None

    text_col = col(TEXT_COLUMNS)
    speaker_col, role_col = col(SPEAKER_COLUMNS), col(ROLE_COLUMNS)
    channel_col = col(CHANNEL_COLUMNS)
    found = ", ".join(n for n in names if n) or "none"
    if text_col is None:
        raise TranscriptError(
            path, "row 1", f"no text column (expected one of: {', '.join(TEXT_COLUMNS[:5])}; found: {found}; {sep}-separated)"
        )
    if speaker_col is None and role_col is None:
        if channel_col is None:
            raise TranscriptError(
                path,
                "row 1",
                f"no speaker column (expected one of: speaker, role, participant, channel; found: {found}; {sep}-separated)",
            )
        speaker_col, channel_col = channel_col, None
    start_col, end_col, call_col = col(START_COLUMNS), col(END_COLUMNS), col(CALL_COLUMNS)
    agent_col, date_col, team_col = col(AGENT_COLUMNS), col(DATE_COLUMNS), col(TEAM_COLUMNS)
    medium_col = next((i for i in (col(CALL_CHANNEL_COLUMNS),) if i is not None and i not in (speaker_col, role_col)), None)

    calls: dict[str, dict] = {}
    last_id: str | None = None
    row_number = 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as e:
            raise TranscriptError(path, f"row {row_number + 1}", f"unreadable row: {e}") from None
        row_number += 1
        if not any(cell.strip() for cell in row):
            continue
        where = f"row {row_number}"

        def cell(index: int | None, row: list[str] = row) -> str:
            return row[index].strip() if index is not None and index < len(row) else ""

        call_id = cell(call_col) if call_col is not None else ""
        if call_col is not None and not call_id:
            if last_id is None:
                raise TranscriptError(path, where, f'"{names[call_col]}" is empty (expected the call id)')
            call_id = last_id
        last_id = call_id
        group = calls.setdefault(call_id, {"pieces": [], "fields": {}, "row": where})
        role_value = cell(role_col)
        speaker = cell(speaker_col) or role_value
        words = cell(text_col)
        if not words:
            continue
        if not speaker:
            column = names[speaker_col] if speaker_col is not None else names[role_col or 0]
            raise TranscriptError(path, where, f'"{column}" is empty (expected who said {short(words)})')
        role = label_role(role_value) if role_value else None
        start = time_value(cell(start_col), path, where, names[start_col] if start_col is not None else "")
        end = time_value(cell(end_col), path, where, names[end_col] if end_col is not None else "")
        group["pieces"].append(
            (
                Piece(
                    speaker, words, None, None, where, role if role in (Role.AGENT, Role.CUSTOMER, Role.SYSTEM) else Role.UNKNOWN
                ),
                start,
                end,
            )
        )
        fields = group["fields"]
        for key, index in (("agent", agent_col), ("date", date_col), ("team", team_col)):
            if index is not None and index not in (speaker_col, role_col) and cell(index) and key not in fields:
                fields[key] = cell(index)
        if medium_col is not None and "channel" not in fields:
            channel = channel_value(cell(medium_col)) if cell(medium_col) else None
            if channel:
                fields["channel"] = channel

    result = []
    for call_id, group in calls.items():
        pieces = relative_times(group["pieces"])
        result.append(
            build_call(
                path,
                pieces,
                fmt,
                call_id or None,
                hint=_CSV_HINT,
                location=group["row"] if call_col is not None else None,
                **group["fields"],
            )
        )
    if not result:
        raise TranscriptError(path, None, f"no turns found (expected {_CSV_HINT})")
    return result
