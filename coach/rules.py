"""Load the behaviour patterns (``coach/patterns/*.yaml``) and compile them to spaCy Matcher patterns.

Rules are data. Each rule has an ``id`` (it goes into every piece of evidence, so a reviewer can see which
rule fired), a ``label`` (the behaviour it signals, e.g. ``gratitude`` or ``tactic.fear_of_loss``), the
``speaker`` whose turns it applies to, one or more ``patterns``, and ``examples`` that must match and
``not`` examples that must not (the test suite runs both).

Patterns are written in a small phrase syntax matched on lowercased, normalized text (see
:func:`coach.nlp.normalize`). A phrase is a sequence of *segments* separated by wildcards; within a
segment, ``|`` separates whole alternatives, which may be several words::

    thank|thanks|appreciate ...{0,3} your ...{0,2} business|loyalty|years with us
    i am|we are ...{0,2} not able to|unable to ...{0,2} cancel*

    word         the token, case-insensitive
    a b|c d      "a b" or "c d" (alternatives span the whole segment, up to the next wildcard)
    [a|b c] d    brackets group alternatives inside a segment: "a d" or "b c d"
                 (so ``people|folks like you`` is "people" or "folks like you": bracket what must be shared,
                 and remember every segment is required; an optional word is ``x?`` or a wider wildcard)
    cancel*      a token starting with "cancel" (cancel, cancelled, cancellation)
    x?           optional token
    ...{m,n}     any m to n tokens, never punctuation (``...`` alone is ``...{0,3}``)
    <num>        a number, in digits or words ("6", "six")
    <any>        exactly one token
    ,            a literal comma (``no ,? it is not`` also matches "no it is not")
    ? !          a literal question or exclamation mark when standing alone (``right ?``)

Single-word alternatives compile to one spaCy ``IN`` token; multi-word ones expand into one spaCy
pattern per choice.

Hyphenated words are split like the tokenizer splits them ("auto-renew" matches "auto renew").

Rule options: ``unless`` lists phrases that cancel an overlapping match in the same sentence ("sick of" is
not an illness); ``negation: block`` (default; a negator shortly before the match, in the same sentence,
cancels it: "I'm not going to pressure you") or ``ignore`` (the pattern carries its own negation, such
as "can not cancel"); ``hypothetical: ignore`` (default) or ``block`` ("if you want, I can cancel it" is
not a confirmation).

"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from coach.errors import PatternError

# libyaml's loader when PyYAML was built with it (5x faster: the rule files were a tenth of a cold start).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SPEAKERS = ("agent", "customer", "any")
NOT_RULE_FILES = ("roles.yaml", "language.yaml")  # data in coach/patterns/ that is not behaviour rules
MAX_EXPANSIONS = 256

_QUANT = re.compile(r"^\.\.\.(?:\{(\d+),(\d+)\})?$")
_WORD = re.compile(r"^[a-z0-9'$%&.,]+$")


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    speaker: str
    patterns: tuple[tuple[dict[str, Any], ...], ...]  # compiled spaCy token patterns
    unless: tuple[tuple[dict[str, Any], ...], ...] = ()  # matches overlapping these are dropped
    sources: tuple[str, ...] = ()  # the phrases as written, for error messages and docs
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    negation: str = "block"
    hypothetical: str = "ignore"
    path: str = ""
    line: int = 0

    def __hash__(self) -> int:  # patterns hold dicts; identity is the id
        return hash(self.id)

    @property
    def literal_words(self) -> frozenset[str]:
        """Every word the rule's phrases spell out: a negator among them belongs to the phrase itself."""
        words: set[str] = set()
        for pattern in self.patterns:
            for token in pattern:
                value = token.get("LOWER")
                if isinstance(value, str):
                    words.add(value)
                elif isinstance(value, dict) and "IN" in value:
                    words.update(value["IN"])
        return frozenset(words)


def compile_phrase(phrase: str) -> list[list[dict[str, Any]]]:
    """Compile one phrase into one or more spaCy token patterns. Raises ValueError naming the bad item."""
    choices_per_part: list[list[list[dict[str, Any]]]] = []
    phrase = re.sub(r"(?<=\w)-(?=\w)", " ", phrase)  # as coach.nlp.normalize: "auto-renew" is auto / renew
    for kind, text in _parts(phrase):
        if kind == "wild":
            choices_per_part.append([[_compile_item(text)]])
        else:
            first = text.split()[0]
            if kind == "segment" and "|" in text and first == ",?":
                # ",? a|b" is ",? a" or "b": the optional comma, meant for all, would bind to the first only
                raise ValueError(f"{first!r} before alternatives binds to the first one only; bracket them: '{first} [{text[len(first):].strip()}]'")
            choices_per_part.append(_alternatives(text))
    if not choices_per_part:
        raise ValueError("empty pattern")
    compiled: list[list[dict[str, Any]]] = []
    for combo in itertools.product(*choices_per_part):
        tokens = [token for part in combo for token in part]
        if not tokens or all(t.get("OP", "") == "?" or t.get("OP", "").startswith("{0,") for t in tokens):
            raise ValueError(f"pattern {phrase!r} can match nothing: every item is optional")
        compiled.append(tokens)
        if len(compiled) > MAX_EXPANSIONS:
            raise ValueError(f"expands to more than {MAX_EXPANSIONS} patterns; split it into several phrases")
    return compiled


def _parts(phrase: str) -> list[tuple[str, str]]:
    """Split a phrase into ("wild", "...{m,n}"), ("group", "a|b c") and ("segment", "a b|c") parts."""
    parts: list[tuple[str, str]] = []
    for chunk in re.split(r"(\[[^\[\]]*\])", phrase.strip()):
        if chunk.startswith("["):
            if not chunk[1:-1].strip():
                raise ValueError(f"empty group {chunk!r}")
            parts.append(("group", chunk[1:-1]))
            continue
        if "[" in chunk or "]" in chunk:
            raise ValueError(f"unbalanced bracket in {phrase!r}")
        segment: list[str] = []
        for item in chunk.split():
            if _QUANT.match(item):
                if segment:
                    parts.append(("segment", " ".join(segment)))
                    segment = []
                parts.append(("wild", item))
            else:
                segment.append(item)
        if segment:
            parts.append(("segment", " ".join(segment)))
    return parts


def _alternatives(text: str) -> list[list[dict[str, Any]]]:
    """'a|b|c d' -> [[IN(a,b)], [c, d]]: single words share one IN token, longer ones stay sequences."""
    singles: list[str] = []
    sequences: list[list[dict[str, Any]]] = []
    for alternative in text.split("|"):
        words = alternative.split()
        if not words:
            raise ValueError(f"empty alternative in {text!r}")
        if len(words) == 1 and _WORD.match(words[0]) and not words[0].endswith("?"):
            singles.append(words[0])
        else:
            sequences.append([_compile_item(w) for w in words])
    out = list(sequences)
    if singles:
        out.insert(0, [{"LOWER": singles[0]} if len(singles) == 1 else {"LOWER": {"IN": list(dict.fromkeys(singles))}}])
    return out


def _compile_item(item: str) -> dict[str, Any]:
    m = _QUANT.match(item)
    if m:
        low, high = (int(m.group(1)), int(m.group(2))) if m.group(1) else (0, 3)
        if low > high:
            raise ValueError(f"{item!r}: minimum is larger than maximum")
        # Wildcards never cross punctuation: "thanks for holding, your loyalty points..." is not gratitude.
        return {"IS_PUNCT": False, "OP": f"{{{low},{high}}}"}
    if item in ("?", "!"):  # a literal question or exclamation mark token ("right ?")
        return {"LOWER": item}
    optional = item.endswith("?") and len(item) > 1
    if optional:
        item = item[:-1]
    if item == "<num>":
        token: dict[str, Any] = {"LIKE_NUM": True}
    elif item == "<any>":
        token = {}
    elif item.endswith("*") and len(item) > 1:
        stem = item[:-1]
        if not _WORD.match(stem):
            raise ValueError(f"{item!r}: a prefix may hold only letters, digits and ' $ % & . -")
        token = {"LOWER": {"REGEX": "^" + re.escape(stem)}}
    elif _WORD.match(item) or item == "-":
        token = {"LOWER": item}
    else:
        raise ValueError(f"{item!r} is not a plain lowercase word (write words, a|b, word*, word?, <num>, <any>, ...{{m,n}})")
    if optional:
        token["OP"] = "?"
    return token


def _line_numbers(text: str) -> list[int]:
    """1-based line of each rule under ``rules:``, so errors can point at the file line."""
    try:
        root = yaml.compose(text, Loader=YAML_LOADER)
    except yaml.YAMLError:
        return []
    if root is None or not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def duplicate_key(text: str) -> tuple[str, int] | None:
    """The first key given twice in one mapping, with its 1-based line, or None.

    YAML keeps the last of two equal keys without a word: a second ``unless:`` in one rule silently threw
    the first list away for months.
    """
    try:
        root = yaml.compose(text, Loader=YAML_LOADER)
    except yaml.YAMLError:
        return None
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        return key.value, key.start_mark.line + 1
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def parse_rules(text: str, path: str) -> list[Rule]:
    """Parse one pattern file. Collects every problem in the file and raises one PatternError."""
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PatternError(path, mark.line + 1 if mark else None, None, f"not valid YAML ({getattr(e, 'problem', e)})") from None
    duplicate = duplicate_key(text)
    if duplicate is not None:
        raise PatternError(path, duplicate[1], None, f"key {duplicate[0]!r} given twice in one mapping (YAML would keep only the last)")
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise PatternError(path, 1, None, "expected a mapping with a 'rules' list")
    defaults = data.get("defaults") or {}
    lines = _line_numbers(text)
    rules: list[Rule] = []
    errors: list[PatternError] = []
    for i, raw in enumerate(data["rules"]):
        line = lines[i] if i < len(lines) else None
        if not isinstance(raw, dict):
            errors.append(PatternError(path, line, None, "each rule must be a mapping"))
            continue
        merged = {**defaults, **raw}
        rule_id = merged.get("id")
        problems: list[str] = []
        if not isinstance(rule_id, str) or not rule_id:
            problems.append("missing 'id'")
        label = merged.get("label")
        if not isinstance(label, str) or not label:
            problems.append("missing 'label'")
        speaker = merged.get("speaker", "any")
        if speaker not in SPEAKERS:
            problems.append(f"speaker must be one of {', '.join(SPEAKERS)}, got {speaker!r}")
        negation = merged.get("negation", "block")
        if negation not in ("block", "ignore"):
            problems.append(f"negation must be block or ignore, got {negation!r}")
        hypothetical = merged.get("hypothetical", "ignore")
        if hypothetical not in ("block", "ignore"):
            problems.append(f"hypothetical must be block or ignore, got {hypothetical!r}")
        raw_patterns = merged.get("patterns")
        if not isinstance(raw_patterns, list) or not raw_patterns:
            problems.append("needs a non-empty 'patterns' list")
            raw_patterns = []
        compiled: list[tuple[dict[str, Any], ...]] = []
        sources: list[str] = []
        for j, phrase in enumerate(raw_patterns):
            if isinstance(phrase, str):
                try:
                    compiled.extend(tuple(p) for p in compile_phrase(phrase))
                    sources.append(phrase)
                except ValueError as e:
                    problems.append(f"patterns[{j}]: {e}")
            else:
                problems.append(f"patterns[{j}]: expected a phrase string")
        unless: list[tuple[dict[str, Any], ...]] = []
        raw_unless = merged.get("unless", [])
        if not isinstance(raw_unless, list) or not all(isinstance(u, str) for u in raw_unless):
            problems.append("'unless' must be a list of phrases")
            raw_unless = []
        for j, phrase in enumerate(raw_unless):
            try:
                unless.extend(tuple(p) for p in compile_phrase(phrase))
            except ValueError as e:
                problems.append(f"unless[{j}]: {e}")
        examples = merged.get("examples", [])
        counter = merged.get("not", [])
        for key, value in (("examples", examples), ("not", counter)):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(f"'{key}' must be a list of strings")
        if not examples:
            problems.append("needs at least one example that must match")
        if problems:
            errors.append(PatternError(path, line, rule_id if isinstance(rule_id, str) else None, problems))
            continue
        rules.append(
            Rule(
                rule_id, label, speaker, tuple(compiled), tuple(unless), tuple(sources), tuple(examples), tuple(counter),
                negation, hypothetical, path, line or 0,
            )
        )
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise PatternError(path, errors[0].line, errors[0].rule_id, [str(e) for e in errors])
    return rules


def load_rules(extra_dirs: list[str | Path] | None = None) -> list[Rule]:
    """Load every packaged pattern file (and any ``*.yaml`` in ``extra_dirs``), checking ids are unique."""
    rules: list[Rule] = []
    folder = resources.files("coach.patterns")
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml") and entry.name not in NOT_RULE_FILES:
            rules.extend(parse_rules(entry.read_text(encoding="utf-8"), f"coach/patterns/{entry.name}"))
    for directory in extra_dirs or ():
        for file in sorted(Path(directory).glob("*.yaml")):
            rules.extend(parse_rules(file.read_text(encoding="utf-8"), str(file)))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            first = seen[rule.id]
            raise PatternError(rule.path, rule.line, rule.id, f"duplicate rule id (first defined at {first.path}:{first.line})")
        seen[rule.id] = rule
    return rules
