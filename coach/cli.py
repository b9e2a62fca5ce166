"""The ``coach`` command line: thin click commands over the library.

Each command parses flags, calls one library function and turns ``CoachError`` into a one-line message.
This is the only module that prints or exits. Heavy libraries are imported inside the commands, so
``coach --help`` answers at once. Exit codes: 0 all good, 1 some input failed (every good result is still
written), 2 usage error.
"""

from __future__ import annotations

import logging
import sys

import click

from coach import __version__
from coach.errors import CoachError

INPUT_FORMATS = (
    "text", "vtt", "srt", "csv", "tsv", "json", "jsonl", "transcribe", "transcribe-analytics",
    "deepgram", "assemblyai", "ccai", "azure", "whisperx",
)  # fmt: skip


def _input_options(func):
    func = click.option("--agent-speaker", "agent_speakers", multiple=True, metavar="LABEL", help="Speaker label that is the agent (repeatable); overrides role inference.")(func)
    func = click.option("--input-format", type=click.Choice(INPUT_FORMATS), help="Read every input as this format instead of detecting it.")(func)
    return func


def _fail(error: CoachError) -> None:
    raise click.ClickException(str(error))


def _report_failures(failures) -> None:
    for failure in failures:
        click.echo(f"error: {failure.message}", err=True)
    if failures:
        click.echo(f"{len(failures)} input(s) failed; every other result was written.", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coach")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Score retention (cancellation) calls for a graceful goodbye.

    Finds missing gratitude, the unasked "why are you leaving?" and pressure-style retention tactics, with
    the quoted turn behind every verdict.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@_input_options
def parse(paths, fmt, input_format, agent_speakers) -> None:
    """Show the turns coach reads from transcripts, with speaker roles.

    PATHS may be files, directories (read recursively) or - for standard input.
    """
    from coach.views import parse_paths

    failures = parse_paths(paths, fmt, input_format=input_format, agent_speakers=agent_speakers, echo=click.echo, warn=_warn)
    _report_failures(failures)
    sys.exit(1 if failures else 0)


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=True), help="Write results here instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl", "csv", "parquet"]), default=None, help="Output format [default: table on a terminal, else from the -o extension, else jsonl].")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False), help="Score against this rubric YAML instead of the built-in one.")
@click.option("--no-model", is_flag=True, help="Score with patterns only; do not load the trained models.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None, help="Worker processes [default: number of cores].")
@click.option("--resume", is_flag=True, help="Skip calls already in the output file (after a crash or kill).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (with --engine dask); default: a local cluster.")
@click.option("--mask-pii", is_flag=True, help="Mask phone numbers, emails, card/account numbers and addresses in the output.")
@_input_options
def score(paths, output, fmt, rubric, no_model, jobs, resume, quiet, engine, scheduler, mask_pii, input_format, agent_speakers) -> None:
    """Score calls against the graceful-goodbye rubric.

    PATHS may be files, directories (read recursively) or - for standard input.
    """
    from coach.batch import run_batch
    from coach.rubric import load_rubric

    fmt = fmt or _format_for(output)
    if fmt == "parquet" and not output:
        raise click.UsageError("--format parquet needs -o FILE")
    try:
        result = run_batch(
            list(paths), output, fmt=fmt, rubric=load_rubric(rubric) if rubric else None, input_format=input_format,
            agent_speakers=agent_speakers, use_model=not no_model, jobs=jobs, resume=resume,
            progress=False if quiet else None, engine=engine, scheduler=scheduler, mask_pii=mask_pii,
        )  # fmt: skip
    except CoachError as e:
        _fail(e)
    _report_failures(result.failures)
    sys.exit(1 if result.failures else 0)


def _format_for(output: str | None) -> str:
    if not output:
        return "table" if sys.stdout.isatty() else "jsonl"
    for ext, fmt in ((".jsonl", "jsonl"), (".json", "jsonl"), (".csv", "csv"), (".parquet", "parquet"), (".txt", "table")):
        if output.endswith(ext):
            return fmt
    return "jsonl"


@main.command()
@click.argument("path")
@click.option("--call-id", help="Which call, when the file holds several.")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-model", is_flag=True, help="Patterns only.")
@_input_options
def show(path, call_id, rubric, no_model, input_format, agent_speakers) -> None:
    """Print one call's scorecard and its transcript with the evidence turns marked."""
    from coach.views import show_call

    try:
        text = show_call(path, call_id=call_id, rubric_path=rubric, use_model=not no_model, input_format=input_format, agent_speakers=agent_speakers)
    except CoachError as e:
        _fail(e)
    click.echo(text)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write the pages into.")
@click.option("--by", type=click.Choice(["agent", "team"]), default="agent", show_default=True, help="Pages per agent (one-to-ones) or per team (huddles).")
@click.option("--team-map", type=click.Path(exists=True, dir_okay=False), help="CSV (agent,team) or YAML mapping agents to teams.")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.option("--mask-pii", is_flag=True, help="Mask phone numbers, emails, card/account numbers and addresses on every page.")
@click.option("--no-model", is_flag=True, help="When scoring transcripts: patterns only.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None)
@_input_options
def report(paths, output, by, team_map, rubric, fmt, mask_pii, no_model, jobs, input_format, agent_speakers) -> None:
    """Write coaching pages per agent and team, and a page per call.

    PATHS are transcripts (scored now) or the JSONL that 'coach score' wrote (not scored again).
    """
    from coach.batch import scorecards_from_paths
    from coach.reports import build_report, load_team_map
    from coach.rubric import load_rubric

    try:
        loaded = load_rubric(rubric) if rubric else None
        cards, failures = scorecards_from_paths(list(paths), rubric=loaded, input_format=input_format, agent_speakers=agent_speakers,
                                                use_model=not no_model, jobs=jobs, progress=False, mask_pii=mask_pii)  # fmt: skip
        pages = build_report(cards, output, by=by, team_map=load_team_map(team_map) if team_map else None, rubric=loaded, fmt=fmt, mask_pii=mask_pii)
    except CoachError as e:
        _fail(e)
    _report_failures(failures)
    click.echo(f"wrote {len(pages)} pages for {len(cards)} calls; open {pages[0]}", err=True)
    sys.exit(1 if failures else 0)


@main.command()
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--split", type=click.Choice(["test", "dev", "train", "all"]), default="test", show_default=True)
@click.option("--mode", type=click.Choice(["combined", "patterns", "model"]), default="combined", show_default=True, help="Patterns and models together, or either alone.")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False))
@click.option("--models-dir", type=click.Path(file_okay=False), help="Use models from here instead of the installed ones.")
@click.option("--report", type=click.Path(dir_okay=False), help="Also write the full result (metrics and every miss) as JSON.")
@click.option("--fail-under", type=click.FloatRange(0, 1), default=None, help="Exit 1 when any mission-flag F1 is below this.")
def evaluate(gold_dir, split, mode, rubric, models_dir, report, fail_under) -> None:
    """Measure the detectors against a labelled gold set: P/R/F1, confusion tables, misses with evidence."""
    import json

    from coach.evaluate import MISSION_FLAGS, format_evaluation
    from coach.evaluate import evaluate as run_evaluation
    from coach.rubric import load_rubric

    try:
        result = run_evaluation(gold_dir, split=split, mode=mode, rubric=load_rubric(rubric) if rubric else None, models_dir=models_dir)
    except CoachError as e:
        _fail(e)
    click.echo(format_evaluation(result))
    if report:
        with open(report, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2, default=str)
    low = [f"{n} {result['flags'][n]['f1']:.2f}" for n in MISSION_FLAGS if fail_under is not None and result["flags"][n]["f1"] < fail_under]
    if low:
        click.echo(f"error: mission-flag F1 below {fail_under}: {', '.join(low)}", err=True)
        sys.exit(1)


@main.command()
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write the models and manifest to.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--extra", multiple=True, type=click.Path(exists=True, file_okay=False), help="Another labelled set for training (repeatable); calls its splits.json puts in dev help choose thresholds, test calls are left out.")
@click.option("--context-weight", type=float, default=None, help="Also read each turn's previous turn, at this weight (default: 0, each turn alone).")
def train(gold_dir, output, seed, extra, context_weight) -> None:
    """Train the utterance classifiers on the gold train split (thresholds on dev, figures on test)."""
    from coach.training import train_models

    try:
        metrics = train_models(gold_dir, output, seed=seed, extra=extra, context_weight=context_weight)
    except CoachError as e:
        _fail(e)
    for warning in metrics["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    calls = metrics["calls"]
    click.echo(
        f"trained on {metrics['utterances']['train']} utterances from {calls['train'] + calls['extra_train']} calls "
        f"({calls['train']} gold train, {calls['extra_train']} extra), thresholds on {calls['dev'] + calls['extra_dev']} dev calls; wrote {output}"
    )
    for label, m in sorted(metrics["test"].items()):
        click.echo(f"  {label:<28} test P {m['precision']:.2f}  R {m['recall']:.2f}  F1 {m['f1']:.2f}  (support {m['support']})")


if __name__ == "__main__":  # python -m coach.cli
    main()
