"""Run compiled token patterns fast: one regular expression per rule over the token stream, behind a
keyword prefilter.

The patterns are spaCy token patterns (what :mod:`coach.rules` compiles the phrase syntax to), but spaCy's
``Matcher`` tries every pattern at every token: with ~1,100 patterns it ran at 5k words/s on this project's
rules, sixty times slower than the tokenizer (benchmarks/README.md). Here each rule becomes one regex over
the doc's lowercased tokens joined by single spaces, and a rule is only tried on a turn that contains one of
its *anchor* words (the first required literal of each of its patterns).

Supported token attributes are exactly the ones the phrase syntax produces: ``LOWER`` (a word or an ``IN``
list or a ``REGEX`` prefix), ``LIKE_NUM``, ``IS_PUNCT: False`` (wildcards), the empty token, and ``OP``
``?`` or ``{m,n}``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

# spaCy's like_num accepts digits and English number words; so do we.
_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion"
).split()
_NUM = r"(?:[+-]?\d[\d,./:]*|" + "|".join(_NUMBER_WORDS) + ")"
_END = r"(?= )"  # every token is followed by a space in the joined text
# A whole token that is not punctuation (as spaCy's IS_PUNCT: "$" and "%" are not punctuation). Written so it
# matches a token in exactly one way: an ambiguous form such as [^ ]*\w[^ ]* backtracks exponentially inside
# {0,5} wildcards.
_PUNCT = r"[.,!?;:'\"()\[\]{}/\\\-\u2026\u2013\u2014]"
_PUNCT_TOKEN = re.compile(_PUNCT + "+")
# Punctuation tokens are marked in the joined text, so a wildcard tells them apart with one character instead of
# that class: compiling the class inside every wildcard was most of a cold start (1.3 s -> 0.7 s per first call).
_MARK = "\x1f"
_WORDY = rf"(?!{_MARK})[^ ]+(?= )"


def _literal(word: str) -> str:
    """A literal token as it appears in the joined text (punctuation carries the mark)."""
    return (_MARK if _PUNCT_TOKEN.fullmatch(word) else "") + re.escape(word)


def token_regex(token: dict[str, Any]) -> str:
    """One spaCy token dict as a regex that consumes ' token' in the joined text."""
    op = token.get("OP")
    attrs = {k: v for k, v in token.items() if k != "OP"}
    if not attrs:
        body = r" [^ ]+(?= )"
    elif attrs == {"IS_PUNCT": False}:
        body = " " + _WORDY
    elif attrs == {"LIKE_NUM": True}:
        body = " " + _NUM + _END
    elif set(attrs) == {"LOWER"}:
        value = attrs["LOWER"]
        if isinstance(value, str):
            body = " " + _literal(value) + _END
        elif isinstance(value, dict) and set(value) == {"IN"}:
            words = sorted(value["IN"], key=len, reverse=True)
            body = " (?:" + "|".join(_literal(w) for w in words) + ")" + _END
        elif isinstance(value, dict) and set(value) == {"REGEX"} and value["REGEX"].startswith("^"):
            stem = _unescape(value["REGEX"][1:])
            body = " " + (_MARK + "?" if _PUNCT_TOKEN.fullmatch(stem) else "") + re.escape(stem) + r"[^ ]*"
        else:
            raise ValueError(f"unsupported LOWER value {value!r}")
    else:
        raise ValueError(f"unsupported token attributes {sorted(attrs)}")
    if op is None:
        return body
    if op == "?":
        return f"(?:{body})?"
    m = re.fullmatch(r"\{(\d+),(\d+)\}", op)
    if m:
        return f"(?:{body}){{{m.group(1)},{m.group(2)}}}"
    raise ValueError(f"unsupported OP {op!r}")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def anchors(pattern: Sequence[dict[str, Any]]) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """Words (and word prefixes) of which a match must contain one: the first required literal token.
    None when the pattern has no required literal (it must then be tried on every turn)."""
    for token in pattern:
        if token.get("OP") is not None:
            continue
        value = token.get("LOWER")
        if isinstance(value, str):
            return frozenset({value}), ()
        if isinstance(value, dict) and "IN" in value:
            return frozenset(value["IN"]), ()
        if isinstance(value, dict) and "REGEX" in value:
            return frozenset(), (_unescape(value["REGEX"][1:]),)
    return None


def _first_literal(pattern: Sequence[dict[str, Any]]) -> tuple[str, Any] | None:
    """('word', {words}) or ('prefix', 'stem') when the pattern's first token is a required literal."""
    first = pattern[0]
    if first.get("OP") is not None:
        return None
    value = first.get("LOWER")
    if isinstance(value, str):
        return "word", {value}
    if isinstance(value, dict) and "IN" in value:
        return "word", set(value["IN"])
    if isinstance(value, dict) and "REGEX" in value:
        return "prefix", _unescape(value["REGEX"][1:])
    return None


class _Lazy:
    """A regex compiled on first use: a call meets only a few of the ~900 first words, and compiling them
    all up front was half of a cold start."""

    __slots__ = ("source", "_compiled")

    def __init__(self, source: str):
        self.source = source
        self._compiled: re.Pattern | None = None

    @property
    def regex(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled

    def match(self, text: str, pos: int):
        return self.regex.match(text, pos)

    def finditer(self, text: str):
        return self.regex.finditer(text)


# What a wildcard token was spelled as before punctuation was marked: alternatives are still weighed by that
# spelling, so they keep the order the rules were developed and measured under.
_SPELLED_WORDY = rf"(?!{_PUNCT}+ )[^ ]+(?= )"


def _weight(body: str) -> int:
    return len(body.replace(_WORDY, _SPELLED_WORDY).replace(_MARK, ""))


def _alternation(bodies: Iterable[str]) -> _Lazy:
    # Longer alternatives first, so the regex prefers the fullest phrase at a position; ties by text, so the
    # order (and the quoted span) does not depend on the hash seed.
    return _Lazy("(?:" + "|".join(sorted(set(bodies), key=lambda b: (-_weight(b), b))) + ")")


class TokenMatcher:
    """Match keyed groups of token patterns: ``matcher(lowers) -> [(key, start, end)]`` where ``lowers`` is
    a doc's lowercased token texts (``[t.lower_ for t in doc]``) and offsets are token indices.

    Patterns are indexed by their first token, so at each token only the patterns that can start there are
    tried (``regex.match`` at that position). Patterns whose first token is optional or a wildcard fall back
    to a scan of the whole turn, and only on turns that contain one of their anchor words.
    """

    def __init__(self) -> None:
        self._by_word: dict[str, list[tuple[str, _Lazy]]] = {}
        self._by_prefix: dict[str, list[tuple[str, _Lazy]]] = {}
        self._prefix_re: re.Pattern | None = None
        self._scans: list[tuple[str, _Lazy, frozenset[str], tuple[str, ...], bool]] = []
        self._keys: list[str] = []

    def add(self, key: str, patterns: Iterable[Sequence[dict[str, Any]]]) -> None:
        words: dict[str, list[str]] = {}
        prefixes: dict[str, list[str]] = {}
        scan: list[str] = []
        scan_words: set[str] = set()
        scan_prefixes: list[str] = []
        always = False
        for pattern in patterns:
            body = "".join(token_regex(t) for t in pattern)
            first = _first_literal(pattern)
            if first is None:
                scan.append(body)
                found = anchors(pattern)
                if found is None:
                    always = True
                else:
                    scan_words |= found[0]
                    scan_prefixes.extend(found[1])
            elif first[0] == "word":
                for word in first[1]:
                    words.setdefault(word, []).append(body)
            else:
                prefixes.setdefault(first[1], []).append(body)
        # Words that start the same patterns share one lazy regex ("do|did|does|never ... use" starts with any of
        # nine words): compiled once, not once per word met.
        shared: dict[frozenset[str], _Lazy] = {}
        for word, bodies in words.items():
            regex = shared.setdefault(frozenset(bodies), _alternation(bodies))
            self._by_word.setdefault(word, []).append((key, regex))
        for prefix, bodies in prefixes.items():
            regex = shared.setdefault(frozenset(bodies), _alternation(bodies))
            self._by_prefix.setdefault(prefix, []).append((key, regex))
        if self._by_prefix:
            stems = sorted(self._by_prefix, key=len, reverse=True)
            self._prefix_re = re.compile("(?:" + "|".join(re.escape(p) for p in stems) + ")")
        if scan:
            self._scans.append((key, _alternation(scan), frozenset(scan_words), tuple(sorted(set(scan_prefixes))), always))
        self._keys.append(key)

    def __len__(self) -> int:
        return len(self._keys)

    def __call__(self, lowers: Sequence[str]) -> list[tuple[str, int, int]]:
        marked = [_MARK + w if _PUNCT_TOKEN.fullmatch(w) else w for w in lowers]
        text = " " + " ".join(marked) + " "
        starts = []
        position = 0
        for word in marked:
            starts.append(position)  # index of the space before the token
            position += len(word) + 1
        out: list[tuple[str, int, int]] = []

        def span(m) -> tuple[int, int]:
            return bisect_right(starts, m.start()) - 1, bisect_right(starts, m.end() - 1)

        for i, word in enumerate(lowers):
            candidates = self._by_word.get(word, [])
            if self._prefix_re is not None:
                stem = self._prefix_re.match(word)
                if stem:
                    candidates = candidates + [c for p, cs in self._by_prefix.items() if word.startswith(p) for c in cs]
            for key, regex in candidates:
                m = regex.match(text, starts[i])
                if m:
                    out.append((key, *span(m)))
        if self._scans:
            present = set(lowers)
            for key, regex, words, prefixes, always in self._scans:
                if always or words & present or (prefixes and any(w.startswith(prefixes) for w in present)):
                    for m in regex.finditer(text):
                        if m.end() > m.start():
                            out.append((key, *span(m)))
        return out
