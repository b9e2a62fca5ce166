"""Plain-text views for the terminal: the turns coach read (``coach parse``) and one call's scorecard with
its transcript (``coach show``). Functions return text or hand lines to a callback; they never print.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from coach.errors import CoachError
from coach.model import Call, Outcome, Scorecard
from coach.reports.render import clock


@dataclass(frozen=True)
class ParseFailure:
    path: str
    message: str


def parse_paths(
    paths: Iterable[str],
    fmt: str = "table",
    *,
    input_format: str | None = None,
    agent_speakers: Sequence[str] = (),
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> list[ParseFailure]:
    """Read every path and hand its turns to ``echo`` as a table or JSON lines; return the failures."""
    from coach.readers import call_to_dict, expand_paths, read_calls

    failures: list[ParseFailure] = []
    try:
        files = expand_paths(paths)
    except CoachError as e:
        return [ParseFailure(str(paths), str(e))]
    for path in files:
        try:
            calls = read_calls(path, input_format, agent_speakers=agent_speakers)
        except CoachError as e:
            failures.append(ParseFailure(path, str(e)))
            continue
        for call in calls:
            for warning in call.warnings:
                warn(warning)
            if fmt == "jsonl":
                echo(json.dumps(call_to_dict(call), ensure_ascii=False))
            else:
                echo(turns_table(call))
    return failures


def turns_table(call: Call, marks: dict[int, list[str]] | None = None, width: int = 100) -> str:
    """The call's turns, one block per turn: index, time, speaker (role), text wrapped under it."""
    confidence = f", role confidence {call.role_confidence:.2f}" if call.role_confidence is not None else ""
    head = f"== {call.call_id}  ({call.source}, {call.format or 'unknown format'}, {len(call.turns)} turns{confidence})"
    details = [f"{k}: {v}" for k, v in (("agent", call.agent), ("team", call.team), ("date", call.date), ("channel", call.channel)) if v]
    lines = [head] + (["   " + "  ".join(details)] if details else [])
    for turn in call.turns:
        stamp = clock(turn.start)
        tags = (marks or {}).get(turn.index)
        marker = ">>" if tags else "  "
        label = f"{marker}{turn.index:>4} {stamp:>8}  {turn.speaker} ({turn.role.value})"
        if tags:
            label += "   [" + ", ".join(tags) + "]"
        lines.append(label)
        lines.extend(textwrap.wrap(turn.text, width=width, initial_indent=" " * 16, subsequent_indent=" " * 16) or [" " * 16])
    return "\n".join(lines)


def scorecard_text(card: Scorecard) -> str:
    """The scorecard as a reviewer reads it: score, flags, tactics, reason, each criterion with its why."""
    flags = [name for name, on in card.flags if on]
    lines = [
        f"{card.call_id}: {card.score:.0f}/100, grade {card.grade}   ({card.rubric})",
        f"  flags: {', '.join(flags) or 'none'}",
        f"  pressure tactics: {', '.join(card.pressure_tactics) or 'none'}",
        f"  reason for leaving: {card.reason.category or 'not established'}" + (f' - "{card.reason.text}"' if card.reason.text else ""),
    ]
    s = card.sentiment
    if s.start is not None:
        lines.append(f"  customer sentiment: start {s.start:+.2f}, end {s.end:+.2f}, lowest {s.min:+.2f}, trend {s.trend:+.2f}")
    lines.append("")
    symbol = {Outcome.MET: "+", Outcome.MISSED: "-", Outcome.NA: " "}
    for v in card.verdicts:
        lines.append(f"  [{symbol[v.outcome]}] {v.label:<45} {v.outcome.value:<7} {v.points:>4.0f}/{v.max_points:<3.0f} {v.why}")
        for e in v.evidence[:3]:
            lines.append(f"        turn {e.turn} ({e.speaker}): \"{_short(e.text)}\"")
    for warning in card.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_marks(card: Scorecard) -> dict[int, list[str]]:
    """Turn index -> the criteria whose evidence quotes it (missed criteria shown with a minus)."""
    marks: dict[int, list[str]] = {}
    for v in card.verdicts:
        for e in v.evidence:
            tag = v.criterion if v.outcome is Outcome.MET else f"-{v.criterion}"
            if tag not in marks.setdefault(e.turn, []):
                marks[e.turn].append(tag)
    return marks


def show_call(
    path: str,
    *,
    call_id: str | None = None,
    rubric_path: str | None = None,
    use_model: bool = True,
    input_format: str | None = None,
    agent_speakers: Sequence[str] = (),
) -> str:
    """Score one call from a transcript and render its scorecard and marked transcript."""
    from coach.readers import read_calls
    from coach.rubric import load_rubric
    from coach.scoring import Analyzer

    calls = read_calls(path, input_format, agent_speakers=agent_speakers)
    if call_id is not None:
        calls = [c for c in calls if c.call_id == call_id]
        if not calls:
            raise CoachError(f"{path}: no call with id {call_id!r}")
    elif len(calls) > 1:
        ids = ", ".join(c.call_id for c in calls[:10])
        raise CoachError(f"{path}: holds {len(calls)} calls; choose one with --call-id ({ids})")
    card = Analyzer(load_rubric(rubric_path) if rubric_path else None, use_model=use_model).analyze(calls[0])
    return scorecard_text(card) + "\n\n" + turns_table(calls[0], evidence_marks(card))
