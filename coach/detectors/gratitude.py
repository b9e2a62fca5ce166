"""Gratitude for the customer's business, loyalty or tenure, said by the agent.

Appreciation counts when the same turn speaks of their tenure or loyalty. Courtesy thanks ("thanks for
calling", "for holding", "for your payment") never count; when the agent
offered only those, they become the near miss an absence verdict shows. The customer's thanks are not
looked at: rules for this label only run on agent turns.
"""

from __future__ import annotations

import re

from coach.detectors.registry import evidence, finding, first_per_turn, model_evidence, register
from coach.model import Finding, Role, Source


@register("gratitude", produces=("gratitude", "near_miss.gratitude"))
def detect_gratitude(ac, ctx) -> list[Finding]:
    found = _gratitude(ac, ctx)
    if found:
        return [found]
    courtesy = first_per_turn(m for m in ac.by_label("courtesy_thanks") if ac.turn(m.turn).role is Role.AGENT)
    if not courtesy:
        return []
    # The latest courtesy thanks is the closest candidate: goodbyes are where gratitude belongs.
    closest = courtesy[-1]
    note = f'closest candidate: "{closest.span}" is courtesy, not thanks for their business, loyalty or tenure'
    return [Finding("near_miss.gratitude", (evidence(ac, closest, note=note),))]


def gratitude_turns(ac, ctx) -> dict[int, Source]:
    """The agent turns that sincerely thank the customer for their business, each with what recognised it (a
    phrase or the model)."""
    found = _gratitude(ac, ctx)
    return {e.turn: e.by for e in found.evidence} if found else {}


# A turn this short that is a routine thanks ("Thank you for contacting us.") says nothing more; the model still
# scored one 0.99 on the word "thank" and "us". Longer turns are left to it: in the training calls 27 agent turns
# with a routine thanks also thanked the customer for their years, all of them longer than this.
ROUTINE_ONLY_MAX_WORDS = 8


# "thank you for that" and "thanks for letting us..." can still be the real thing, so only these.
_ROUTINE = frozenset({"calling", "holding", "waiting", "patience", "payment", "contacting", "reaching", "verifying", "confirming", "information", "info"})


def _routine_only(ac) -> set[int]:
    return {
        m.turn
        for m in ac.matches
        if m.rule == "courtesy.thanks_for_routine"
        and _ROUTINE & set(m.span.split())
        and len(ac.normalized[m.turn].split()) <= ROUTINE_ONLY_MAX_WORDS
    }


# Words without which a turn thanks no one.
_THANKS_WORD = re.compile(r"\b(?:thank|thanks|thankful|grateful|gratitude|appreciate|appreciated|appreciation)\b")


def _guilt_without_thanks(ac) -> set[int]:
    """Turns the guilt phrases recognise that say no word of thanks: the model reads the tenure in them as thanks
    ("your dad banked with us for thirty years. Walking away from it halfway through kind of leaves us holding the
    bag"). In the labelled calls 3 such model hits of 3 were guilt, not thanks; with a word of thanks, 5 of 5 were
    thanks."""
    return {
        m.turn
        for m in ac.by_label("tactic.guilt_or_shame")
        if ac.turn(m.turn).role is Role.AGENT and not _THANKS_WORD.search(ac.normalized[m.turn])
    }


def _gratitude(ac, ctx) -> Finding | None:
    sarcastic = {(m.turn, m.sentence) for m in ac.by_label("sarcasm")}
    hits = [m for m in ac.by_label("gratitude") if (m.turn, m.sentence) not in sarcastic and ac.turn(m.turn).role is not Role.CUSTOMER]
    # Appreciation and tenure in the same agent turn ("five years is a long time to trust us, and I really
    # appreciate it"), outside sarcasm.
    tenure_turns = {m.turn for m in ac.by_label("tenure") if not m.negated}
    paired = [
        m for m in ac.by_label("appreciation")
        if m.turn in tenure_turns and ac.turn(m.turn).role is Role.AGENT and (m.turn, m.sentence) not in sarcastic
    ]
    hits += [m for m in paired if m.turn not in {h.turn for h in hits}]
    found = finding("gratitude", hits, ac)
    model_turns = {m.turn for m in hits}
    sarcastic_turns = {turn for turn, _ in sarcastic}
    learned = model_evidence(
        ac, ctx, "gratitude", "the gratitude model recognised thanks for their business",
        skip=model_turns | sarcastic_turns | _routine_only(ac) | _guilt_without_thanks(ac),
    )
    if found or learned:
        return Finding("gratitude", (found[0].evidence if found else ()) + tuple(learned))
    return None
