"""The one place that builds the spaCy pipeline and the matchers, and wraps VADER.

No model download is ever needed: the pipeline is ``spacy.blank("en")`` plus the rule-based sentencizer.
Turns are normalized first so that speech-to-text output ("um i i wanna cancel cuz its too expensive")
and typed text ("I want to cancel because it's too expensive") reach the matchers in the same shape.

Per perf-notes: batch with ``nlp.pipe``. Rules are split by speaker, each turn only meets the rules for its
own role, and patterns run through :class:`coach.matcher.TokenMatcher` (spaCy's Matcher was the bottleneck).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from coach.model import Call, Role, Turn
from coach.rules import Rule, load_rules

log = logging.getLogger(__name__)

def _load_language() -> dict:
    from importlib import resources

    import yaml

    from coach.errors import PatternError
    from coach.rules import YAML_LOADER

    path = resources.files("coach.patterns").joinpath("language.yaml")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    # YAML reads a bare no, yes, on or off as a boolean: "no" sat in the negator list as False for months.
    problems = [
        f"{key}: {word!r} is not a word (YAML read it as {type(word).__name__}; quote it)"
        for key, words in data.items()
        if isinstance(words, list)
        for word in words
        if not isinstance(word, str)
    ]
    if problems:
        raise PatternError(str(path), None, None, problems)
    return data


_LANGUAGE = _load_language()
_CONTRACTIONS: dict[str, str] = _LANGUAGE["contractions"]
_AMBIGUOUS_S: dict[str, str] = _LANGUAGE["ambiguous_s"]
_S_NEXT = frozenset(_LANGUAGE["next_words"])
_FILLER_WORDS = frozenset(_LANGUAGE["fillers"])
_EDGE_PUNCT = ".,!?;:\"()[]"
_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
# "the subscription's cancelled": before a past participle, "'s" is "is" (not a possessive).
_S_IS = re.compile(r"\b(\w+)'s (" + "|".join(map(re.escape, _LANGUAGE["is_before"])) + r")\b")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": " - "})


def normalize(text: str) -> str:
    """Lowercase, unify quotes, expand contractions, drop fillers and stutters, collapse spaces.

    One dictionary lookup per word (language.yaml), so speech-to-text and typed text meet the patterns in
    the same shape.

    >>> normalize("Um, I I can't \u2014 I won't stay, it\u2019s too expensive")
    'i can not - i will not stay, it is too expensive'
    """
    words = text.translate(_QUOTES).lower().split()
    out: list[str] = []
    for i, word in enumerate(words):
        core = word.strip(_EDGE_PUNCT)
        if core in _FILLER_WORDS:
            continue
        expansion = _CONTRACTIONS.get(core)
        if expansion is None and core in _AMBIGUOUS_S and i + 1 < len(words) and words[i + 1].strip(_EDGE_PUNCT) in _S_NEXT:
            expansion = _AMBIGUOUS_S[core]
        if expansion is not None:
            lead = word[: word.index(core)] if core else ""
            word = lead + expansion + word[len(lead) + len(core) :]
        if out and core and out[-1].strip(_EDGE_PUNCT) == core and word == core:
            continue  # "i i i want" -> "i want": a stutter, not meaning
        out.append(word)
    # "move-out", "auto-renew", "drive-up": two words, so a phrase's wildcard gap (which never crosses
    # punctuation) is not broken by a hyphen, and typed "long-time" meets spoken "long time".
    return _S_IS.sub(r"\1 is \2", _HYPHEN.sub(" ", " ".join(out)))


_NEGATORS = frozenset(_LANGUAGE["negators"])
_NOT_NEGATING_NEXT = frozenset(_LANGUAGE["not_negating_next"])
_NO_EXCLAIMED_AFTER = frozenset(_LANGUAGE["no_exclaimed_after"])
_HYPOTHETICAL = frozenset(_LANGUAGE["hypothetical"])
_BOUNDARY = frozenset(_LANGUAGE["clause_boundaries"])
_REQUEST_CUES = re.compile(r"\b(?:" + "|".join(map(re.escape, _LANGUAGE["request_cues"])) + r")\b")
_VERIFICATION = re.compile(r"\b(?:" + "|".join(map(re.escape, _LANGUAGE["verification_words"])) + r")\b")
UNLESS = "#unless"
LOWER = SENT_START = None  # spaCy attribute ids, imported with spaCy when a Pipeline is built
NEGATION_WINDOW = 6  # tokens before a match searched for a negator ("i am not going to say you will lose...")
NO_WINDOW = 3  # "no" negates only this close: "no [early termination] fee"


@dataclass(frozen=True)
class Match:
    """A rule that fired on a turn, with the sentence it fired in (for quoting) and its context."""

    rule: str
    label: str
    turn: int
    sentence: str  # the normalized sentence containing the match
    span: str  # the normalized matched text
    negated: bool


@dataclass(frozen=True)
class AnalyzedCall:
    """A call with its matches and the customer's sentiment: what the detectors read."""

    call: Call
    matches: tuple[Match, ...]
    normalized: tuple[str, ...]  # per turn
    sentiment: tuple[tuple[int, float], ...]  # (turn index, VADER compound) for customer turns
    model_scores: tuple[tuple[int, str, float], ...] = ()  # (turn, label, probability) from trained models

    def by_label(self, label: str, *, include_negated: bool = False) -> list[Match]:
        return [m for m in self.matches if m.label == label and (include_negated or not m.negated)]

    def by_prefix(self, prefix: str) -> list[Match]:
        return [m for m in self.matches if m.label.startswith(prefix) and not m.negated]

    def turn(self, index: int) -> Turn:
        return self.call.turns[index]

    def asks(self, index: int) -> bool:
        """Whether a turn asks something: a question mark, a request in words ("tell me what changed."), or
        any turn of a transcript without punctuation, where the form of a question cannot be seen."""
        if "?" in self.call.turns[index].text or _REQUEST_CUES.search(self.normalized[index]):
            return True
        return not self.punctuated

    def probing_questions(self, index: int) -> list[str]:
        """The questions in a turn that are not verification (by question mark; none without punctuation)."""
        questions = re.findall(r"[^.?!]*\?", self.call.turns[index].text)
        # "a fragment you labelled 'maybe a bug???'" asks one thing: the extra marks are no questions
        return [q.strip() for q in questions if re.search(r"[^\W\d_]", q) and not _VERIFICATION.search(normalize(q))]

    @cached_property
    def punctuated(self) -> bool:
        """Whether the transcript has sentence punctuation at all (speech-to-text output often has none)."""
        return any(ch in turn.text for turn in self.call.turns for ch in ".?!")


def _rule_sets(role: Role) -> tuple[str, ...]:
    """Which rule sets a turn is matched against. Unknown speakers get both: a missed role should lose
    nothing. IVR and hold messages get none: "please tell us why you're calling" is not the agent asking
    why the customer is leaving, nor "thank you for your loyalty" on a recording the agent's gratitude."""
    return {Role.AGENT: ("agent",), Role.CUSTOMER: ("customer",), Role.SYSTEM: ()}.get(role, ("agent", "customer"))


class Pipeline:
    """spaCy blank English + sentencizer + one matcher per speaker role, built once and reused."""

    def __init__(self, rules: Sequence[Rule] | None = None):
        import spacy

        from coach.matcher import TokenMatcher

        global LOWER, SENT_START
        from spacy.attrs import LOWER, SENT_START

        self.rules = list(rules) if rules is not None else load_rules()
        self.rules_by_id = {r.id: r for r in self.rules}
        self._literals = {r.id: r.literal_words for r in self.rules}
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.matchers = {}
        for role in ("agent", "customer"):
            matcher = TokenMatcher()
            for rule in self.rules:
                if rule.speaker in (role, "any"):
                    matcher.add(rule.id, [list(p) for p in rule.patterns])
                    if rule.unless:
                        matcher.add(rule.id + UNLESS, [list(p) for p in rule.unless])
            self.matchers[role] = matcher
        self._vader = None

    @property
    def vader(self):
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def match_texts(self, texts: Iterable[str], role: str) -> list[list[Match]]:
        """Match already-normalized texts as if spoken by ``role``; used by tests and pattern checks."""
        return [self._match_doc(doc, -1, (role,)) for doc in self.nlp.pipe(texts, batch_size=256)]

    def analyze(self, calls: Sequence[Call]) -> list[AnalyzedCall]:
        """Normalize, tokenize (in one ``nlp.pipe`` batch over all calls), match and score sentiment."""
        normalized = [[normalize(t.text) for t in call.turns] for call in calls]
        flat = [text for turns in normalized for text in turns]
        docs = iter(self.nlp.pipe(flat, batch_size=1000))
        results = []
        for call, texts in zip(calls, normalized):
            matches: list[Match] = []
            sentiment: list[tuple[int, float]] = []
            for turn in call.turns:
                doc = next(docs)
                matches.extend(self._match_doc(doc, turn.index, _rule_sets(turn.role)))
                if turn.role is Role.CUSTOMER and turn.text.strip():
                    # VADER reads the original text: its lexicon uses case, punctuation and emoticons.
                    sentiment.append((turn.index, self.vader.polarity_scores(turn.text)["compound"]))
            results.append(AnalyzedCall(call, tuple(matches), tuple(texts), tuple(sentiment)))
        return results

    def _match_doc(self, doc, turn_index: int, roles: Sequence[str]) -> list[Match]:
        # Token texts and sentence starts are read once per doc, as arrays: creating spaCy Token objects
        # for every check was the hot spot.
        lower_ids, sent_flags = doc.to_array([LOWER, SENT_START]).T.tolist() if len(doc) else ([], [])
        strings = doc.vocab.strings
        lowers = [strings[h].replace(" ", "_") for h in lower_ids]
        raw = [hit for role in roles for hit in self.matchers[role](lowers)]
        if not raw:
            return []
        sentence_starts = [i for i, flag in enumerate(sent_flags) if flag == 1 or i == 0]
        sentences = list(zip(sentence_starts, sentence_starts[1:] + [len(lowers)]))
        found: dict[tuple[str, int], Match] = {}
        vetoes: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in raw:
            if key.endswith(UNLESS):
                vetoes.setdefault(key[: -len(UNLESS)], []).append((start, end))
        for key, start, end in raw:
            if key.endswith(UNLESS) or any(s < end and start < e for s, e in vetoes.get(key, ())):
                continue
            rule = self.rules_by_id[key]
            sent_start, sent_end = sentences[bisect_right(sentence_starts, start) - 1]
            if end > sent_end:  # a phrase never spans two sentences
                continue
            # A negator before the match or inside a wildcard gap cancels it ("your account has not been
            # cancelled"). Rules whose phrase carries its own negation ("can not cancel") opt out.
            negated = rule.negation == "block" and (
                _preceded_by(lowers, start, sent_start, _NEGATORS)
                or any(w in _NEGATORS and w not in self._literals[rule.id] for w in lowers[start:end])
            )
            if rule.hypothetical == "block" and _preceded_by(lowers, start, sent_start, _HYPOTHETICAL, window=8):
                continue
            previous = found.get((rule.id, sent_start))
            length = end - start
            # One match per rule per sentence: keep a non-negated one, then the longest.
            if previous is None or (previous.negated and not negated) or (previous.negated == negated and length > len(previous.span.split())):
                sentence = doc[sent_start:sent_end].text
                found[(rule.id, sent_start)] = Match(
                    rule=rule.id,
                    label=rule.label,
                    turn=turn_index,
                    sentence=sentence,
                    span=doc[start:end].text,
                    negated=negated,
                )
        return list(found.values())


def _preceded_by(lowers: Sequence[str], start: int, sent_start: int, words: frozenset[str], window: int = NEGATION_WINDOW) -> bool:
    """Is one of ``words`` among the few tokens before ``start``, without crossing a clause boundary?"""
    i = start - 1
    while i >= max(sent_start, start - window):
        token = lowers[i]
        if token in _BOUNDARY:
            return False
        exclaimed = token == "no" and i > 0 and lowers[i - 1] in _NO_EXCLAIMED_AFTER
        if token in words and not exclaimed and not (i + 1 < len(lowers) and lowers[i + 1] in _NOT_NEGATING_NEXT):
            # "no" negates the noun right after it ("there's no export feature", "no early termination fee");
            # further away it is the spoken "No," that starts a new clause ("no twenty nine is still double
            # just turn the renewals off"), which speech-to-text leaves unpunctuated.
            if token != "no" or start - i <= NO_WINDOW:
                return True
        i -= 1
    return False
