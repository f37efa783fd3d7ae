"""The review app's records: organisation search, the organisation and deal views, and the
organisation decisions (merge, split) with their export; the people of a real run (the people views:
tests/test_review_people.py). Without a browser; see
tests/test_review_records_browser.py for the page."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.export_reviews import export_reviews
from pipeline.review.app import allowed_hosts, create_app
from pipeline.review.store import ReviewStore

from . import review_data as rd

RAW = Path(__file__).resolve().parent.parent / "data" / "raw"


@pytest.fixture(scope="module")
def pristine_records(tmp_path_factory) -> Path:
    return rd.write_records(tmp_path_factory.mktemp("records") / "extracted")


@pytest.fixture
def records_folder(pristine_records, tmp_path) -> Path:
    out = tmp_path / "extracted"
    shutil.copytree(pristine_records, out)
    return out


def client_for(folder: Path) -> TestClient:
    return TestClient(create_app(folder, hosts=allowed_hosts("127.0.0.1")), base_url="http://127.0.0.1")


@pytest.fixture
def client(records_folder) -> TestClient:
    return client_for(records_folder)


def csrf(client: TestClient) -> str:
    return re.search(r'name="csrf-token" content="([0-9a-f]{64})"', client.get("/").text)[1]


def post(client: TestClient, body: dict, token: str | None = None):
    return client.post("/api/decision", json=body, headers={"X-CSRF-Token": token if token is not None else csrf(client)})


@pytest.mark.parametrize("q", ["养和", "養和", "HKSH", "hksh medical", "醫療集團"])
def test_search_finds_an_organisation_by_any_name_in_any_script(client, q):
    res = client.get("/api/orgs", params={"q": q})
    assert res.status_code == 200 and res.json()["records"] is True
    names = [o["name"] for o in res.json()["items"]]
    assert names[0] == "HKSH Medical Group", names
    assert "Quiet Hospital" not in names


def test_search_by_an_alias_and_the_whole_list(client):
    assert [o["org_id"] for o in client.get("/api/orgs", params={"q": "HKUST"}).json()["items"]] == [rd.HKUST]
    everything = client.get("/api/orgs").json()["items"]
    assert len(everything) == 5 and everything[0]["org_id"] == rd.HKSH  # most mentioned first
    assert client.get("/api/orgs", params={"q": "no such thing"}).json()["items"] == []


def test_organisation_view_names_deals_releases_and_graph(client):
    res = client.get(f"/api/org/{rd.HKSH}")
    assert res.status_code == 200
    v = res.json()
    org = v["org"]
    assert (org["name_en"], org["name_hans"], org["name_hant"]) == ("HKSH Medical Group", "养和医疗集团", "養和醫療集團")
    assert org["aliases"] == ["HKSH", "養和"] and org["joined_by"] == ["link", "name"]
    assert [(d["deal_id"], d["date"], d["kind"]) for d in v["deals"]] == [
        (rd.UST_MOU, "2025-03-11", "MOU"),
        (rd.MOU, "2025-12-11", "MOU"),
        (rd.UST_RENEWAL, "2026-01-05", "agreement"),
    ]
    assert [[p["org_id"] for p in d["partners"]] for d in v["deals"]] == [[rd.HKUST], [rd.SZCH], [rd.HKUST]]
    assert {r["release_id"] for r in v["releases"]} == {rd.EN, rd.ZH, rd.RPT, rd.UST}
    nodes = {n["org_id"]: n for n in v["graph"]["nodes"]}
    assert set(nodes) == {rd.HKSH, rd.SZCH, rd.HKUST} and nodes[rd.HKSH]["center"] and not nodes[rd.SZCH]["center"]
    edges = v["graph"]["edges"]
    assert sorted((e["target"], e["kind"], e["date"]) for e in edges) == [
        (rd.HKUST, "MOU", "2025-03-11"),
        (rd.HKUST, "agreement", "2026-01-05"),
        (rd.SZCH, "MOU", "2025-12-11"),
    ]
    assert {(e["release_id"], e["entity_id"]) for e in v["entities"]} == {
        (rd.EN, "e1"),
        (rd.ZH, "z1"),
        (rd.RPT, "r1"),
        (rd.UST, "u1"),
    }


def test_deal_view_has_every_report_and_the_one_that_disagrees(client):
    res = client.get(f"/api/deal/{rd.MOU}")
    assert res.status_code == 200
    v = res.json()
    deal = v["deal"]
    assert deal["disagreements"] == ["date"] and deal["date"] == "2025-12-11" and deal["kind"] == "MOU"
    assert [(p["name_en"], p["name_hans"]) for p in deal["parties"]] == [
        ("HKSH Medical Group", "养和医疗集团"),
        ("Shenzhen Cancer Hospital", "深圳市肿瘤医院"),
    ]
    reports = {r["release"]["release_id"]: r for r in v["reports"]}
    assert list(reports) == [rd.EN, rd.ZH, rd.RPT]
    assert reports[rd.RPT]["date"] == "2025-12-10" and reports[rd.RPT]["differs"] == ["date"]
    assert reports[rd.EN]["differs"] == [] and reports[rd.ZH]["differs"] == []
    assert reports[rd.ZH]["release"]["lang"] == "zh" and reports[rd.ZH]["evidence"] == rd.ZH_TEXT.split("\n")[0]
    assert reports[rd.EN]["release"]["dateline_place"] == "HONG KONG"
    assert v["event"]["event_id"] == rd.EVENT


def test_a_report_of_the_event_that_does_not_state_the_deal_is_shown_beside_the_others(tmp_path):
    t = rd.records_tables()
    t.relations = t.relations[t.relations["release_id"] != rd.RPT]
    t.deals.at[0, "release_ids"] = [rd.EN, rd.ZH]
    t.deals.at[0, "disagreements"] = ["parties"]
    t.write(tmp_path / "x")
    v = client_for(tmp_path / "x").get(f"/api/deal/{rd.MOU}").json()
    assert [(r["release"]["release_id"], r["in_deal"], r["states_deal"], r["differs"]) for r in v["reports"]] == [
        (rd.EN, True, True, []),
        (rd.ZH, True, True, []),
        (rd.RPT, False, False, ["parties"]),
    ]


def test_a_party_the_span_judge_dropped_is_found_by_its_name(tmp_path):
    t = rd.records_tables()  # the records stage registers such a party under its name; entities has no row for it
    t.entities = t.entities[~((t.entities["release_id"] == rd.RPT) & (t.entities["entity_id"] == "r2"))]
    t.write(tmp_path / "x")
    reports = client_for(tmp_path / "x").get(f"/api/deal/{rd.MOU}").json()["reports"]
    odd = next(r for r in reports if r["release"]["release_id"] == rd.RPT)
    assert odd["states_deal"] and odd["date"] == "2025-12-10" and odd["differs"] == ["date"]


def test_unknown_ids_are_404(client):
    for path in (f"/api/org/{rd.HKSH}x", "/api/org/org-%3Cscript%3E", f"/api/deal/{rd.MOU}x", "/api/deal/..%2F..%2Fetc"):
        res = client.get(path)
        assert res.status_code == 404, path
        assert "error" in res.json()


def test_a_folder_without_the_records_tables_still_opens(folder):
    client = client_for(folder)  # tests/review_data.py's tables: no organisations, deals or events
    assert client.get("/").status_code == 200
    assert client.get("/api/meta").json()["records"] is False
    assert client.get("/api/orgs", params={"q": "HKSH"}).json() == {"records": False, "items": []}
    assert client.get(f"/api/org/{rd.HKSH}").status_code == 404
    assert client.get(f"/api/release/{rd.EN}").status_code == 200


def test_merge_needs_the_csrf_token_and_is_exported(client, records_folder, tmp_path):
    body = {"kind": "org_merge", "action": "merge", "reviewer": "ann", "data": {"org_ids": [rd.HKSH_LTD, rd.HKSH]}}
    assert post(client, body, token="0" * 64).status_code == 403
    assert ReviewStore(records_folder / "reviews.sqlite").count() == 0
    res = post(client, body)
    assert res.status_code == 200, res.text
    assert res.json()["decision"]["kind"] == "org_merge" and res.json()["decision"]["key"] == f"{rd.HKSH}|{rd.HKSH_LTD}"
    merged = client.get(f"/api/org/{rd.HKSH}").json()["merged_with"]
    assert [(m["org_id"], m["by"]) for m in merged] == [(rd.HKSH_LTD, "ann")]
    assert [m["org_id"] for m in client.get(f"/api/org/{rd.HKSH_LTD}").json()["merged_with"]] == [rd.HKSH]

    summary = export_reviews(records_folder, records_folder / "reviews.sqlite", tmp_path / "out")
    assert "org_decisions.jsonl" in summary["files"] and summary["org_decisions"] == 1
    (line,) = (tmp_path / "out" / "org_decisions.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(line)
    assert row["kind"] == "org_merge" and row["org_ids"] == sorted([rd.HKSH, rd.HKSH_LTD]) and row["reviewer"] == "ann"
    assert row["names"] == ["HKSH Medical Group", "HKSH Medical Group Limited"]

    # undone: the later decision is the state, and nothing is in force any more
    assert post(client, {**body, "action": "unmerge", "reviewer": "bob"}).status_code == 200
    assert client.get(f"/api/org/{rd.HKSH}").json()["merged_with"] == []
    export_reviews(records_folder, records_folder / "reviews.sqlite", tmp_path / "out2")
    assert (tmp_path / "out2" / "org_decisions.jsonl").read_text(encoding="utf-8") == ""


def test_split_an_entity_off_its_organisation(client, records_folder, tmp_path):
    body = {"kind": "org_split", "action": "split", "reviewer": "ann", "release_id": rd.UST, "key": "u1"}
    assert post(client, body).status_code == 200
    ents = {e["entity_id"]: e for e in client.get(f"/api/org/{rd.HKSH}").json()["entities"]}
    assert ents["u1"]["split"]["by"] == "ann" and ents["e1"]["split"] is None
    # the decision is in the release's history, like an entity decision
    assert [d["kind"] for d in client.get(f"/api/history/{rd.UST}").json()["decisions"]] == ["org_split"]
    export_reviews(records_folder, records_folder / "reviews.sqlite", tmp_path / "out")
    (row,) = [json.loads(x) for x in (tmp_path / "out" / "org_decisions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (row["kind"], row["release_id"], row["entity_id"], row["org_id"], row["text"]) == (
        "org_split",
        rd.UST,
        "u1",
        rd.HKSH,
        "HKSH Medical Group",
    )


@pytest.mark.parametrize(
    "body, why",
    [
        ({"kind": "org_merge", "action": "merge", "data": {"org_ids": [rd.HKSH, rd.HKSH]}}, "already itself"),
        ({"kind": "org_merge", "action": "merge", "data": {"org_ids": [rd.HKSH, "org-nope"]}}, "no such organisation"),
        ({"kind": "org_merge", "action": "merge", "data": {"org_ids": [rd.HKSH]}}, "two org_ids"),
        ({"kind": "org_merge", "action": "delete", "data": {"org_ids": [rd.HKSH, rd.SZCH]}}, "unknown action"),
        ({"kind": "org_split", "action": "split", "release_id": rd.EN, "key": "e3"}, "no such entity"),  # a PERSON, no org
        ({"kind": "org_split", "action": "split", "release_id": "../x", "key": "e1"}, "release_id and entity_id"),
    ],
)
def test_bad_organisation_decisions_are_refused(client, records_folder, body, why):
    res = post(client, {**body, "reviewer": "ann"})
    assert res.status_code == 400 and why in res.json()["error"]
    assert ReviewStore(records_folder / "reviews.sqlite").count() == 0


def test_a_database_from_before_the_organisation_decisions_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE decisions (id INTEGER PRIMARY KEY AUTOINCREMENT, release_id TEXT NOT NULL,
           kind TEXT NOT NULL CHECK (kind IN ('entity', 'relation', 'link', 'release')), item_key TEXT NOT NULL,
           action TEXT NOT NULL, state TEXT NOT NULL, reviewer TEXT NOT NULL, created_at TEXT NOT NULL);
           CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
           INSERT INTO decisions VALUES (1, 'R', 'entity', 'e1', 'reject', '{"status": "rejected"}', 'ann', \
'2026-01-01T00:00:00.000Z');"""
    )
    db.commit()
    db.close()
    store = ReviewStore(path)
    assert [(d.kind, d.reviewer) for d in store.history("R")] == [("entity", "ann")]
    made, _ = store.record("", "org_merge", "a|b", "merge", {"status": "merged"}, "bob")
    assert made.id == 2 and set(store.of_kinds(["org_merge"])) == {("", "org_merge", "a|b")}
    assert ReviewStore(path).count() == 2  # opening again changes nothing


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, cli) -> Path:
    """The repo's data/raw through the whole pipeline (records stage included)."""
    folder = tmp_path_factory.mktemp("real")
    raw = folder / "raw"
    raw.mkdir()
    for p in RAW.glob("*.txt"):
        shutil.copy(p, raw / p.name)
    code, output = cli("run", raw, "--out", folder / "out", "-q")
    assert code == 0, output
    return folder / "out"


def test_the_real_hksh_mou_from_a_records_run(real_run):
    client = client_for(real_run)
    hits = client.get("/api/orgs", params={"q": "養和"}).json()["items"]
    assert hits and hits[0]["name_en"] == "HKSH Medical Group"
    org = client.get(f"/api/org/{hits[0]['org_id']}").json()
    assert (org["org"]["name_hans"], org["org"]["name_hant"]) == ("养和医疗集团", "養和醫療集團")
    (mou,) = [d for d in org["deals"] if d["kind"] == "MOU" and d["date"] == "2025-12-11"]
    assert [n["center"] for n in org["graph"]["nodes"]].count(True) == 1
    assert len(org["graph"]["edges"]) == len(org["deals"]) >= 1
    deal = client.get(f"/api/deal/{mou['deal_id']}").json()
    langs = sorted(r["release"]["lang"] for r in deal["reports"])
    assert langs == ["en", "zh"] and all(r["states_deal"] and r["evidence"] for r in deal["reports"])
    assert {r["release"]["script"] for r in deal["reports"]} == {"Latn", "Hant"}


def test_the_real_people_of_a_records_run(real_run):
    client = client_for(real_run)
    hits = client.get("/api/people", params={"q": "李維達"}).json()["items"]  # Traditional, as the release writes it
    assert [h["name_en"] for h in hits] == ["Walton LI"]
    assert client.get("/api/people", params={"q": "walton"}).json()["items"] == hits
    v = client.get(f"/api/person/{hits[0]['person_id']}").json()
    assert {r["lang"] for r in v["releases"]} == {"en", "zh"}
    dates = [r["date"] for r in v["roles"]]
    assert dates == sorted(dates) and all(r["org_known"] for r in v["roles"])
    ceo = [r for r in v["roles"] if r["title"] in ("Chief Executive Officer", "行政总裁")]
    assert {r["org_name"] for r in ceo} == {"HKSH Medical Group"} and {r["lang"] for r in ceo} == {"en", "zh"}
    org = client.get(f"/api/org/{ceo[0]['org_id']}").json()
    assert org["org"]["name_hant"] == "養和醫療集團"
    assert hits[0]["person_id"] in [p["person_id"] for p in org["people"]]


def test_apply_brings_the_records_in_line_with_a_reviewers_merge(cli, tmp_path):
    """`export-reviews --apply` on a folder a run wrote: the organisations, and entities.org_id,
    follow a reviewer's merge at once, and the columns apply adds to entities survive."""
    import pandas as pd

    from pipeline.export_reviews import apply_reviews
    from pipeline.review.decide import ReviewData

    from .conftest import RAW

    out = tmp_path / "out"
    assert cli("run", RAW, "--out", out, "-q")[0] == 0
    orgs = pd.read_parquet(out / "organisations.parquet")
    a, b = sorted(orgs.org_id)[:2]
    key = ["release_id", "entity_id"]
    ents = pd.read_parquet(out / "entities.parquet")
    members = ents.loc[ents.org_id.isin([a, b]), key]
    assert members.merge(ents, on=key).org_id.nunique() == 2
    store = ReviewStore(out / "reviews.sqlite")
    ReviewData(out, store).decide({"kind": "org_merge", "action": "merge", "reviewer": "ann", "data": {"org_ids": [a, b]}})
    apply_reviews(out, store.path)
    after = pd.read_parquet(out / "organisations.parquet")
    assert len(after) == len(orgs) - 1
    ents = pd.read_parquet(out / "entities.parquet")
    assert members.merge(ents, on=key).org_id.nunique() == 1 and "reviewer" in ents.columns
    row = after.set_index("org_id").loc[members.merge(ents, on=key).org_id.iloc[0]]
    assert "review" in list(row.joined_by)
