"""Why the customer is leaving: was it asked, was a reason established, and did the agent listen?

- ``reason_asked``: the agent asked (a short "how come?" counts only right after the customer said they
  want to cancel or declined something, so "why don't I pull up your account" never does).
- ``reason_stated`` (value: category): the customer gave a reason, asked or not. When the agent asked and
  the customer's answer matches no category, a substantive answer still establishes a reason, "other".
- ``reason_acknowledged``: within the agent's next two turns, empathy about it, two of the customer's own
  words picked up ("the Denver office", "the dropped calls"), an offer that answers that reason (a discount
  for price, a pause for money trouble, moving the service for a move; anywhere after the reason, and not
  pushed with a tactic), or a reply the acknowledgement model recognises. A bare "I understand" never counts; an echoed word counts only when the
  same turn does not pivot straight to a pitch or a tactic, and not inside a question that probes further.
"""

from __future__ import annotations

import re

from coach.detectors.goodbye import first_names
from coach.detectors.registry import evidence, first_per_turn, model_evidence, register
from coach.model import Finding, Role, Source

# When one turn signals several categories, the more specific one wins: "I lost my job so I can't afford
# it" is hardship, not price; "moving to another provider" is a competitor, not a house move.
CATEGORY_PRIORITY = (
    "financial_hardship",
    "life_event",
    "competitor",
    "moving",
    "price",
    "service_quality",
    "no_longer_needed",
    "other",
)
ANSWER_MIN_WORDS = 5  # an unmatched answer to "why?" shorter than this is not a reason ("no", "just because")
ACK_WINDOW = 2  # agent turns after the reason searched for an acknowledgement
ECHO_MIN_WORDS = 2  # content words of the reason the agent must repeat for an echo to count
# Which offers answer which reason (labels addresses.* in reason.yaml): a discount answers price, a pause
# answers money trouble, moving the service answers a move; an unrelated upsell answers nothing. A pause or a
# discount for "I don't use it" / "we sold the boat" is a save attempt more than a reply: in the labelled
# calls reviewers marked that reason ignored 5 times out of 5. A rival's offer is answered by matching it.
OFFER_ADDRESSES = {
    "price": {"price"},
    "competitor": {"competitor"},
    "financial_hardship": {"price", "no_longer_needed"},
    "moving": {"moving"},
    "service_quality": {"service_quality"},
}

# Words too common in cancellation calls to show the agent picked up the customer's reason.
_GENERIC = frozenset(
    """cancel cancelling canceling cancellation account service services want wanted like would could
    just really think know going call calling today right okay yeah sure thing things time
    because about have that this with your from they them there their what when where which
    will been were well much also make made still even need needs good great sorry understand
    plan month months year years please thank thanks company customer help dollar dollars transfer
    street road avenue lane drive court""".split()
)
_WORD_RE = re.compile(r"[a-z][a-z']{3,}")


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _content_words(text: str) -> set[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a plain word list; spaCy is loaded anyway

    return {_stem(w) for w in _WORD_RE.findall(text) if w not in _GENERIC and w not in STOP_WORDS}


@register("reason", produces=("reason_asked", "reason_stated", "reason_acknowledged", "near_miss.reason_asked", "near_miss.reason_acknowledged"))
def detect_reason(ac, ctx) -> list[Finding]:
    turns = ac.call.turns
    customer_no = {m.turn for m in ac.matches if m.label in ("cancel_request", "refusal") and not m.negated}
    asked = list(ac.by_label("reason_question"))
    opened = first_leaving_turn(ac, ctx)
    asked += [
        m
        for m in ac.by_label("reason_question_short")
        if not _embedded(ac, m) and (_previous_customer_turn(turns, m.turn) in customer_no or _opens_the_why(ac, opened, m))
    ]
    asked = [m for m in first_per_turn(asked) if turns[m.turn].role is not Role.CUSTOMER]
    ask_evidence = [evidence(ac, m) for m in asked]
    asked_turns = {m.turn for m in asked}
    ask_evidence += learned_reason_questions(ac, ctx, skip=asked_turns)
    ask_evidence.sort(key=lambda e: e.turn)

    findings: list[Finding] = []
    if ask_evidence:
        findings.append(Finding("reason_asked", tuple(ask_evidence)))
    else:
        shorts = [m for m in ac.by_label("reason_question_short") if turns[m.turn].role is Role.AGENT]
        if shorts:
            note = f'closest candidate: "{shorts[0].span}" did not follow a request to cancel'
            findings.append(Finding("near_miss.reason_asked", (evidence(ac, shorts[0], note=note),)))

    stated = _reason_stated(ac, ctx, ask_evidence[0].turn if ask_evidence else None)
    if stated is None:
        return findings
    category, reason_turn, stated_evidence = stated
    findings.append(Finding("reason_stated", (stated_evidence,), category))
    ack = _acknowledgement(ac, ctx, reason_turn, category)
    if ack is not None:
        findings.append(Finding("reason_acknowledged", (ack,), category))
    else:
        near = _bare_acknowledgement(ac, reason_turn)
        if near is not None:
            findings.append(Finding("near_miss.reason_acknowledged", (near,)))
    return findings


def said_leaving(ac) -> list[int]:
    """Customer turns whose phrases ask to cancel or give a reason for leaving."""
    turns = ac.call.turns
    return [
        m.turn
        for m in ac.matches
        if (m.label == "cancel_request" or m.label.startswith("reason.")) and not m.negated and turns[m.turn].role is Role.CUSTOMER
    ]


def first_leaving_turn(ac, ctx) -> int:
    """The first customer turn that asks to cancel or says why they leave (phrases or the cancel-request
    model); -1 when none was found, so that nothing is second-guessed on a call where the request was missed."""
    turns = ac.call.turns
    leaving = said_leaving(ac)
    leaving += [t for t, label, p in ac.model_scores if label == "cancel_request" and p >= ctx.model_thresholds.get(label, 1.01) and turns[t].role is Role.CUSTOMER]
    return min(leaving, default=-1)


def learned_reason_questions(ac, ctx, skip=frozenset()) -> list:
    """Turns the reason-question model recognised that can be one. The model reads words, not form or
    order: "you'd have to ask the manager." asks nothing, and "What can I do for you today?" before the
    customer has said they are leaving cannot ask why they are leaving."""
    first = first_leaving_turn(ac, ctx)
    note = "the reason-question model recognised a question about why they are leaving"
    return [
        e
        for e in model_evidence(ac, ctx, "reason_question", note, skip=skip)
        if ac.asks(e.turn) and e.turn > first and not _WHERE_TO.search(ac.normalized[e.turn])
    ]


# "Where's the move taking you?" asks where they are going, not why: the model read it as the reason question in
# 3 labelled calls, and it never was one there. Only when nothing in the turn asks why.
_WHERE_TO = re.compile(
    r"^(?!.*\b(?:why|how come|what (?:made|prompted|is behind|brought)|reason)\b)"
    r".*\bwhere (?:are|is|was|were) (?:you|he|she|they|the move|it|your|his|her)\b.{0,30}\b(?:headed|heading|going|moving|taking|off to|relocating)\b"
)


# Short questions that ask why without a topic of their own; "why?" alone is too often about something else.
_OPEN_WHY = frozenset({"how come", "what happened", "what changed", "what is the story", "what is the backstory", "whatever for", "what is going on"})
# ...asked as a question, not said inside a sentence: "somebody follows up on what happened there".
_EMBEDS = frozenset("on about into at of know see out check ask asked tell explain understand find learn is was".split())


def _embedded(ac, m) -> bool:
    """A short why said inside a sentence rather than asked: "somebody follows up on what happened there"."""
    before = ac.normalized[m.turn].split(m.span, 1)[0].split()
    return bool(before) and before[-1].strip(",.") in _EMBEDS


def _opens_the_why(ac, opened: int, m) -> bool:
    """A short "how come?" asked after a few verification turns ("Got it, thanks Gary. So what's the story
    there?"): the customer has said they are leaving (at turn ``opened``), has given no reason yet, and the agent
    asks."""
    if m.span not in _OPEN_WHY or opened < 0 or m.turn <= opened or not ac.asks(m.turn):
        return False
    turns = ac.call.turns
    return not any(
        r.label.startswith("reason.") and r.label != "reason.declined" and not r.negated and turns[r.turn].role is Role.CUSTOMER and r.turn < m.turn
        for r in ac.matches
    )


def _bare_acknowledgement(ac, reason_turn: int):
    """The "I hear you" that came closest: shown on a missed verdict so the coach can point at it."""
    agent_turns = [t.index for t in ac.call.turns[reason_turn + 1 :] if t.role is Role.AGENT][:ACK_WINDOW]
    for m in ac.by_label("empathy_generic"):
        if m.turn in agent_turns:
            note = f'closest candidate: "{m.span}" is not about the reason the customer gave'
            return evidence(ac, m, note=note)
    return None


def _previous_customer_turn(turns, index: int) -> int | None:
    for i in range(index - 1, -1, -1):
        if turns[i].role is Role.CUSTOMER:
            return i
    return None


def _reason_stated(ac, ctx, first_ask: int | None):
    turns = ac.call.turns
    by_turn: dict[int, list] = {}
    # A disputed fee or contract term is what the customer objects to, not why they leave (see reason.dispute):
    # a bare "because" in it ("because nobody told me about any eighty five dollars") explains the objection.
    disputed = {m.turn for m in ac.by_label("dispute")}
    # A past problem said to be put right is history, not a reason (see reason.resolved_problem): the model is
    # not trusted on its turn, nor a phrase in its sentence ("Marco was out sick... but that all got sorted").
    resolved = {(m.turn, m.sentence) for m in ac.by_label("resolved")}
    resolved_turns = {turn for turn, _ in resolved}
    # Nor is a bare "because" in a turn that declines to give a reason or talks about how it ends ("I just don't want
    # to get into it. Gail told me I'd have to write a letter, is that right, because I started one").
    declined = {m.turn for m in ac.by_label("reason.declined")} | {m.turn for m in ac.by_label("process")}
    no_bare_reason = disputed | declined
    # A complaint the customer then says is not the reason (see reason.disclaimed): a phrase in the same sentence or
    # the one before is disclaimed ("the changing rooms could do with heating, but that's not why"; a baby two
    # sentences earlier still counts), and the model, which reads the whole turn, is not trusted there.
    disclaimed: dict[int, tuple[int, int]] = {}
    for m in ac.by_label("disclaimed"):
        text = ac.normalized[m.turn]
        at = text.find(m.span)
        disclaimed[m.turn] = (_sentence_before(text, at), at)
    cue_turns = _cue_turns(ac, ctx, first_ask)
    for m in ac.matches:
        if m.negated or turns[m.turn].role is Role.AGENT or (m.turn, m.sentence) in resolved:
            continue
        if m.turn in disclaimed and disclaimed[m.turn][0] <= ac.normalized[m.turn].find(m.span) < disclaimed[m.turn][1]:
            continue
        if m.label == "reason_cue" and m.turn in cue_turns and m.turn not in no_bare_reason:
            by_turn.setdefault(m.turn, []).append(m)
        elif m.label.startswith("reason.") and m.label != "reason.declined":
            if m.label == "reason.other" and m.turn in no_bare_reason:
                continue
            # In a dispute a complaint is the argument, not the reason ("nobody ever called me back about this fee",
            # "I didn't no-show"): 0 of 8 such turns in the labelled calls gave the reason. A move, a life event or
            # a rival named there still is one ("I'm moving back to Osaka, and your website says you don't ship").
            if m.turn in disputed and m.label in _ARGUED_IN_A_DISPUTE:
                continue
            by_turn.setdefault(m.turn, []).append(m)
    model_hits = sorted(
        (turn, label, p)
        for turn, label, p in ac.model_scores
        if label.startswith("reason.")
        and turns[turn].role is Role.CUSTOMER
        and p >= ctx.model_thresholds.get(label, 1.01)
        and turn not in disputed | resolved_turns | set(disclaimed)
    )
    # The first reason given, whoever recognised it: a paraphrase the model caught at turn 5 comes before a
    # phrase matched at turn 9, and the agent's reply to it is what acknowledgement is looked for after.
    if by_turn and not (model_hits and model_hits[0][0] < min(by_turn)):
        turn = min(by_turn)
        matches = by_turn[turn]
        category = min((_category(m) for m in matches), key=_priority)
        best = next(m for m in matches if _category(m) == category)
        return category, turn, evidence(ac, best, note=f'reason: {category.replace("_", " ")} (matched "{best.span}")')
    if model_hits:
        turn, label, p = model_hits[0]
        category = label.split(".", 1)[1]
        return category, turn, evidence(ac, turn, note=f"reason: {category} (the reason model)", by=Source.MODEL, probability=p)
    if first_ask is None:
        return None
    # Asked, but the answer matches no known category: a substantive answer is still a reason (not a refusal to
    # give one, nor "I want it done before it renews, that's the main thing", which says how and when).
    no_answer = declined | disputed | set(disclaimed)
    for turn in turns[first_ask + 1 :]:
        if turn.role is not Role.CUSTOMER:
            continue
        words = ac.normalized[turn.index].split()
        if turn.index in no_answer or len(words) < ANSWER_MIN_WORDS or _only_asks_again(ac, turn.index):
            return None
        return "other", turn.index, evidence(ac, turn.index, note="reason: other (the customer's answer to the reason question)")
    return None


def _sentence_before(text: str, at: int) -> int:
    """Where the sentence before the one holding position ``at`` starts (0 without punctuation)."""
    ends = [i for i, ch in enumerate(text[:at]) if ch in ".?!"]
    return ends[-2] + 1 if len(ends) >= 2 else 0


# Reason phrases that in a disputed turn are part of the argument.
_ARGUED_IN_A_DISPUTE = frozenset({"reason.service_quality", "reason.no_longer_needed", "reason.other"})


# An answer this short that asks to cancel again ("yes i want to cancel the package please, the rest of the weeks")
# says no more than the request did.
REPEAT_REQUEST_MAX_WORDS = 15


def _only_asks_again(ac, turn: int) -> bool:
    return len(ac.normalized[turn].split()) <= REPEAT_REQUEST_MAX_WORDS and any(
        m.turn == turn and m.label == "cancel_request" and not m.negated for m in ac.matches
    )


def _category(match) -> str:
    return "other" if match.label == "reason_cue" else match.label.split(".", 1)[1]


def _cue_turns(ac, ctx, first_ask: int | None) -> set[int]:
    """Where a bare "because" gives a reason: in a turn that asks to cancel, or in the answer to the reason
    question. Elsewhere it explains something else (see reason.because)."""
    turns = ac.call.turns
    cue = {m.turn for m in ac.matches if m.label == "cancel_request" and not m.negated}
    cue |= {t for t, label, p in ac.model_scores if label == "cancel_request" and p >= ctx.model_thresholds.get(label, 1.01)}
    if first_ask is not None:
        cue.add(next((t.index for t in turns[first_ask + 1 :] if t.role is Role.CUSTOMER), -1))
    return cue


def _statements(text: str) -> str:
    """The turn without its questions: an echo inside a probe ("how tight are we talking, though?", "laid off
    from where, exactly?") digs into the reason rather than answering it. Speech-to-text without punctuation
    is kept whole."""
    return " ".join(part for part in re.findall(r"[^.?!]*[.?!]?", text) if not part.rstrip().endswith("?"))


def _priority(category: str) -> int:
    return CATEGORY_PRIORITY.index(category) if category in CATEGORY_PRIORITY else len(CATEGORY_PRIORITY)


def _reason_turns(ac, ctx, first: int) -> list[int]:
    """The customer turns that give a reason, from the first on: a reason restated later ("like I said, we're
    moving") opens a new window for the agent's reply."""
    turns = ac.call.turns
    found = {m.turn for m in ac.matches if m.label.startswith("reason.") and m.label != "reason.declined" and not m.negated}
    found |= {t for t, label, p in ac.model_scores if label.startswith("reason.") and p >= ctx.model_thresholds.get(label, 1.01)}
    return sorted({first} | {t for t in found if t > first and turns[t].role is Role.CUSTOMER})


def _acknowledgement(ac, ctx, reason_turn: int, category: str):
    turns = ac.call.turns
    # The reason's own words: not names ("jess", "theo") and not what the agent already said before the reason
    # (the plan's name, the street on the account), which a processing turn repeats without listening.
    said_before = set().union(*(_content_words(ac.normalized[t.index]) for t in turns[:reason_turn] if t.role is Role.AGENT))
    reason_words = _content_words(ac.normalized[reason_turn]) - said_before - first_names()
    first_window = [t.index for t in turns[reason_turn + 1 :] if t.role is Role.AGENT][:ACK_WINDOW]
    agent_turns = sorted(
        {i for r in _reason_turns(ac, ctx, reason_turn) for i in [t.index for t in turns[r + 1 :] if t.role is Role.AGENT][:ACK_WINDOW]}
    )
    # Past the window only an offer that answers the reason still counts: a discount offered after a detour
    # through the account details answers "it's too expensive" as well as one offered at once.
    later = [t.index for t in turns[reason_turn + 1 :] if t.role is Role.AGENT and t.index not in agent_turns]
    # The reason may be given mid-turn after the agent already spoke in it; the same agent turn can't reply.
    by_turn: dict[int, list] = {}
    for m in ac.matches:
        if (m.turn in agent_turns or m.turn in later) and not m.negated:
            by_turn.setdefault(m.turn, []).append(m)
    arguing = {m.turn for m in ac.by_label("tactic.arguing")}
    learned_pitch = {
        turn for turn, label, p in ac.model_scores if (label == "offer" or label.startswith("tactic.")) and p >= ctx.model_thresholds.get(label, 1.01)
    }
    learned_offer = {turn for turn, label, p in ac.model_scores if label == "offer" and p >= ctx.model_thresholds.get(label, 1.01)}
    answers = OFFER_ADDRESSES.get(category, set())

    learned_tactic = {turn for turn, label, p in ac.model_scores if label.startswith("tactic.") and p >= ctx.model_thresholds.get(label, 1.01)}

    def answering_offer(index: int):
        labels = {m.label: m for m in by_turn.get(index, [])}
        # A discount pushed with pressure ("half price, but only on this call") is leverage, not listening.
        if index in learned_tactic or any(label.startswith("tactic.") for label in labels):
            return None
        addressing = [m for label, m in labels.items() if label.startswith("addresses.") and label.split(".", 1)[1] in answers]
        # Money words also turn up in fee disclosures ("the fee is waived"), so for price it must be an offer;
        # moving the service or sending a technician answers a move or an outage however it is phrased.
        if addressing and ("offer" in labels or index in learned_offer or addressing[0].label != "addresses.price"):
            note = f'acknowledged: an offer that answers the reason ({category.replace("_", " ")}: "{addressing[0].span}")'
            return evidence(ac, addressing[0], note=note)
        return None

    for index in agent_turns:
        if index in arguing:
            break  # disputing the reason is the opposite of hearing it
        labels = {m.label: m for m in by_turn.get(index, [])}
        if "empathy" in labels:
            return evidence(ac, labels["empathy"], note=f'acknowledged: "{labels["empathy"].span}"')
        # A bare "I hear you" / "I understand" is not about the reason: followed by processing ("I understand.
        # To cancel, I'll need the account email") it is the reason ignored. An echo of the customer's words
        # counts only when the turn does not pivot to a pitch ("...our plan works out to two dollars").
        pivots = "offer" in labels or any(label.startswith("tactic.") for label in labels) or index in learned_pitch
        shared = reason_words & _content_words(_statements(ac.normalized[index]))
        # One shared word is too often a coincidence ("your card will stop unlocking cars", "why are you
        # moving out"); two are the reason picked up.
        if len(shared) >= ECHO_MIN_WORDS and not pivots and index in first_window:
            return evidence(ac, index, note=f"acknowledged: picks up the customer's words ({', '.join(sorted(shared))})")
        if (answered := answering_offer(index)) is not None:
            return answered
        learned = model_evidence(ac, ctx, "reason_ack", "acknowledged: the acknowledgement model recognised a reply to the reason", turns={index})
        if learned:
            return learned[0]
    for index in later:
        if (answered := answering_offer(index)) is not None:
            return answered
    return None
