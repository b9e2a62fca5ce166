"""Read what a report is built from: stored scorecards (``coach score`` JSONL) and an agent -> team map."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from coach.errors import CoachError
from coach.model import Scorecard

SCORECARD_HINT = "expected one JSON scorecard per line, as written by `coach score --format jsonl`"
TEAM_MAP_HINT = "expected CSV rows `agent,team`, or YAML `agent: team` (or `team: [agent, ...]`)"


def load_scorecards(path: str | Path) -> list[Scorecard]:
    """Read the scorecards ``coach score`` wrote: a JSONL file, or a folder of them (``*.jsonl`` and the
    ``part-NNNNN`` files of a Dask run), in name order.

    Raises :class:`CoachError` naming the file and line: ``scores.jsonl:3: not valid JSON (...)``.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir() if p.is_file() and (p.suffix in (".jsonl", ".json") or p.name.startswith("part-"))
        )
        if not files:
            raise CoachError(f"{path}: no scorecard files in this folder ({SCORECARD_HINT})")
        return [card for f in files for card in load_scorecards(f)]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CoachError(f"{path}: cannot read scorecards: {getattr(e, 'strerror', None) or e}") from None
    cards = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise CoachError(f"{path}:{number}: not valid JSON ({e.msg} at column {e.colno}); {SCORECARD_HINT}") from None
        cards.append(_scorecard(record, path, number))
    return cards


def _scorecard(record: Any, path: Path, number: int) -> Scorecard:
    if not isinstance(record, dict):
        raise CoachError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}; {SCORECARD_HINT}")
    missing = [k for k in ("call_id", "score") if k not in record]
    if missing:
        hint = (
            " (this looks like a transcript: score it first, or pass the transcript to `coach report`)"
            if "turns" in record and "criteria" not in record
            else ""
        )
        raise CoachError(f"{path}:{number}: scorecard has no {' or '.join(missing)}{hint}; {SCORECARD_HINT}")
    try:
        return Scorecard.from_dict(record)
    except (KeyError, ValueError, TypeError) as e:
        raise CoachError(
            f"{path}:{number}: call {record.get('call_id')!r}: malformed scorecard ({type(e).__name__}: {e}); {SCORECARD_HINT}"
        ) from None


def load_team_map(path: str | Path) -> dict[str, str]:
    """Agent name -> team from a CSV (``agent,team``; a header row is optional) or YAML file.

    YAML may map each agent to a team (``Derek: Retention East``) or each team to its agents
    (``Retention East: [Derek, Tanya]``). Raises :class:`CoachError` naming the file and line for a bad row,
    an empty name or an agent given two teams.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise CoachError(f"{path}: cannot read team map: {getattr(e, 'strerror', None) or e}") from None
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        pairs = _csv_pairs(text, path, "\t" if suffix == ".tsv" else ",")
    elif suffix in (".yaml", ".yml", ".json"):
        pairs = _yaml_pairs(text, path)
    else:
        raise CoachError(f"{path}: unknown team map type {suffix or '(no extension)'!r}; use .csv or .yaml ({TEAM_MAP_HINT})")
    team_map: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, agent, team in pairs:
        if not agent or not team:
            raise CoachError(f"{path}:{line}: empty {'agent' if not agent else 'team'} name; {TEAM_MAP_HINT}")
        if agent in team_map and team_map[agent] != team:
            raise CoachError(
                f"{path}:{line}: agent {agent!r} is already in team {team_map[agent]!r} (line {first_line[agent]}); give each agent one team"
            )
        team_map[agent] = team
        first_line.setdefault(agent, line)
    if not team_map:
        raise CoachError(f"{path}: the team map is empty; {TEAM_MAP_HINT}")
    return team_map


def _csv_pairs(text: str, path: Path, delimiter: str) -> list[tuple[int, str, str]]:
    pairs = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != 2:
            raise CoachError(f"{path}:{line}: expected 2 columns (agent{delimiter}team), got {len(row)}; {TEAM_MAP_HINT}")
        agent, team = row[0].strip(), row[1].strip()
        if not pairs and (agent.lower(), team.lower()) == ("agent", "team"):
            continue  # header row
        pairs.append((line, agent, team))
    return pairs


def _yaml_pairs(text: str, path: Path) -> list[tuple[int, str, str]]:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise CoachError(f"{where}: not valid YAML ({getattr(e, 'problem', None) or e}); {TEAM_MAP_HINT}") from None
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise CoachError(f"{path}:{root.start_mark.line + 1}: expected a mapping at the top level; {TEAM_MAP_HINT}")
    pairs = []
    for key, value in root.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode):
            raise CoachError(f"{path}:{line}: expected a name as the key; {TEAM_MAP_HINT}")
        if isinstance(value, yaml.ScalarNode):
            pairs.append((line, key.value.strip(), value.value.strip()))
        elif isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if not isinstance(item, yaml.ScalarNode):
                    raise CoachError(
                        f"{path}:{item.start_mark.line + 1}: expected an agent name in team {key.value!r}; {TEAM_MAP_HINT}"
                    )
                pairs.append((item.start_mark.line + 1, item.value.strip(), key.value.strip()))
        else:
            raise CoachError(f"{path}:{line}: {key.value!r} maps to a mapping; {TEAM_MAP_HINT}")
    return pairs
