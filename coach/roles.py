"""Who is the agent? Assign a role to every speaker of a call.

Explicit labels decide outright ("Agent", "Caller", "HUMAN_AGENT", "Maria (Agent)"), as do roles a reader
already knows (Contact Lens, CCAI) and the agent's name from a transcript header. Generic labels ("spk_0",
"Speaker 1", "SPEAKER_00", "A", first names) are inferred from what each speaker says, using the cues in
``coach/patterns/roles.yaml``: greetings with a company name, "how can I help", verification questions,
offers and "I've processed the cancellation" point to the agent; "I want to cancel", "I've been a customer
for..." and "my account" point to the customer; menu prompts and hold messages point to an IVR. Who speaks
first is deliberately ignored: after an IVR transfer the customer often speaks first.

>>> from coach.model import Call, Turn
>>> call = Call("c1", "c1.txt", [Turn(0, "spk_1", "Hi, I want to cancel my plan."),
...                              Turn(1, "spk_0", "I can help with that. Can I get the account number?")])
>>> [t.role.value for t in assign_roles(call).turns]
['customer', 'agent']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from coach.errors import PatternError
from coach.model import Call, Role

ROLES_FILE = "coach/patterns/roles.yaml"
_CUE_ROLES = {"agent": Role.AGENT, "customer": Role.CUSTOMER, "system": Role.SYSTEM}
_SETTINGS = ("low_confidence", "turn_cap", "second_agent_min", "system_min", "ivr_max_turns", "confidence_scale")


@dataclass(frozen=True)
class Cue:
    """One thing a speaker in a given role typically says, as a regular expression over normalized text."""

    id: str
    role: Role
    weight: float
    regex: re.Pattern[str]
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class RoleCues:
    """Everything ``roles.yaml`` holds, validated."""

    labels: Mapping[str, Role]
    cues: tuple[Cue, ...]
    contractions: tuple[tuple[str, str], ...]
    bare_words: Mapping[str, str]
    fillers: frozenset[str]
    low_confidence: float = 0.6
    turn_cap: int = 2
    second_agent_min: float = 3.0
    system_min: float = 2.0
    ivr_max_turns: int = 2
    confidence_scale: float = 2.0
    path: str = ROLES_FILE

    def normalize(self, text: str) -> str:
        """Lowercase, expand contractions, drop punctuation and fillers: the text cues are matched against.

        >>> role_cues().normalize("Um, I've been a customer — since '09!")
        'i have been a customer since 09'
        """
        text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
        for short, long in self.contractions:
            text = text.replace(short, long)
        words = re.sub(r"[^\w%$]+", " ", text).split()
        out: list[str] = []
        for word in words:
            if word in self.fillers:
                continue
            out.append(self.bare_words.get(word, word))
        return " ".join(out)


@dataclass
class SpeakerScore:
    """How much a speaker sounds like each role: summed cue weights and the cues that fired."""

    agent: float = 0.0
    customer: float = 0.0
    system: float = 0.0
    questions: int = 0
    turns: int = 0
    cues: dict[str, int] = field(default_factory=dict)

    @property
    def net(self) -> float:
        """Agent evidence minus customer evidence."""
        return self.agent - self.customer


# ---------------------------------------------------------------------------------------------------------
# Loading


@lru_cache(maxsize=1)
def role_cues() -> RoleCues:
    """The packaged role cues (loaded once)."""
    text = resources.files("coach.patterns").joinpath("roles.yaml").read_text(encoding="utf-8")
    return parse_role_cues(text, ROLES_FILE)


def parse_role_cues(text: str, path: str = ROLES_FILE) -> RoleCues:
    """Parse and validate a roles file; every problem is reported at once in one PatternError."""
    import yaml

    from coach.rules import YAML_LOADER

    try:
        root_node = yaml.compose(text, Loader=YAML_LOADER)
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise PatternError(path, mark.line + 1 if mark else None, None, f"invalid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(data, dict):
        raise PatternError(path, 1, None, "expected a mapping with settings, labels, normalize and cues")
    problems: list[tuple[int | None, str | None, str]] = []
    unknown = set(data) - {"settings", "labels", "normalize", "cues"}
    if unknown:
        problems.append((1, None, f"unknown top-level keys {sorted(unknown)} (expected settings, labels, normalize, cues)"))

    settings = data.get("settings") or {}
    values: dict[str, Any] = {}
    if not isinstance(settings, dict):
        problems.append((_line(root_node, "settings"), None, "settings must be a mapping"))
        settings = {}
    for key, value in settings.items():
        if key not in _SETTINGS:
            problems.append(
                (_line(root_node, "settings"), None, f"unknown setting {key!r} (expected one of {', '.join(_SETTINGS)})")
            )
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append((_line(root_node, "settings"), None, f"setting {key!r} must be a non-negative number"))
        else:
            values[key] = int(value) if key in ("turn_cap", "ivr_max_turns") else float(value)

    labels: dict[str, Role] = {}
    raw_labels = data.get("labels") or {}
    if not isinstance(raw_labels, dict):
        problems.append((_line(root_node, "labels"), None, "labels must map agent/customer/system to lists of words"))
        raw_labels = {}
    for role_name, words in raw_labels.items():
        role = _CUE_ROLES.get(str(role_name))
        if role is None or not isinstance(words, list):
            problems.append(
                (_line(root_node, "labels"), None, f"labels.{role_name}: expected agent, customer or system with a list of words")
            )
            continue
        for word in words:
            key = label_key(str(word))
            if key in labels and labels[key] is not role:
                problems.append(
                    (_line(root_node, "labels"), None, f"label {word!r} is listed for both {labels[key].value} and {role.value}")
                )
            labels[key] = role

    norm = data.get("normalize") or {}
    contractions = tuple((str(k), str(v)) for k, v in (norm.get("contractions") or {}).items()) if isinstance(norm, dict) else ()
    bare_words = {str(k): str(v) for k, v in (norm.get("bare_words") or {}).items()} if isinstance(norm, dict) else {}
    fillers = frozenset(str(w) for w in (norm.get("fillers") or [])) if isinstance(norm, dict) else frozenset()

    cues: list[Cue] = []
    seen: set[str] = set()
    raw_cues = data.get("cues") or []
    if not isinstance(raw_cues, list) or not raw_cues:
        problems.append((_line(root_node, "cues"), None, "cues must be a non-empty list"))
        raw_cues = []
    cue_lines = _item_lines(root_node, "cues")
    for i, item in enumerate(raw_cues):
        line = cue_lines[i] if i < len(cue_lines) else None
        if not isinstance(item, dict):
            problems.append((line, None, "each cue must be a mapping with id, role, weight, pattern, examples"))
            continue
        cue_id = str(item.get("id") or "")
        errs: list[str] = []
        if not cue_id:
            errs.append("missing id")
        elif cue_id in seen:
            errs.append("duplicate id")
        seen.add(cue_id)
        extra = set(item) - {"id", "role", "weight", "pattern", "examples", "not"}
        if extra:
            errs.append(f"unknown keys {sorted(extra)}")
        role = _CUE_ROLES.get(item["role"]) if isinstance(item.get("role"), str) else None
        if role is None:
            errs.append(f"role must be agent, customer or system, not {item.get('role')!r}")
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            errs.append("weight must be a positive number")
        regex = None
        try:
            regex = re.compile(str(item.get("pattern") or ""))
            if not item.get("pattern"):
                errs.append("missing pattern")
        except re.error as e:
            errs.append(f"pattern does not compile: {e}")
        examples = item.get("examples") or []
        counter = item.get("not") or []
        if not isinstance(examples, list) or not examples or not all(isinstance(x, str) for x in examples):
            errs.append("examples must be a non-empty list of strings")
            examples = []
        if not isinstance(counter, list) or not all(isinstance(x, str) for x in counter):
            errs.append("not must be a list of strings")
            counter = []
        if errs:
            problems.extend((line, cue_id or None, e) for e in errs)
            continue
        assert role is not None and regex is not None
        cues.append(Cue(cue_id, role, float(weight), regex, tuple(examples), tuple(counter), line or 0))

    if problems:
        line, rule, _ = problems[0]
        raise PatternError(
            path, line, rule, [f"{'line ' + str(ln) + ': ' if ln else ''}{f'{r}: ' if r else ''}{msg}" for ln, r, msg in problems]
        )
    return RoleCues(labels, tuple(cues), contractions, bare_words, fillers, path=path, **values)


def check_examples(cues: RoleCues | None = None) -> list[str]:
    """Problems with cue examples: an example its pattern misses, or a ``not`` example it matches."""
    cues = cues or role_cues()
    problems = []
    for cue in cues.cues:
        for example in cue.examples:
            if not cue.regex.search(cues.normalize(example)):
                problems.append(f"{cues.path}:{cue.line}: {cue.id}: example does not match: {example!r}")
        for example in cue.counter_examples:
            if cue.regex.search(cues.normalize(example)):
                problems.append(f"{cues.path}:{cue.line}: {cue.id}: 'not' example matches: {example!r}")
    return problems


def _line(root: Any, key: str) -> int | None:
    import yaml

    if isinstance(root, yaml.MappingNode):
        for k, _v in root.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line + 1
    return None


def _item_lines(root: Any, key: str) -> list[int]:
    import yaml

    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if getattr(k, "value", None) == key and isinstance(v, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in v.value]
    return []


# ---------------------------------------------------------------------------------------------------------
# Labels


def label_key(label: str) -> str:
    """``"Maria (Agent)"`` -> ``"maria_agent"``: lowercase, runs of non-letters as one ``_``."""
    return re.sub(r"[^a-z]+", "_", label.lower()).strip("_")


def label_role(label: str, cues: RoleCues | None = None) -> Role | None:
    """The role an explicit label names, or None for generic labels ("spk_0", "Speaker 1", "A", "Maria").

    The whole label is looked up first, then word pairs, then single words; a level naming two different
    roles is ambiguous and gives None.

    >>> label_role("HUMAN_AGENT"), label_role("Caller 2"), label_role("Customer Service Rep"), label_role("SPEAKER_00")
    (<Role.AGENT: 'agent'>, <Role.CUSTOMER: 'customer'>, <Role.AGENT: 'agent'>, None)
    """
    if cues is None:
        return _packaged_label_role(label)
    return _label_role(label, cues)


@lru_cache(maxsize=4096)
def _packaged_label_role(label: str) -> Role | None:
    return _label_role(label, role_cues())


def _label_role(label: str, cues: RoleCues) -> Role | None:
    table = cues.labels
    key = label_key(label)
    if not key:
        return None
    if key in table:
        return table[key]
    words = [w for w in key.split("_") if len(w) > 1]
    for size in (2, 1):
        found = {table[g] for g in ("_".join(words[i : i + size]) for i in range(len(words) - size + 1)) if g in table}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


# ---------------------------------------------------------------------------------------------------------
# Inference


def score_speakers(call: Call, speakers: Iterable[str] | None = None, cues: RoleCues | None = None) -> dict[str, SpeakerScore]:
    """Cue scores for each speaker (all speakers when ``speakers`` is None)."""
    cues = cues or role_cues()
    wanted = set(call.speakers()) if speakers is None else set(speakers)
    scores = {s: SpeakerScore() for s in call.speakers() if s in wanted}
    for turn in call.turns:
        score = scores.get(turn.speaker)
        if score is None:
            continue
        score.questions += turn.text.count("?")
        score.turns += 1
        text = cues.normalize(turn.text)
        for cue in cues.cues:
            if score.cues.get(cue.id, 0) < cues.turn_cap and cue.regex.search(text):  # past the cap a match adds nothing
                score.cues[cue.id] = score.cues.get(cue.id, 0) + 1
    by_id = {cue.id: cue for cue in cues.cues}
    for score in scores.values():
        for cue_id, count in score.cues.items():
            cue = by_id[cue_id]
            points = cue.weight * min(count, cues.turn_cap)
            if cue.role is Role.AGENT:
                score.agent += points
            elif cue.role is Role.CUSTOMER:
                score.customer += points
            else:
                score.system += points
    return scores


def assign_roles(call: Call, agent_speakers: Sequence[str] = ()) -> Call:
    """Return ``call`` with a role on every turn, ``role_confidence`` (0..1) and a warning when it is low.

    ``agent_speakers`` overrides inference: those labels are agents, every other speaker a customer
    (unless explicitly a system/IVR). Roles a reader already set are kept, so calling this twice changes
    nothing the second time.
    """
    cues = role_cues()
    labels = list(call.speakers())
    warnings = list(call.warnings)
    given: dict[str, Role] = {}
    for turn in call.turns:
        if turn.role is not Role.UNKNOWN:
            given.setdefault(turn.speaker, turn.role)

    if agent_speakers:
        wanted = {_same(s) for s in agent_speakers if s.strip()}
        chosen = {lab for lab in labels if _same(lab) in wanted}
        if chosen:
            roles = {}
            for lab in labels:
                if lab in chosen:
                    roles[lab] = Role.AGENT
                elif given.get(lab) is Role.SYSTEM or label_role(lab, cues) is Role.SYSTEM:
                    roles[lab] = Role.SYSTEM
                else:
                    roles[lab] = Role.CUSTOMER
            return _apply(call, roles, 1.0, warnings)
        warnings.append(
            f"{call.source}: none of the agent speakers {', '.join(map(repr, agent_speakers))} speak in call {call.call_id!r}; "
            f"roles were inferred (speakers: {', '.join(labels)})"
        )

    if labels and all(t.role is not Role.UNKNOWN for t in call.turns):
        confidence = call.role_confidence if call.role_confidence is not None else 1.0
        if confidence == call.role_confidence and tuple(warnings) == call.warnings:
            return call
        return call.replace(role_confidence=confidence, warnings=tuple(warnings))

    roles: dict[str, Role] = dict(given)
    agent_names, customer_names = _header_names(call)
    for lab in labels:
        if lab in roles:
            continue
        role = label_role(lab, cues)
        key = label_key(lab)
        if role is None and key and key in agent_names:
            role = Role.AGENT
        elif role is None and key and key in customer_names:
            role = Role.CUSTOMER
        if role is not None:
            roles[lab] = role
    unknown = [lab for lab in labels if lab not in roles]
    if not unknown:
        confidence = 1.0
    else:
        confidence, guessed = _infer(call, unknown, roles, cues)
        roles.update(guessed)
    if not any(r is Role.AGENT for r in roles.values()):
        warnings.append(
            f"{call.source}: no agent found in call {call.call_id!r} (speakers: {', '.join(labels)}); name the agent with --agent-speaker"
        )
    elif not any(r is Role.CUSTOMER for r in roles.values()):
        warnings.append(f"{call.source}: no customer found in call {call.call_id!r} (speakers: {', '.join(labels)})")
    elif confidence < cues.low_confidence:
        agents = [lab for lab in labels if roles.get(lab) is Role.AGENT]
        warnings.append(
            f"{call.source}: low confidence ({confidence:.2f}) in speaker roles for call {call.call_id!r}: "
            f"guessed {', '.join(map(repr, agents))} as the agent; if wrong, name the agent with --agent-speaker"
        )
    return _apply(call, roles, confidence, warnings)


def _same(label: str) -> str:
    """How ``agent_speakers`` are compared with labels: case and spacing do not matter (``"SPK_1"`` is ``"spk_1"``)."""
    return " ".join(label.split()).casefold()


def _infer(call: Call, unknown: list[str], known: Mapping[str, Role], cues: RoleCues) -> tuple[float, dict[str, Role]]:
    """Roles for the speakers no label explains, and how confident the guess is."""
    scores = score_speakers(call, unknown, cues)
    order = {lab: i for i, lab in enumerate(call.speakers())}
    guessed: dict[str, Role] = {}
    margins: list[float] = []
    for lab in unknown:
        s = scores[lab]
        if s.system >= cues.system_min and s.system > s.agent + s.customer:
            guessed[lab] = Role.SYSTEM
            margins.append(s.system - (s.agent + s.customer))
        elif s.system >= cues.system_min and s.turns <= cues.ivr_max_turns and s.customer == 0 and s.system >= s.agent:
            # A recorded greeting says "thank you for calling" as well as "press 2": a speaker with a turn or two
            # and at least as much IVR as agent evidence is the IVR. Less sure than the clear case above.
            guessed[lab] = Role.SYSTEM
            margins.append(s.system - s.agent)
    candidates = sorted(
        (lab for lab in unknown if lab not in guessed), key=lambda lab: (-scores[lab].net, -scores[lab].questions, order[lab])
    )
    if not candidates:
        return _confidence(margins, cues), guessed
    has_agent = any(r is Role.AGENT for r in known.values())
    has_customer = any(r is Role.CUSTOMER for r in known.values())
    primary = None
    if not has_agent:
        primary = candidates[0]
        guessed[primary] = Role.AGENT
    rest = [lab for lab in candidates if lab != primary]
    humans = sum(1 for lab in order if known.get(lab, guessed.get(lab)) is not Role.SYSTEM)
    least_agent_like = rest[-1] if rest else None
    # Speakers who sound like a customer and nothing else ("I'd like to cancel", "no thanks").
    clear_customers = {lab for lab in rest if scores[lab].customer > 0 and scores[lab].agent == 0}
    for lab in rest:
        s = scores[lab]
        # A transfer: with 3+ people, a speaker who sounds clearly like an agent, or like an agent and not at all
        # like a customer while someone else is more customer-like, is a second agent.
        leaning = s.agent > 0 and s.customer == 0 and lab != least_agent_like
        # When a label already names the customer ("Customer", "Caller"), another agent-leaning speaker is
        # far likelier a second agent than a second customer.
        beside_named_customer = has_customer and s.net > 0
        # A speaker with no customer evidence at all, beside someone who clearly is the customer, is the agent
        # the call was passed to ("family services, this is Carl"), not a second customer; so is one with strong
        # agent evidence, twice their customer evidence ("moorings, Siobhan speaking ... can I check the postcode"
        # with one stray customer-like phrase). A spouse who says "my husband" and "let me look at the letter"
        # has too little agent evidence for that.
        strong_agent = s.agent >= cues.second_agent_min and s.agent >= 2 * s.customer
        beside_clear_customer = (s.customer == 0 or strong_agent) and bool(clear_customers - {lab})
        transfer = humans >= 3 and (s.net >= cues.second_agent_min or leaning or beside_named_customer or beside_clear_customer)
        guessed[lab] = Role.AGENT if transfer else Role.CUSTOMER
    if not has_customer and rest and not any(guessed[lab] is Role.CUSTOMER for lab in rest):
        guessed[rest[-1]] = Role.CUSTOMER  # someone must be the customer: the least agent-like speaker
    customers = [lab for lab in candidates if guessed[lab] is Role.CUSTOMER]
    best_customer = max((scores[lab].net for lab in customers), default=None)
    for lab in candidates:
        net = scores[lab].net
        if guessed[lab] is Role.AGENT:
            # No inferred customer to compare with: the agent is chosen by elimination, which counts for something.
            margins.append(net - best_customer if best_customer is not None else net + cues.confidence_scale)
        elif primary is None:
            # The agent is known; with only two people the other one is the customer by elimination.
            margins.append(cues.second_agent_min - net + (2 * cues.confidence_scale if humans == 2 else 0))
    return _confidence(margins, cues), guessed


def _confidence(margins: list[float], cues: RoleCues) -> float:
    """The weakest decision decides: margin 0 -> 0.5, growing towards 1; negative margins fall below 0.5."""
    if not margins:
        return 1.0
    margin = min(margins)
    scale = cues.confidence_scale or 1.0
    value = 1 - 0.5 * math.exp(-margin / scale) if margin >= 0 else 0.5 * math.exp(margin / scale)
    return round(value, 3)


def _header_names(call: Call) -> tuple[set[str], set[str]]:
    """Label keys that name the agent or the customer according to the transcript's header."""

    def keys(value: str | None) -> set[str]:
        if not value:
            return set()
        full = label_key(value)
        first = full.split("_")[0] if full else ""
        return {k for k in (full, first) if len(k) > 1}

    customer = call.meta("customer") or call.meta("customer_name") or call.meta("caller")
    return keys(call.agent), keys(customer) - keys(call.agent)


def _apply(call: Call, roles: Mapping[str, Role], confidence: float, warnings: list[str]) -> Call:
    turns = tuple(
        t.with_role(roles.get(t.speaker, t.role)) if roles.get(t.speaker, t.role) is not t.role else t for t in call.turns
    )
    return call.replace(turns=turns, role_confidence=confidence, warnings=tuple(warnings))
