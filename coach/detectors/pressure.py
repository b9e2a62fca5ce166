"""Pressure-style retention tactics, plus the save attempts and refusals they are counted from.

Most tactics are phrases the agent says (``tactic.*`` rules). Two need context, because the same words
can be fair information: a fee or a loss is ``penalty_threat`` / ``fear_of_loss`` only when used as
leverage in the same turn ("...but if you stay I can waive it"), never when simply disclosed. Refusal to
cancel is forgiven when the agent hands the customer to a team that can cancel. Interrogation is also
counted: asking why again and again after the customer already gave a reason.

``repeated_save_attempts`` depends on the rubric's ``allowed_save_offers``, so it is derived at scoring
time from the ``save_attempt`` and ``customer_no`` findings produced here (see coach.scoring).
"""

from __future__ import annotations

import re

from coach.detectors.gratitude import gratitude_turns
from coach.detectors.reason import first_leaving_turn, learned_reason_questions, said_leaving
from coach.detectors.registry import evidence, first_per_turn, model_evidence, register
from coach.model import TACTICS, Finding, Role, Source

REASON_QUESTIONS_AFTER_REASON = 2  # asking why this many times after a reason was given is interrogation
REASON_QUESTIONS_IN_ALL = 3  # or this many times in one call
QUESTION_BARRAGE = 3  # probing questions in one agent turn, once the customer has asked to cancel
# words that turn agreement round into a case for staying ("you're right, but...")
_CONTRAST = re.compile(r"\b(but|though|however|although|that said|still)\b")
_BARE_NO = re.compile(r"^(?:no|nope|nah)(?:[ ,.!]+(?:no|nope|nah|thanks|thank you|mate|sorry|not really))*[ .!]*$")


@register("pressure", produces=tuple(f"tactic.{t}" for t in TACTICS if t != "repeated_save_attempts") + ("save_attempt", "customer_no"))
def detect_pressure(ac, ctx) -> list[Finding]:
    turns = ac.call.turns

    def agent(m) -> bool:
        return turns[m.turn].role is not Role.CUSTOMER

    # Retention tactics answer a customer who wants to leave: in the labelled calls none of 1,049 tactic turns
    # came before the customer first asked to cancel or said why ("Who am I speaking with, and which horse is
    # it about?" opens a call, it interrogates no one). Nothing earlier counts, when that turn was found.
    opened = first_leaving_turn(ac, ctx)

    # Siding with the customer ("honestly, you're right, that isn't acceptable"; "that makes complete sense,
    # fighting file conversions every week just isn't worth it") reads to the arguing model like "I understand,
    # but..." and can carry an arguing phrase: in the labelled calls no agent turn that agreed without turning
    # it round was arguing (0 of 118).
    agreeing = {m.turn for m in ac.by_label("agreement") if agent(m) and not _CONTRAST.search(ac.normalized[m.turn])}

    # Thanks for eleven winters of custom reads like "after all these years", and praise of what the customer
    # gave ("a society like ours only keeps going because folk like you turn up") like guilt: in the labelled
    # calls to extra_881 no turn the gratitude patterns recognised was guilt (0 of 208). Thanks and guilt can
    # still share a turn ("thank you for nine years with us. It's a real shame for everybody to see you go":
    # 8 turns in extra_882-921), so only the praise phrases are not counted in a thanking turn and the other
    # guilt phrases only in the thanking sentence. The gratitude model is less sure of its ground ("I'd have
    # thought a business that's been with us that long would at least give us the chance" is guilt it reads as
    # thanks): its turns veto only the guilt model.
    thanked = gratitude_turns(ac, ctx)
    grateful = set(thanked)
    thanked_in_words = {turn for turn, by in thanked.items() if by is Source.PATTERN}
    thanked_sentences = {(m.turn, m.sentence) for m in ac.matches if m.label in ("gratitude", "appreciation", "tenure") and m.turn in thanked_in_words}

    tactic_matches: dict[str, list] = {}
    for m in ac.by_prefix("tactic."):
        if not agent(m) or m.turn <= opened:
            continue
        if (m.label == "tactic.arguing" and m.turn in agreeing) or _thanks_not_guilt(m, thanked_in_words, thanked_sentences):
            continue
        tactic_matches.setdefault(m.label.split(".", 1)[1], []).append(m)

    labels_by_turn: dict[int, set[str]] = {}
    for m in ac.matches:
        if not m.negated and agent(m):
            labels_by_turn.setdefault(m.turn, set()).add(m.label)

    # A handover to a team that can cancel is not a refusal to cancel.
    if "refusal_to_cancel" in tactic_matches:
        kept = [m for m in tactic_matches["refusal_to_cancel"] if "legit_transfer" not in labels_by_turn.get(m.turn, set())]
        tactic_matches["refusal_to_cancel"] = kept

    # A deletion notice beside help to save the data ("they're deleted for good after sixty days, so you've got
    # till the end of November to grab anything") informs; the same words alone are the scare.
    if "fear_of_loss" in tactic_matches:
        helped = {turn for turn, labels in labels_by_turn.items() if "help_with_exit" in labels}
        # the deletion words may also be read as a bare loss ("gone for good"): the same words, the same excuse
        informing = [(m.turn, m.sentence, m.span) for m in tactic_matches["fear_of_loss"] if m.rule == "tactic.fear_of_loss.deletion" and m.turn in helped]
        kept = [
            m
            for m in tactic_matches["fear_of_loss"]
            if not any(t == m.turn and sentence == m.sentence and (span in m.span or m.span in span) for t, sentence, span in informing)
        ]
        tactic_matches["fear_of_loss"] = kept

    # Mentions that become tactics only with leverage in the same turn. A fee is a threat when it is the cost
    # of leaving and is paired with a reason to stay ("if you leave it's $230, but if you stay I can waive
    # it"); a fee credited in an offer is not ("$150 back against the annual fee if you keep the card"). A
    # loss is a threat when stressed as final or pushed with a pitch ("you'd lose the discount... unless...").
    for mention, tactic, needs_all, needs_any in (
        ("fee_mention", "penalty_threat", {"exit_cost", "leverage"}, set()),
        ("exit_cost", "penalty_threat", {"fee_mention", "leverage"}, set()),
        ("loss_mention", "fear_of_loss", set(), {"leverage", "offer", "save_probe", "finality"}),
    ):
        for m in ac.by_label(mention):
            context = labels_by_turn.get(m.turn, set())
            # "...and there's no cancellation fee" says the fee does not apply: nothing to threaten with
            if tactic == "penalty_threat" and "fee_waived" in context:
                continue
            if agent(m) and m.turn > opened and needs_all <= context and (not needs_any or needs_any & context):
                tactic_matches.setdefault(tactic, []).append(m)

    findings = [
        Finding(f"tactic.{name}", tuple(evidence(ac, m) for m in first_per_turn(ms)))
        for name, ms in tactic_matches.items()
        if ms
    ]
    interrogation = _repeated_why(ac, ctx) or _question_barrage(ac)
    if interrogation and "interrogation" not in tactic_matches:
        findings.append(Finding("tactic.interrogation", tuple(interrogation)))

    handed_over = {turn for turn, labels in labels_by_turn.items() if "legit_transfer" in labels}
    # Interrogation asks: a punctuated turn that asks nothing ("Right, but that's exactly who it matters for.")
    # argues or pitches, whatever the model reads (in the labelled calls 5 such model hits, none interrogation).
    statements = {t.index for t in turns if not ac.asks(t.index)}
    # Asking why once is what the rubric asks for: the first reason question is not interrogation on the
    # model's word (in the labelled calls 6 of 670 first reason questions were), unless it pushes back ("okay
    # but like why now though, is it money, is it the travel") the way the questions that were do.
    asks = [m.turn for m in ac.by_label("reason_question") if agent(m) and m.turn > opened]
    asks += [e.turn for e in learned_reason_questions(ac, ctx)]
    first_ask = {min(asks)} if asks and not _CONTRAST.search(ac.normalized[min(asks)]) else set()
    waived = {turn for turn, labels in labels_by_turn.items() if "fee_waived" in labels}
    for name in TACTICS:
        label = f"tactic.{name}"
        if not any(f.name == label for f in findings):
            # the same handover rule as for the phrases ("those go through Renata, let me transfer you"), and
            # a fee disclosed as not applying ("you're well past that, no termination fee applies") threatens nothing
            vetoed = {
                "refusal_to_cancel": handed_over,
                "penalty_threat": waived,
                "guilt_or_shame": grateful,
                "arguing": agreeing | grateful,
                "interrogation": statements | first_ask,
            }
            skip = vetoed.get(name, set()) | set(range(opened + 1))
            hits = model_evidence(ac, ctx, label, f"the {label} model flagged this turn", skip=skip)
            if hits:
                findings.append(Finding(label, tuple(hits)))

    # A false-urgency push ("the $149 offer is only good on this call") extends an offer again.
    urgency = tactic_matches.get("false_urgency", [])
    attempts = [evidence(ac, m) for m in first_per_turn([m for m in ac.by_label("offer") if agent(m)] + urgency)]
    # "I'm not going to talk you out of it" says there is no pitch in that turn, whatever the model reads.
    no_pitch = {m.turn for m in ac.by_label("offer", include_negated=True) if m.negated}
    # Exit help read back (the refund, "here's how the early termination charge works") sounds like an offer
    # to the model; a real offer in such a turn has its own phrase ("if you stay I'll waive it").
    no_pitch |= {m.turn for m in ac.by_label("help_with_exit")}
    attempts += model_evidence(ac, ctx, "offer", "the offer model recognised a save attempt", skip={e.turn for e in attempts} | no_pitch)
    if attempts:
        attempts.sort(key=lambda e: e.turn)
        findings.append(Finding("save_attempt", tuple(attempts), str(len(attempts))))
    offered = {e.turn for e in attempts}
    # "No, this is all" answers "anything else I can help with?", not the come-back perk before it ("if the money
    # side ever changes, we'd waive the joining fee for you. Anything else I can help with tonight?").
    closing = {m.turn for m in ac.by_label("anything_else") if agent(m)}
    answers_closing = {t.index for t in turns if t.role is Role.CUSTOMER and _previous_agent_turn(turns, t.index) in closing}
    said_no = [m for m in ac.matches if m.label in ("refusal", "cancel_request") and not m.negated and turns[m.turn].role is not Role.AGENT and m.turn not in answers_closing]
    said_no += [m for m in ac.by_label("refusal_soft") if turns[m.turn].role is not Role.AGENT and _previous_agent_turn(turns, m.turn) in offered]
    nos = [evidence(ac, m) for m in first_per_turn(said_no)]
    # A bare "no" straight after an offer, which unpunctuated speech-to-text gives the phrases nothing to hold.
    heard = {e.turn for e in nos}
    nos += [
        evidence(ac, t.index, note="a bare no to the offer just made")
        for t in turns
        if t.role is Role.CUSTOMER
        and t.index not in heard
        and _previous_agent_turn(turns, t.index) in offered
        and _BARE_NO.match(ac.normalized[t.index])
    ]
    for label, note in (("refusal", "the refusal model recognised a no"), ("cancel_request", "the cancel-request model recognised a request to cancel")):
        nos += model_evidence(ac, ctx, label, note, role=Role.CUSTOMER, skip={e.turn for e in nos} | answers_closing)
    if nos:
        nos.sort(key=lambda e: e.turn)
        findings.append(Finding("customer_no", tuple(nos), str(len(nos))))
    return sorted(findings, key=lambda f: f.name)


def _previous_agent_turn(turns, index: int) -> int | None:
    return next((i for i in range(index - 1, -1, -1) if turns[i].role is Role.AGENT), None)


def _repeated_why(ac, ctx) -> list:
    """Reason questions (phrases or the reason-question model) repeated after the customer already
    answered, or too many in one call."""
    turns = ac.call.turns
    asks = {m.turn: m for m in first_per_turn(m for m in ac.by_label("reason_question") if turns[m.turn].role is not Role.CUSTOMER)}
    learned = {e.turn for e in learned_reason_questions(ac, ctx, skip=set(asks))}
    asks.update({turn: turn for turn in learned})
    reason_turns = sorted(m.turn for m in ac.matches if m.label.startswith("reason.") and m.label != "reason.declined" and not m.negated)
    reason_turns += sorted(t for t, label, p in ac.model_scores if label.startswith("reason.") and p >= ctx.model_thresholds.get(label, 1.01))
    first_reason = min(reason_turns, default=None)
    after_reason = [asks[t] for t in sorted(asks) if first_reason is not None and t > first_reason]
    if len(after_reason) >= REASON_QUESTIONS_AFTER_REASON:
        note = "asked why again after the customer had already given a reason"
        return [_quote(ac, m, note, learned) for m in after_reason]
    if len(asks) >= REASON_QUESTIONS_IN_ALL:
        return [_quote(ac, asks[t], f"asked why {len(asks)} times in one call", learned) for t in sorted(asks)]
    return []


def _question_barrage(ac) -> list:
    """Agent turns that fire several probing questions at a customer who has asked to leave ("A garage?
    What's in the unit? Did you actually think that through?"). Verification runs do not count, and without
    punctuation the questions cannot be counted."""
    turns = ac.call.turns
    asked_to_leave = said_leaving(ac)
    if not asked_to_leave:
        return []
    out = []
    for turn in turns[min(asked_to_leave) + 1 :]:
        if turn.role is Role.AGENT and len(questions := ac.probing_questions(turn.index)) >= QUESTION_BARRAGE:
            out.append(evidence(ac, turn.index, note=f"{len(questions)} probing questions in one turn"))
    return out


def _quote(ac, match, note: str, learned: set[int]):
    """Evidence for a pattern match, or for a turn the model recognised (an int) marked as the model's."""
    if isinstance(match, int) and match in learned:
        return evidence(ac, match, note=note, by=Source.MODEL)
    return evidence(ac, match, note=note)


def _thanks_not_guilt(m, thanked_turns: set[int], thanked_sentences: set[tuple[int, str]]) -> bool:
    """Whether a guilt phrase is part of thanks: a praise phrase in a thanking turn, any in a thanking sentence."""
    if m.label != "tactic.guilt_or_shame":
        return False
    if m.rule == "tactic.guilt_or_shame.contribution":
        return m.turn in thanked_turns
    return (m.turn, m.sentence) in thanked_sentences
