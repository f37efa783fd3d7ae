"""The records stage: events, deals, organisations and people across releases.

Hand-built tables (the stage reads nothing else) for the rules, and real runs of the shipped
pipeline on the samples for the joins the issue names and for incremental runs.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline.align.events import cross_pairs, group
from pipeline.io.tables import Tables
from pipeline.records.registry import Node, build, name_key
from pipeline.stages.records import Records

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


def _tables(releases: list[dict], entities: list[dict], relations: list[dict] = (), links: list[dict] = ()) -> Tables:
    t = Tables()
    base = {"script": "Latn", "title": None, "dateline_date": None, "duplicate_of": None, "event_id": None}
    t.releases = pd.DataFrame([{**base, **r} for r in releases])
    ent_base = {"aliases": [], "mentions": [[0, 1]], "source": "test", "score": 1.0}
    t.entities = pd.DataFrame([{**ent_base, **e, "text_norm": e.get("text_norm", e["text"])} for e in entities])
    if relations:
        rel_base = {"date": None, "kind": None, "title": None, "evidence": "", "score": 0.9, "tail": None, "tail_id": None}
        t.relations = pd.DataFrame([{**rel_base, **r} for r in relations])
    if links:
        t.entity_links = pd.DataFrame([{"en_text": "", "zh_text": "", "score": 0.9, **x} for x in links])
    return t


def test_several_reports_per_language_are_one_event_and_every_cross_pair_is_kept():
    # two English reports pair with one Chinese release, a second Chinese report pairs with one of them
    event_of = group(["e1", "e2", "z1", "z2", "x"], {"e3": "e1"}, [("e1", "z1"), ("e2", "z1"), ("e2", "z2")])
    assert len({event_of[r] for r in ("e1", "e2", "e3", "z1", "z2")}) == 1 and event_of["e1"] == "ev-e1"
    assert event_of["x"] == "ev-x"
    lang = {"e1": "en", "e2": "en", "e3": "en", "z1": "zh", "z2": "zh", "x": "zh"}
    # canonical releases only: the copy e3 inherits through duplicate_of
    assert cross_pairs(event_of, lang, {"e3": "e1"}) == [("e1", "z1"), ("e1", "z2"), ("e2", "z1"), ("e2", "z2")]


def test_event_id_does_not_depend_on_the_order_of_pairs():
    a = group(["a", "b", "c"], {}, [("a", "b"), ("b", "c")])
    b = group(["c", "b", "a"], {}, [("c", "b"), ("b", "a")])
    assert a == b == {"a": "ev-a", "b": "ev-a", "c": "ev-a"}


def test_name_key_meets_spellings_of_one_name():
    assert name_key("The HKSH Medical Group.") == name_key("hksh  medical group") == "hkshmedicalgroup"
    assert name_key("ＨＫＳＨ") == "hksh"


def _node(rid: str, eid: str, text: str, lang: str = "en", aliases: list[str] | None = None, script: str = "Latn") -> Node:
    return Node(rid, eid, lang, script, text, text, aliases or [])


def test_two_entities_of_one_release_are_never_joined_even_by_links():
    nodes = [_node("r1", "E1", "Alpha Hospital"), _node("r1", "E2", "Beta Clinic"), _node("z1", "E1", "甲医院", "zh")]
    # a wrong link from the Chinese entity to the second English one comes after the right one
    links = [("r1", "E1", "z1", "E1", 0.9), ("r1", "E2", "z1", "E1", 0.8)]
    records = build(nodes, links)
    of = {(n.release_id, n.entity_id): r.record_id for r in records for n in r.nodes}
    assert of[("r1", "E1")] == of[("z1", "E1")] != of[("r1", "E2")]
    assert next(r for r in records if len(r.nodes) == 2).joined_by == ["link"]


def test_an_abbreviation_two_organisations_define_stays_with_neither():
    nodes = [
        _node("r1", "E1", "Hospital Authority", aliases=["HA"]),
        _node("r2", "E1", "Harbour Alliance", aliases=["HA"]),
        _node("r3", "E1", "HA"),
        _node("r4", "E1", "Hong Kong Sanatorium & Hospital", aliases=["HKSH"]),
        _node("r5", "E1", "HKSH"),
        _node("r6", "E1", "UMP Healthcare Holdings", aliases=["the Group"]),
        _node("r7", "E1", "Group"),
    ]
    of = {(n.release_id, n.entity_id): r.record_id for r in build(nodes) for n in r.nodes}
    assert len({of[("r1", "E1")], of[("r2", "E1")], of[("r3", "E1")]}) == 3
    assert of[("r4", "E1")] == of[("r5", "E1")]  # one organisation defines HKSH: the bare HKSH is it
    assert of[("r6", "E1")] != of[("r7", "E1")]  # "the Group" is nobody's short form elsewhere


def test_a_public_bilingual_list_joins_names_that_share_nothing():
    nodes = [_node("r1", "E1", "Ruttonjee Hospital"), _node("z1", "E1", "律敦治医院", "zh")]
    assert len(build(nodes)) == 2
    assert len(build(nodes, lexicon=Records.bilingual_names())) == 1


def _mou_event() -> Tables:
    """One MOU reported by an English release, its Chinese translation and a Chinese news report that
    gives another date, plus a renewal of the same parties (another event)."""
    releases = [
        {"release_id": "en1", "lang": "en", "event_id": "ev-en1", "dateline_date": date(2025, 3, 3), "title": "A and B sign MOU"},
        {
            "release_id": "zh1",
            "lang": "zh",
            "script": "Hant",
            "event_id": "ev-en1",
            "dateline_date": date(2025, 3, 3),
            "title": "甲乙簽署備忘錄",
        },
        {"release_id": "zh2", "lang": "zh", "script": "Hans", "event_id": "ev-en1", "dateline_date": date(2025, 3, 4)},
        {"release_id": "en9", "lang": "en", "event_id": "ev-en1", "duplicate_of": "en1"},
        {"release_id": "en5", "lang": "en", "event_id": "ev-en5", "dateline_date": date(2027, 3, 3)},
    ]
    entities = [
        {"release_id": "en1", "entity_id": "E1", "label": "ORG", "text": "Alpha Medical Group", "aliases": ["AMG"]},
        {"release_id": "en1", "entity_id": "E2", "label": "ORG", "text": "Beta University"},
        {"release_id": "en1", "entity_id": "E3", "label": "PERSON", "text": "Walton LI"},
        {"release_id": "zh1", "entity_id": "E1", "label": "ORG", "text": "甲醫療集團", "text_norm": "甲医疗集团"},
        {"release_id": "zh1", "entity_id": "E2", "label": "ORG", "text": "乙大學", "text_norm": "乙大学"},
        {"release_id": "zh1", "entity_id": "E3", "label": "PERSON", "text": "李維達", "text_norm": "李维达"},
        {"release_id": "zh2", "entity_id": "E1", "label": "ORG", "text": "甲医疗集团"},
        {"release_id": "zh2", "entity_id": "E2", "label": "ORG", "text": "乙大学"},
        {"release_id": "en9", "entity_id": "E1", "label": "ORG", "text": "AMG"},
        {"release_id": "en9", "entity_id": "E2", "label": "ORG", "text": "Beta University"},
        {"release_id": "en5", "entity_id": "E1", "label": "ORG", "text": "Alpha Medical Group"},
        {"release_id": "en5", "entity_id": "E2", "label": "ORG", "text": "Beta University"},
    ]

    def mou(rid: str, d: date | None, kind: str = "MOU") -> dict:
        return {
            "release_id": rid,
            "type": "partnership",
            "head": "x",
            "tail": "y",
            "head_id": "E1",
            "tail_id": "E2",
            "date": d,
            "kind": kind,
            "evidence": f"{rid} signed",
        }

    relations = [
        mou("en1", date(2025, 3, 3)),
        mou("zh1", date(2025, 3, 3)),
        mou("zh2", date(2025, 3, 4)),
        mou("en9", date(2025, 3, 3)),
        mou("en5", date(2027, 3, 3), "agreement"),
        {
            "release_id": "en1",
            "type": "role",
            "head": "Walton LI",
            "tail": "Alpha Medical Group",
            "head_id": "E3",
            "tail_id": "E1",
            "title": "Chairman",
        },
        {
            "release_id": "zh1",
            "type": "role",
            "head": "李维达",
            "tail": "甲医疗集团",
            "head_id": "E3",
            "tail_id": "E1",
            "title": "主席",
        },
    ]
    links = [
        {"en_release_id": "en1", "en_entity_id": eid, "zh_release_id": "zh1", "zh_entity_id": eid} for eid in ("E1", "E2", "E3")
    ]
    return _tables(releases, entities, relations, links)


@pytest.fixture(scope="module")
def mou() -> Tables:
    return Records()(_mou_event())


def test_one_deal_row_for_every_report_of_one_mou_and_the_renewal_apart(mou):
    deals = mou.deals.sort_values("date")
    assert len(deals) == 2
    first, renewal = deals.iloc[0], deals.iloc[1]
    assert sorted(first.release_ids) == ["en1", "en9", "zh1", "zh2"] and first.event_id == "ev-en1"
    assert first.date == date(2025, 3, 3) and list(first.dates) == [date(2025, 3, 3), date(2025, 3, 4)]
    assert list(first.disagreements) == ["date"] and first.kind == "MOU"
    assert sorted(first.parties_en) == ["Alpha Medical Group", "Beta University"]
    assert sorted(first.parties_zh) == ["乙大学", "甲医疗集团"]
    assert list(renewal.release_ids) == ["en5"] and renewal.event_id == "ev-en5" and list(renewal.parties) == list(first.parties)


def test_organisation_names_in_three_scripts_and_every_entity_points_to_it(mou):
    orgs = mou.organisations.set_index("org_id")
    ents = mou.entities.set_index(["release_id", "entity_id"])
    alpha = ents.loc[("en1", "E1"), "org_id"]
    # the Traditional and Simplified names by name, the English through the aligned pair, the bare AMG by its alias
    assert {ents.loc[(r, "E1"), "org_id"] for r in ("zh1", "zh2", "en9", "en5")} == {alpha}
    row = orgs.loc[alpha]
    assert (row.name_en, row.name_hans, row.name_hant) == ("Alpha Medical Group", "甲医疗集团", "甲醫療集團")
    assert "AMG" in row.aliases and sorted(row.joined_by) == ["alias", "link", "name"]
    assert set(row.deal_ids) == set(mou.deals.deal_id) and row.n_mentions == 5
    assert ents.loc[("en1", "E3"), "person_id"] == ents.loc[("zh1", "E3"), "person_id"]
    assert pd.isna(ents.loc[("en1", "E3"), "org_id"])


def test_people_with_their_roles_in_both_languages(mou):
    (person,) = mou.people.itertuples()
    assert (person.name_en, person.name_zh) == ("Walton LI", "李维达")
    assert {(r["title"], r["release_id"]) for r in person.roles} == {("Chairman", "en1"), ("主席", "zh1")}
    alpha = mou.entities.set_index(["release_id", "entity_id"]).loc[("en1", "E1"), "org_id"]
    assert {r["org_id"] for r in person.roles} == {alpha}


def test_event_members_and_their_roles(mou):
    events = mou.events.set_index("event_id")
    ev = events.loc["ev-en1"]
    roles = {m["release_id"]: m["role"] for m in ev.members}
    assert roles == {"en1": "original", "zh1": "translation", "zh2": "translation", "en9": "copy"}
    assert (ev.title_en, ev.title_zh, ev.kind, ev.n_releases) == ("A and B sign MOU", "甲乙簽署備忘錄", "MOU", 4)
    assert ev.date == date(2025, 3, 3)
    assert events.loc["ev-en5"].kind == "agreement"


def test_records_do_not_depend_on_row_order():
    a = Records()(_mou_event())
    shuffled = _mou_event()
    for name in ("releases", "entities", "relations", "entity_links"):
        setattr(shuffled, name, getattr(shuffled, name).iloc[::-1].reset_index(drop=True))
    b = Records()(shuffled)
    for name in ("events", "deals", "organisations", "people"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


# --- real runs -------------------------------------------------------------------------------------
HKSH = ["en_hksh_shenzhen_mou.txt", "zht_hksh_shenzhen_mou.txt"]


def _copy(names: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(RAW / n, folder / n)
    return folder


@pytest.fixture(scope="module")
def hksh_run(tmp_path_factory, cli) -> Path:
    folder = tmp_path_factory.mktemp("hksh")
    raw = _copy(sorted(p.name for p in RAW.glob("*.txt")), folder / "raw")
    code, output = cli("run", raw, "--out", folder / "out", "-q")
    assert code == 0, output
    return folder / "out"


def test_the_hksh_shenzhen_mou_is_one_deal_with_both_reports(hksh_run):
    deals = pd.read_parquet(hksh_run / "deals.parquet")
    releases = pd.read_parquet(hksh_run / "releases.parquet")
    ids = set(releases[releases.source_path.isin(HKSH)].release_id)
    mou = deals[deals.release_ids.apply(lambda r: set(r) == ids)]
    assert len(mou) == 1
    row = mou.iloc[0]
    assert "HKSH Medical Group" in list(row.parties_en) and "养和医疗集团" in list(row.parties_zh)
    assert row.kind == "MOU" and str(row.date) == "2025-12-11"


def test_hksh_medical_group_in_english_traditional_and_simplified_is_one_organisation(hksh_run):
    ents = pd.read_parquet(hksh_run / "entities.parquet")
    ids = set(ents[ents.text_norm.isin(["HKSH Medical Group", "养和医疗集团"])].org_id)
    assert len(ids) == 1 and None not in ids
    orgs = pd.read_parquet(hksh_run / "organisations.parquet").set_index("org_id")
    row = orgs.loc[ids.pop()]
    assert (row.name_en, row.name_hans, row.name_hant) == ("HKSH Medical Group", "养和医疗集团", "養和醫療集團")


def test_an_incremental_run_writes_the_records_of_one_run_over_everything(tmp_path, cli):
    names = sorted(p.name for p in RAW.glob("*.txt"))
    day1, day2 = names[:3], names[3:]  # the HKSH MOU's two reports arrive on different days
    archive = tmp_path / "archive"
    assert cli("run", _copy(day1, tmp_path / "day1"), "--out", archive, "-q")[0] == 0
    # the next day: only the new folder is given; the archive's rows from day1 stay
    code, output = cli("run", _copy(day2, tmp_path / "day2"), "--out", archive, "-q")
    assert code == 0 and re.search(r"written\W+2\b", output), output
    everything = tmp_path / "everything"
    assert cli("run", tmp_path / "day1", tmp_path / "day2", "--out", everything, "-q")[0] == 0
    for name in ("events", "deals", "organisations", "people", "alignments"):
        a = pd.read_parquet(archive / f"{name}.parquet")
        b = pd.read_parquet(everything / f"{name}.parquet")
        assert len(a) and a.equals(b), name
    key = ["release_id", "entity_id"]
    ea = pd.read_parquet(archive / "entities.parquet").sort_values(key).reset_index(drop=True)
    eb = pd.read_parquet(everything / "entities.parquet").sort_values(key).reset_index(drop=True)
    assert ea.org_id.equals(eb.org_id) and ea.person_id.equals(eb.person_id)


def test_a_reviewers_merge_and_split_are_applied_by_the_next_records_run(tmp_path):
    first = Records()(_mou_event())
    ents = first.entities.set_index(["release_id", "entity_id"])
    alpha, beta = ents.loc[("en1", "E1"), "org_id"], ents.loc[("en1", "E2"), "org_id"]
    decisions = tmp_path / "org_decisions.jsonl"
    decisions.write_text(
        json.dumps({"kind": "org_merge", "org_ids": [alpha, beta], "reviewer": "ann"})
        + "\n"
        + json.dumps({"kind": "org_split", "release_id": "en9", "entity_id": "E1", "org_id": alpha, "reviewer": "ann"})
        + "\n",
        encoding="utf-8",
    )
    second = Records(decisions=str(decisions))(_mou_event())
    ents = second.entities.set_index(["release_id", "entity_id"])
    merged = ents.loc[("en1", "E1"), "org_id"]
    assert ents.loc[("zh2", "E2"), "org_id"] == merged  # Beta's names are Alpha's now
    assert ents.loc[("en9", "E1"), "org_id"] != merged  # the bare AMG was split off
    row = second.organisations.set_index("org_id").loc[merged]
    assert "review" in row.joined_by and len(second.organisations) == len(first.organisations)


def test_a_merge_whose_ids_have_changed_is_found_by_the_names_the_reviewer_saw(tmp_path):
    """Org ids hash a record's smallest name, so a new name joining it changes its id: the merge
    then falls back to the names exported beside the ids; an unknown name merges nothing."""
    first = Records()(_mou_event())
    orgs = first.organisations.set_index("org_id")
    ents = first.entities.set_index(["release_id", "entity_id"])
    alpha, beta = ents.loc[("en1", "E1"), "org_id"], ents.loc[("en1", "E2"), "org_id"]
    stale = {
        "kind": "org_merge",
        "org_ids": ["org-000000000000", "org-111111111111"],
        "names": [orgs.loc[alpha, "name_en"], orgs.loc[beta, "name_hant"]],
        "reviewer": "ann",
    }
    unknown = {**stale, "names": [orgs.loc[alpha, "name_en"], "No Such Hospital"]}
    decisions = tmp_path / "org_decisions.jsonl"
    for decision, joined in ((stale, True), (unknown, False)):
        decisions.write_text(json.dumps(decision) + "\n", encoding="utf-8")
        ents = Records(decisions=str(decisions))(_mou_event()).entities.set_index(["release_id", "entity_id"])
        assert (ents.loc[("en1", "E1"), "org_id"] == ents.loc[("zh2", "E2"), "org_id"]) is joined


def test_a_decisions_file_that_is_missing_or_not_decisions_is_a_config_error(tmp_path):
    from pipeline.registry import ConfigError, PipelineConfig, build_pipeline

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "org_merge", "org_ids": ["only-one"]}\n', encoding="utf-8")
    for path, message in ((tmp_path / "none.jsonl", "no such file"), (bad, "bad.jsonl:1")):
        config = PipelineConfig.load().override([f'stages.records.decisions="{path}"'])
        with pytest.raises(ConfigError, match=message):
            build_pipeline(config, kinds=("corpus",))
