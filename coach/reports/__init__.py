"""Coaching reports: HTML (or Markdown) pages a trainer can open, print or forward as they are.

:func:`build_report` writes, into one folder:

- ``index.html``: the whole batch (scores, grades, criterion hit rates, trend, calls worth a listen) and
  links to every other page;
- ``teams/<team>.html``: ranking, criterion x agent heatmap, team coaching priorities, reasons for leaving,
  pressure by agent, the calls most worth listening to;
- ``agents/<agent>.html`` (``by="agent"`` only): hit rates against the team, the top three coaching
  priorities with quoted examples from the agent's own calls and the rubric's "try saying" phrasings,
  pressure tactics with quotes, reasons for leaving and how often they were acknowledged, trend over time;
- ``calls/<call>.html``: the scorecard and the full transcript, speakers coloured, evidence turns
  labelled by criterion, and the customer's sentiment line.

Pages are self-contained (inline CSS, inline SVG charts, no script, no external URL) and print cleanly.
``by="team"`` writes team pages (with team-wide coaching priorities) and call pages but no agent pages,
for a team huddle rather than one-to-ones.

>>> cards = load_scorecards("scores.jsonl")                                      # doctest: +SKIP
>>> build_report(cards, "report/", team_map=load_team_map("teams.csv"))[0]      # doctest: +SKIP
PosixPath('report/index.html')
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from coach.errors import CoachError
from coach.model import Scorecard
from coach.reports.inputs import load_scorecards, load_team_map
from coach.rubric import Rubric

log = logging.getLogger(__name__)

FORMATS = ("html", "md")
GROUPINGS = ("agent", "team")


def build_report(
    cards: Iterable[Scorecard],
    out_dir: str | Path,
    *,
    by: str = "agent",
    team_map: Mapping[str, str] | None = None,
    rubric: Rubric | None = None,
    fmt: str = "html",
    mask_pii: bool = False,
) -> list[Path]:
    """Write the coaching report for ``cards`` into ``out_dir``; return the paths written, index first.

    ``team_map`` (agent -> team, see :func:`load_team_map`) overrides the team stored in each scorecard.
    ``rubric`` supplies criterion labels, weights, tips and "try saying" phrasings (default: the packaged
    rubric); when given, scorecards scored with a different rubric are re-scored against it from their
    stored findings. ``mask_pii`` masks phone, card and account numbers, emails and addresses in every
    transcript line and quote (see :mod:`coach.pii`). Existing files in ``out_dir`` are overwritten, never
    deleted.
    """
    if fmt not in FORMATS:
        raise CoachError(f"unknown report format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if by not in GROUPINGS:
        raise CoachError(f"unknown report grouping {by!r} (expected one of: {', '.join(GROUPINGS)})")
    cards = list(cards)
    if not cards:
        raise CoachError("nothing to report: no scorecards were given (check the input paths, or score the transcripts first)")
    if rubric is None:
        from coach.rubric import load_rubric

        rubric = load_rubric()
    else:
        cards = _rescored(cards, rubric)
    if mask_pii:
        from coach.pii import mask_scorecard

        cards = [mask_scorecard(c) for c in cards]

    from coach.reports.render import Report
    from coach.reports.templating import environment

    report = Report(cards, rubric, by=by, team_map=team_map)
    env = environment(fmt)
    out = Path(out_dir)
    written: list[Path] = []
    for folder, stem, context in report.all_pages():
        kind = "index" if not folder else folder[:-1]  # teams -> team
        target = out / folder / f"{stem}.{fmt}"
        target.parent.mkdir(parents=True, exist_ok=True)
        page = env.get_template(f"{kind}.{fmt}.j2").render(**context(fmt))
        target.write_text(page, encoding="utf-8")
        written.append(target)
    log.info("wrote %d report pages to %s", len(written), out)
    return written


def _rescored(cards: list[Scorecard], rubric: Rubric) -> list[Scorecard]:
    if all(not c.rubric or c.rubric == rubric.label for c in cards):
        return cards
    from coach.scoring import rescore

    return [rescore(c, rubric) if c.rubric and c.rubric != rubric.label else c for c in cards]


__all__ = ["FORMATS", "GROUPINGS", "build_report", "load_scorecards", "load_team_map"]
