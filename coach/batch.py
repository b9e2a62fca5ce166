"""Score many transcript files: stream them through worker processes, keep going on errors, resume after a kill.

Files are read, analyzed and written in small chunks (one ``nlp.pipe`` batch per chunk), so memory stays flat
however many calls there are. Each worker process builds ONE :class:`~coach.scoring.Analyzer` and sends back
scorecards as JSON text; results are written in input order, whatever the number of workers. A file that
cannot be read (or that trips an unexpected exception) becomes a :class:`Failure` naming the file; every
other result is still written. With ``resume=True`` the calls already in the output, keyed by
``(source path, call_id)``, are skipped, so a run killed at any point (SIGKILL included) can simply be run again.

>>> result = run_batch(["calls/"], "scores.jsonl", fmt="jsonl")     # doctest: +SKIP
>>> result.scored, [f.message for f in result.failures]              # doctest: +SKIP
(1204, ['calls/0412.vtt:17: cue text has no speaker (expected <v Name> or "Name: ")'])

``engine="dask"`` runs the same per-chunk function on a Dask cluster (see :func:`_dask_results`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coach import readers
from coach.errors import CoachError
from coach.output import FORMATS, Writer, WrittenKeys, open_writer, scorecard_row

if TYPE_CHECKING:
    import pandas

    from coach.rubric import Rubric

log = logging.getLogger(__name__)

ENGINES = ("local", "dask")
CHUNK_FILES = 32
"""Files per task: one ``nlp.pipe`` and model batch (16 -> 32 saved ~5% in model overhead); small enough
that progress and memory stay smooth."""
ZONE_CALLS = 2000
"""Calls scored inside one spaCy memory zone before its strings are freed (see Scorer._new_memory_zone)."""
IN_FLIGHT_PER_WORKER = 4
"""Chunks queued per worker: keeps every worker busy while bounding results waiting to be written."""


@dataclass(frozen=True)
class Failure:
    """An input that could not be scored; ``message`` names the file, the place and what was expected."""

    path: str
    message: str


@dataclass
class BatchResult:
    """What a batch did: calls scored and written, inputs that failed, calls skipped as already written."""

    scored: int = 0
    failures: list[Failure] = field(default_factory=list)
    skipped: int = 0


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to score files the same way in every process (picklable)."""

    rubric: Rubric | None = None
    input_format: str | None = None
    agent_speakers: tuple[str, ...] = ()
    use_model: bool = True
    mask_pii: bool = False
    done: WrittenKeys = WrittenKeys()
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # identifies a run's settings in worker caches


@dataclass(frozen=True)
class FileResult:
    """One input file's outcome: its scorecards as JSON text, or the reason it failed."""

    path: str
    records: tuple[str, ...] = ()
    error: str | None = None
    skipped: int = 0


Task = tuple[str, bytes | None]  # (path, bytes when the main process already read them, e.g. stdin)


# ---------------------------------------------------------------------------------------------------------
# The per-chunk function every engine runs


class Scorer:
    """One process's (or thread's) scoring state: one Analyzer, built once, reused for every chunk."""

    def __init__(self, settings: Settings, analyzer: Any = None):
        from coach.scoring import Analyzer

        self.settings = settings
        self.analyzer = analyzer or Analyzer(settings.rubric, use_model=settings.use_model)
        self.mask = _mask_function() if settings.mask_pii else None
        self._zone: Any = None
        self._zone_calls = 0

    def score_chunk(self, tasks: Sequence[Task]) -> list[FileResult]:
        """Read every file, score all their calls in one batch and return one result per file, in order."""
        read: list[tuple[str, list[Any], str | None, int]] = []
        for path, data in tasks:
            calls, error = self._read(path, data)
            fresh = [c for c in calls if (c.source, c.call_id) not in self.settings.done]
            read.append((path, fresh, error, len(calls) - len(fresh)))
        try:
            cards = iter(self._analyze([c for _, calls, _, _ in read for c in calls]))
            return [FileResult(p, tuple(_dumps(next(cards)) for _ in calls), error, skipped) for p, calls, error, skipped in read]
        except Exception:  # noqa: BLE001 - isolate the file that broke the batch: analyze one file at a time
            log.debug("chunk failed as a batch; retrying file by file", exc_info=True)
        results = []
        for path, calls, error, skipped in read:
            try:
                results.append(FileResult(path, tuple(_dumps(card) for card in self._analyze(calls)), error, skipped))
            except Exception as e:  # noqa: BLE001 - one bad file must never stop the batch
                log.debug("internal error scoring %s", path, exc_info=True)
                results.append(FileResult(path, (), _internal(path, e)))
        return results

    def _read(self, path: str, data: bytes | None) -> tuple[list[Any], str | None]:
        s = self.settings
        try:
            calls = readers.read_calls(path, s.input_format, agent_speakers=s.agent_speakers, data=data)
            if not calls:
                return [], f"{path}: no calls found in the file (expected at least one turn)"
            if self.mask is not None:
                calls = [self.mask(c) for c in calls]
            return calls, None
        except CoachError as e:
            return [], str(e)
        except Exception as e:  # noqa: BLE001 - a reader bug on one file must not stop the batch
            log.debug("internal error reading %s", path, exc_info=True)
            return [], _internal(path, e)

    def _analyze(self, calls: list[Any]) -> list[Any]:
        if not calls:
            return []
        if self._zone is None or self._zone_calls >= ZONE_CALLS:
            self._new_memory_zone()
        self._zone_calls += len(calls)
        return self.analyzer.analyze_many(calls)

    def close(self) -> None:
        """Leave the memory zone (the Analyzer may be reused by another Scorer, and zones must not nest)."""
        if self._zone is not None:
            self._zone.__exit__(None, None, None)
            self._zone = None

    def _new_memory_zone(self) -> None:
        # spaCy keeps every string and lexeme it has seen: without a memory zone, memory grows with each new
        # name, number and typo in the corpus. Leaving a zone frees them, and the tokenizer cache with them,
        # so zones span many chunks (a zone per chunk cost ~25% throughput). Scorecards hold plain str only.
        if self._zone is not None:
            self._zone.__exit__(None, None, None)
        nlp = getattr(getattr(self.analyzer, "pipeline", None), "nlp", None)
        self._zone = nlp.memory_zone() if hasattr(nlp, "memory_zone") else nullcontext()
        self._zone.__enter__()
        self._zone_calls = 0


def _dumps(card: Any) -> str:
    import json

    return json.dumps(card.to_dict(), ensure_ascii=False)


def _internal(path: str, error: BaseException) -> str:
    return f"{path}: internal error: {type(error).__name__}: {error} (please report it with this file, if you can share it)"


def _mask_function() -> Callable[[Any], Any]:
    try:
        from coach.pii import mask_call
    except ImportError as e:
        raise CoachError(f"mask_pii needs coach.pii.mask_call, which cannot be imported ({e}); reinstall coach") from None
    return mask_call


_WORKER: Scorer | None = None


def _init_worker(settings: Settings) -> None:
    global _WORKER
    _WORKER = Scorer(settings)


def _score_in_worker(tasks: Sequence[Task]) -> list[FileResult]:
    assert _WORKER is not None, "worker not initialized"
    return _WORKER.score_chunk(tasks)


# ---------------------------------------------------------------------------------------------------------
# Engines: each yields FileResults in input order


def _chunks(tasks: Sequence[Task], size: int = CHUNK_FILES) -> Iterator[list[Task]]:
    for i in range(0, len(tasks), size):
        yield list(tasks[i : i + size])


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _local_results(tasks: Sequence[Task], settings: Settings, jobs: int) -> Iterator[FileResult]:
    chunks = list(_chunks(tasks))
    if not chunks:
        return
    jobs = max(1, min(jobs, len(chunks)))
    if jobs == 1:
        scorer = Scorer(settings, _shared_analyzer(settings))
        try:
            for chunk in chunks:
                yield from scorer.score_chunk(chunk)
        finally:
            scorer.close()
        return
    yield from _pool_results(chunks, settings, jobs)


_SHARED: dict[tuple[Any, bool], Any] = {}


def _shared_analyzer(settings: Settings) -> Any:
    """This process's Analyzer for in-process batches, kept between calls (a notebook calling score_paths
    again, tests): building one takes a second or two. One entry only; not for threads (Dask builds its own)."""
    from coach.scoring import Analyzer

    key = (settings.rubric, settings.use_model)
    if key not in _SHARED:
        _SHARED.clear()
        _SHARED[key] = Analyzer(settings.rubric, use_model=settings.use_model)
    return _SHARED[key]


def _new_pool(settings: Settings, jobs: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # forkserver/spawn, not fork: the parent may have threads (progress bar, Dask) and fork would copy their
    # locks. Each worker builds its own Analyzer in the initializer, once.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=(settings,))


def _pool_results(chunks: list[list[Task]], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Chunks over a process pool, at most ``jobs * IN_FLIGHT_PER_WORKER`` queued, yielded in input order.

    A ProcessPoolExecutor rather than multiprocessing.Pool: when a worker dies (OOM killer, a crash in C
    code) Pool waits forever, the executor raises BrokenProcessPool, and we retry that chunk file by file.
    """
    from concurrent.futures.process import BrokenProcessPool

    pool = _new_pool(settings, jobs)
    pending: deque[tuple[list[Task], Any]] = deque()
    upcoming = iter(chunks)
    try:
        while True:
            while len(pending) < jobs * IN_FLIGHT_PER_WORKER:
                chunk = next(upcoming, None)
                if chunk is None:
                    break
                pending.append((chunk, pool.submit(_score_in_worker, chunk)))
            if not pending:
                return
            chunk, future = pending.popleft()
            try:
                yield from future.result()
                continue
            except BrokenProcessPool:
                log.warning("a worker process died; retrying its files one by one")
            pool.shutdown(cancel_futures=True)
            pool = _new_pool(settings, jobs)
            for task in chunk:
                try:
                    yield from pool.submit(_score_in_worker, [task]).result()
                except BrokenProcessPool:
                    yield FileResult(task[0], (), f"{task[0]}: internal error: the worker process died while scoring this file "
                                                  "(killed, or out of memory)")
                    pool.shutdown(cancel_futures=True)
                    pool = _new_pool(settings, jobs)
            lost = [c for c, _ in pending]
            pending.clear()
            upcoming = iter([*lost, *upcoming])
    finally:
        pool.shutdown(cancel_futures=True)


_DASK_SCORERS = threading.local()


def score_chunk_on_worker(settings: Settings, tasks: Sequence[Task]) -> list[FileResult]:
    """The Dask task: score a chunk with this worker thread's Scorer for these settings.

    Each worker thread keeps its own Analyzer (they are not shared between threads) across runs with the same
    rubric and model setting, so a long-lived cluster pays the start-up cost once.
    """
    scorer = getattr(_DASK_SCORERS, "scorer", None)
    if scorer is None or scorer.settings.token != settings.token:
        analyzer = None
        if scorer is not None:
            scorer.close()
            same = (scorer.settings.rubric, scorer.settings.use_model) == (settings.rubric, settings.use_model)
            analyzer = scorer.analyzer if same else None
        scorer = _DASK_SCORERS.scorer = Scorer(settings, analyzer)
    return scorer.score_chunk(tasks)


def _dask_results(tasks: Sequence[Task], settings: Settings, jobs: int | None, scheduler: Any) -> Iterator[FileResult]:
    """Chunks as futures on a Dask cluster: ``scheduler`` is an address (``tcp://host:8786``), a
    ``distributed.Client``, or None for a LocalCluster of ``jobs`` single-threaded worker processes.

    Results come back to this process and are written here, so workers need the transcripts (a shared
    file system, or paths valid on every worker) but not the output location.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CoachError("engine 'dask' needs dask.distributed: pip install 'dask[distributed]'") from None

    cluster = client = None
    owned = scheduler is None or isinstance(scheduler, str)
    # distributed logs every scheduler and nanny event at INFO; through the root handler of an application
    # (coach's CLI) that would bury the output. Quiet it for this run unless someone asked for debug logs.
    dask_log = logging.getLogger("distributed")
    saved_level = dask_log.level
    if not log.isEnabledFor(logging.DEBUG):
        dask_log.setLevel(logging.WARNING)
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=jobs or default_jobs(), threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
        elif isinstance(scheduler, str):
            try:
                client = Client(scheduler, timeout="30s")
            except OSError as e:
                raise CoachError(f"cannot reach the Dask scheduler at {scheduler} ({e}); check the address and that it is running") from None
        else:
            client = scheduler
        if not tasks:
            return
        shared = client.scatter(settings, broadcast=True)
        window = max(2, 2 * sum(client.nthreads().values()))
        pending: deque[tuple[list[Task], Any]] = deque()
        upcoming = _chunks(tasks)
        while True:
            while len(pending) < window:
                chunk = next(upcoming, None)
                if chunk is None:
                    break
                pending.append((chunk, client.submit(score_chunk_on_worker, shared, chunk, pure=False)))
            if not pending:
                return
            chunk, future = pending.popleft()
            try:
                yield from future.result()
            except Exception as e:  # noqa: BLE001 - e.g. KilledWorker: report the chunk's files, go on
                for path, _ in chunk:
                    yield FileResult(path, (), f"{path}: internal error: the Dask task failed: {type(e).__name__}: {e}")
    finally:
        if owned and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        dask_log.setLevel(saved_level)


# ---------------------------------------------------------------------------------------------------------
# Public API


def _expand(paths: Iterable[str]) -> tuple[list[Task], list[Failure]]:
    tasks: list[Task] = []
    failures: list[Failure] = []
    seen: set[str] = set()
    for p in [paths] if isinstance(paths, str) else paths:
        try:
            found = readers.expand_paths([str(p)])
        except CoachError as e:
            failures.append(Failure(str(p), str(e)))
            continue
        for path in found:
            if path in seen:
                continue
            seen.add(path)
            # Workers cannot read our stdin: read it here and send the bytes along.
            tasks.append((path, sys.stdin.buffer.read(readers.MAX_BYTES + 1) if path == "-" else None))
    return tasks, failures


def _progress_bar(progress: bool | None, files: int):
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(unit=" calls", file=sys.stderr, dynamic_ncols=True, postfix={"files": f"0/{files}", "failed": 0})


def _run(writer: Writer, tasks: list[Task], failures: list[Failure], settings: Settings, *, jobs: int | None, engine: str,
         scheduler: Any, progress: bool | None, on_failure: Callable[[Failure], None] | None) -> BatchResult:
    result = BatchResult()
    bar = _progress_bar(progress, len(tasks))

    def fail(failure: Failure) -> None:
        result.failures.append(failure)
        if on_failure is not None:
            on_failure(failure)

    for failure in failures:
        fail(failure)
    if engine == "dask":
        results = _dask_results(tasks, settings, jobs, scheduler)
    else:
        results = _local_results(tasks, settings, jobs or default_jobs())
    try:
        for n, file_result in enumerate(results, 1):
            for record in file_result.records:
                writer.write_json(record)
            result.scored += len(file_result.records)
            result.skipped += file_result.skipped
            if file_result.error is not None:
                fail(Failure(file_result.path, file_result.error))
            if bar is not None:
                bar.update(len(file_result.records))
                bar.set_postfix(files=f"{n}/{len(tasks)}", failed=len(result.failures), refresh=False)
    finally:
        if bar is not None:
            bar.close()
    return result


def run_batch(
    paths: Iterable[str],
    output: str | None,
    *,
    fmt: str = "table",
    rubric: Rubric | None = None,
    input_format: str | None = None,
    agent_speakers: Sequence[str] = (),
    use_model: bool = True,
    jobs: int | None = None,
    resume: bool = False,
    progress: bool | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    mask_pii: bool = False,
    on_failure: Callable[[Failure], None] | None = None,
) -> BatchResult:
    """Score every call in ``paths`` (files, directories, ``-``) and write the scorecards to ``output``.

    ``output`` None writes to standard output. ``fmt`` is one of :data:`coach.output.FORMATS`. ``jobs``
    worker processes (default: every CPU). ``resume`` skips calls already in ``output``. ``progress`` shows a
    bar on stderr (default: when stderr is a terminal). ``engine="dask"`` scores on a Dask cluster at
    ``scheduler`` (default: a local one) and, with an ``output``, writes a directory of ``part-NNNNN`` files.
    ``mask_pii`` masks personal data in each call before analysis. ``on_failure`` is called with each
    :class:`Failure` as it happens. Unreadable inputs never raise: they are returned in ``failures``.
    """
    if fmt not in FORMATS:
        raise CoachError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if engine not in ENGINES:
        raise CoachError(f"unknown engine {engine!r} (expected one of: {', '.join(ENGINES)})")
    if mask_pii:
        _mask_function()  # fail before any work when masking cannot be done
    tasks, failures = _expand(paths)
    partitioned = engine == "dask" and output is not None and fmt != "table"
    with open_writer(output, fmt, resume=resume, partitioned=partitioned) as writer:
        settings = Settings(rubric, input_format, tuple(agent_speakers), use_model, mask_pii, writer.done)
        return _run(writer, tasks, failures, settings, jobs=jobs, engine=engine, scheduler=scheduler, progress=progress, on_failure=on_failure)


class _RowCollector(Writer):
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.rows.append(scorecard_row(record))


def score_paths(
    paths: Iterable[str],
    rubric: Rubric | None = None,
    *,
    input_format: str | None = None,
    agent_speakers: Sequence[str] = (),
    use_model: bool = True,
    jobs: int = 1,
) -> pandas.DataFrame:
    """Score transcripts into a DataFrame, one row per call (the columns of :func:`coach.output.scorecard_row`).

    The notebook API: inputs that cannot be read are logged as warnings and left out, never raised.

    >>> df = score_paths(["transcripts_sample/"], use_model=False)     # doctest: +SKIP
    >>> df.groupby("agent").score.mean()                              # doctest: +SKIP
    """
    import pandas as pd

    tasks, failures = _expand(paths)
    collector = _RowCollector()
    settings = Settings(rubric, input_format, tuple(agent_speakers), use_model)
    result = _run(collector, tasks, failures, settings, jobs=jobs, engine="local", scheduler=None, progress=False, on_failure=None)
    for failure in result.failures:
        log.warning("skipped: %s", failure.message)
    if not collector.rows:
        return pd.DataFrame(columns=list(scorecard_row({})))
    return pd.DataFrame(collector.rows)


__all__ = ["BatchResult", "Failure", "FileResult", "Scorer", "Settings", "default_jobs", "run_batch", "score_chunk_on_worker", "score_paths"]


def is_scorecard_file(path: str) -> bool:
    """Does ``path`` hold scorecards written by ``coach score`` (JSONL, or a folder of Dask parts)?"""
    if os.path.isdir(path):
        return any(name.startswith("part-") and name.endswith(".jsonl") for name in os.listdir(path))
    if not path.endswith(".jsonl"):
        return False
    try:
        with open(path, encoding="utf-8") as f:
            first = json.loads(f.readline() or "{}")
    except (OSError, ValueError):
        return False
    return isinstance(first, dict) and "criteria" in first and "score" in first


def scorecards_from_paths(paths: Iterable[str], *, rubric: Rubric | None = None, **batch_options: Any) -> tuple[list[Any], list[Failure]]:
    """Scorecards for a report: read stored ``coach score`` output as is, score transcripts (via
    :func:`run_batch`, so failures are collected the same way). Returns (scorecards, failures)."""
    import tempfile

    from coach.reports import load_scorecards

    stored = [p for p in paths if p != "-" and is_scorecard_file(p)]
    transcripts = [p for p in paths if p not in stored]
    cards: list[Any] = [card for path in stored for card in load_scorecards(path)]
    failures: list[Failure] = []
    if transcripts:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "scores.jsonl")
            result = run_batch(transcripts, out, fmt="jsonl", rubric=rubric, **batch_options)
            failures = list(result.failures)
            if os.path.exists(out) and os.path.getsize(out):
                cards += load_scorecards(out)
    return cards, failures
