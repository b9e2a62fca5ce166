"""How often coach gives each turn the role its author wrote: role inference measured per turn.

    python -m tools.role_accuracy data/gold data/extra data/fresh data/fresh2

For each labelled set, every rendered call is read as coach reads it and each turn's inferred role is
compared with the authored speaker (``agent2`` counts as ``agent``). Prints per set the share of turns
right and the calls with any wrong turn. Role mistakes move every detector (gratitude said by the
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for directory in args.sets:
        r = role_accuracy(directory)
        errors = ", ".join(f"{cid} ({bad}/{n} turns)" for cid, bad, n in r["calls_with_errors"]) or "none"
        print(f"{directory}: {r['accuracy']:.3f} of {r['turns']} turns; calls with errors: {errors}; misaligned: {len(r['misaligned'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
