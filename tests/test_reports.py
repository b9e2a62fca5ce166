"""Coaching reports: the figures on a hand-built batch, the pages written, escaping, file names, inputs.

``fixtures/scorecards/batch.jsonl`` holds six hand-built scorecards (default rubric, weights 15/10/10/20/
10/5/5/10/5/5/5 = 100):

====  ====  ==============  ==========  =====  ====================================================
call  agent team            date        score  missed (tactics; reason)
====  ====  ==============  ==========  =====  ====================================================
a1    Ana   Retention East  2026-03-02  90 A   invite_return (price, acknowledged)
a2    Ana   Retention East  2026-03-03  55 F   gratitude, no_pressure, acknowledge_reason
                                               (fear_of_loss + false_urgency; price, ignored)
a3    Ana   Retention East  2026-03-03  77.8 C gratitude (near miss quoted), anything_else; acknowledge n/a
b1    Ben   Retention East  2026-03-02  55 F   gratitude, no_pressure, invite_return (arguing; competitor)
b2    Ben   Retention East  (none)      100 A  nothing (moving)
c1…   Cleo… Chat & Email    2026-03-04  95 A   follow_up (other); id, agent and transcript carry XSS
====  ====  ==============  ==========  =====  ====================================================
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from coach.errors import CoachError
from coach.readers import read_calls
from coach.reports import aggregate as agg
from coach.reports import build_report, load_scorecards, load_team_map
from coach.reports.render import Report, md_escape, safe_stem
from coach.rubric import load_rubric, parse_rubric

FIXTURES = Path(__file__).parent / "fixtures" / "scorecards"
BATCH = FIXTURES / "batch.jsonl"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def cards():
    return load_scorecards(BATCH)


@pytest.fixture(scope="module")
def report(cards, rubric):
    return Report(cards, rubric, by="agent", team_map=None)


@pytest.fixture(scope="module")
def html_report(cards, tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    return out, build_report(cards, out)


# -- the figures ------------------------------------------------------------------------------------------


def test_reports_agent_summary_counts_scores_and_grades(report):
    ana = report.agents["Ana"]
    assert ana.calls == 3
    assert ana.mean_score == pytest.approx((90 + 55 + 77.8) / 3)
    assert dict(ana.grades) == {"A": 1, "B": 0, "C": 1, "D": 0, "F": 1}
    assert ana.pressure_calls == 1


def test_reports_hit_rate_leaves_na_out(report):
    ana = report.agents["Ana"]
    gratitude = ana.criterion("gratitude")
    assert (gratitude.met, gratitude.missed, gratitude.na) == (1, 2, 0)
    assert gratitude.hit_rate == pytest.approx(1 / 3)
    acknowledge = ana.criterion("acknowledge_reason")
    assert (acknowledge.met, acknowledge.missed, acknowledge.na) == (1, 1, 1)
    assert acknowledge.hit_rate == pytest.approx(0.5)


def test_reports_team_hit_rate_is_over_the_whole_team(report):
    team = report.teams["Retention East"]
    assert team.calls == 5
    assert team.mean_score == pytest.approx((90 + 55 + 77.8 + 55 + 100) / 5)
    assert team.criterion("gratitude").hit_rate == pytest.approx(2 / 5)
    assert team.criterion("no_pressure").hit_rate == pytest.approx(3 / 5)
    assert report.overall.mean_score == pytest.approx((90 + 55 + 77.8 + 55 + 100 + 95) / 6)


def test_reports_priorities_rank_by_points_lost_per_call(report, rubric):
    # Ana, 3 calls: gratitude 15*2/3 = 10.0; no_pressure 20*1/3 = 6.7; acknowledge_reason 10*1/3 = 3.3 and
    # invite_return 10*1/3 = 3.3 tie on cost, acknowledge wins on miss rate (1 of 2 applicable vs 1 of 3).
    ana = report.agents["Ana"]
    priorities = agg.priorities(ana, rubric, report.teams["Retention East"].entries)
    assert [p.stats.id for p in priorities] == ["gratitude", "no_pressure", "acknowledge_reason"]
    assert [round(p.points_per_call, 2) for p in priorities] == [10.0, 6.67, 3.33]
    assert priorities[1].critical and priorities[1].cap == 59
    assert priorities[0].try_saying == rubric.criterion("gratitude").try_saying


def test_reports_priority_examples_quote_the_agents_own_calls(report, rubric):
    ana = report.agents["Ana"]
    gratitude = agg.priorities(ana, rubric, report.teams["Retention East"].entries)[0]
    # a3 has a quoted near miss, so it comes before a2 (nothing to quote: the agent's last turn is shown).
    assert [ex.entry.card.call_id for ex in gratitude.examples] == ["a3", "a2"]
    assert "courtesy" in gratitude.examples[0].note
    assert gratitude.examples[1].text == "Fine, it's cancelled." and "last turn" in gratitude.examples[1].note
    # Done well: met with an agent quote, best-scored calls of the team first (b2 100, a1 90).
    assert [ex.entry.card.call_id for ex in gratitude.good_examples] == ["b2", "a1"]


def test_reports_tactics_count_calls_and_quote_the_agent(report):
    ana = report.agents["Ana"]
    assert [(t.name, t.calls) for t in ana.tactics] == [("fear_of_loss", 1), ("false_urgency", 1)]
    quote = ana.tactics[0].quotes[0]
    assert quote.entry.card.call_id == "a2" and quote.turn == 2 and "lose your discount" in quote.text


def test_reports_reasons_count_stated_and_acknowledged(report):
    ana = report.agents["Ana"]
    assert [(r.category, r.stated, r.acknowledged) for r in ana.reasons] == [("price", 2, 1)]
    assert ana.reason_not_stated == 1
    team = report.teams["Retention East"]
    assert {r.category: (r.stated, r.acknowledged) for r in team.reasons} == {
        "price": (2, 1),
        "competitor": (1, 1),
        "moving": (1, 1),
    }


def test_reports_trend_is_daily_for_a_short_span_and_skips_undated_calls(report):
    ana = report.agents["Ana"]
    assert [(p.label, p.calls, round(p.mean_score, 2)) for p in ana.trend] == [("2026-03-02", 1, 90.0), ("2026-03-03", 2, 66.4)]
    ben = report.agents["Ben"]
    assert ben.trend == ()  # one dated call (b2 has no date): no trend


@pytest.mark.parametrize(
    ("days", "labels"),
    [
        ([dt.date(2026, 1, 5), dt.date(2026, 3, 4), dt.date(2026, 3, 6)], ["week of 2026-01-05", "week of 2026-03-02"]),
        ([dt.date(2025, 1, 5), dt.date(2026, 3, 4)], ["2025-01", "2026-03"]),
    ],
)
def test_reports_trend_buckets_by_week_then_month(cards, days, labels):
    entries = [agg.CallEntry(cards[0], "Ana", "T", f"p{i}", day) for i, day in enumerate(days)]
    assert [p.label for p in agg.trend(entries)] == labels


def test_reports_ranking_and_listen_lists(report):
    ranking = report._ranking("Retention East")
    assert [(a.name, round(a.mean_score, 2)) for a in ranking] == [("Ben", 77.5), ("Ana", 74.27)]
    listen = agg.listen_lists(report.teams["Retention East"].entries)
    assert [e.card.call_id for e in listen["lowest"]] == ["a2", "b1", "a3", "a1", "b2"]
    assert [e.card.call_id for e in listen["pressure"]] == ["a2", "b1"]
    assert [e.card.call_id for e in listen["best"]] == ["b2", "a1", "a3"]


def test_reports_team_map_overrides_the_stored_team(cards, rubric):
    report = Report(cards, rubric, by="agent", team_map=load_team_map(FIXTURES / "team_map.csv"))
    assert sorted(report.teams) == ["Chat & Email", "Retention East", "Retention West"]
    assert report.teams["Retention West"].calls == 3


@pytest.mark.parametrize("name", ["2026-03-02", "2026-03-03T16:20:00Z", " 2026-03-03 "])
def test_reports_parse_day_reads_dates_and_timestamps(name):
    assert agg.parse_day(name) is not None


@pytest.mark.parametrize("name", [None, "", "yesterday", "2026-13-01"])
def test_reports_parse_day_ignores_unreadable_dates(name):
    assert agg.parse_day(name) is None


# -- pages ------------------------------------------------------------------------------------------------


def test_reports_build_writes_index_first_then_teams_agents_calls(html_report):
    out, paths = html_report
    assert paths[0] == out / "index.html"
    kinds = [p.parent.name for p in paths[1:]]
    assert kinds == sorted(kinds, key=["teams", "agents", "calls"].index)
    assert kinds.count("teams") == 2 and kinds.count("agents") == 3 and kinds.count("calls") == 6
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def _links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', page.read_text(encoding="utf-8"))


def test_reports_every_link_resolves_and_nothing_is_external(html_report):
    _, paths = html_report
    for page in paths:
        for link in _links(page):
            assert not re.match(r"[a-z]+:", link) or link == "data:,", f"{page.name}: external or scripted link {link!r}"
            target, _, anchor = link.partition("#")
            if link == "data:,":
                continue
            file = (page.parent / target).resolve() if target else page
            assert file.is_file(), f"{page.name}: broken link {link!r}"
            if anchor:
                assert f'id="{anchor}"' in file.read_text(encoding="utf-8"), f"{page.name}: missing anchor {link!r}"


def test_reports_escape_every_transcript_string(html_report):
    out, paths = html_report
    call_page = next(p for p in paths if p.parent.name == "calls" and p.name.startswith("c1"))
    html = call_page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and "<img" not in html
    assert "Cleo &lt;img src=x onerror=alert(3)&gt;" in html
    for page in paths:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "onerror=alert" not in text.replace("&lt;img src=x onerror=alert(3)&gt;", ""), (
            page
        )


def test_reports_pages_are_self_contained_and_print_ready(html_report):
    out, _ = html_report
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "<style>" in html and "@media print" in html and "<svg" in html
    assert "default-src 'none'" in html
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_reports_agent_page_shows_priorities_quotes_and_try_saying(html_report, rubric):
    out, _ = html_report
    html = (out / "agents" / "ana.html").read_text(encoding="utf-8")
    assert (
        html.index("1. Thanked the customer") < html.index("2. Respected the decision") < html.index("3. Listened to the reason")
    )
    assert "lose your discount forever" in html
    assert rubric.criterion("gratitude").try_saying[0].replace("'", "&#39;") in html
    assert 'href="../calls/a2.html#turn-2"' in html


def test_reports_call_page_labels_evidence_turns(html_report):
    out, _ = html_report
    html = (out / "calls" / "a2.html").read_text(encoding="utf-8")
    turn = html[html.index('id="turn-2"') : html.index('id="turn-3"')]
    assert "pressure: fear of loss" in turn and "pressure: false urgency" in turn
    assert "reason for leaving: price" in html
    assert "<polyline" in html  # sentiment line


def test_reports_by_team_writes_no_agent_pages(cards, tmp_path):
    paths = build_report(cards, tmp_path, by="team")
    assert not any(p.parent.name == "agents" for p in paths)
    assert "Top coaching priorities" in (tmp_path / "teams" / "retention-east.html").read_text(encoding="utf-8")


def test_reports_markdown_has_the_same_content_escaped(cards, tmp_path):
    paths = build_report(cards, tmp_path, fmt="md")
    assert paths[0] == tmp_path / "index.md" and all(p.suffix == ".md" for p in paths)
    ana = (tmp_path / "agents" / "ana.md").read_text(encoding="utf-8")
    assert "### 1. Thanked the customer for their business" in ana and "lose your discount forever" in ana
    call = next(p for p in paths if p.parent.name == "calls" and p.name.startswith("c1")).read_text(encoding="utf-8")
    assert "\\<script\\>" in call and not re.search(r"(?<!\\)<(?!br>)", call)  # the only raw HTML is our <br>
    assert "\\[click\\](javascript:alert(1))" in call


def test_reports_mask_pii_masks_transcripts_and_quotes(cards, tmp_path):
    paths = build_report(cards, tmp_path, mask_pii=True)
    text = "".join(p.read_text(encoding="utf-8") for p in paths)
    assert "cleo@example.com" not in text and "4111 1111 1111 1111" not in text
    assert "[EMAIL]" in text and "[CARD]" in text


def test_reports_rubric_rescores_cards_scored_with_another(analyzer, tmp_path):
    card = analyzer.analyze(read_calls("transcripts_sample/s07_home_internet.txt")[0])
    data = yaml.safe_load(resources.files("coach.rubrics").joinpath("graceful_goodbye.yaml").read_text(encoding="utf-8"))
    data["name"], data["grade_bands"] = "strict", [{"min": 101, "grade": "A"}, {"min": 0, "grade": "Z"}]
    build_report([card], tmp_path, rubric=parse_rubric(data, "strict.yaml"))
    html = (tmp_path / "calls" / f"{safe_stem(card.call_id, set())}.html").read_text(encoding="utf-8")
    assert ">Z</span>" in html and "strict@1.0" in html


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "pdf"}, "unknown report format 'pdf' (expected one of: html, md)"),
        ({"by": "week"}, "unknown report grouping 'week' (expected one of: agent, team)"),
    ],
)
def test_reports_reject_unknown_options(cards, tmp_path, kwargs, message):
    with pytest.raises(CoachError) as e:
        build_report(cards, tmp_path, **kwargs)
    assert str(e.value) == message


def test_reports_refuse_an_empty_batch(tmp_path):
    with pytest.raises(CoachError, match="nothing to report"):
        build_report([], tmp_path)


# -- file names -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("s01_cable", "s01_cable"),
        ("../../etc/passwd", "etc-passwd"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("Ana María", "ana-maria"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("a" * 200, "a" * 60),
    ],
)
def test_reports_safe_stem_keeps_names_readable_and_safe(name, stem):
    assert safe_stem(name, set()) == stem


@pytest.mark.parametrize("name", ["", "???", "CON", "nul", "李明"])
def test_reports_safe_stem_hashes_empty_and_reserved_names(name):
    stem = safe_stem(name, set())
    assert re.fullmatch(r"[a-z0-9][a-z0-9._~-]*", stem) and len(stem) > 4


def test_reports_safe_stem_makes_colliding_names_unique():
    taken: set[str] = set()
    stems = [safe_stem(n, taken) for n in ["A b", "a-b", "a b", "A b"]]
    assert len(set(stems)) == 4 and stems[0] == "a-b"


def test_reports_md_escape_neutralises_markdown_and_html():
    assert (
        md_escape("<b>*hi*</b> | [x](javascript:y) AT&T &amp;")
        == "\\<b\\>\\*hi\\*\\</b\\> \\| \\[x\\](javascript:y) AT&T &amp;amp;"
    )


# -- inputs -----------------------------------------------------------------------------------------------


def test_reports_load_scorecards_round_trips_the_jsonl(cards):
    assert [c.call_id for c in cards][:5] == ["a1", "a2", "a3", "b1", "b2"]
    assert json.loads(BATCH.read_text(encoding="utf-8").splitlines()[0]) == cards[0].to_dict()


def test_reports_load_scorecards_reads_a_folder_of_parts(tmp_path):
    lines = BATCH.read_text(encoding="utf-8").splitlines()
    (tmp_path / "part-00000").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    (tmp_path / "part-00001").write_text("\n".join(lines[2:]) + "\n\n", encoding="utf-8")
    assert len(load_scorecards(tmp_path)) == 6


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "bad_not_json.jsonl",
            "bad_not_json.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 35); "
            "expected one JSON scorecard per line, as written by `coach score --format jsonl`",
        ),
        (
            "bad_transcript.jsonl",
            "bad_transcript.jsonl:1: scorecard has no score (this looks like a transcript: score it first, or pass the "
            "transcript to `coach report`); expected one JSON scorecard per line, as written by `coach score --format jsonl`",
        ),
    ],
)
def test_reports_load_scorecards_names_file_and_line(name, message):
    with pytest.raises(CoachError) as e:
        load_scorecards(FIXTURES / name)
    assert str(e.value) == f"{FIXTURES / name}".removesuffix(name) + message


@pytest.mark.parametrize("name", ["team_map.csv", "team_map.yaml"])
def test_reports_load_team_map_reads_csv_and_yaml(name):
    assert load_team_map(FIXTURES / name) == {
        "Ana": "Retention West",
        "Ben": "Retention East",
        "Cleo <img src=x onerror=alert(3)>": "Chat & Email",
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_columns.csv", "bad_columns.csv:3: expected 2 columns (agent,team), got 3; "),
        (
            "bad_two_teams.csv",
            "bad_two_teams.csv:4: agent 'Ana' is already in team 'Retention West' (line 2); give each agent one team",
        ),
        ("bad_nested.yaml", "bad_nested.yaml:2: 'Ben' maps to a mapping; "),
    ],
)
def test_reports_load_team_map_names_file_and_line(name, message):
    with pytest.raises(CoachError) as e:
        load_team_map(FIXTURES / name)
    assert str(e.value).startswith(str(FIXTURES / name).removesuffix(name) + message)


def test_reports_load_team_map_rejects_unknown_file_types(tmp_path):
    path = tmp_path / "teams.xlsx"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(CoachError, match=r"teams\.xlsx: unknown team map type '\.xlsx'; use \.csv or \.yaml"):
        load_team_map(path)
