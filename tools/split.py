"""Write a labelled set's fixed split: within each quality, calls ordered by the SHA-256 of their id are dealt
out in a repeating pattern.

    python -m tools.split data/extra --pattern train,train,train,train,dev

The gold set uses train,train,train,dev,test (see data/gold/README.md); the extra training set uses
train,train,train,train,dev, so a fifth of it joins the threshold choice and none of it is test.

Calls added to a set after its split was fixed must not move the calls already dealt (re-dealing would put
test calls into train). ``--append-to test`` keeps splits.json as it is and puts only the new calls in the
named split:

    python -m tools.split data/gold --append-to test
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path


def deal(records: list[dict], pattern: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {name: [] for name in dict.fromkeys(pattern)}
    for quality in sorted({r["quality"] for r in records}):
        ids = sorted((r["call_id"] for r in records if r["quality"] == quality), key=lambda i: hashlib.sha256(i.encode()).hexdigest())
        for n, call_id in enumerate(ids):
            out[pattern[n % len(pattern)]].append(call_id)
    return {name: sorted(ids) for name, ids in out.items()}


def append(existing: dict[str, list[str]], records: list[dict], name: str) -> dict[str, list[str]]:
    """``existing`` unchanged, plus every call not yet in any split added to ``name``."""
    known = {call_id for ids in existing.values() for call_id in ids}
    out = {k: list(v) for k, v in existing.items()}
    out.setdefault(name, [])
    out[name] += [r["call_id"] for r in records if r["call_id"] not in known]
    return {k: sorted(v) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--pattern", default="train,train,train,dev,test")
    parser.add_argument("--append-to", metavar="SPLIT", help="keep splits.json and add only the new calls to SPLIT")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in (args.directory / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.append_to:
        existing = json.loads((args.directory / "splits.json").read_text(encoding="utf-8"))
        splits = append(existing, records, args.append_to)
    else:
        splits = deal(records, args.pattern.split(","))
    (args.directory / "splits.json").write_text(json.dumps(splits, indent=1) + "\n", encoding="utf-8")
    print({name: len(ids) for name, ids in splits.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
