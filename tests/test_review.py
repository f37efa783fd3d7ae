"""The review store, queue, decisions, HTTP guards, export and apply, without a browser."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pipeline.export_reviews import apply_reviews, export_reviews, read_docs
from pipeline.io.tables import Tables
from pipeline.review.app import allowed_hosts, create_app
from pipeline.review.decide import BadRequest, ReviewData
from pipeline.review.queue import Filters
from pipeline.review.store import ReviewStore

from . import review_data as rd


@pytest.fixture
def data(folder) -> ReviewData:
    return ReviewData(folder, ReviewStore(folder / "reviews.sqlite"))


@pytest.fixture
def client(folder) -> TestClient:
    return TestClient(create_app(folder, hosts=allowed_hosts("127.0.0.1")), base_url="http://127.0.0.1")


def token(client: TestClient) -> str:
    page = client.get("/")
    assert page.status_code == 200
    return re.search(r'name="csrf-token" content="([0-9a-f]{64})"', page.text)[1]


def act(data: ReviewData, rid: str, kind: str, key: str, action: str, who: str = "ann", **payload):
    return data.decide({"release_id": rid, "kind": kind, "key": key, "action": action, "reviewer": who, "data": payload})


# ---- store ----


def test_store_keeps_every_decision_and_reports_what_it_overrode(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    first, sup = store.record("R", "entity", "e1", "accept", {"status": "accepted"}, "ann")
    assert sup is None
    # bob saw no decision (base None) and rejects: his write wins, and he is told it replaced ann's
    second, sup = store.record("R", "entity", "e1", "reject", {"status": "rejected"}, "bob", base=None)
    assert sup is not None and sup.reviewer == "ann" and sup.id == first.id
    third, sup = store.record("R", "entity", "e1", "accept", {"status": "accepted"}, "bob", base=second.id)
    assert sup is None
    again = ReviewStore(tmp_path / "r.sqlite")  # a restart: nothing lost, the latest is the state
    assert [d.reviewer for d in again.history("R")] == ["ann", "bob", "bob"]
    assert again.latest()[("R", "entity", "e1")].id == third.id
    assert again.secret() == store.secret()


def test_concurrent_writers_lose_nothing(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")

    def work(who: str) -> None:
        for i in range(25):
            ReviewStore(tmp_path / "r.sqlite").record("R", "entity", f"e{i % 5}", "accept", {"status": "accepted", "i": i}, who)

    threads = [threading.Thread(target=work, args=(f"rev{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 100
    assert len(store.latest()) == 5


# ---- queue ----


def test_queue_puts_low_confidence_and_disagreement_first_and_reviewed_last(data):
    order = [q["release_id"] for q in data.queue(Filters())]
    assert order[0] == rd.EN and order[-1] == rd.CALM
    en = next(q for q in data.queue(Filters()) if q["release_id"] == rd.EN)
    assert en["low_entities"] == 3 and en["low_relations"] == 1 and en["disagreements"] >= 1 and en["aligned_with"] == rd.ZH
    act(data, rd.EN, "release", rd.EN, "reviewed")
    order = [q["release_id"] for q in data.queue(Filters())]
    assert order[-1] == rd.EN


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(label="PERSON"), {rd.EN, rd.ZH}),
        (Filters(rtype="partnership", lang="zh"), {rd.ZH}),
        (Filters(org="深圳市肿瘤"), {rd.ZH}),
        (Filters(org="quiet"), {rd.CALM}),
        (Filters(date_from="2025-12-01", date_to="2025-12-31"), {rd.EN, rd.ZH}),
        (Filters(date_from="2026-01-01"), {rd.XSS}),
        (Filters(q="李偉"), {rd.ZH}),
        (Filters(q="<script>"), {rd.XSS}),
        (Filters(label="DEVICE"), set()),
    ],
)
def test_queue_filters(data, filters, expected):
    assert {q["release_id"] for q in data.queue(filters)} == expected


# ---- decisions ----


def test_span_fix_counts_code_points_and_recomputes_the_normal_form(data):
    start, end = rd.span(rd.EN_TEXT, "Shenzhen Cancer Hospital")
    assert rd.EN_TEXT[:start].count("🩺") == 1  # an astral character before: UTF-16 offsets would be off by one
    act(data, rd.EN, "entity", "e2", "span", start=start - 1, end=end + 1)  # whitespace around is trimmed
    e2 = next(e for e in data.view(rd.EN)["entities"] if e["entity_id"] == "e2")
    assert e2["mentions"] == [[start, end]] and e2["text"] == e2["text_norm"] == "Shenzhen Cancer Hospital"
    assert e2["status"] == "accepted" and e2["source"] == "review" and e2["reviewer"] == "ann"
    rel = data.view(rd.EN)["relations"][0]
    assert rel["tail"] == "Shenzhen Cancer Hospital"  # the relation follows its entity


def test_added_chinese_entity_is_normalised_to_simplified(data):
    start, end = rd.span(rd.ZH_TEXT, "行政總裁")
    made, _ = act(data, rd.ZH, "entity", "", "add", start=start, end=end, label="PERSON")
    new = next(e for e in data.view(rd.ZH)["entities"] if e["entity_id"] == made.item_key)
    assert new["text"] == "行政總裁" and new["text_norm"] == "行政总裁" and new["mentions"] == [[start, end]]


@pytest.mark.parametrize(
    "kind, key, action, payload, why",
    [
        ("entity", "e2", "span", {"start": 5, "end": 10_000}, "not inside"),
        ("entity", "e2", "span", {"start": 3, "end": 3}, "not inside"),
        ("entity", "e2", "span", {"start": "0", "end": 4}, "not inside"),
        ("entity", "nope", "accept", {}, "no such entity"),
        ("entity", "e2", "relabel", {"label": "<b>"}, "upper-case"),
        ("entity", "e2", "drop_table", {}, "unknown action"),
        ("relation", "", "add", {"type": "role", "head_id": "z1"}, "entities of this release"),
        ("relation", "", "add", {"type": "role", "head_id": "e1", "tail_id": "e1"}, "two different"),
        ("relation", "", "add", {"type": "Role;--", "head_id": "e1"}, "lower-case"),
        ("relation", "", "add", {"type": "role", "head_id": "e3", "date": "yesterday"}, "YYYY-MM-DD"),
        ("link", "e9|z9", "accept", {}, "no such entity link"),
    ],
)
def test_bad_actions_are_refused(data, kind, key, action, payload, why):
    with pytest.raises(BadRequest, match=why):
        act(data, rd.EN, kind, key, action, **payload)
    assert data.store.count() == 0


def test_reviewer_name_is_required(data):
    with pytest.raises(BadRequest, match="reviewer"):
        act(data, rd.EN, "entity", "e1", "accept", who="  ")


def test_rejecting_an_entity_orphans_its_relations(data):
    act(data, rd.EN, "entity", "e2", "reject")
    assert data.view(rd.EN)["relations"][0]["status"] == "orphaned"
    assert {lk["link_id"]: lk["status"] for lk in data.view(rd.ZH)["links"]}["e2|z2"] == "orphaned"


# ---- HTTP guards ----


def test_state_changes_need_the_session_token(client, folder):
    body = {"release_id": rd.EN, "kind": "entity", "key": "e1", "action": "reject", "reviewer": "mallory"}
    assert client.post("/api/decision", json=body).status_code == 403  # no token
    good = token(client)
    assert client.post("/api/decision", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    other = TestClient(client.app, base_url="http://127.0.0.1")  # another session cannot reuse the token
    token(other)
    assert other.post("/api/decision", json=body, headers={"X-CSRF-Token": good}).status_code == 403
    evil = {"X-CSRF-Token": good, "Origin": "http://evil.example"}
    assert client.post("/api/decision", json=body, headers=evil).status_code == 403
    form = client.post(
        "/api/decision", content="a=1", headers={"X-CSRF-Token": good, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    assert ReviewStore(folder / "reviews.sqlite").count() == 0
    ok = client.post("/api/decision", json=body, headers={"X-CSRF-Token": good, "Origin": "http://127.0.0.1"})
    assert ok.status_code == 200 and ReviewStore(folder / "reviews.sqlite").count() == 1


@pytest.mark.parametrize("name", ["../escape", "..", "/tmp/escape", "a/../../b", "..\\x", ".hidden", "", "x" * 65])
def test_export_names_cannot_leave_the_data_folder(client, folder, name):
    res = client.post("/api/export", json={"name": name}, headers={"X-CSRF-Token": token(client)})
    assert res.status_code == 400
    assert not (folder.parent / "escape").exists() and not Path("/tmp/escape").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2F..%2Freview%2Fstore.py",
        "/static/%2e%2e/app.py",
        "/api/release/..%2F..%2Fetc%2Fpasswd",
        "/api/history/%2e%2e",
    ],
)
def test_paths_cannot_escape(client, path):
    res = client.get(path)
    assert res.status_code == 404
    assert "sqlite3" not in res.text and "root:" not in res.text


def test_pages_carry_a_strict_policy_and_only_answer_our_host(client):
    res = client.get("/")
    assert (
        "script-src 'self'" in res.headers["content-security-policy"]
        and "unsafe-inline" not in res.headers["content-security-policy"]
    )
    assert "httponly" in res.headers["set-cookie"].lower() and "samesite=strict" in res.headers["set-cookie"].lower()
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_json_is_escaped_data_not_markup(client):
    view = client.get(f"/api/release/{rd.XSS}").json()
    assert view["release"]["title"].startswith("<script>")  # sent as data; the page renders it as text


# ---- export and apply ----


def review_some(data: ReviewData) -> dict[str, str]:
    start, end = rd.span(rd.EN_TEXT, "Shenzhen Cancer Hospital")
    act(data, rd.EN, "entity", "e2", "span", start=start, end=end)
    act(data, rd.EN, "entity", "e5", "reject")
    act(data, rd.EN, "entity", "e3", "relabel", label="PERSON")
    added, _ = act(data, rd.EN, "entity", "", "add", label="ORG", **dict(zip(("start", "end"), rd.span(rd.EN_TEXT, "HONG KONG"))))
    rel, _ = act(data, rd.EN, "relation", "", "add", type="role", head_id="e3", tail_id="e1", title="Chief Executive Officer")
    act(data, rd.EN, "link", "e2|z2", "accept")
    act(data, rd.EN, "release", rd.EN, "reviewed", who="bob")
    return {"added": added.item_key, "relation": rel.item_key}


def test_export_writes_trainable_docbins_and_jsonl(data, folder, tmp_path):
    keys = review_some(data)
    summary = export_reviews(folder, data.store.path, tmp_path / "out")
    assert summary["releases"] == 1 and summary["reviewed"] == 1
    (doc,) = read_docs(tmp_path / "out" / "en.spacy", "en")
    assert read_docs(tmp_path / "out" / "zh.spacy", "zh") == []
    ents = {(e.text, e.label_) for e in doc.ents}
    assert ("Shenzhen Cancer Hospital", "ORG") in ents and ("HONG KONG", "ORG") in ents
    assert not any(e.text == "patients" for e in doc.ents)
    assert all(t.ent_iob_ in ("B", "I", "O") for t in doc)  # reviewed: complete, no missing tokens
    assert {s.kb_id_ for s in doc.spans["entities"]} >= {"e1", "e2", keys["added"]}
    assert sum(s.kb_id_ == "e1" for s in doc.spans["entities"]) == 2  # both mentions kept
    ud = doc.user_data
    assert ud["release_id"] == rd.EN and ud["reviewed"] is True
    role = next(r for r in ud["relations"] if r["relation_id"] == keys["relation"])
    assert role["type"] == "role" and role["title"] == "Chief Executive Officer" and role["status"] == "accepted"
    assert doc[role["head_tokens"][0] : role["head_tokens"][1]].text == "Li Wei"
    assert doc[role["tail_tokens"][0] : role["tail_tokens"][1]].text == "HKSH Medical Group"
    part = next(r for r in ud["relations"] if r["type"] == "partnership")
    assert part["tail"] == "Shenzhen Cancer Hospital" and part["source"] == "review"  # vouched for by marking reviewed
    (line,) = pd.read_json(tmp_path / "out" / "reviewed.jsonl", lines=True).to_dict("records")
    assert line["text"] == rd.EN_TEXT and {s["label"] for s in line["spans"]} == {"ORG", "PERSON", "DATE"}
    for s in line["spans"]:
        assert rd.EN_TEXT[s["start"] : s["end"]].strip() == rd.EN_TEXT[s["start"] : s["end"]]


def test_export_all_marks_unreviewed_tokens_missing(data, folder, tmp_path):
    export_reviews(folder, data.store.path, tmp_path / "out", include="all")
    docs = read_docs(tmp_path / "out" / "en.spacy", "en")
    assert {d.user_data["release_id"] for d in docs} == {rd.EN, rd.XSS, rd.CALM}
    calm = next(d for d in docs if d.user_data["release_id"] == rd.CALM)
    assert calm.user_data["reviewed"] is False
    assert any(t.ent_iob_ == "" for t in calm)  # unknown, not "O"
    (zh,) = read_docs(tmp_path / "out" / "zh.spacy", "zh")
    assert [e.text for e in zh.ents][:2] == ["養和醫療集團", "深圳市腫瘤醫院"]


def test_apply_rewrites_the_tables_idempotently(data, folder):
    keys = review_some(data)
    before = Tables.read(folder)
    apply_reviews(folder, data.store.path)
    once = Tables.read(folder)
    apply_reviews(folder, data.store.path)
    twice = Tables.read(folder)
    pd.testing.assert_frame_equal(once.entities, twice.entities)
    pd.testing.assert_frame_equal(once.relations, twice.relations)
    en = once.entities[once.entities.release_id == rd.EN].set_index("entity_id")
    assert "e5" not in en.index and keys["added"] in en.index
    assert (
        en.loc["e2", "text"] == "Shenzhen Cancer Hospital" and en.loc["e2", "source"] == "review" and en.loc["e2", "score"] == 1.0
    )
    assert (en["source"] == "review").all()  # the release was marked reviewed
    zh = once.entities[once.entities.release_id == rd.ZH]
    assert (zh["source"] == "model").all()  # nobody looked: unchanged
    assert len(once.entities) == len(before.entities)  # one rejected, one added
    roles = once.relations[once.relations.type == "role"]
    assert list(roles.relation_id) == [keys["relation"]] and roles.iloc[0]["head"] == "Li Wei"
    assert set(once.entity_links.en_entity_id) == {"e1", "e2"}
    assert not list(folder.glob(".*.tmp"))
    # the app still shows the same state over the applied tables: no reviewer item duplicated
    view = ReviewData(folder, data.store).view(rd.EN)
    assert sum(e["entity_id"] == keys["added"] for e in view["entities"]) == 1
    assert sum(r["relation_id"] == keys["relation"] for r in view["relations"]) == 1


def test_cli_export_reviews(data, folder, tmp_path):
    from run_pipeline import app

    review_some(data)
    runner = CliRunner()
    res = runner.invoke(app, ["export-reviews", "--extracted", str(folder), "--out", str(tmp_path / "cli"), "--apply"])
    assert res.exit_code == 0, res.output
    assert {p.name for p in (tmp_path / "cli").iterdir()} == {
        "en.spacy",
        "zh.spacy",
        "reviewed.jsonl",
        "org_decisions.jsonl",
        "manifest.json",
    }
    assert "0 organisation decisions" in " ".join(res.output.split())
    assert "review" in set(Tables.read(folder).entities.source)
    assert runner.invoke(app, ["export-reviews", "--extracted", str(folder)]).exit_code == 2
    assert (
        runner.invoke(app, ["export-reviews", "--extracted", str(tmp_path / "none"), "--out", str(tmp_path / "x")]).exit_code == 2
    )
