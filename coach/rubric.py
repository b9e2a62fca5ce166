"""Load and validate a rubric: which criteria a call is scored on, their weights, caps and coaching text.

The rubric is data (``coach/rubrics/*.yaml``). Validation collects every problem at once and names the key,
so a QA lead editing a rubric fixes it in one pass:

    my_rubric.yaml: criteria[3] (personalize).weight: expected a number > 0, got 'ten'; criteria[5].detector:
    unknown detector 'goodby' (known: gratitude, reason, pressure, goodbye)
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from coach.detectors.registry import DETECTORS, known_findings
from coach.errors import RubricError
from coach.rules import YAML_LOADER

DEFAULT_RUBRIC = "graceful_goodbye.yaml"


@dataclass(frozen=True)
class Criterion:
    """One line of the rubric: how a criterion is decided, weighted and coached."""

    id: str
    label: str
    detector: str
    weight: float
    met_if: str | None = None  # finding name whose presence means met
    missed_if: str | None = None  # glob over finding names whose presence means missed
    na_unless: str | None = None  # finding name whose absence means n/a
    critical: bool = False
    cap: float | None = None  # score ceiling when a critical criterion is missed
    description: str = ""
    tip: str = ""
    try_saying: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rubric:
    name: str
    version: str
    criteria: tuple[Criterion, ...]
    grade_bands: tuple[tuple[float, str], ...]
    allowed_save_offers: int = 1
    path: str = ""

    def criterion(self, id: str) -> Criterion:
        for c in self.criteria:
            if c.id == id:
                return c
        raise KeyError(f"rubric {self.name!r} has no criterion {id!r} (it has: {', '.join(c.id for c in self.criteria)})")

    def grade(self, score: float) -> str:
        for minimum, grade in self.grade_bands:
            if score >= minimum:
                return grade
        return self.grade_bands[-1][1]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load a rubric from YAML; ``None`` loads the packaged graceful-goodbye rubric.

    >>> load_rubric().criterion("gratitude").weight
    15.0
    """
    if path is None:
        ref = resources.files("coach.rubrics").joinpath(DEFAULT_RUBRIC)
        text, where = ref.read_text(encoding="utf-8"), f"coach/rubrics/{DEFAULT_RUBRIC}"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise RubricError(where, f"cannot read rubric: {e.strerror or e}") from None
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise RubricError(where, f"{line}not valid YAML ({getattr(e, 'problem', e)})") from None
    return parse_rubric(data, where)


def parse_rubric(data: Any, where: str = "<rubric>") -> Rubric:
    """Validate a rubric already parsed from YAML/JSON; raise one RubricError listing every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise RubricError(where, "expected a mapping with name, criteria and grade_bands at the top level")

    def need(mapping: dict, key: str, kind: type | tuple[type, ...], at: str, required: bool = True) -> Any:
        if key not in mapping:
            if required:
                problems.append(f"{at}{key}: missing")
            return None
        value = mapping[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            problems.append(f"{at}{key}: expected {names}, got {value!r}")
            return None
        return value

    name = need(data, "name", str, "") or "unnamed"
    version = str(data.get("version", "1"))
    allowed = data.get("allowed_save_offers", 1)
    if not isinstance(allowed, int) or isinstance(allowed, bool) or allowed < 0:
        problems.append(f"allowed_save_offers: expected a whole number >= 0, got {allowed!r}")
        allowed = 1

    bands: list[tuple[float, str]] = []
    for i, band in enumerate(need(data, "grade_bands", list, "") or []):
        at = f"grade_bands[{i}]."
        if not isinstance(band, dict):
            problems.append(f"grade_bands[{i}]: expected {{min: NUMBER, grade: TEXT}}")
            continue
        minimum, grade = need(band, "min", (int, float), at), need(band, "grade", str, at)
        if minimum is not None and grade is not None:
            bands.append((float(minimum), grade))
    bands.sort(key=lambda b: -b[0])
    if bands and bands[-1][0] > 0:
        problems.append("grade_bands: the lowest band must start at 0 so every score gets a grade")

    findings = known_findings()
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for i, raw in enumerate(need(data, "criteria", list, "") or []):
        if not isinstance(raw, dict):
            problems.append(f"criteria[{i}]: expected a mapping")
            continue
        cid = raw.get("id")
        at = f"criteria[{i}] ({cid})." if isinstance(cid, str) else f"criteria[{i}]."
        cid = need(raw, "id", str, at)
        if cid in seen:
            problems.append(f"{at}id: duplicate criterion id {cid!r}")
        seen.add(cid or "")
        detector = need(raw, "detector", str, at)
        if detector is not None and detector not in DETECTORS:
            problems.append(f"{at}detector: unknown detector {detector!r} (known: {', '.join(sorted(DETECTORS))})")
        weight = need(raw, "weight", (int, float), at)
        if weight is not None and weight <= 0:
            problems.append(f"{at}weight: expected a number > 0, got {weight!r}")
        met_if, missed_if = raw.get("met_if"), raw.get("missed_if")
        if (met_if is None) == (missed_if is None):
            problems.append(f"{at}: give exactly one of met_if or missed_if")
        for key in ("met_if", "missed_if", "na_unless"):
            value = raw.get(key)
            if value is None:
                continue
            if not isinstance(value, str) or not any(fnmatch.fnmatchcase(f, value) for f in findings):
                problems.append(f"{at}{key}: {value!r} names no known finding (known: {', '.join(sorted(findings))})")
        critical = bool(raw.get("critical", False))
        cap = raw.get("cap")
        if cap is not None and (not isinstance(cap, (int, float)) or not 0 <= cap <= 100):
            problems.append(f"{at}cap: expected a score from 0 to 100, got {cap!r}")
        try_saying = raw.get("try_saying", [])
        if not isinstance(try_saying, list) or not all(isinstance(s, str) for s in try_saying):
            problems.append(f"{at}try_saying: expected a list of phrases")
            try_saying = []
        if cid and detector and weight:
            criteria.append(
                Criterion(
                    id=cid,
                    label=str(raw.get("label", cid)),
                    detector=detector,
                    weight=float(weight),
                    met_if=met_if,
                    missed_if=missed_if,
                    na_unless=raw.get("na_unless"),
                    critical=critical,
                    cap=None if cap is None else float(cap),
                    description=" ".join(str(raw.get("description", "")).split()),
                    tip=" ".join(str(raw.get("tip", "")).split()),
                    try_saying=tuple(try_saying),
                )
            )
    if not criteria and not problems:
        problems.append("criteria: a rubric needs at least one criterion")
    if problems:
        raise RubricError(where, problems)
    return Rubric(name, version, tuple(criteria), tuple(bands), allowed, where)
