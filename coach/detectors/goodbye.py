"""The graceful-goodbye behaviours: help with the exit, "anything else?", a personal touch, an invitation
back, a warm farewell, a follow-up note and a clear confirmation.

Each is a phrase family in ``coach/patterns/goodbye.yaml``, and a trained model adds wordings the phrases
miss (every behaviour but ``personalize``); ``personalize`` also counts the agent using the
customer's name, which is learned from the call itself ("my name is Dana", "am I speaking with Mr. Ortiz?"),
from a ``customer`` header in the transcript, or from the agent addressing them by a common given name
("okay yolanda, I see you"; the list is ``patterns/first_names.txt``).
"""

from __future__ import annotations

import functools
import re
from importlib import resources

from coach.detectors.registry import evidence, finding, model_evidence, register
from coach.model import Finding, Role
from coach.nlp import normalize

BEHAVIOURS = ("help_with_exit", "anything_else", "personalize", "invite_return", "warm_farewell", "follow_up", "confirm_cancellation")

# How a customer's name shows up in a call. Applied to the original text (case helps: "this is Dana"). Letters
# include the accented Latin ones, so "Tomás" and "Zoë" are names like "Tom" and "Zoe".
# "my name is dana" names someone even in lowercase speech-to-text; "it's Dana" / "I'm Dana" only when the
# word is capitalised ("it's faster" is not a name).
_CUSTOMER_SAYS_NAME = re.compile(
    r"\b(?:[Mm]y name is|[Mm]y name's|(?<![Hh]er )(?<![Hh]is )(?<![Tt]heir )(?:[Nn]ame is|[Nn]ame's)|[Tt]his is)\s+(?:[Mm]r\.?|[Mm]rs\.?|[Mm]s\.?|[Mm]iss|[Dd]r\.?)?\s*([A-ZÀ-ÖØ-Þa-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž'-]+)"
)
_CUSTOMER_SAYS_NAME_CAPITALISED = re.compile(r"\b(?:[Ii]t's|[Ii]t is|I'm|I am)\s+(?:Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.?)?\s*([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)")
_AGENT_SAYS_NAME = re.compile(
    r"\b(?:speaking (?:with|to)|am i speaking with|is this|thank you|thanks|hi|hello|hey|bye|goodbye|okay|ok|sure|alright|of course)"
    r",?\s+(?:mr\.?|mrs\.?|ms\.?|miss|dr\.?)?\s*([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)\b"
)
_TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)")
# In lowercase speech-to-text: "okay mr huang", "thanks for that mister kowalczyk" ("miss" is too often the verb).
_TITLE_NAME_ANY_CASE = re.compile(r"\b(?:mr|mrs|mister|missus|ms)\.?,?\s+(?:(?:er|um|uh|erm),?\s+)?([a-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž-]+)(?:'s)?\b", re.I)
# The agent addressing someone right after an opener, in a punctuated transcript: "Thanks Grace, found you.",
# "Okay, Priti. Which site?"
_OPENER_VOCATIVE = re.compile(
    r"\b(?:[Tt]hanks|[Tt]hank you|[Oo]kay|OK|[Oo]k|[Aa]lright|[Ss]ure|[Hh]i|[Hh]ello|[Hh]ey|[Gg]ot it|[Pp]erfect|[Gg]reat|[Rr]ight)"
    r"[,!]?\s+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)\s*(?=[,.!?])"
)
# The agent addressing someone: "Thanks for waiting, Renata." / "Take care, Rob, and..." / "Jen, I also...".
_VOCATIVE = re.compile(r",\s+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)(?:\s+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)?\s*(?=[.!?,]|$)|(?:^|[.!?]\s+)([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿā-ž'-]+)(?=,\s)")
# The agent addressing someone in any case ("okay yolanda i see you", "oh hank no", "..., theo."): used only for
# words in the given-name list (patterns/first_names.txt), since lowercase speech-to-text has no capitals to go by.
# Openers may chain and a filler may follow in speech-to-text: "okay got it jordan", "alright um wendell".
_OPENERS = (
    r"(?:okay|ok|alright|all right|oh|thanks|thank you|hi|hello|hey|sure|well|right|great|perfect|got it|got you|"
    r"sorry|yes|yeah|yep|of course|understood|no problem)"
)
_VOCATIVE_ANY_CASE = re.compile(
    rf"(?:^|[.!?]\s+)(?:{_OPENERS}[,!]?\s+)+(?:(?:um|uh|er|erm)[,]?\s+)?([a-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž'-]+)\b"
    r"|,\s+([a-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž'-]+)\s*(?=[.!?,]|$)",
    re.I,
)
# How an agent names themselves: their own name (and a colleague's, at a transfer) is never the customer's.
_AGENT_INTRODUCES = re.compile(r"\b(?:this is|my name is|my name's|i'm|i am|it's|you're (?:chatting|speaking) with)\s+([a-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž'-]+)|\b([a-zß-öø-ÿā-ž][a-zß-öø-ÿā-ž'-]+) here\b", re.I)
# Capitalised words that open or close a sentence after a comma without being anyone's name.
_NOT_VOCATIVE = frozenset(
    """mr mrs ms miss dr okay ok sure well yes yeah yep no nope thanks thank alright right great perfect absolutely honestly look
    so now sir madam maam ma'am hi hello hey bye goodbye certainly understood totally fine cheers wow oh ah hmm
    unfortunately actually also again anyway then today tomorrow tonight please everyone folks guys team friend
    mate buddy love dear course indeed exactly definitely awesome excellent lovely wonderful brilliant gotcha
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december""".split()
)
# The agent asking who they are speaking with: the customer's next words are their name, whatever the case
# ("curtis bellamy, last four 2290" in speech-to-text has no capitals to go by).
_ASKS_NAME = re.compile(
    r"\b(?:(?:your|the|full|first|last|account|account holder'?s?|member'?s?)\s+(?:full\s+|first\s+|last\s+)?name\b(?!\s+(?:is|was)\b)|"
    r"name on the|who (?:am i|do i have|i am)\b|who's calling|who is calling|whom? (?:am i|i'm) (?:speaking|talking))"
)
_ANSWER_LEAD = re.compile(r"^(?:(?:yes|yeah|yep|sure|okay|ok|oh|um|uh|hi|hello|hey|so|right|of course|it is|it's|its|this is|my name is|my name's|name's|i am|i'm)\b[\s,.!]*)+")
# A typed e-mail address with a first name in it: "pete.sandoval@...".
_EMAIL_NAME = re.compile(r"\b([a-z]{2,})[._]([a-z]{2,})@")
# Spoken, the whole address must be there ("owen dot mbeki at gmail dot com"; one filler word may slip in
# before "at"), so ordinary words around a "dot" are not taken for a name.
_SPOKEN_EMAIL_NAME = re.compile(r"\b([a-z]{2,}) dot ([a-z]{2,})(?: [a-z]+)? at [a-z]+ dot (?:com|net|org|co|edu|io|us|uk|ca)\b")
# Speech-to-text fillers that can sit right before "dot" ("owen you know dot price at ...").
_FILLER_TAILS = frozenset("know like mean um uh er erm so well yeah okay".split())
# Names that are also words a call is full of ("your bill", "it will", "in may"): never learned from lowercase.
_NAMES_THAT_ARE_WORDS = frozenset(
    "bill will may june april august mark grant chase rose frank sue pat dawn hope grace joy art max sky penny summer "
    "don ray gene page bob case drew miles rich guy victor".split()
)
# Words that follow "this is" / "I'm" without being a name.
_NOT_NAMES = frozenset(
    """about regarding calling just trying looking going really so very not the a an my our your his her
    their it that this here there sure fine good okay ok well yes no hi hello hey sorry afraid glad happy
    moving leaving cancelling canceling switching done calling ready still also actually kind sort pretty
    thinking wondering interested unhappy upset frustrated annoyed tired sick retiring having getting over
    with in on at for from gonna wanting hoping all always never only already one two three customer member
    ridiculous crazy insane unacceptable correct right wrong true""".split()
)


def customer_names(call) -> set[str]:
    """Names the customer goes by in this call, lowercased."""
    names: set[str] = set()
    vocatives: dict[str, set[int]] = {}
    header = call.meta("customer") or call.meta("customer_name")
    if header:
        names.update(part.lower() for part in header.split() if len(part) > 1)
    asked_name = False
    agent_names = {part.lower() for part in (call.agent or "").split()}
    given = first_names()
    for turn in call.turns:
        if turn.role is Role.CUSTOMER:
            for pattern in (_CUSTOMER_SAYS_NAME, _CUSTOMER_SAYS_NAME_CAPITALISED):
                for match in pattern.finditer(turn.text[:200]):
                    names.add(match.group(1).lower())
            if asked_name:
                names.update(_answered_name(turn.text))
            # typed, both parts; spoken, the first name only (a spoken surname is too often a word: "price")
            parts = [w for m in _EMAIL_NAME.finditer(turn.text.lower()) for w in m.groups()]
            parts += [m.group(1) for m in _SPOKEN_EMAIL_NAME.finditer(normalize(turn.text)) if m.group(1) not in _FILLER_TAILS]
            names.update(w for w in parts if len(w) > 2 and w not in _NAMES_THAT_ARE_WORDS and w not in _stop_words())
        elif turn.role is Role.AGENT:
            for pattern in (_TITLE_NAME, _TITLE_NAME_ANY_CASE, _OPENER_VOCATIVE):
                for match in pattern.finditer(turn.text):
                    word = match.group(1).lower()
                    if word not in _NOT_VOCATIVE and word not in _stop_words():
                        names.add(word)
            for match in _AGENT_SAYS_NAME.finditer(turn.text[:120]):
                if turn.index <= 4 and match.group(0).lower().startswith(("speaking", "am i", "is this")):
                    names.add(match.group(1).lower())
            for match in _VOCATIVE.finditer(turn.text):
                word = (match.group(1) or match.group(2)).lower()
                if word not in _NOT_VOCATIVE and word not in _stop_words():
                    vocatives.setdefault(word, set()).add(turn.index)
            agent_names.update(w.lower() for m in _AGENT_INTRODUCES.finditer(turn.text) for w in m.groups() if w)
            for match in _VOCATIVE_ANY_CASE.finditer(turn.text):
                word = (match.group(1) or match.group(2)).lower()
                if word in given:
                    names.add(word)
        if turn.role is not Role.SYSTEM:
            asked_name = turn.role is Role.AGENT and bool(_ASKS_NAME.search(normalize(turn.text)))
    # A word addressed in two different turns is a name ("Settings, Account, Delete." is said once).
    names.update(word for word, turns in vocatives.items() if len(turns) >= 2)
    return {n for n in names if n not in _NOT_NAMES and n not in agent_names and len(n) > 1}


@functools.cache
def first_names() -> frozenset[str]:
    """Common given names (lowercase, one per line in patterns/first_names.txt), minus any that are words."""
    text = resources.files("coach.patterns").joinpath("first_names.txt").read_text(encoding="utf-8")
    words = (line.strip().lower() for line in text.splitlines())
    return frozenset(w for w in words if w and not w.startswith("#")) - _NAMES_THAT_ARE_WORDS - _NOT_NAMES


def _answered_name(text: str) -> list[str]:
    """The one or two words a customer's answer to "your name?" opens with: "um samira haddad pin 4482" ->
    samira, haddad. A greeting to the agent first ("hi bronwyn, it's priyanka rao") is skipped."""
    answer = text.lower().strip()
    lead = re.match(r"^(?:hi|hello|hey)\s+([a-z'-]+)[\s,.!]+(?:it's|it is|this is|i'm|i am)\b", answer)
    if lead:
        answer = answer[lead.end(1) :].lstrip(" ,.!")
    answer = _ANSWER_LEAD.sub("", answer)
    words: list[str] = []
    for word in re.findall(r"[a-z'-]+|\S", answer)[:2]:
        if not re.fullmatch(r"[a-z][a-z'-]+", word) or word in _NOT_NAMES or word in _stop_words() or word in _NAMES_THAT_ARE_WORDS:
            break
        words.append(word)
    return words


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS  # a plain word list; spaCy is loaded anyway

    return STOP_WORDS


# An invitation in so many words stays one beside a return perk ("welcome back any time, we'll save you the spot").
_WELCOME = re.compile(r"\b(?:welcome|rejoin|door|glad to have|love to have|happy to have)\b")
# The agent checking who is on the line.
_ASKS_WHO = re.compile(r"\b(?:speaking (?:with|to)|talking (?:with|to)|is this|is that|am i|are you)\b", re.I)
# Labels of a turn that pushes to stay: a save offer, or a loss, cost or deadline held over the customer.
_LEVERAGE = frozenset({"offer", "loss_mention", "leverage", "finality"})


@register("goodbye", produces=BEHAVIOURS)
def detect_goodbye(ac, ctx) -> list[Finding]:
    turns = ac.call.turns
    findings: list[Finding] = []
    name_use = _name_use(ac)
    named_turns = {e.turn for e in name_use}
    # The model reads "have a good one" as warm as often as reviewers do not; the phrase rule decides those.
    bare_signoffs = {m.turn for m in ac.by_label("signoff")} - named_turns
    # "If you ever come back" in a save offer or as leverage ("you'd be paying twenty-two a month if you ever come
    # back", "you could just pick it back up whenever") is no invitation: in the labelled calls a turn with an offer
    # or a tactic phrase was one 7 times in 64, other turns with an invitation phrase 268 times in 312. Said in so
    # many words ("welcome back") it still counts.
    # Guilt is no leverage on a return, and an offer in a closing turn (a confirmation, a farewell) is a welcome-back
    # perk ("come find us, we'll set you up with a free first month"), not a save.
    closing = {m.turn for m in ac.matches if m.label in ("confirm_cancellation", "warm_farewell", "follow_up") and not m.negated}
    leveraging = {
        m.turn
        for m in ac.matches
        if not m.negated
        and ((m.label.startswith("tactic.") and m.label != "tactic.guilt_or_shame") or m.label in _LEVERAGE)
        and not (m.label == "offer" and m.turn in closing)
    }
    for behaviour in BEHAVIOURS:
        matches = [m for m in ac.by_label(behaviour) if turns[m.turn].role is not Role.CUSTOMER]
        if behaviour == "invite_return":
            matches = [m for m in matches if m.turn not in leveraging or _WELCOME.search(m.span)]
        found = finding(behaviour, matches, ac)
        note = f"the {behaviour.replace('_', ' ')} model recognised this turn"
        skip = {m.turn for m in matches} | (bare_signoffs if behaviour == "warm_farewell" else set())
        if behaviour == "invite_return":
            skip |= leveraging - {m.turn for m in matches}
        learned = model_evidence(ac, ctx, behaviour, note, skip=skip)
        if found or learned:
            findings.append(Finding(behaviour, (found[0].evidence if found else ()) + tuple(learned)))
    # A stock "have a good day" is warm only when it is said to the customer by name ("Have a good night,
    # Rafael"); alone it is the curt close the rubric asks agents to do better than.
    signoffs = [m for m in ac.by_label("signoff") if m.turn in named_turns and turns[m.turn].role is not Role.CUSTOMER]
    if signoffs and not any(f.name == "warm_farewell" for f in findings):
        findings += finding("warm_farewell", signoffs, ac)
    if name_use:
        quoted = tuple(name_use[:3])  # three uses make the point
        existing = next((f for f in findings if f.name == "personalize"), None)
        if existing is None:
            findings.append(Finding("personalize", quoted))
        else:
            findings[findings.index(existing)] = Finding("personalize", existing.evidence + quoted)
    return findings


def _name_use(ac) -> list:
    """Agent turns after the greeting that use the customer's name."""
    names = customer_names(ac.call)
    if not names:
        return []
    alternation = "|".join(re.escape(n) for n in sorted(names))
    pattern = re.compile(rf"\b({alternation})\b", re.I)
    # The first agent turn is usually verification ("am I speaking with Mr. Ortiz?"): there only a greeting by name
    # counts ("Hi Kayla, Dmitri here", chat's usual opening).
    greeting = re.compile(rf"(?:\b(?:morning|afternoon|evening)|{_OPENERS})[,!]?\s+(?:(?:um|uh|er|erm)[,]?\s+)?({alternation})\b", re.I)
    agent_turns = [t for t in ac.call.turns if t.role is Role.AGENT]
    found = []
    for n, turn in enumerate(agent_turns):
        match = pattern.search(turn.text) if n else greeting.search(turn.text)
        if match and not (n == 0 and _ASKS_WHO.search(turn.text)):
            found.append(evidence(ac, turn.index, note=f'uses the customer\'s name "{match.group(1)}"'))
    return found
