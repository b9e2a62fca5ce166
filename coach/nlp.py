"""The one place that builds the spaCy pipeline and the matchers, and wraps VADER.

No model download is ever needed: the pipeline is ``spacy.blank("en")`` plus the rule-based sentencizer.
Turns are normalized first so that speech-to-text output ("um i i wanna cancel cuz its too expensive")
and typed text ("I want to cancel because it's too expensive") reach the matchers in the same shape.

Per perf-notes: batch with ``nlp.pipe``; the token Matcher costs ~0.1 µs per pattern per token, so rules
are split by speaker and each turn only meets the rules for its own role.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coach.model import Call, Role, Turn
from coach.rules import Rule, load_rules

log = logging.getLogger(__name__)

# Contractions are expanded so that negation is one token ("not") whatever the speaker typed or the
# speech-to-text engine produced ("can't", "cant", "cannot", "can not").
_CONTRACTIONS = [
    (r"\bwon'?t\b", "will not"),
    (r"\bcan'?t\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bshan'?t\b", "shall not"),
    (r"\bain'?t\b", "is not"),
    (r"\b(do|does|did|is|are|was|were|have|has|had|would|should|could|must|need|might)n'?t\b", r"\1 not"),
    (r"\b(i)'?m\b", r"\1 am"),
    (r"\b(you|we|they|who|what)'re\b", r"\1 are"),
    (r"\b(i|you|we|they|he|she|it|that|there|who)'ll\b", r"\1 will"),
    (r"\b(i|you|we|they|would|should|could|might|must)'ve\b", r"\1 have"),
    (r"\b(i|you|we|they|he|she|it|that|there|who)'d\b", r"\1 would"),
    (r"\b(it|that|there|what|here|he|she|who|where|how|let)'s\b", lambda m: m.group(1) + (" us" if m.group(1) == "let" else " is")),
    # Speech-to-text often drops the apostrophe.
    (r"\bim\b", "i am"),
    (r"\b(you|they)re\b", r"\1 are"),
    (r"\b(that|what|there|it)s\b(?=\s+(?:a|an|the|not|all|so|too|been|going|what|just|really|very|okay|fine|done|fair|great|good|my|your|our|it|because|why)\b)", r"\1 is"),
    (r"\b(i|you|we|they)ve\b", r"\1 have"),
    (r"\b(you|we|they)ll\b", r"\1 will"),
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bgotta\b", "got to"),
    (r"\bgimme\b", "give me"),
    (r"\blemme\b", "let me"),
    (r"\b(cuz|cos|coz)\b", "because"),
    (r"\bya\b", "you"),
    (r"\bthx\b", "thanks"),
    (r"\bpls\b|\bplz\b", "please"),
    (r"\bok(ay)?\b", "okay"),
]
_CONTRACTION_RES = [(re.compile(p), r) for p, r in _CONTRACTIONS]
# Fillers carry no meaning and break phrase patterns ("thank you um for your business").
_FILLERS = re.compile(r"\b(?:u+m+|u+h+m*|e+r+m*|e+h+|h+m+|m+h*m+|a+h+|uh-huh)\b[,.]?\s*")
_REPEATS = re.compile(r"\b(\w+)(?:\s+\1\b)+")  # "i i i want" -> "i want" (disfluency)
_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": " - ", "\u2013": " - "})


def normalize(text: str) -> str:
    """Lowercase, unify quotes, expand contractions, drop fillers and stutters, collapse spaces.

    >>> normalize("Um, I I can't — I won't stay, it’s too expensive")
    'i can not - i will not stay, it is too expensive'
    """
    text = text.translate(_QUOTES).lower()
    text = _FILLERS.sub("", text)
    for pattern, replacement in _CONTRACTION_RES:
        text = pattern.sub(replacement, text)
    text = _REPEATS.sub(r"\1", text)
    text = _HYPHEN.sub(" - ", text)  # keep hyphenated words in the shape the tokenizer and patterns share
    return " ".join(text.split())


_NEGATORS = frozenset({"not", "never", "no", "nobody", "nothing", "without", "neither", "nor", "n't"})
# A negator followed by one of these does not negate what comes after: "if you do not mind me asking",
# "no problem", "not only", "never mind".
_NOT_NEGATING_NEXT = frozenset({"mind", "only", "just", "problem", "worries", "worry", "doubt", "matter", "hesitate", "rush"})
_HYPOTHETICAL = frozenset({"if", "whether", "unless", "would", "could", "might", "should"})
_BOUNDARY = frozenset({".", "?", "!", ";", ",", "but", "however", "so", "and", "though"})
UNLESS = "#unless"
NEGATION_WINDOW = 6  # tokens before a match searched for a negator ("i am not going to say you will lose...")


@dataclass(frozen=True)
class Match:
    """A rule that fired on a turn, with the sentence it fired in (for quoting) and its context."""

    rule: str
    label: str
    turn: int
    sentence: str  # the normalized sentence containing the match
    span: str  # the normalized matched text
    negated: bool
    hypothetical: bool
    question: bool


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


def _role_key(role: Role) -> str:
    # Unknown speakers are matched against both rule sets: a missed role should lose nothing.
    return {Role.AGENT: "agent", Role.CUSTOMER: "customer"}.get(role, "unknown")


class Pipeline:
    """spaCy blank English + sentencizer + one Matcher per speaker role, built once and reused."""

    def __init__(self, rules: Sequence[Rule] | None = None):
        import spacy
        from spacy.matcher import Matcher

        self.rules = list(rules) if rules is not None else load_rules()
        self.rules_by_id = {r.id: r for r in self.rules}
        self._literals = {r.id: r.literal_words for r in self.rules}
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.matchers = {}
        for role in ("agent", "customer"):
            matcher = Matcher(self.nlp.vocab, validate=True)
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
        out = []
        for doc in self.nlp.pipe(texts, batch_size=256):
            out.append(self._match_doc(doc, -1, role))
        return out

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
                role = _role_key(turn.role)
                roles = ("agent", "customer") if role == "unknown" else (role,)
                for r in roles:
                    matches.extend(self._match_doc(doc, turn.index, r))
                if turn.role is Role.CUSTOMER and turn.text.strip():
                    # VADER reads the original text: its lexicon uses case, punctuation and emoticons.
                    sentiment.append((turn.index, self.vader.polarity_scores(turn.text)["compound"]))
            results.append(AnalyzedCall(call, tuple(matches), tuple(texts), tuple(sentiment)))
        return results

    def _match_doc(self, doc, turn_index: int, role: str) -> list[Match]:
        found: dict[tuple[str, int], Match] = {}
        raw = [(self.nlp.vocab.strings[match_id], start, end) for match_id, start, end in self.matchers[role](doc)]
        vetoes: dict[str, list[tuple[int, int]]] = {}
        for key, start, end in raw:
            if key.endswith(UNLESS):
                vetoes.setdefault(key[: -len(UNLESS)], []).append((start, end))
        for key, start, end in raw:
            if key.endswith(UNLESS) or any(s < end and start < e for s, e in vetoes.get(key, ())):
                continue
            rule = self.rules_by_id[key]
            sent = doc[start].sent
            if end > sent.end:  # a phrase never spans two sentences
                continue
            # A negator before the match or inside a wildcard gap cancels it ("your account has not been
            # cancelled"). Rules whose phrase carries its own negation ("can not cancel") opt out.
            negated = rule.negation == "block" and (
                _preceded_by(doc, start, sent.start, _NEGATORS)
                or any(t.lower_ in _NEGATORS and t.lower_ not in self._literals[rule.id] for t in doc[start:end])
            )
            hypothetical = _preceded_by(doc, start, sent.start, _HYPOTHETICAL, window=8)
            if rule.hypothetical == "block" and hypothetical:
                continue
            key = (rule.id, sent.start)
            span_text = doc[start:end].text
            previous = found.get(key)
            # One match per rule per sentence: keep a non-negated one, then the longest.
            if previous is None or (previous.negated and not negated) or (previous.negated == negated and len(span_text) > len(previous.span)):
                found[key] = Match(
                    rule=rule.id,
                    label=rule.label,
                    turn=turn_index,
                    sentence=sent.text,
                    span=span_text,
                    negated=negated,
                    hypothetical=hypothetical,
                    question=sent.text.rstrip().endswith("?"),
                )
        return list(found.values())


def _preceded_by(doc, start: int, sent_start: int, words: frozenset[str], window: int = NEGATION_WINDOW) -> bool:
    """Is one of ``words`` among the few tokens before ``start``, without crossing a clause boundary?"""
    i = start - 1
    while i >= max(sent_start, start - window):
        token = doc[i].lower_
        if token in _BOUNDARY:
            return False
        if token in words and not (i + 1 < len(doc) and doc[i + 1].lower_ in _NOT_NEGATING_NEXT):
            return True
        i -= 1
    return False


def sentiment_of(texts: Iterable[str]) -> list[float]:
    """VADER compound score for each text (-1 most negative, +1 most positive)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return [analyzer.polarity_scores(t)["compound"] for t in texts]
