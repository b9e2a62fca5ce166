"""Detector behaviour on small hand-built calls: each paraphrase family, each trap, speaker awareness and
speech-to-text shaped text."""

from __future__ import annotations

import pytest
from conftest import make_call

CANCEL = ("customer", "Hi, I'd like to cancel my account please.")


def score(analyzer, pairs):
    return analyzer.analyze(make_call(pairs))


def names(card):
    return {f.name for f in card.findings}


# ---- gratitude --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "thanks",
    [
        "Before I do that, thank you for your business all these years.",
        "We really appreciate you being with us six years.",
        "I'm so grateful for your loyalty.",
        "It's been a pleasure having you as a member.",
        "Thanks for sticking with us since 2016.",
        "we've valued having you on board these four years",
        "thank you so much for being a loyal customer",
        "honestly we appreciate all the years you have trusted us with your savings",
    ],
)
def test_gratitude_recognises_paraphrases(analyzer, thanks):
    card = score(analyzer, [CANCEL, ("agent", thanks), ("customer", "Okay.")])
    assert not card.flag("missing_gratitude")
    assert card.verdict("gratitude").evidence[0].turn == 1


@pytest.mark.parametrize(
    "courtesy",
    [
        "Thanks for calling Northwind, how can I help?",
        "Thank you for holding.",
        "Thanks for your patience.",
        "Thank you for your payment.",
        "thanks for that information",
    ],
)
def test_gratitude_ignores_courtesy_thanks_and_shows_it_as_closest_candidate(analyzer, courtesy):
    card = score(analyzer, [("agent", courtesy), CANCEL, ("agent", "Done, it's cancelled.")])
    assert card.flag("missing_gratitude")
    verdict = card.verdict("gratitude")
    assert verdict.outcome.value == "missed"
    assert "closest candidate" in verdict.why and verdict.evidence[0].turn == 0


def test_gratitude_ignores_the_customer_thanking_the_agent(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Okay, it's done."), ("customer", "Thank you for your help, and thanks for all the years of good service.")])
    assert card.flag("missing_gratitude")


def test_gratitude_ignores_sarcasm(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Well, thanks for nothing, I guess.")])
    assert card.flag("missing_gratitude")


def test_gratitude_found_in_speech_to_text_without_punctuation(analyzer):
    card = score(analyzer, [("customer", "yeah um i wanna cancel"), ("agent", "okay no problem um and uh thank you for uh your business over the years")])
    assert not card.flag("missing_gratitude")


# ---- why are you leaving -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "May I ask what's behind this?",
        "What made you decide to leave?",
        "Was there anything we could have done better?",
        "can i ask why youre cancelling",
        "If you don't mind me asking, what prompted the change?",
        "Is there a particular reason you're closing the account?",
    ],
)
def test_reason_question_paraphrases(analyzer, question):
    card = score(analyzer, [CANCEL, ("agent", question), ("customer", "Just not using it.")])
    assert not card.flag("reason_not_asked")


def test_a_why_about_something_else_is_not_a_reason_question(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Sure. Why don't I pull up your account first?"), ("customer", "Okay.")])
    assert card.flag("reason_not_asked")


def test_understanding_why_is_a_statement_not_a_reason_question(analyzer):
    moving = ("customer", "I need to cancel, we're moving in with my mother and her place has internet already.")
    card = score(analyzer, [moving, ("agent", "I'm sorry to hear that. I get why the plan doesn't make sense anymore."), ("customer", "Yeah.")])
    assert card.flag("reason_not_asked")


def test_anything_that_prompted_the_decision_is_a_reason_question(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Is there anything in particular that's prompted the decision?"), ("customer", "Money.")])
    assert not card.flag("reason_not_asked")


def test_a_model_hit_on_a_statement_is_not_a_reason_question(analyzer):
    """The reason-question model reads words, not form; in a punctuated transcript it must be a question."""
    from coach.nlp import AnalyzedCall

    call = make_call([CANCEL, ("agent", "You'd have to ask the club manager about that."), ("agent", "Can I ask what changed?")])
    ac = AnalyzedCall(call=call, matches=(), normalized=("i would like to cancel", "you would have to ask the club manager about that.", "can i ask what changed?"), sentiment=())
    assert not ac.asks(1) and ac.asks(2)
    unpunctuated = make_call([("customer", "i want to cancel"), ("agent", "you would have to ask the manager")])
    ac = AnalyzedCall(call=unpunctuated, matches=(), normalized=("i want to cancel", "you would have to ask the manager"), sentiment=())
    assert ac.asks(1)


def test_short_how_come_counts_only_after_a_cancel_request(analyzer):
    assert not score(analyzer, [CANCEL, ("agent", "Oh, how come?")]).flag("reason_not_asked")
    assert score(analyzer, [("agent", "How come the weather is so nice?"), CANCEL]).flag("reason_not_asked")


def test_a_short_what_happened_after_verification_turns_still_asks_the_reason(analyzer):
    # the customer asked to cancel, gave their serial number, and has not said why yet
    card = score(analyzer, [
        ("customer", "Hi, I want to end the forklift lease. Get it off my lot."),
        ("agent", "Okay. I'm going to need the serial off the unit."),
        ("customer", "It's 8FGU32, then six, one, one, zero, four."),
        ("agent", "Got it, thanks Gary. So what's the story there?"),
    ])  # fmt: skip
    assert not card.flag("reason_not_asked")
    # once a reason is on the table, "what happened?" is about something else
    card = score(analyzer, [
        ("customer", "Hi, I want to cancel, it's too expensive for us now."),
        ("agent", "Understood. I see a failed payment on the fourth."),
        ("customer", "Yes, the card expired."),
        ("agent", "Ah, what happened?"),
    ])  # fmt: skip
    assert card.flag("reason_not_asked")


def test_volunteered_reason_is_stated_but_not_asked(analyzer):
    card = score(analyzer, [("customer", "I need to cancel, we're moving to Portugal next month."), ("agent", "Oh, Portugal, how lovely! I'll take care of it.")])
    assert card.flag("reason_not_asked")
    assert not card.flag("why_leaving_unanswered")
    assert card.reason.category == "moving"
    assert not card.flag("reason_ignored")


def test_nothing_against_you_does_not_negate_the_reason_that_follows_in_unpunctuated_speech(analyzer):
    card = score(
        analyzer,
        [("customer", "i want to stop my paper it's nothing against you lot my counsellor reckons i should stop reading the news"), ("agent", "okay")],
    )
    assert not card.flag("why_leaving_unanswered")


def test_ignored_reason_is_flagged(analyzer):
    card = score(analyzer, [("customer", "I want to cancel, the internet keeps dropping every night."), ("agent", "I can offer you a free month of premium channels."), ("customer", "No.")])
    assert card.reason.category == "service_quality"
    assert card.flag("reason_ignored")
    assert card.verdict("acknowledge_reason").outcome.value == "missed"


def test_a_discount_offered_after_a_detour_answers_a_price_reason(analyzer):
    card = score(
        analyzer,
        [
            ("customer", "I'd like to cancel, it's gone up again and it's too expensive."),
            ("agent", "Can I get the name on the account?"),
            ("customer", "Lena Moss."),
            ("agent", "And the postcode?"),
            ("customer", "AB1 2CD."),
            ("agent", "Thanks. What I can do is take fifteen percent off your bill for a year."),
            ("customer", "No thanks."),
        ],
    )
    assert card.reason.category == "price"
    verdict = card.verdict("acknowledge_reason")
    assert verdict.outcome.value == "met" and verdict.evidence[0].turn == 5
    assert "answers the reason" in verdict.evidence[0].note


def test_an_upsell_does_not_answer_a_price_reason(analyzer):
    card = score(
        analyzer,
        [
            ("customer", "I want to cancel, it's just too expensive for us."),
            ("agent", "Have you heard about our premium plan? It has concert presales."),
            ("customer", "No."),
        ],
    )
    assert card.flag("reason_ignored")


def test_moving_the_service_answers_a_move(analyzer):
    card = score(
        analyzer,
        [
            ("customer", "I need to cancel the alarm monitoring, we're moving out in three weeks."),
            ("agent", "Right, the good news is we can move the service to your new place."),
            ("customer", "Oh, I didn't know that."),
        ],
    )
    assert not card.flag("reason_ignored")


def test_a_bare_i_hear_you_before_processing_is_the_reason_ignored_and_shown_as_the_closest_candidate(analyzer):
    card = score(
        analyzer,
        [("customer", "Please cancel it, the papers keep arriving soaked."), ("agent", "I hear you. To cancel, I'll need the account email."), ("customer", "Sure.")],
    )
    assert card.flag("reason_ignored")
    verdict = card.verdict("acknowledge_reason")
    assert verdict.outcome.value == "missed"
    assert verdict.evidence[0].turn == 1 and "not about the reason" in verdict.why


def test_an_ivr_prompt_is_not_the_agent_asking_why_or_thanking(analyzer):
    card = score(
        analyzer,
        [("system", "Thank you for your loyalty. In a few words, please tell us why you're calling today."),
         ("customer", "Cancel my policy."), ("system", "Please tell us why you are calling."),
         ("customer", "I want to cancel!"), ("agent", "Okay, it's cancelled."), ("customer", "Thanks.")],
    )  # fmt: skip
    assert card.flag("reason_not_asked") and card.flag("missing_gratitude")
    assert "interrogation" not in card.pressure_tactics


def test_acknowledge_reason_is_na_when_no_reason_given(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Sure, done.")])
    assert card.flag("why_leaving_unanswered")
    assert card.verdict("acknowledge_reason").outcome.value == "n/a"


@pytest.mark.parametrize(
    "reason, category",
    [
        ("It's just too expensive now.", "price"),
        ("I lost my job last month so I can't afford it.", "financial_hardship"),
        ("I'm switching to another provider.", "competitor"),
        ("We're relocating to Texas.", "moving"),
        ("Honestly I just don't use it anymore.", "no_longer_needed"),
        ("my husband passed away in june", "life_event"),
        ("The app keeps crashing and support never answers.", "service_quality"),
    ],
)
def test_reason_categories(analyzer, reason, category):
    card = score(analyzer, [CANCEL, ("agent", "May I ask why?"), ("customer", reason)])
    assert card.reason.stated and card.reason.category == category


def test_an_unmatched_answer_to_the_reason_question_is_reason_other(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "What's prompting the change?"), ("customer", "My daughter set up something for the whole family instead.")])
    assert card.reason.category in {"other", "competitor"}
    assert not card.flag("why_leaving_unanswered")


def test_a_fee_disputed_in_answer_to_the_reason_question_is_no_reason(analyzer):
    # extra_461: the customer argues about the fee and never says why he is leaving
    card = score(analyzer, [
        CANCEL,
        ("agent", "okay and can i ask why you wanna cancel"),
        ("customer", "i mean i just do um but there's a hundred and twenty dollar early something fee sitting there and i never agreed to that the girl who signed me up said it was month to month"),
    ])
    assert not card.reason.stated
    assert card.flag("why_leaving_unanswered")


def test_asking_to_cancel_again_in_answer_to_the_reason_question_gives_no_reason(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "okay and what's the reason for cancelling"),
                            ("customer", "yes i want to cancel the package please the rest of the weeks")])
    assert not card.reason.stated


def test_a_complaint_the_customer_says_is_not_why_is_no_reason_but_a_reason_before_it_still_is(analyzer):
    disclaimed = score(analyzer, [CANCEL, ("agent", "May I ask why?"),
                                  ("customer", "Well, you had that outage last Tuesday, which was a nuisance. But that's not why, to be honest.")])
    earlier = score(analyzer, [CANCEL, ("agent", "May I ask why?"),
                               ("customer", "We're having a baby in six weeks. It's not the club at all. I mean, the changing rooms "
                                            "are cold, but that's not why.")])
    assert not disclaimed.reason.stated
    assert earlier.reason.stated and earlier.reason.category == "life_event"


def test_a_reason_named_beside_a_dispute_still_counts(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "May I ask why?"), ("customer", "The price, honestly. It went from 29 to 42 a month in January and nobody told me.")])
    assert card.reason.stated and card.reason.category == "price"


def test_a_complaint_inside_a_fee_dispute_is_the_argument_not_the_reason(analyzer):
    # extra_488: "nobody ever called me back" is said against the fee, not as why she leaves
    card = score(analyzer, [
        CANCEL,
        ("agent", "okay and what's got you wanting to cancel"),
        ("customer", "the point is this eighty five dollar firing fee that showed up on my card, nobody ever said one word "
                     "about a firing fee when i signed up and nobody ever called me back about it"),
    ])
    assert not card.reason.stated


def test_the_same_complaint_outside_a_dispute_is_the_reason(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "May I ask why?"),
                            ("customer", "It sat at your partner shop for seven weeks and nobody called me back once.")])
    assert card.reason.stated and card.reason.category == "service_quality"


# ---- pressure ----------------------------------------------------------------------------------------------
def test_one_declined_offer_is_not_pressure(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "I understand. Before I do, I could offer you 20% off for six months?"), ("customer", "No thanks."), ("agent", "No problem, it's cancelled.")])
    assert not card.flag("pressure")
    assert "save_attempt" in names(card)


def test_offers_after_a_clear_no_beyond_the_policy_are_repeated_save_attempts(analyzer):
    card = score(analyzer, [
        CANCEL,
        ("agent", "I can offer you 20% off for six months."),
        ("customer", "No thanks, I just want to cancel."),
        ("agent", "What if I gave you three free months instead?"),
        ("customer", "No, please cancel it."),
    ])  # fmt: skip
    assert card.pressure_tactics == ("repeated_save_attempts",)
    assert card.verdict("no_pressure").outcome.value == "missed"
    assert card.score <= 59


def test_a_no_to_anything_else_is_not_a_no_to_the_come_back_perk_before_it(analyzer):
    card = score(analyzer, [
        CANCEL,
        ("agent", "I can offer you 20% off for six months."),
        ("customer", "No thanks, I just want to cancel."),
        ("agent", "Done, your account is cancelled. If you ever come back we'd waive the joining fee for you. Anything else I can help with?"),
        ("customer", "No, that's all."),
    ])  # fmt: skip
    assert not card.flag("pressure")


def test_allowed_save_offers_comes_from_the_rubric(analyzer):
    from dataclasses import replace

    from coach.scoring import rescore

    card = score(analyzer, [CANCEL, ("agent", "I can offer you 20% off."), ("customer", "No thanks."), ("agent", "How about a free month?"), ("customer", "No.")])
    assert "repeated_save_attempts" in card.pressure_tactics
    lenient = replace(analyzer.rubric, allowed_save_offers=2)
    assert "repeated_save_attempts" not in rescore(card, lenient).pressure_tactics


@pytest.mark.parametrize(
    "line, tactic",
    [
        ("I'm not able to cancel that over the phone, you'll have to go to a store.", "refusal_to_cancel"),
        ("I need to know the real reason you're leaving.", "interrogation"),
        ("After everything we've done for you, you're just going to walk away?", "guilt_or_shame"),
        ("Once you leave, that grandfathered rate is gone forever.", "fear_of_loss"),
        ("This price disappears when we hang up.", "false_urgency"),
        ("That's not true, our network is the fastest in the area.", "arguing"),
        ("You'd owe the $200 termination fee, but if you stay I can waive it.", "penalty_threat"),
    ],
)
def test_each_pressure_tactic(analyzer, line, tactic):
    card = score(analyzer, [CANCEL, ("agent", line)])
    assert tactic in card.pressure_tactics
    assert card.flag("pressure")


@pytest.mark.parametrize(
    "line",
    [
        "I'm not going to try to talk you out of it.",
        "I won't keep you long, it's cancelled.",
        "There's no cancellation fee, and you won't lose your number, you can port it.",
        "Just so you know, there's a $50 early termination fee that will be on your final bill.",
        "I can't cancel it myself, but let me transfer you to our cancellations team who can process that right away.",
    ],
)
def test_negated_or_neutral_statements_are_not_pressure(analyzer, line):
    card = score(analyzer, [CANCEL, ("agent", line)])
    assert not card.flag("pressure"), card.pressure_tactics


def test_a_deletion_notice_is_fear_of_loss_alone_but_not_beside_help_to_save_the_data(analyzer):
    alone = score(analyzer, [CANCEL, ("agent", "Okay. Your boards are deleted for good once it cancels.")])
    assert "fear_of_loss" in alone.pressure_tactics
    helped = score(analyzer, [CANCEL, ("agent", "Okay. Your boards are deleted for good after sixty days, so you've got till the end of November to download your files.")])
    assert "fear_of_loss" not in helped.pressure_tactics, helped.pressure_tactics


def test_repeated_question_marks_in_a_quotation_are_no_barrage_of_questions(analyzer):
    # extra_483: the agent reads back the customer's own label, "maybe a bug???", while thanking him
    card = score(analyzer, [
        CANCEL,
        ("agent", "Your very first entry is spring 2018, a trilobite fragment you labelled 'maybe a bug???'. Nine seasons, Gerald, thank you."),
    ])
    assert "tactic.interrogation" not in names(card)


def test_asking_why_again_and_again_after_a_reason_is_interrogation(analyzer):
    card = score(analyzer, [
        CANCEL, ("agent", "Why do you want to cancel?"), ("customer", "It's too expensive."),
        ("agent", "But why are you leaving really?"), ("customer", "I told you, the price."),
        ("agent", "What made you decide though?"),
    ])  # fmt: skip
    assert "interrogation" in card.pressure_tactics


# ---- goodbye -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, criterion",
    [
        ("I'll email you a prepaid label to send the router back.", "help_with_exit"),
        ("Is there anything else I can help you with today?", "anything_else"),
        ("If you ever want to come back, the door's always open.", "invite_return"),
        ("Take care, and have a wonderful weekend!", "warm_farewell"),
        ("You'll get a confirmation email within the hour.", "follow_up"),
        ("Your membership is now cancelled, effective today.", "confirm_cancellation"),
        ("Good luck with the move to Denver!", "personalize"),
    ],
)
def test_goodbye_behaviours(analyzer, line, criterion):
    card = score(analyzer, [CANCEL, ("agent", line)])
    assert card.verdict(criterion).outcome.value == "met"


def test_personalize_counts_an_accented_name(analyzer):
    # extra_286: "Thank you, Tomás!" ... "for being a PressRun member, Tomás"
    card = score(analyzer, [CANCEL, ("agent", "Let me pull that up."), ("customer", "Sure."),
                            ("agent", "Thank you, Tomás! I have the weekly plan here."), ("customer", "That's the one."),
                            ("agent", "It's been a pleasure having you, Zoë, take care.")])
    assert card.verdict("personalize").outcome.value == "met"
    assert any("Tomás" in e.note or "Zoë" in e.note for e in card.verdict("personalize").evidence)


def test_if_you_ever_come_back_as_leverage_or_inside_a_save_offer_is_no_invitation(analyzer):
    leverage = score(analyzer, [CANCEL, ("agent", "Once you're out the intro rate is gone for good, you'd be paying twenty-two a month if you ever come back.")])
    pause = score(analyzer, [CANCEL, ("agent", "What if I just paused it for two months instead? You could pick it right back up whenever you like.")])
    welcome = score(analyzer, [CANCEL, ("agent", "It's done. If you ever come back, you're always welcome, and we'll waive the joining fee.")])
    assert leverage.verdict("invite_return").outcome.value == "missed"
    assert pause.verdict("invite_return").outcome.value == "missed"
    assert welcome.verdict("invite_return").outcome.value == "met"


def test_a_bare_take_care_is_a_stock_close_but_warm_said_by_name(analyzer):
    bare = score(analyzer, [CANCEL, ("agent", "It's cancelled from today."), ("customer", "Thanks."), ("agent", "Okay, take care.")])
    named = score(analyzer, [("customer", "Hi, it's Maren Olsen, I'd like to cancel my cheese box."), ("agent", "Sure, Maren."),
                             ("customer", "Thanks."), ("agent", "It's cancelled from today. Take care, Maren.")])
    offering = score(analyzer, [CANCEL, ("agent", "Sure, I can take care of that. Can I get the email on the account?")])
    assert bare.verdict("warm_farewell").outcome.value == "missed"
    assert named.verdict("warm_farewell").outcome.value == "met"
    assert offering.verdict("warm_farewell").outcome.value == "missed"


def test_a_greeting_by_name_in_the_first_agent_turn_personalizes_but_a_check_of_who_is_calling_does_not(analyzer):
    greeted = score(analyzer, [("customer", "I'd like to cancel my club membership please."), ("agent", "Hi Kayla, Dmitri here. Let me pull up your account.")])
    checked = score(analyzer, [("customer", "I'd like to cancel my club membership please."), ("agent", "Hi, am I speaking with Kayla?")])
    assert greeted.verdict("personalize").outcome.value == "met"
    assert checked.verdict("personalize").outcome.value == "missed"


def test_hypothetical_cancellation_is_not_a_confirmation(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "I can cancel it if you'd like, or we could pause it.")])
    assert card.verdict("confirm_cancellation").outcome.value == "missed"


def test_personalize_counts_the_customer_name_said_back(analyzer):
    card = score(analyzer, [("agent", "Thanks for calling, who am I speaking with?"), ("customer", "Hi, this is Marguerite, I want to cancel."), ("agent", "Of course, Marguerite, I'll do that now.")])
    verdict = card.verdict("personalize")
    assert verdict.outcome.value == "met" and verdict.evidence[0].turn == 2


def test_customer_behaviours_never_count_for_the_agent(analyzer):
    card = score(analyzer, [("agent", "Okay."), ("customer", "Is there anything else I can do for you? Have a great day, take care!")])
    assert card.verdict("anything_else").outcome.value == "missed"
    assert card.verdict("warm_farewell").outcome.value == "missed"


def test_personalize_counts_a_name_the_agent_addresses_the_customer_by_in_two_turns(analyzer):
    card = score(
        analyzer,
        [CANCEL, ("agent", "Thanks for waiting while I pulled that up, Renata."), ("customer", "Sure."),
         ("agent", "It's done. Take good care of yourself, Renata."), ("customer", "Bye.")],
    )  # fmt: skip
    assert card.verdict("personalize").outcome.value == "met"


def test_personalize_learns_the_name_a_customer_gives_when_asked_even_in_lowercase_speech(analyzer):
    card = score(
        analyzer,
        [("agent", "okay and your uh name"), ("customer", "um rhonda mills"), ("agent", "thanks rhonda what's got you wanting to cancel")],
    )
    verdict = card.verdict("personalize")
    assert verdict.outcome.value == "met" and "rhonda" in verdict.evidence[0].note


def test_personalize_learns_a_first_name_from_a_typed_email_but_not_a_spoken_one(analyzer):
    typed = score(analyzer, [("customer", "Cancel please, the email is pete.sandoval@mailbox.net"), ("agent", "Okay."), ("agent", "Thanks, Pete, I have it.")])
    assert typed.verdict("personalize").outcome.value == "met"
    spoken = score(analyzer, [("customer", "it's owen you know dot price at fastmail dot com"), ("agent", "okay"), ("agent", "the price is twelve ninety nine")])
    assert spoken.verdict("personalize").outcome.value == "missed"


def test_personalize_counts_a_given_name_the_agent_addresses_once_even_in_lowercase_speech(analyzer):
    card = score(
        analyzer,
        [("agent", "thank you for calling this is brent can i get the card number"), ("customer", "uh date of birth is june ninth seventy eight"),
         ("agent", "okay yolanda i see you what's making you want to cancel")],
    )  # fmt: skip
    verdict = card.verdict("personalize")
    assert verdict.outcome.value == "met" and "yolanda" in verdict.evidence[0].note


def test_the_agents_own_name_or_a_colleagues_is_never_the_customers(analyzer):
    card = score(
        analyzer,
        [CANCEL, ("agent", "Thanks, Priyanka, I've got a caller who wants to cancel."), ("agent", "Hi, this is Priyanka in accounts."),
         ("customer", "Hi."), ("agent", "Okay, it's cancelled.")],
    )  # fmt: skip
    assert card.verdict("personalize").outcome.value == "missed"


def test_a_given_name_that_is_also_a_word_is_not_taken_from_lowercase_speech(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "okay will do, sure grace period is ten days")])
    assert card.verdict("personalize").outcome.value == "missed"


def test_a_name_answer_that_is_a_number_or_a_common_word_is_not_a_name(analyzer):
    from coach.detectors.goodbye import _answered_name

    assert _answered_name("Sure, it's 312-555-0176.") == []
    assert _answered_name("bill is the account holder") == []
    assert _answered_name("hi bronwyn it's priyanka rao") == ["priyanka", "rao"]


def test_a_capitalised_menu_word_said_once_is_not_a_name(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "You'd have to do that in the app. Settings, Account, Delete."), ("customer", "Fine.")])
    assert card.verdict("personalize").outcome.value == "missed"


def test_personalize_does_not_take_an_adjective_for_a_name(analyzer):
    card = score(analyzer, [("customer", "I want to cancel, it's faster and it's cheaper elsewhere."), ("agent", "I see. Faster service matters, it's done.")])
    assert all("customer's name" not in e.note for e in card.verdict("personalize").evidence)


def test_an_offer_vanishing_is_not_a_confirmation(analyzer):
    card = score(analyzer, [CANCEL, ("agent", "Once we hang up, it's gone.")])
    assert card.verdict("confirm_cancellation").outcome.value == "missed"


def test_a_title_is_never_taken_for_the_customers_name(analyzer):
    card = score(
        analyzer,
        [("customer", "My name is Walter Abernathy, I need to stop my paper."), ("agent", "Of course, Mr. Abernathy."), ("customer", "Thanks."),
         ("agent", "All done, Mr. Abernathy.")],
    )  # fmt: skip
    notes = [e.note for e in card.verdict("personalize").evidence]
    assert notes and all('"Mr"' not in note for note in notes)


def test_thats_fine_is_a_no_only_right_after_a_save_attempt(analyzer):
    card = score(
        analyzer,
        [CANCEL, ("agent", "Done. Tomorrow's paper may still come."), ("customer", "That's fine."),
         ("agent", "I could give you three months at half price instead."), ("customer", "That's okay, thanks.")],
    )  # fmt: skip
    nos = next(f for f in card.findings if f.name == "customer_no")
    assert [e.turn for e in nos.evidence] == [0, 4]


def test_an_echo_inside_a_probing_question_is_not_listening(analyzer):
    card = score(
        analyzer,
        [("customer", "I need to cancel, money's tight since my hours got cut."),
         ("agent", "Yeah. How tight are we talking, though? Were your hours cut for good?"), ("customer", "Does it matter?")],
    )  # fmt: skip
    assert card.flag("reason_ignored")


def test_a_barrage_of_probing_questions_after_a_cancel_request_is_interrogation(analyzer):
    card = score(analyzer, [
        CANCEL,
        ("agent", "Okay, why?"),
        ("customer", "I'm keeping my stuff in the garage now."),
        ("agent", "A garage? What's in the unit? Did you actually think that through?"),
        ("customer", "Yes."),
    ])
    assert "interrogation" in card.pressure_tactics
    assert any("probing questions" in (e.note or "") for e in card.verdict("no_pressure").evidence)


def test_a_run_of_verification_questions_is_not_interrogation(analyzer):
    card = score(analyzer, [
        CANCEL,
        ("agent", "Sure. Can I get your full name? And the phone number on the account? And your zip code?"),
        ("customer", "Dana Ruiz, 555-0101, 97201."),
        ("agent", "Thanks, Dana. That's cancelled as of today."),
    ])
    assert "interrogation" not in card.pressure_tactics


def test_a_stock_have_a_good_day_is_warm_only_when_said_to_the_customer_by_name(analyzer):
    opening = [("agent", "Thanks for calling, who am I speaking with?"), ("customer", "It's Rafael. I'd like to cancel."),
               ("agent", "Done, it's cancelled as of today.")]
    bare = score(analyzer, opening + [("customer", "Great."), ("agent", "Okay, have a good day.")])
    named = score(analyzer, opening + [("customer", "Great."), ("agent", "Okay, Rafael, have a good day.")])
    assert bare.verdict("warm_farewell").outcome.value == "missed"
    assert named.verdict("warm_farewell").outcome.value == "met"


def test_one_shared_word_in_a_processing_turn_is_not_listening(analyzer):
    card = score(analyzer, [
        CANCEL,
        ("agent", "May I ask why?"),
        ("customer", "The other service has cars parked right outside my building."),
        ("agent", "OK, I've cancelled it, effective today. Your member card will stop unlocking cars at midnight."),
    ])
    assert card.flag("reason_ignored")


def test_a_spoken_email_address_teaches_the_first_name_but_not_a_filler_or_surname(analyzer):
    card = score(analyzer, [
        ("customer", "hi i want to cancel my plant subscription"),
        ("agent", "sure can i get the email on the account"),
        ("customer", "it's megan dot price at mailbox dot com"),
        ("agent", "okay i see the price went up last month"),
        ("customer", "yeah just cancel it"),
        ("agent", "done megan it's cancelled as of today"),
    ])
    evidence = card.verdict("personalize").evidence
    assert [e.turn for e in evidence] == [5]
    from coach.detectors.goodbye import customer_names

    garbled = make_call([("agent", "the email please"), ("customer", "it's owen you know dot price at fastmail dot com")])
    assert not customer_names(garbled) & {"know", "price"}


def test_no_tactic_is_counted_before_the_customer_says_they_are_leaving(analyzer):
    # a promotion read out in the greeting pressures no one who is leaving (extra_566's opening questions were
    # read as interrogation the same way); in the labelled calls no tactic turn came before the first request
    card = score(analyzer, [
        ("agent", "Good morning, Fetlock Bodywork, Dafydd speaking. Our spring rate is only available today, by the way. How can I help?"),
        ("customer", "Ellen Rees, it's about Bramble. I'd like to cancel her plan, please."),
        ("agent", "Of course, that's cancelled from today and you'll get an email."),
    ])
    assert not card.flag("pressure")


def _findings_with_a_model_hit(pipeline, pairs, label, turn):
    """Finding names when the model for ``label`` scores only ``turn`` (0.8 against a 0.5 threshold)."""
    from dataclasses import replace

    from coach.detectors import run_detectors
    from coach.detectors.registry import DetectorContext

    ac = pipeline.analyze([make_call(pairs)])[0]
    ac = replace(ac, model_scores=((turn, label, 0.8),))
    return {f.name for f in run_detectors(ac, DetectorContext(model_thresholds={label: 0.5}))}


def test_the_guilt_model_is_not_trusted_on_thanks_for_the_customers_years(pipeline):
    """Thanks for years of custom reads to the guilt model like "after all these years"; in the labelled
    calls no turn the gratitude patterns recognise was ever guilt. The same model hit elsewhere counts."""
    pairs = [
        CANCEL,
        ("agent", "Done, it's cancelled. And thank you for your loyalty all these years, it kept a small shop like ours going."),
        ("customer", "Thanks."),
        ("agent", "Well, that is your choice to make, I suppose."),
    ]
    assert "tactic.guilt_or_shame" not in _findings_with_a_model_hit(pipeline, pairs, "tactic.guilt_or_shame", 1)
    assert "tactic.guilt_or_shame" in _findings_with_a_model_hit(pipeline, pairs, "tactic.guilt_or_shame", 3)


def test_the_arguing_model_is_not_trusted_on_an_agent_siding_with_the_customer(pipeline):
    """"Honestly, you're right" reads to the arguing model like "I understand, but..."; in the labelled calls
    no agent turn that agreed without turning it round was arguing. Agreement with a "but" still counts."""
    pairs = [
        CANCEL,
        ("agent", "Honestly, you're right. Three weeks without heating in January isn't acceptable."),
        ("customer", "So can you just cancel it?"),
        ("agent", "You're right, but the engineer did come out twice, so it wasn't three weeks of nothing."),
    ]
    assert "tactic.arguing" not in _findings_with_a_model_hit(pipeline, pairs, "tactic.arguing", 1)
    assert "tactic.arguing" in _findings_with_a_model_hit(pipeline, pairs, "tactic.arguing", 3)


def test_an_arguing_phrase_inside_agreement_without_a_but_is_not_arguing(analyzer):
    card = score(analyzer, [
        ("customer", "I'd like to cancel. All my scopists moved to the other platform and I'm fighting file conversions every week."),
        ("agent", "That makes complete sense. If everyone's on one platform, fighting conversions every week just isn't worth it."),
        ("customer", "Exactly."),
        ("agent", "That makes sense, but honestly their platform just isn't as good, it's really not worth it."),
    ])
    arguing = card.verdict("no_pressure")
    assert card.flag("pressure")
    assert [e.turn for e in arguing.evidence] == [3]


def test_the_gratitude_model_is_not_trusted_on_a_short_routine_thanks(pipeline):
    """"Thank you for contacting us." scored 0.99 on the gratitude model in a blind call; a turn that short
    whose thanks is for calling, holding or contacting says nothing more. A longer turn with a model hit counts."""
    pairs = [
        CANCEL,
        ("agent", "Thank you for contacting us."),
        ("customer", "Bye."),
        ("agent", "Honestly it has meant a great deal having your family in the front row every Sunday."),
    ]
    assert "gratitude" not in _findings_with_a_model_hit(pipeline, pairs, "gratitude", 1)
    assert "gratitude" in _findings_with_a_model_hit(pipeline, pairs, "gratitude", 3)


def test_the_gratitude_model_is_not_trusted_on_guilt_that_says_no_word_of_thanks(pipeline):
    """extra_830: the model read the tenure in "your dad banked with us for thirty years... leaves us holding the
    bag" as thanks. A guilt turn that does say thanks still counts."""
    pairs = [
        CANCEL,
        ("agent", "Look, your dad banked with us for thirty years. Walking away from it halfway through kind of leaves us holding the bag."),
        ("customer", "Just cancel it."),
        ("agent", "And honestly we're grateful, Imani. Our night team will be gutted."),
    ]
    assert "gratitude" not in _findings_with_a_model_hit(pipeline, pairs, "gratitude", 1)
    assert "gratitude" in _findings_with_a_model_hit(pipeline, pairs, "gratitude", 3)


def test_a_past_problem_the_customer_says_was_put_right_is_not_their_reason(analyzer):
    card = score(analyzer, [
        ("customer", "Hello, I'm ringing to end the bell maintenance agreement for St Wilfrid's."),
        ("agent", "Right. And why would the parish want to end it?"),
        ("customer", "I'd rather not go into it. It's been decided."),
        ("agent", "Is it the rope guide business in the autumn?"),
        ("customer", "That was put right. Your man came back a second time and it's been fine since."),
        ("agent", "Okay, I'll close it at the end of the month."),
    ])
    assert card.flag("why_leaving_unanswered")
    assert not card.flag("reason_not_asked")


def test_a_complaint_that_was_never_put_right_is_still_a_reason(analyzer):
    card = score(analyzer, [
        ("customer", "Hello, I'm ringing to end the bell maintenance agreement for St Wilfrid's."),
        ("agent", "Right. And why would the parish want to end it?"),
        ("customer", "The rope guide. It was supposedly fixed twice and it's broken again."),
        ("agent", "Okay, I'll close it at the end of the month."),
    ])
    assert not card.flag("why_leaving_unanswered")


def test_praise_of_what_the_customer_gave_in_a_thank_you_is_not_guilt(analyzer):
    thanked = score(analyzer, [
        CANCEL,
        ("agent", "Done. And thank you for nine seasons on that plot. A society like ours is kept alive by folk like you."),
    ])
    pressed = score(analyzer, [
        CANCEL,
        ("agent", "You know the folk hour is pretty much kept alive by you and the credit union, right?"),
    ])
    assert "tactic.guilt_or_shame" not in names(thanked)
    assert "tactic.guilt_or_shame" in names(pressed)


def test_guilt_laid_on_after_the_thanks_in_the_same_turn_is_still_guilt(analyzer):
    # extra_884: the thanks is real, and so is the guilt in the next sentence
    card = score(analyzer, [
        CANCEL,
        ("agent", "I can do that. And I do want to say thank you for nine years with us, Mr. Ferrante. Honestly, it's "
                  "drivers like you who keep the bridge fund going, so it's a real shame for everybody to see you go."),
    ])
    assert "tactic.guilt_or_shame" in names(card)
    assert not card.flag("missing_gratitude")


def test_an_answer_about_when_to_cancel_is_not_a_reason_for_leaving(analyzer):
    timing = score(analyzer, [
        ("customer", "Hi, I need to cancel my parking permit."),
        ("agent", "Sure. And what's prompting the cancellation, if you don't mind me asking?"),
        ("customer", "Well, it renews on the first, and I want it done before then, that's really the main thing."),
        ("agent", "Okay, it's cancelled from today."),
    ])
    reason = score(analyzer, [
        ("customer", "Hi, I need to cancel my parking permit."),
        ("agent", "Sure. And what's prompting the cancellation, if you don't mind me asking?"),
        ("customer", "My office moved across town, so I'm parking at the new building from now on."),
        ("agent", "Okay, it's cancelled from today."),
    ])
    assert timing.flag("why_leaving_unanswered")
    assert not reason.flag("why_leaving_unanswered")


@pytest.mark.parametrize(
    "pairs, expected",
    [
        ([("customer", "I'd like to end the rental. The name's Priti Sandhu."), ("agent", "Okay, Priti. Which site?")], {"priti"}),
        ([("customer", "cancel the family plan please"), ("agent", "okay mr huang what can i do for you")], {"huang"}),
        ([("customer", "cancel it please"), ("agent", "you're thinking of leaving us mr er penhallow")], {"penhallow"}),
        ([("customer", "Please cancel my membership."), ("agent", "Thanks Grace, found you.")], {"grace"}),
        # a third party's name is not the customer's
        ([("customer", "it's about my granddaughter's lessons, her name's maisie"), ("agent", "okay")], set()),
    ],
)
def test_the_customers_name_is_learned_from_how_they_give_it_and_how_the_agent_uses_it(pairs, expected):
    from coach.detectors.goodbye import customer_names

    assert customer_names(make_call(pairs)) == expected


def test_asking_where_the_customer_is_moving_is_not_the_reason_question(pipeline):
    """"Where's the move taking you?" after the customer said they are moving asks about the move, not why they
    leave; the reason-question model read it as one. A model hit on a real why still counts."""
    pairs = [
        ("customer", "Hi, I need to cancel my membership, we're moving next month."),
        ("agent", "Oh exciting! Where's the move taking you, if you don't mind me asking?"),
        ("customer", "Leeds."),
        ("agent", "And is the move the only thing behind it, or did we do something wrong?"),
    ]
    assert "reason_asked" not in _findings_with_a_model_hit(pipeline, pairs, "reason_question", 1)
    assert "reason_asked" in _findings_with_a_model_hit(pipeline, pairs, "reason_question", 3)


def test_the_first_time_the_agent_asks_why_is_not_interrogation_on_the_models_word(pipeline):
    """Asking why once is the rubric's own advice; the interrogation model read some first reason questions as
    a barrage. The same model hit on a question asked again, or on a first one that pushes back, counts."""
    pairs = [
        CANCEL,
        ("agent", "Oh no, okay. Can I ask what's behind it?"),
        ("customer", "I'd rather not say."),
        ("agent", "And what made you decide to leave, though?"),
    ]
    assert "tactic.interrogation" not in _findings_with_a_model_hit(pipeline, pairs, "tactic.interrogation", 1)
    assert "tactic.interrogation" in _findings_with_a_model_hit(pipeline, pairs, "tactic.interrogation", 3)
    pushing = [CANCEL, ("agent", "Okay but why now though?")]
    assert "tactic.interrogation" in _findings_with_a_model_hit(pipeline, pushing, "tactic.interrogation", 1)


def test_thanks_for_the_customers_years_is_not_arguing_on_the_models_word(pipeline):
    pairs = [
        CANCEL,
        ("agent", "It was, and honestly thank you for staying with us all that time, four and a bit years of tea."),
        ("customer", "Thanks."),
        ("agent", "Well, that's a decision you'll have to live with."),
    ]
    assert "tactic.arguing" not in _findings_with_a_model_hit(pipeline, pairs, "tactic.arguing", 1)
    assert "tactic.arguing" in _findings_with_a_model_hit(pipeline, pairs, "tactic.arguing", 3)


def test_a_bare_no_after_an_offer_in_unpunctuated_speech_is_the_customer_saying_no(analyzer):
    card = score(analyzer, [
        ("customer", "hi um i want to cancel my lounge membership"),
        ("agent", "okay what i can do is knock twenty percent off for the year"),
        ("customer", "no"),
        ("agent", "and what if i paused it for three months instead"),
    ])
    nos = next(f for f in card.findings if f.name == "customer_no")
    assert [e.note for e in nos.evidence if e.turn == 2] == ["a bare no to the offer just made"]
    assert "repeated_save_attempts" in card.pressure_tactics


def test_oh_no_whats_going_on_asks_the_reason_but_following_up_on_what_happened_does_not(analyzer):
    asked = score(analyzer, [
        ("customer", "hey it's meg i wanna cancel my season pass"),
        ("agent", "hey meg oh no what's going on"),
        ("customer", "i hurt my shoulder so no surfing this year"),
    ])
    said = score(analyzer, [
        ("customer", "hi i wanna cancel my repair plan"),
        ("agent", "i'm really sorry and i'm flagging that shop so somebody follows up on what happened there"),
        ("customer", "ok thanks"),
    ])
    assert not asked.flag("reason_not_asked")
    assert said.flag("reason_not_asked")


def test_talk_about_the_letter_the_customer_sent_is_no_reason_but_a_letter_the_company_sent_can_be(analyzer):
    process = score(analyzer, [
        ("customer", "Hello, I'm ringing about my repeater dues, I want to resign."),
        ("agent", "Can I ask what's made you decide to leave?"),
        ("customer", "Well, see, I already sent a letter. Back in February. Signed and everything."),
        ("agent", "Right, I'll find it and close the membership."),
    ])
    reason = score(analyzer, [
        ("customer", "Morning. I'm ringing to end my membership, please."),
        ("agent", "Would you be comfortable telling me what's led to the decision?"),
        ("customer", "It's the letter you sent in March about sharing patient information with your partners."),
        ("agent", "Right, I'll close the membership."),
    ])
    assert process.flag("why_leaving_unanswered")
    assert not reason.flag("why_leaving_unanswered")
