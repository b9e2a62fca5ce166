"""Audit the detectors against a labelled gold set: precision, recall and F1 per flag, tactic and criterion,
confusion tables, whether scores order calls graceful > mixed > poor, and every miss with its evidence.

A gold directory holds ``labels.jsonl`` (one call per line, see data/gold/README.md), the transcripts it names
(beside it or under ``calls/``), and optionally ``splits.json`` (``{"train": [ids], "dev": [...], "test": [...]}``).

>>> result = evaluate("data/gold", split="test")                 # doctest: +SKIP
>>> result["flags"]["missing_gratitude"]["f1"]                    # doctest: +SKIP
0.97
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.errors import CoachError, LabelError
from coach.model import FLAG_NAMES, TACTICS, Scorecard

MISSION_FLAGS = ("missing_gratitude", "reason_not_asked", "why_leaving_unanswered", "pressure")
QUALITY_RANK = {"poor": 0, "mixed": 1, "graceful": 2}
VERDICTS = ("met", "missed", "n/a")
SPLITS = ("train", "dev", "test", "all")


@dataclass(frozen=True)
class GoldCall:
    call_id: str
    path: Path
    quality: str
    expected: dict[str, Any]
    turn_labels: tuple[tuple[str, ...], ...]
    split: str
    line: int
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


def load_gold(gold_dir: str | Path) -> list[GoldCall]:
    """Read and validate ``labels.jsonl`` (and ``splits.json``). Raises LabelError naming file and line."""
    gold_dir = Path(gold_dir)
    labels_path = gold_dir / "labels.jsonl"
    if not labels_path.is_file():
        raise LabelError(str(labels_path), None, "no labels.jsonl in the gold directory")
    splits = _load_splits(gold_dir / "splits.json")
    calls: list[GoldCall] = []
    seen: set[str] = set()
    for number, raw in enumerate(labels_path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as e:
            raise LabelError(str(labels_path), number, f"not valid JSON ({e.msg} at column {e.colno})") from None
        problems = _problems(record)
        if problems:
            raise LabelError(str(labels_path), number, "; ".join(problems))
        call_id = record["call_id"]
        if call_id in seen:
            raise LabelError(str(labels_path), number, f"duplicate call_id {call_id!r}")
        seen.add(call_id)
        path = _resolve(gold_dir, record["file"])
        if path is None:
            raise LabelError(str(labels_path), number, f"transcript {record['file']!r} not found beside labels.jsonl or under calls/")
        meta = {k: record.get(k) for k in ("industry", "format", "noise", "channel")}
        turn_labels = tuple(tuple(t) for t in record.get("turn_labels", []))
        calls.append(GoldCall(call_id, path, record["quality"], record["expected"], turn_labels, splits.get(call_id, "all"), number, meta))
    return calls


def _load_splits(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise LabelError(str(path), e.lineno, f"not valid JSON ({e.msg})") from None
    out = {}
    for split, ids in data.items():
        if split not in ("train", "dev", "test") or not isinstance(ids, list):
            raise LabelError(str(path), None, f"expected keys train, dev, test with lists of call ids; got {split!r}")
        for call_id in ids:
            if call_id in out:
                raise LabelError(str(path), None, f"call {call_id!r} is in both {out[call_id]} and {split}")
            out[call_id] = split
    return out


def _problems(record: Any) -> list[str]:
    if not isinstance(record, dict):
        return ["expected a JSON object per line"]
    problems = [f"missing {key!r}" for key in ("call_id", "file", "quality", "expected") if key not in record]
    if problems:
        return problems
    if record["quality"] not in QUALITY_RANK:
        problems.append(f"quality must be one of {', '.join(QUALITY_RANK)}, got {record['quality']!r}")
    expected = record["expected"]
    if not isinstance(expected, dict):
        return problems + ["'expected' must be an object"]
    flags = expected.get("flags")
    if not isinstance(flags, dict) or set(flags) != set(FLAG_NAMES) or not all(isinstance(v, bool) for v in flags.values()):
        problems.append(f"expected.flags must give true/false for each of {', '.join(FLAG_NAMES)}")
    tactics = expected.get("pressure_tactics")
    if not isinstance(tactics, list) or any(t not in TACTICS for t in tactics):
        problems.append(f"expected.pressure_tactics must be a list of {', '.join(TACTICS)}")
    criteria = expected.get("criteria")
    if not isinstance(criteria, dict) or any(v not in VERDICTS for v in criteria.values()):
        problems.append("expected.criteria must map criterion ids to met, missed or n/a")
    return problems


def _resolve(gold_dir: Path, name: str) -> Path | None:
    for candidate in (gold_dir / name, gold_dir / "calls" / name):
        if candidate.is_file():
            return candidate
    return None


# ---- metrics ------------------------------------------------------------------------------------------------
def prf(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float]:
    """Precision, recall, F1 from (expected, predicted) booleans. Empty classes score 1.0 (nothing to miss)."""
    tp = fp = fn = tn = 0
    for expected, predicted in pairs:
        if expected and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif expected:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "support": tp + fn, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def macro_f1_over_classes(pairs: Sequence[tuple[str, str]]) -> float:
    """Mean F1 over the classes that occur in expected or predicted values."""
    classes = sorted({e for e, _ in pairs} | {p for _, p in pairs})
    if not classes:
        return 1.0
    return round(sum(prf((e == c, p == c) for e, p in pairs)["f1"] for c in classes) / len(classes), 4)


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation with average ranks for ties."""

    def ranks(values):
        order = sorted(range(len(values)), key=lambda i: values[i])
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return out

    if len(xs) < 3:
        return None
    rx, ry = ranks(list(xs)), ranks(list(ys))
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return round(cov / (vx * vy), 4) if vx and vy else None


def concordance(qualities: Sequence[str], scores: Sequence[float]) -> float | None:
    """Share of call pairs of different quality whose scores are in the right order (ties count half)."""
    right = total = 0.0
    for i in range(len(scores)):
        for j in range(len(scores)):
            qi, qj = QUALITY_RANK[qualities[i]], QUALITY_RANK[qualities[j]]
            if qi > qj:
                total += 1
                right += 1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
    return round(right / total, 4) if total else None


# ---- evaluation ---------------------------------------------------------------------------------------------
def evaluate(
    gold_dir: str | Path,
    *,
    split: str = "test",
    rubric=None,
    use_model: bool = True,
    mode: str | None = None,
    models_dir: str | None = None,
) -> dict[str, Any]:
    """Score every gold call in ``split`` and compare with its labels. ``mode``: patterns | model | combined."""
    if split not in SPLITS:
        raise CoachError(f"unknown split {split!r} (choose from {', '.join(SPLITS)})")
    mode = mode or ("combined" if use_model else "patterns")
    gold = [g for g in load_gold(gold_dir) if split == "all" or g.split == split]
    if not gold:
        raise CoachError(f"{gold_dir}: no calls in split {split!r} (is splits.json there?)")
    from coach.readers import read_calls
    from coach.scoring import Analyzer

    analyzer = Analyzer(rubric, use_model=mode != "patterns", models_dir=models_dir, only_models=mode == "model")
    cards: list[tuple[GoldCall, Scorecard]] = []
    failures = []
    for g in gold:
        try:
            calls = read_calls(str(g.path))
        except CoachError as e:
            failures.append({"call_id": g.call_id, "error": str(e)})
            continue
        cards.append((g, analyzer.analyze(calls[0])))
    result = compare(cards)
    result.update({"split": split, "mode": mode, "gold": str(gold_dir), "rubric": analyzer.rubric.label, "failures": failures, "warnings": list(analyzer.warnings)})
    return result


def compare(cards: Sequence[tuple[GoldCall, Scorecard]]) -> dict[str, Any]:
    """Metrics and misses for scored gold calls (pure; unit-tested on hand-built cases)."""
    flags = {name: prf((g.expected["flags"][name], c.flag(name)) for g, c in cards) for name in FLAG_NAMES}
    tactics = {t: prf((t in g.expected["pressure_tactics"], t in c.pressure_tactics) for g, c in cards) for t in TACTICS}
    active = [t for t in TACTICS if tactics[t]["support"] or tactics[t]["fp"]]
    criteria: dict[str, Any] = {}
    for criterion in _criteria_ids(cards):
        pairs = [(g.expected["criteria"][criterion], c.verdict(criterion).outcome.value) for g, c in cards if criterion in g.expected["criteria"] and c.verdict(criterion)]
        confusion = {e: {p: sum(1 for x, y in pairs if (x, y) == (e, p)) for p in VERDICTS} for e in VERDICTS}
        criteria[criterion] = {
            "macro_f1": macro_f1_over_classes(pairs),
            "accuracy": round(sum(e == p for e, p in pairs) / len(pairs), 4) if pairs else None,
            "confusion": confusion,
            "n": len(pairs),
        }
    other = [c for c in criteria if c != "no_pressure"]
    misses = []
    for g, c in cards:
        for name in FLAG_NAMES:
            if g.expected["flags"][name] != c.flag(name):
                misses.append(_miss(g, c, f"flag:{name}", g.expected["flags"][name], c.flag(name)))
        for t in TACTICS:
            e, p = t in g.expected["pressure_tactics"], t in c.pressure_tactics
            if e != p:
                misses.append(_miss(g, c, f"tactic:{t}", e, p))
        for criterion, expected in g.expected["criteria"].items():
            verdict = c.verdict(criterion)
            if verdict is not None and verdict.outcome.value != expected:
                misses.append(_miss(g, c, f"criterion:{criterion}", expected, verdict.outcome.value))
    qualities = [g.quality for g, _ in cards]
    scores = [c.score for _, c in cards]
    by_quality = {q: [round(c.score, 1) for g, c in cards if g.quality == q] for q in QUALITY_RANK}
    return {
        "calls": len(cards),
        "flags": flags,
        "mission_flags_f1": {name: flags[name]["f1"] for name in MISSION_FLAGS},
        "tactics": tactics,
        "tactics_macro_f1": round(sum(tactics[t]["f1"] for t in active) / len(active), 4) if active else 1.0,
        "criteria": criteria,
        "criteria_macro_f1": round(sum(criteria[c]["macro_f1"] for c in other) / len(other), 4) if other else 1.0,
        "ordering": {
            "concordance": concordance(qualities, scores),
            "spearman": spearman([QUALITY_RANK[q] for q in qualities], scores),
            "mean_score": {q: round(sum(s) / len(s), 1) if s else None for q, s in by_quality.items()},
        },
        "misses": misses,
    }


def _criteria_ids(cards) -> list[str]:
    ids: dict[str, None] = {}
    for _, c in cards:
        for v in c.verdicts:
            ids.setdefault(v.criterion)
    return list(ids)


def _miss(g: GoldCall, card: Scorecard, item: str, expected, actual) -> dict[str, Any]:
    evidence = []
    if item.startswith("criterion:"):
        verdict = card.verdict(item.split(":", 1)[1])
        evidence = [e.to_dict() for e in verdict.evidence[:3]] if verdict else []
        why = verdict.why if verdict else ""
    else:
        name = item.split(":", 1)[1]
        wanted = {"missing_gratitude": "gratitude", "reason_not_asked": "reason_asked", "why_leaving_unanswered": "reason_stated",
                  "reason_ignored": "reason_acknowledged"}.get(name, f"tactic.{name}")  # fmt: skip
        hits = [f for f in card.findings if f.name == wanted or (name == "pressure" and f.name.startswith("tactic."))]
        evidence = [e.to_dict() for f in hits for e in f.evidence[:2]]
        why = ", ".join(f.name for f in hits) or f"no {wanted} found"
    return {"call_id": g.call_id, "file": str(g.path), "item": item, "expected": expected, "actual": actual, "why": why, "evidence": evidence}


def format_evaluation(result: dict[str, Any], max_misses: int = 40) -> str:
    """A readable report: headline figures, per-item tables, confusion tables and the misses."""
    lines = [f"coach evaluate: {result['calls']} calls, split {result['split']}, mode {result['mode']}, rubric {result['rubric']}"]
    for warning in result.get("warnings", []):
        lines.append(f"  warning: {warning}")
    lines += ["", f"{'flag':<28}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}"]
    for name, m in result["flags"].items():
        star = " *" if name in MISSION_FLAGS else ""
        lines.append(f"{name + star:<28}{m['precision']:>7.2f}{m['recall']:>7.2f}{m['f1']:>7.2f}{m['support']:>9}")
    lines += ["", f"{'tactic':<28}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}"]
    for name, m in result["tactics"].items():
        lines.append(f"{name:<28}{m['precision']:>7.2f}{m['recall']:>7.2f}{m['f1']:>7.2f}{m['support']:>9}")
    lines.append(f"{'macro-F1 over tactics':<28}{'':>14}{result['tactics_macro_f1']:>7.2f}")
    lines += ["", f"{'criterion':<24}{'macro-F1':>9}{'acc':>6}   confusion (rows expected, cols predicted: met/missed/n-a)"]
    for name, m in result["criteria"].items():
        conf = "  ".join(f"{e[:4]}:{'/'.join(str(m['confusion'][e][p]) for p in VERDICTS)}" for e in VERDICTS)
        acc = f"{m['accuracy']:.2f}" if m["accuracy"] is not None else "-"
        lines.append(f"{name:<24}{m['macro_f1']:>9.2f}{acc:>6}   {conf}")
    lines.append(f"{'macro over criteria (excl. no_pressure)':<40}{result['criteria_macro_f1']:>6.2f}")
    o = result["ordering"]
    lines += ["", f"score ordering: concordance {o['concordance']}, spearman {o['spearman']}, mean score {o['mean_score']}"]
    misses = result["misses"]
    lines += ["", f"{len(misses)} misses" + (f" (first {max_misses})" if len(misses) > max_misses else "") + ":"]
    for m in misses[:max_misses]:
        quote = f' - turn {m["evidence"][0]["turn"]}: "{m["evidence"][0]["text"][:90]}"' if m["evidence"] else ""
        lines.append(f"  {m['call_id']:<12} {m['item']:<32} expected {m['expected']!s:<7} got {m['actual']!s:<7} {m['why'][:80]}{quote}")
    for f in result.get("failures", []):
        lines.append(f"  failed to read {f['call_id']}: {f['error']}")
    return "\n".join(lines)
