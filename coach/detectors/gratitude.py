"""Gratitude for the customer's business, loyalty or tenure, said by the agent.

Courtesy thanks ("thanks for calling", "for holding", "for your payment") never count; when the agent
offered only those, they become the near miss an absence verdict shows. The customer's thanks are not
looked at: rules for this label only run on agent turns.
"""

from __future__ import annotations

from coach.detectors.registry import evidence, finding, first_per_turn, register
from coach.model import Finding, Role, Source


@register("gratitude", produces=("gratitude", "near_miss.gratitude"))
def detect_gratitude(ac, ctx) -> list[Finding]:
    sarcastic = {(m.turn, m.sentence) for m in ac.by_label("sarcasm")}
    hits = [m for m in ac.by_label("gratitude") if (m.turn, m.sentence) not in sarcastic and ac.turn(m.turn).role is not Role.CUSTOMER]
    found = finding("gratitude", hits, ac)
    model_turns = {m.turn for m in hits}
    model_evidence = [
        evidence(ac, turn, note="the gratitude model recognised thanks for their business", by=Source.MODEL, probability=p)
        for turn, label, p in ac.model_scores
        if label == "gratitude" and turn not in model_turns and p >= ctx.model_thresholds.get("gratitude", 1.01)
        and ac.turn(turn).role is Role.AGENT and not any(t == turn for t, _ in sarcastic)
    ]
    if found or model_evidence:
        if not found:
            return [Finding("gratitude", tuple(model_evidence))]
        return [Finding("gratitude", found[0].evidence + tuple(model_evidence))]
    courtesy = first_per_turn(m for m in ac.by_label("courtesy_thanks") if ac.turn(m.turn).role is Role.AGENT)
    if not courtesy:
        return []
    # The latest courtesy thanks is the closest candidate: goodbyes are where gratitude belongs.
    closest = courtesy[-1]
    note = f'closest candidate: "{closest.span}" is courtesy, not thanks for their business, loyalty or tenure'
    return [Finding("near_miss.gratitude", (evidence(ac, closest, note=note),))]
