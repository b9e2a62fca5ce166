"""Write scorecards as they are produced: JSON Lines, CSV, Parquet or a fixed-width table.

Every writer takes one scorecard record at a time (``Scorecard.to_dict()``), so a batch never holds its
results in memory, and every file writer survives being killed at any point:

* JSONL and CSV are flushed after each record, one record per physical line. Opened with ``resume=True``,
  a trailing partial line (the record being written when the process died) is cut off, and the keys
  ``(source, call_id)`` already in the file are returned in :attr:`Writer.done` so the batch can skip them.
* Parquet is written in parts (``out.parquet.parts/part-00000.parquet``, each renamed into place only when
  complete); ``close()`` merges the parts into ``out.parquet`` through a temporary file and an atomic rename.
* With ``partitioned=True`` (the Dask engine) the output is a directory of such parts in any file format.

CSV (and the table) cells go through :func:`csv_safe`, so a transcript line such as ``=HYPERLINK(...)``
cannot run as a formula when a reviewer opens the file in a spreadsheet.

>>> import io, contextlib
>>> with contextlib.redirect_stdout(io.StringIO()) as out:
...     with open_writer(None, "jsonl") as w:
...         w.write({"call_id": "c1", "source": "c1.txt", "score": 90.0})
>>> out.getvalue()
'{"call_id": "c1", "source": "c1.txt", "score": 90.0}\\n'
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from coach.errors import CoachError
from coach.model import FLAG_NAMES

log = logging.getLogger(__name__)

FORMATS = ("table", "jsonl", "csv", "parquet")
EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet", "table": ".txt"}
PART_ROWS = 2000
"""Records per part (Parquet row group). A killed run loses at most the part being written; resume redoes it."""

_FIXED = ("call_id", "source", "agent", "team", "date", "channel", "score", "grade", "rubric")
_SENTIMENT = ("start", "end", "min", "trend")
_BOOL_COLUMNS = frozenset(FLAG_NAMES) | {"reason_stated"}
_FLOAT_COLUMNS = frozenset({"score"} | {f"sentiment_{k}" for k in _SENTIMENT})


# ---------------------------------------------------------------------------------------------------------
# Rows and cells


def scorecard_row(card_dict: Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a scorecard record into one row for CSV, Parquet and DataFrames.

    Columns: call_id, source, agent, team, date, channel, score, grade, rubric; one bool column per flag;
    pressure_tactics (``;``-joined); reason_stated, reason_category, reason_text; one column per rubric
    criterion holding its verdict (``met`` / ``missed`` / ``n/a``); sentiment_start/end/min/trend; warnings
    (`` | ``-joined). A criterion whose id collides with another column is named ``criterion_<id>``.

    >>> row = scorecard_row({"call_id": "c1", "score": 72.5, "flags": {"pressure": True},
    ...                      "pressure_tactics": ["arguing", "false_urgency"],
    ...                      "criteria": [{"id": "gratitude", "verdict": "missed"}]})
    >>> row["pressure"], row["pressure_tactics"], row["gratitude"], row["missing_gratitude"]
    (True, 'arguing;false_urgency', 'missed', False)
    """
    row: dict[str, Any] = {key: card_dict.get(key) for key in _FIXED}
    flags = card_dict.get("flags") or {}
    for name in (*FLAG_NAMES, *sorted(set(flags) - set(FLAG_NAMES))):
        row[name] = bool(flags.get(name, False))
    row["pressure_tactics"] = ";".join(card_dict.get("pressure_tactics") or ())
    reason = card_dict.get("reason") or {}
    row["reason_stated"] = bool(reason.get("stated", False))
    row["reason_category"] = reason.get("category")
    row["reason_text"] = reason.get("text")
    for criterion in card_dict.get("criteria") or ():
        column = criterion["id"]
        if column in row or column.startswith("sentiment_") or column == "warnings":
            column = f"criterion_{column}"
        row[column] = criterion.get("verdict")
    sentiment = card_dict.get("customer_sentiment") or {}
    for key in _SENTIMENT:
        row[f"sentiment_{key}"] = sentiment.get(key)
    row["warnings"] = " | ".join(card_dict.get("warnings") or ())
    return row


_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell value that a spreadsheet will show as text, never run as a formula (OWASP "CSV injection").

    Text starting with ``= + - @``, tab or carriage return (also after leading spaces) gets a leading ``'``;
    numbers, and text that is just a number such as ``-0.25``, stay numbers. None becomes an empty cell.

    >>> csv_safe("=HYPERLINK(\\"http://x\\")"), csv_safe("  @SUM(A1)"), csv_safe(-0.25), csv_safe("-12"), csv_safe(None)
    ('\\'=HYPERLINK("http://x")', "'  @SUM(A1)", '-0.25', '-12', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if not text or _PLAIN_NUMBER.fullmatch(text):
        return text
    if text.startswith(_CONTROL_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def _csv_cell(value: Any) -> str:
    # One record per physical line, so a killed run can only ever leave a partial *last* line behind.
    return csv_safe(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


# ---------------------------------------------------------------------------------------------------------
# Keys already written (for resume)


@dataclass(frozen=True)
class WrittenKeys:
    """``(source, call_id)`` pairs already in an output, for resume. Picklable, so workers can filter calls.

    CSV files hold their keys as guarded cells (see :func:`csv_safe`); ``guarded`` makes a lookup apply the
    same guard, so a call id such as ``-17`` is compared exactly as it was written.
    """

    keys: frozenset[tuple[str, str]] = frozenset()
    guarded: bool = False

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        source, call_id = key
        if self.guarded:
            return (_csv_cell(source), _csv_cell(call_id)) in self.keys
        return (str(source), str(call_id)) in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def __or__(self, other: WrittenKeys) -> WrittenKeys:
        return WrittenKeys(self.keys | other.keys, self.guarded or other.guarded)


_JSONL_KEY = re.compile(rb'^\{"call_id": ("(?:[^"\\]|\\.)*"), "source": ("(?:[^"\\]|\\.)*")')


def drop_partial_line(path: str) -> int:
    """Cut a file back to its last newline; return how many bytes were dropped (a killed writer's last record)."""
    with open(path, "rb+") as f:
        size = f.seek(0, os.SEEK_END)
        pos, end = size, 0
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            f.seek(pos)
            newline = f.read(step).rfind(b"\n")
            if newline >= 0:
                end = pos + newline + 1
                break
        if end < size:
            f.truncate(end)
    if end < size:
        log.warning("%s: dropped a partial last record (%d bytes) left by an interrupted run", path, size - end)
    return size - end


def _not_ours(path: str, where: int | str, problem: str) -> CoachError:
    return CoachError(
        f"{path}:{where}: {problem}; this file was not written by `coach score` or was edited since. "
        "Run without --resume to start it over, or write to a new file"
    )


def jsonl_keys(path: str) -> WrittenKeys:
    """The ``(source, call_id)`` of every record in a scorecard JSONL file (its partial last line ignored)."""
    keys = set()
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.endswith(b"\n") or not line.strip():
                continue
            m = _JSONL_KEY.match(line)
            if m:  # the fast path: our own records start with call_id and source
                keys.add((json.loads(m.group(2)), json.loads(m.group(1))))
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                raise _not_ours(path, number, f"not a JSON record ({e})") from None
            if not isinstance(record, dict) or "call_id" not in record:
                raise _not_ours(path, number, "not a scorecard record (no call_id)")
            keys.add((str(record.get("source", "")), str(record["call_id"])))
    return WrittenKeys(frozenset(keys))


def csv_header_and_keys(path: str) -> tuple[list[str] | None, WrittenKeys]:
    """The header and the guarded ``(source, call_id)`` keys of a scorecard CSV file."""
    with open(path, encoding="utf-8", newline="") as f:
        complete = (line for line in f if line.endswith("\n"))
        reader = csv.reader(complete)
        header = next(reader, None)
        if header is None:
            return None, WrittenKeys(guarded=True)
        if "call_id" not in header or "source" not in header:
            raise _not_ours(path, 1, "the header has no call_id and source columns")
        at_id, at_source = header.index("call_id"), header.index("source")
        keys = set()
        for number, cells in enumerate(reader, 2):
            if len(cells) != len(header):
                raise _not_ours(path, number, f"{len(cells)} cells under a {len(header)}-column header")
            keys.add((cells[at_source], cells[at_id]))
    return header, WrittenKeys(frozenset(keys), guarded=True)


def parquet_keys(path: str) -> WrittenKeys:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["source", "call_id"])
    return WrittenKeys(frozenset(zip(table.column("source").to_pylist(), table.column("call_id").to_pylist())))


# ---------------------------------------------------------------------------------------------------------
# Writers


class Writer:
    """Takes scorecard records one by one. Use as a context manager, or call :meth:`close`.

    ``done`` holds the keys already in the output when it was opened with ``resume=True``.
    """

    done: WrittenKeys = WrittenKeys()

    def write(self, record: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def write_json(self, text: str) -> None:
        """Write a record given as its JSON text (what batch workers send back)."""
        self.write(json.loads(text))

    def close(self) -> None:
        pass

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_text(path: str | None, resume: bool) -> tuple[TextIO, bool]:
    """(stream, owned): standard output for None, else the file, appended to on resume."""
    if path is None:
        return sys.stdout, False
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    return open(path, "a" if resume else "w", encoding="utf-8", newline=""), True


def _close_durably(stream: TextIO) -> None:
    """Flush, fsync and close: once a batch reports its results written, a power cut cannot take them back.
    (Per record only a flush: an fsync per scorecard would cost more than scoring it.)"""
    stream.flush()
    try:
        os.fsync(stream.fileno())
    except (OSError, ValueError):  # not a real file (a pipe, a test double): nothing more to make durable
        pass
    stream.close()


def _fsync_file(path: str) -> None:
    """Make a finished file durable before it is renamed into place."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JsonlWriter(Writer):
    """One scorecard per line, flushed as written. On resume, appends after the records already there."""

    def __init__(self, path: str | None, *, resume: bool = False):
        self.path = path
        if resume and path is not None and os.path.exists(path):
            drop_partial_line(path)
            self.done = jsonl_keys(path)
        self._stream, self._owned = _open_text(path, resume)

    def write(self, record: Mapping[str, Any]) -> None:
        self.write_json(json.dumps(record, ensure_ascii=False))

    def write_json(self, text: str) -> None:
        # One write call per record and a flush: a SIGKILL can only leave a partial *last* line.
        self._stream.write(text + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._owned and not self._stream.closed:
            _close_durably(self._stream)


class CsvWriter(Writer):
    """A header, then one guarded row per scorecard, flushed as written.

    The columns come from the first record (or ``columns``, or the header already in the file on resume);
    a record with other columns (another rubric) is refused rather than written under the wrong header.
    """

    def __init__(self, path: str | None, *, resume: bool = False, columns: list[str] | None = None):
        self.path = path
        self._columns: list[str] | None = None
        self._expected = columns
        self._needs_header = True
        if resume and path is not None and os.path.exists(path):
            drop_partial_line(path)
            header, self.done = csv_header_and_keys(path)
            if header is not None:
                self._expected, self._needs_header = header, False
        self._stream, self._owned = _open_text(path, resume)
        self._csv = csv.writer(self._stream, lineterminator="\n")

    def write(self, record: Mapping[str, Any]) -> None:
        row = scorecard_row(record)
        if self._columns is None:
            if self._expected is not None and self._expected != list(row):
                raise CoachError(_columns_differ(self.path or "<stdout>", self._expected, list(row)))
            self._columns = list(row)
            if self._needs_header:
                self._csv.writerow(self._columns)
        elif list(row) != self._columns:
            raise CoachError(_columns_differ(self.path or "<stdout>", self._columns, list(row)))
        self._csv.writerow([_csv_cell(row[c]) for c in self._columns])
        self._stream.flush()

    def close(self) -> None:
        if self._owned and not self._stream.closed:
            _close_durably(self._stream)


def _columns_differ(path: str, have: list[str], new: list[str]) -> str:
    missing = ", ".join(c for c in have if c not in new) or "none"
    extra = ", ".join(c for c in new if c not in have) or "none"
    return (f"{path}: this run's columns differ from those already written (missing: {missing}; new: {extra}); "
            "resume with the same rubric, or write to a new file")


_TABLE_COLUMNS = (("file", 26), ("call_id", 18), ("agent", 12), ("score", 6), ("grade", 5), ("flags", 44), ("tactics", 0))
_FLAG_LABELS = {
    "missing_gratitude": "no-gratitude",
    "reason_not_asked": "why-not-asked",
    "why_leaving_unanswered": "no-reason-given",
    "reason_ignored": "reason-ignored",
    "pressure": "pressure",
}


class TableWriter(Writer):
    """A fixed-width table for people: file, call_id, agent, score, grade, flags raised, pressure tactics."""

    def __init__(self, path: str | None = None):
        self._stream, self._owned = _open_text(path, False)
        self._header = False

    def write(self, record: Mapping[str, Any]) -> None:
        if not self._header:
            self._stream.write(_table_line([name for name, _ in _TABLE_COLUMNS]) + "\n")
            self._stream.write(_table_line(["-" * (w or 7) for _, w in _TABLE_COLUMNS]) + "\n")
            self._header = True
        flags = ",".join(_FLAG_LABELS.get(k, k) for k, v in (record.get("flags") or {}).items() if v)
        score = record.get("score")
        # The file comes first: vendor exports often carry an opaque job id as the call id.
        cells = [os.path.basename(record.get("source") or ""), record.get("call_id"), record.get("agent") or "", "" if score is None else f"{score:.1f}",
                 record.get("grade"), flags, ",".join(record.get("pressure_tactics") or ())]
        self._stream.write(_table_line([_csv_cell(c) for c in cells]) + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._owned and not self._stream.closed:
            _close_durably(self._stream)


def _table_line(cells: list[str]) -> str:
    out = []
    for (name, width), cell in zip(_TABLE_COLUMNS, cells):
        if not width:
            out.append(cell)
            continue
        if len(cell) > width:
            cell = cell[: width - 1] + "\u2026"
        out.append(cell.rjust(width) if name == "score" else cell.ljust(width))
    return "  ".join(out).rstrip()


def _arrow_schema(columns: Iterable[str]):
    import pyarrow as pa

    def kind(column: str):
        if column in _BOOL_COLUMNS:
            return pa.bool_()
        if column in _FLOAT_COLUMNS:
            return pa.float64()
        return pa.string()

    return pa.schema([(c, kind(c)) for c in columns])


def _rows_table(rows: list[dict[str, Any]], columns: list[str]):
    import pyarrow as pa

    # An explicit schema: a part whose `team` happens to be all null must still be a string column.
    return pa.Table.from_pylist(rows, schema=_arrow_schema(columns))


_PART_NAME = re.compile(r"part-(\d+)\.")


def _part_number(name: str) -> int | None:
    m = _PART_NAME.match(name)
    return int(m.group(1)) if m and not name.endswith(".tmp") else None


def part_files(directory: str, ext: str) -> list[str]:
    """The complete parts in a partitioned output directory, in order."""
    names = [n for n in os.listdir(directory) if _part_number(n) is not None and n.endswith(ext)]
    return [os.path.join(directory, n) for n in sorted(names, key=_part_number)]


class PartsWriter(Writer):
    """A directory of complete parts, ``part-00000.<ext>`` and up: each is written under a temporary name
    and renamed into place when full, so every part present is whole. Resume reads the keys of the parts
    present and continues with the next number.
    """

    def __init__(self, directory: str, fmt: str, *, resume: bool = False, part_rows: int = PART_ROWS):
        if fmt not in ("jsonl", "csv", "parquet"):
            raise CoachError(f"{directory}: cannot write {fmt} output in parts (use jsonl, csv or parquet)")
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise CoachError(f"{directory}: exists and is not a directory; partitioned output needs a directory (remove it or pick another -o)")
        self.directory, self.fmt, self.part_rows = directory, fmt, part_rows
        self.ext = EXTENSIONS[fmt]
        if not resume and os.path.isdir(directory):
            for name in os.listdir(directory):
                if name.startswith("part-"):
                    os.remove(os.path.join(directory, name))
        os.makedirs(directory, exist_ok=True)
        done = WrittenKeys(guarded=fmt == "csv")
        self._columns: list[str] | None = None
        for name in os.listdir(directory):
            if name.startswith("part-") and name.endswith(".tmp"):
                os.remove(os.path.join(directory, name))  # a part that was being written when the run died
        self.parts = sorted((n for n in os.listdir(directory) if _part_number(n) is not None and n.endswith(self.ext)), key=_part_number)
        for name in self.parts:
            path = os.path.join(directory, name)
            if fmt == "jsonl":
                done = done | jsonl_keys(path)
            elif fmt == "csv":
                header, keys = csv_header_and_keys(path)
                self._columns = self._columns or header
                done = done | keys
            else:
                import pyarrow.parquet as pq

                self._columns = self._columns or pq.read_schema(path).names
                done = done | parquet_keys(path)
        self.done = done
        self._next = max((_part_number(n) for n in self.parts), default=-1) + 1
        self._rows: list[dict[str, Any]] = []
        self._inner: Writer | None = None
        self._count = 0

    def _part_path(self, number: int) -> str:
        return os.path.join(self.directory, f"part-{number:05d}{self.ext}")

    def write(self, record: Mapping[str, Any]) -> None:
        if self.fmt == "parquet":
            row = scorecard_row(record)
            if self._columns is None:
                self._columns = list(row)
            elif list(row) != self._columns:
                raise CoachError(_columns_differ(self.directory, self._columns, list(row)))
            self._rows.append(row)
        else:
            if self._inner is None:
                tmp = self._part_path(self._next) + ".tmp"
                self._inner = JsonlWriter(tmp) if self.fmt == "jsonl" else CsvWriter(tmp, columns=self._columns)
            self._inner.write(record)
        self._count += 1
        if self._count >= self.part_rows:
            self.end_part()

    def write_json(self, text: str) -> None:
        if self.fmt == "jsonl":
            if self._inner is None:
                self._inner = JsonlWriter(self._part_path(self._next) + ".tmp")
            self._inner.write_json(text)
            self._count += 1
            if self._count >= self.part_rows:
                self.end_part()
        else:
            self.write(json.loads(text))

    def end_part(self) -> None:
        """Finish the current part (if it has any records) and rename it into place."""
        if not self._count:
            return
        final = self._part_path(self._next)
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(_rows_table(self._rows, self._columns or []), final + ".tmp")
            self._rows = []
        else:
            assert self._inner is not None
            if isinstance(self._inner, CsvWriter) and self._columns is None:
                self._columns = self._inner._columns  # every later part must have the same columns
            self._inner.close()
            self._inner = None
        _fsync_file(final + ".tmp")
        os.replace(final + ".tmp", final)
        self.parts.append(os.path.basename(final))
        self._next += 1
        self._count = 0

    def close(self) -> None:
        self.end_part()


class ParquetWriter(Writer):
    """One Parquet file, built from parts in ``<path>.parts/`` and finalized by an atomic rename on close.

    Until ``close()`` the output file does not exist (or still holds the previous run's result, which is
    replaced in one step); a killed run leaves its complete parts behind for ``resume=True``.
    """

    def __init__(self, path: str, *, resume: bool = False, part_rows: int = PART_ROWS):
        self.path = path
        self.parts_dir = path + ".parts"
        if resume:
            if os.path.exists(path) and os.path.isdir(self.parts_dir):
                shutil.rmtree(self.parts_dir)  # killed after the merge was renamed into place: the file is whole
            if os.path.exists(path):
                os.makedirs(self.parts_dir)
                os.replace(path, os.path.join(self.parts_dir, "part-00000.parquet"))
        else:
            if os.path.isdir(self.parts_dir):
                shutil.rmtree(self.parts_dir)
            if os.path.exists(path):
                os.remove(path)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._parts = PartsWriter(self.parts_dir, "parquet", resume=resume, part_rows=part_rows)
        self.done = self._parts.done

    def write(self, record: Mapping[str, Any]) -> None:
        self._parts.write(record)

    def close(self) -> None:
        import pyarrow.parquet as pq

        self._parts.end_part()
        tmp = self.path + ".tmp"
        parts = [os.path.join(self.parts_dir, n) for n in self._parts.parts]
        schema = pq.read_schema(parts[0]) if parts else _arrow_schema(self._parts._columns or _FIXED)
        with pq.ParquetWriter(tmp, schema) as out:
            for part in parts:  # one part in memory at a time
                out.write_table(pq.read_table(part, schema=schema))
        _fsync_file(tmp)
        os.replace(tmp, self.path)
        shutil.rmtree(self.parts_dir)


def open_writer(path: str | None, fmt: str, *, resume: bool = False, partitioned: bool = False, part_rows: int = PART_ROWS) -> Writer:
    """A writer for ``fmt`` (one of :data:`FORMATS`) to ``path``, or to standard output when ``path`` is None.

    ``resume=True`` keeps what an earlier (possibly killed) run wrote and exposes its keys in ``.done``.
    ``partitioned=True`` writes a directory of ``part-NNNNN`` files instead of one file.
    """
    if fmt not in FORMATS:
        raise CoachError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if resume and (path is None or fmt == "table"):
        raise CoachError("resume needs an output file in jsonl, csv or parquet format (-o FILE); "
                         "there is nothing to resume on standard output or in a table")
    if fmt == "table":
        return TableWriter(path)
    if partitioned:
        if path is None:
            raise CoachError("partitioned output needs a directory (-o DIR)")
        return PartsWriter(path, fmt, resume=resume, part_rows=part_rows)
    if fmt == "parquet":
        if path is None:
            raise CoachError("parquet output needs a file (-o FILE.parquet); it cannot go to standard output")
        return ParquetWriter(path, resume=resume, part_rows=part_rows)
    return (JsonlWriter if fmt == "jsonl" else CsvWriter)(path, resume=resume)


def read_records(path: str) -> Iterator[dict[str, Any]]:
    """Scorecard records from a JSONL file or a directory of JSONL parts (the Dask engine's output), in order."""
    for name in part_files(path, ".jsonl") if os.path.isdir(path) else [path]:
        with open(name, encoding="utf-8") as f:
            for line in f:
                if line.endswith("\n") and line.strip():
                    yield json.loads(line)


__all__ = ["EXTENSIONS", "FORMATS", "CsvWriter", "JsonlWriter", "ParquetWriter", "PartsWriter", "TableWriter", "Writer",
           "WrittenKeys", "csv_safe", "open_writer", "read_records", "scorecard_row"]
