"""How often coach gives each turn the role its author wrote: role inference measured per turn.

    python -m tools.role_accuracy data/gold data/extra data/fresh data/fresh2
    python -m tools.role_accuracy data/gold data/extra --all-formats   # each call in all 13 formats, twice


For each labelled set, every rendered call is read as coach reads it and each turn's inferred role is
compared with the authored speaker (``agent2`` counts as ``agent``). Prints per set the share of turns
right and the calls with any wrong turn. ``--all-formats`` re-renders every call (the gold test split left
out) in each of the 13 formats, once with its own speaker labels and once with the renderer's generic ones
("Speaker 1", ``spk_0``, ``A``), and measures the same over all of them. Role mistakes move every detector (gratitude said by the
"customer" is no gratitude), so this is the first thing to check when a set scores badly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def role_accuracy(directory: Path) -> dict:
    from coach.evaluate import load_gold
    from coach.readers import read_calls

    turns = wrong = 0
    calls: list[tuple[str, int, int]] = []
    misaligned: list[str] = []
    for g in load_gold(directory):
        authored = json.loads((directory / "src" / f"{g.call_id}.json").read_text(encoding="utf-8"))
        want = ["agent" if t["speaker"] == "agent2" else t["speaker"] for t in authored["turns"]]
        got = [t.role.value for t in read_calls(str(g.path))[0].turns]
        if len(want) != len(got):
            misaligned.append(g.call_id)
            continue
        bad = sum(a != b for a, b in zip(want, got))
        turns, wrong = turns + len(want), wrong + bad
        if bad:
            calls.append((g.call_id, bad, len(want)))
    return {"turns": turns, "wrong": wrong, "accuracy": 1 - wrong / turns if turns else None, "calls_with_errors": calls, "misaligned": misaligned}


def role_accuracy_all_formats(directory: Path) -> dict:
    """Role accuracy over every call of a set re-rendered in every format, with and without its labels."""
    import tempfile

    from coach.errors import CoachError
    from coach.readers import read_calls
    from tools.render import FORMATS, render_call

    splits_file = directory / "splits.json"
    test = set(json.loads(splits_file.read_text()).get("test", [])) if splits_file.exists() else set()
    turns = wrong = renders = 0
    unreadable: list[str] = []
    calls: list[tuple[str, str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in sorted((directory / "src").glob("*.json")):
            authored = json.loads(source.read_text(encoding="utf-8"))
            if authored["call_id"] in test:
                continue
            want = ["agent" if t["speaker"] == "agent2" else t["speaker"] for t in authored["turns"]]
            for fmt in FORMATS:
                for labels in ("own", "generic"):
                    variant = {**authored, "format": fmt}
                    if labels == "generic":
                        variant.pop("speaker_labels", None)
                    try:
                        name, data = render_call(variant)
                    except Exception:  # a combination the renderer refuses (e.g. a label its format cannot carry)
                        continue
                    path = Path(tmp) / name
                    path.write_bytes(data)
                    try:
                        got = [t.role.value for t in read_calls(str(path))[0].turns]
                    except CoachError:
                        unreadable.append(f"{authored['call_id']} as {fmt} ({labels} labels)")
                        continue
                    renders += 1
                    bad = sum(a != b for a, b in zip(want, got)) + abs(len(want) - len(got))
                    turns, wrong = turns + len(want), wrong + bad
                    if bad:
                        calls.append((authored["call_id"], f"{fmt}/{labels}", bad, len(want)))
    return {"renders": renders, "turns": turns, "wrong": wrong, "accuracy": 1 - wrong / turns if turns else None,
            "calls_with_errors": calls, "unreadable": unreadable}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--all-formats", action="store_true", help="re-render each call in every format first")
    args = parser.parse_args(argv)
    for directory in args.sets:
        if args.all_formats:
            r = role_accuracy_all_formats(directory)
            errors = ", ".join(f"{cid} {how} ({bad}/{n})" for cid, how, bad, n in r["calls_with_errors"]) or "none"
            print(f"{directory}: {r['accuracy']:.4f} of {r['turns']} turns in {r['renders']} renderings; errors: {errors}; "
                  f"unreadable: {len(r['unreadable'])} {r['unreadable'][:3]}")
            continue
        r = role_accuracy(directory)
        errors = ", ".join(f"{cid} ({bad}/{n} turns)" for cid, bad, n in r["calls_with_errors"]) or "none"
        print(f"{directory}: {r['accuracy']:.3f} of {r['turns']} turns; calls with errors: {errors}; misaligned: {len(r['misaligned'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
