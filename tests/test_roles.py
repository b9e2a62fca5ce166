"""Role inference: explicit labels, cues from coach/patterns/roles.yaml, transfers, IVRs and overrides."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

from coach.errors import PatternError
from coach.model import Call, Role, Turn
from coach.readers import read_calls
from coach.roles import assign_roles, check_examples, label_role, parse_role_cues, role_cues

ROOT = Path(__file__).parent.parent
ROLE_OF = {"agent": Role.AGENT, "agent2": Role.AGENT, "customer": Role.CUSTOMER, "system": Role.SYSTEM}


def call_of(*pairs: tuple[str, str], call_id: str = "c1", **fields) -> Call:
    return Call(call_id, f"calls/{call_id}.txt", [Turn(i, speaker, text) for i, (speaker, text) in enumerate(pairs)], **fields)


def roles_of(call: Call) -> dict[str, str]:
    return {speaker: role.value for speaker, role in call.speakers().items()}


# ---------------------------------------------------------------------------------------------------------
# The data file


def test_every_role_cue_example_matches_and_no_counter_example_does():
    assert check_examples() == []


def test_role_cue_ids_are_unique_and_every_role_has_cues():
    cues = role_cues().cues
    assert len({c.id for c in cues}) == len(cues)
    assert {c.role for c in cues} == {Role.AGENT, Role.CUSTOMER, Role.SYSTEM}


def test_bad_roles_file_reports_every_problem_with_line_and_cue_id():
    text = (
        "settings:\n  low_confidence: 0.6\n"
        "labels:\n  agent: [agent]\n"
        "cues:\n"
        "  - id: agent.ok\n    role: agent\n    weight: 1\n    pattern: 'hello'\n    examples: ['hello']\n"
        "  - id: agent.bad\n    role: boss\n    weight: 0\n    pattern: '(unclosed'\n    examples: ['x']\n"
    )
    with pytest.raises(PatternError) as err:
        parse_role_cues(text, "roles.yaml")
    message = str(err.value)
    assert message.startswith("roles.yaml:11: rule 'agent.bad' ")
    assert "role must be agent, customer or system, not 'boss'" in message
    assert "weight must be a positive number" in message
    assert "pattern does not compile" in message


def test_roles_file_rejects_unknown_settings():
    with pytest.raises(PatternError, match="unknown setting 'speed'"):
        parse_role_cues(
            "settings:\n  speed: 3\ncues:\n  - id: a\n    role: agent\n    weight: 1\n    pattern: x\n    examples: [x]\n",
            "r.yaml",
        )


# ---------------------------------------------------------------------------------------------------------
# Labels


@pytest.mark.parametrize(
    "label, role",
    [
        ("Agent", Role.AGENT),
        ("AGENT", Role.AGENT),
        ("Representative", Role.AGENT),
        ("Rep", Role.AGENT),
        ("CSR", Role.AGENT),
        ("Advisor", Role.AGENT),
        ("Associate", Role.AGENT),
        ("HUMAN_AGENT", Role.AGENT),
        ("Agent 2", Role.AGENT),
        ("Maria (Agent)", Role.AGENT),
        ("Customer Service Rep", Role.AGENT),
        ("Team Member", Role.AGENT),  # the pair decides before the word "member"
        ("Host", Role.AGENT),
        ("Patron", Role.CUSTOMER),
        ("Account Holder", Role.CUSTOMER),
        ("Customer", Role.CUSTOMER),
        ("Caller", Role.CUSTOMER),
        ("Client", Role.CUSTOMER),
        ("Member", Role.CUSTOMER),
        ("Subscriber", Role.CUSTOMER),
        ("User", Role.CUSTOMER),
        ("END_USER", Role.CUSTOMER),
        ("CUSTOMER", Role.CUSTOMER),
        ("IVR", Role.SYSTEM),
        ("System", Role.SYSTEM),
        ("Bot", Role.SYSTEM),
        ("AUTOMATED_AGENT", Role.SYSTEM),
        ("Billing", Role.AGENT),  # a department as the label, after a transfer (extra_510)
        ("Helpdesk", Role.AGENT),
        ("Resident", Role.CUSTOMER),
        ("spk_0", None),
        ("Speaker 1", None),
        ("SPEAKER_00", None),
        ("0", None),
        ("A", None),
        ("Maria", None),
        ("", None),
    ],
)
def test_label_role_maps_explicit_labels_and_leaves_generic_ones(label, role):
    assert label_role(label) is role


# ---------------------------------------------------------------------------------------------------------
# Inference


def test_generic_labels_get_the_agent_from_what_is_said():
    call = assign_roles(
        call_of(
            ("spk_0", "Thank you for calling Acme Wireless, my name is Jo. How can I help you today?"),
            ("spk_1", "Hi, I've been a customer for nine years and I want to cancel my plan."),
            ("spk_0", "I'm sorry to hear that. Can I get the account number?"),
            ("spk_1", "It's 5512."),
        )
    )
    assert roles_of(call) == {"spk_0": "agent", "spk_1": "customer"}
    assert call.role_confidence > 0.9 and call.warnings == ()


def test_customer_speaking_first_after_ivr_transfer_is_still_the_customer():
    call = assign_roles(
        call_of(
            ("Speaker 1", "Hi, yes, I'm calling to cancel my membership."),
            ("Speaker 2", "Sure, I can help you with that. Could I please confirm your date of birth?"),
            ("Speaker 1", "June 4th, 1990."),
            ("Speaker 2", "Thanks. I've processed the cancellation. Is there anything else I can help with?"),
        )
    )
    assert roles_of(call) == {"Speaker 1": "customer", "Speaker 2": "agent"}


def test_transfer_between_two_agents_marks_both_as_agents():
    call = assign_roles(
        call_of(
            ("A", "Thanks for calling Lumen support, this is Kevin. What can I do for you?"),
            ("B", "I'd like to cancel my subscription."),
            ("A", "I'm sorry to hear that. One moment while I connect you to our loyalty team."),
            ("C", "Hi, you've reached the loyalty team. I understand you'd like to cancel?"),
            ("B", "Yes, I just want to cancel."),
            ("C", "I've cancelled the subscription. Is there anything else I can help with?"),
        )
    )
    assert roles_of(call) == {"A": "agent", "B": "customer", "C": "agent"}


def test_ivr_lines_become_system_and_three_speakers_work():
    call = assign_roles(
        call_of(
            ("0", "Thank you for calling Northwind. This call may be recorded. For billing, press two."),
            ("1", "Hi, I need to cancel my account."),
            ("2", "I can help with that. May I have your full name?"),
            ("1", "Dana Whitfield."),
        )
    )
    assert roles_of(call) == {"0": "system", "1": "customer", "2": "agent"}


def test_noisy_lowercase_speech_to_text_still_finds_the_agent():
    call = assign_roles(
        call_of(
            ("1", "um hi yeah id like to cancel my subscription uh ive been a member since twenty nineteen"),
            ("0", "okay um i can help you with that can i get the email on the account"),
            ("1", "sure its dana at mail dot com"),
            ("0", "thanks so much i have processed the cancellation is there anything else i can help with"),
        )
    )
    assert roles_of(call) == {"1": "customer", "0": "agent"}


def test_explicit_labels_give_full_confidence_without_reading_the_text():
    call = assign_roles(call_of(("Customer", "How can I help you?"), ("Agent", "I want to cancel.")))
    assert roles_of(call) == {"Customer": "customer", "Agent": "agent"}
    assert call.role_confidence == 1.0


def test_agent_name_from_the_header_decides_a_first_name_label():
    call = assign_roles(call_of(("Dana", "Hello?"), ("Maria", "Hi."), agent="Maria Lopez"))
    assert roles_of(call) == {"Dana": "customer", "Maria": "agent"}
    assert call.role_confidence > 0.95


def test_roles_set_by_a_reader_are_kept():
    turns = [Turn(0, "X", "I want to cancel my account.", Role.AGENT), Turn(1, "Y", "How can I help?", Role.CUSTOMER)]
    call = assign_roles(Call("c", "c.json", turns))
    assert roles_of(call) == {"X": "agent", "Y": "customer"} and call.role_confidence == 1.0


def test_assign_roles_is_idempotent():
    once = assign_roles(call_of(("spk_0", "Hello."), ("spk_1", "Hi there.")))
    assert assign_roles(once) == once


def test_no_cues_gives_low_confidence_and_a_warning_naming_the_file():
    call = assign_roles(call_of(("spk_0", "Hello."), ("spk_1", "Hi there."), ("spk_0", "Okay.")))
    assert call.role_confidence == 0.5
    assert call.warnings == (
        "calls/c1.txt: low confidence (0.50) in speaker roles for call 'c1': guessed 'spk_0' as the agent; "
        "if wrong, name the agent with --agent-speaker",
    )


def test_agent_speakers_override_inference_and_keep_an_explicit_ivr():
    call = assign_roles(
        call_of(
            ("IVR", "For billing, press two."),
            ("spk_0", "Thank you for calling, how can I help?"),
            ("spk_1", "I want to cancel."),
        ),
        agent_speakers=["SPK_1"],
    )
    assert roles_of(call) == {"IVR": "system", "spk_0": "customer", "spk_1": "agent"}
    assert call.role_confidence == 1.0


def test_agent_speakers_that_do_not_speak_fall_back_to_inference_with_a_warning():
    call = assign_roles(
        call_of(("spk_0", "Thank you for calling, how can I help?"), ("spk_1", "I want to cancel my plan.")),
        agent_speakers=["Maria"],
    )
    assert roles_of(call) == {"spk_0": "agent", "spk_1": "customer"}
    assert (
        call.warnings[0]
        == "calls/c1.txt: none of the agent speakers 'Maria' speak in call 'c1'; roles were inferred (speakers: spk_0, spk_1)"
    )


def test_a_call_with_only_a_customer_warns_that_no_agent_was_found():
    call = assign_roles(call_of(("Customer", "Hello? Is anyone there?")))
    assert call.warnings == (
        "calls/c1.txt: no agent found in call 'c1' (speakers: Customer); name the agent with --agent-speaker",
    )


def test_a_call_with_only_one_speaker_warns_that_no_customer_was_found():
    call = assign_roles(call_of(("spk_0", "Thank you for calling, how can I help?")))
    assert roles_of(call) == {"spk_0": "agent"}
    assert call.warnings == ("calls/c1.txt: no customer found in call 'c1' (speakers: spk_0)",)


def test_read_calls_passes_agent_speakers_through():
    call = read_calls("x.txt", data=b"A: hello\nB: hi", agent_speakers=["B"])[0]
    assert roles_of(call) == {"A": "customer", "B": "agent"}


# ---------------------------------------------------------------------------------------------------------
# The bundled sample transcripts (rendered from authored sources that say who is who)

SAMPLES = sorted(glob.glob(str(ROOT / "data" / "samples" / "src" / "*.json")))


@pytest.mark.skipif(not SAMPLES, reason="transcripts_sample/ sources not written yet")
@pytest.mark.parametrize("source", SAMPLES, ids=lambda p: Path(p).stem)
def test_every_sample_transcript_gets_the_right_role_on_every_turn(source):
    authored = json.loads(Path(source).read_text(encoding="utf-8"))
    rendered = sorted(glob.glob(str(ROOT / "transcripts_sample" / f"{authored['call_id']}.*")))
    assert len(rendered) == 1, f"no rendered file for {authored['call_id']}"
    call = read_calls(rendered[0])[0]
    assert [t.role for t in call.turns] == [ROLE_OF[t["speaker"]] for t in authored["turns"]]
    assert call.role_confidence >= 0.6 and not any("confidence" in w for w in call.warnings)


SAMPLE_FILES = [p for p in sorted((ROOT / "transcripts_sample").glob("*")) if p.is_file() and p.suffix != ".md"]


@pytest.mark.skipif(not SAMPLE_FILES, reason="transcripts_sample/ not written yet")
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_file_reads_with_an_agent_and_a_customer_and_confident_roles(path):
    for call in read_calls(str(path)):
        roles = set(call.speakers().values())
        assert {Role.AGENT, Role.CUSTOMER} <= roles
        assert call.role_confidence >= 0.6 and call.warnings == ()


def test_beside_a_named_customer_two_first_name_speakers_are_both_agents(tmp_path):
    """A front-line agent who only says "one moment" hands over to a colleague: with "Customer" named by its
    label, the quieter first-name speaker is the first agent, not a second customer."""
    path = tmp_path / "transfer.txt"
    path.write_text(
        "Marisol: One moment while I check who handles that.\n"
        "Customer: Sure. I'd like to cancel my unit.\n"
        "Marisol: Bear with me, I'm putting you through to move-outs.\n"
        "Gus: Hi, Gus here in move-outs. Can I get the name on the lease? How can I help?\n"
        "Customer: Ana Raman. I want to close it.\n"
        "Gus: I can process that for you now. Anything else I can help you with?\n"
    )
    call = read_calls(str(path))[0]
    assert {t.speaker: t.role for t in call.turns} == {"Marisol": Role.AGENT, "Customer": Role.CUSTOMER, "Gus": Role.AGENT}


def test_a_noisy_transfer_with_few_stock_phrases_finds_the_second_agent():
    call = Call(
        call_id="t",
        source="t",
        turns=tuple(
            Turn(index=i, speaker=s, role=Role.UNKNOWN, text=x)
            for i, (s, x) in enumerate([
                ("S0", "um hi robo rascals imelda on the front desk what are we doing for you today"),
                ("S1", "hi there i need to withdraw both my kids from the saturday sessions"),
                ("S0", "okay family accounts can sort that out i'll transfer you"),
                ("S1", "sure no problem"),
                ("S2", "hi this is keisha in family accounts imelda says you're looking to withdraw them"),
                ("S1", "that's right we'd like them to stop after the 13th"),
                ("S2", "no problem at all if you don't mind me asking what's behind the decision"),
                ("S1", "we're relocating to auckland for my husband's job"),
                ("S2", "so i'll refund the three sessions after the 13th to your card"),
            ])
        ),
    )  # fmt: skip
    roles = {t.speaker: t.role for t in assign_roles(call).turns}
    assert roles == {"S0": Role.AGENT, "S1": Role.CUSTOMER, "S2": Role.AGENT}


def test_a_spouse_joining_with_a_little_agent_like_talk_stays_a_customer():
    # "Let me take a look at the letter" and "on your account, Tom" sound like an agent, but weakly; the old rule
    # for a third speaker beside a clear customer must not make her the agent the call was passed to
    data = (
        b"A: Thanks for calling Brightline Broadband, how can I help you today?\n"
        b"B: Hi, I want to cancel my broadband, please. My wife is on the extension too.\n"
        b"A: Sorry to hear that. Can I ask what's prompted it?\n"
        b"C: Hello, it's Dana. My husband has been fretting about the bill. Let me take a look at the letter, hang on.\n"
        b"B: We're moving to Leeds next month.\n"
        b"C: Yes, and that new fee is on your account, Tom, not mine.\n"
        b"A: Understood. I've processed the cancellation, effective the 30th.\n"
        b"B: Great, thanks.\n"
    )
    call = read_calls("spouse.txt", data=data)[0]
    assert {t.speaker: t.role.value for t in call.turns} == {"A": "agent", "B": "customer", "C": "customer"}
