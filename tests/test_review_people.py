"""The review app's people: search by any name, the person view (roles over time with their
organisations, releases) and the people an organisation view lists. Without a browser; see
tests/test_review_people_browser.py for the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from . import review_data as rd
from .test_review_records import client_for


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    """One app over the records tables for the whole module: these views only read."""
    folder: Path = rd.write_records(tmp_path_factory.mktemp("people") / "extracted")
    return client_for(folder)


@pytest.mark.parametrize("q", ["李伟", "李偉", "li wei", "LI WEI", "Li"])
def test_search_finds_a_person_by_any_name_in_any_script(client, q):
    res = client.get("/api/people", params={"q": q})
    assert res.status_code == 200 and res.json()["records"] is True
    items = res.json()["items"]
    assert [p["person_id"] for p in items] == [rd.LI_WEI], items
    (li,) = items
    assert (li["name"], li["name_en"], li["name_zh"], li["aliases"]) == ("Li Wei", "Li Wei", "李伟", ["李偉"])
    assert li["titles"] == ["Chief Executive Officer", "行政總裁"] and li["org_ids"] == [rd.HKSH]
    assert (li["n_roles"], li["n_releases"]) == (2, 2)


def test_the_whole_list_most_roles_first_and_no_match(client):
    assert [p["person_id"] for p in client.get("/api/people").json()["items"]] == [rd.ZHANG, rd.LI_WEI]
    assert client.get("/api/people", params={"q": "HKSH"}).json()["items"] == []  # organisations are not people
    assert client.get("/api/people", params={"q": "no such person"}).json()["items"] == []
    assert [p["person_id"] for p in client.get("/api/people", params={"q": " Zhang  MING "}).json()["items"]] == [rd.ZHANG]


def test_person_view_has_roles_over_time_with_their_organisations_and_releases(client):
    res = client.get(f"/api/person/{rd.ZHANG}")
    assert res.status_code == 200
    v = res.json()
    assert v["person"]["name"] == "Zhang Ming" and v["person"]["name_zh"] is None
    # sorted by date although the table gives them out of order; the role with no organisation stays, unlinked
    assert [(r["date"], r["title"], r["org_id"], r["org_name"]) for r in v["roles"]] == [
        ("2025-12-10", "President", rd.SZCH, "Shenzhen Cancer Hospital"),
        ("2026-01-05", "Dean of Medicine", rd.HKUST, "Hong Kong University of Science and Technology"),
        ("2026-01-05", "adviser", None, None),
    ]
    assert [(r["release_id"], r["lang"], r["release_title"]) for r in v["roles"][:2]] == [
        (rd.RPT, "en", "Shenzhen hospital and HKSH join hands"),
        (rd.UST, "en", "HKSH and HKUST: MOU and renewal"),
    ]
    assert v["roles"][0]["org_known"] is True and v["roles"][2]["org_known"] is False
    assert [(r["release_id"], r["title"], r["lang"], r["dateline_date"]) for r in v["releases"]] == [
        (rd.RPT, "Shenzhen hospital and HKSH join hands", "en", "2025-12-10"),
        (rd.UST, "HKSH and HKUST: MOU and renewal", "en", "2026-01-05"),
    ]


def test_a_person_in_two_languages(client):
    v = client.get(f"/api/person/{rd.LI_WEI}").json()
    assert [(r["title"], r["org_name"], r["lang"]) for r in v["roles"]] == [
        ("Chief Executive Officer", "HKSH Medical Group", "en"),
        ("行政總裁", "HKSH Medical Group", "zh"),
    ]
    assert {r["release_id"] for r in v["releases"]} == {rd.EN, rd.ZH}


def test_the_organisation_view_lists_the_people_who_hold_roles_there(client):
    people = client.get(f"/api/org/{rd.HKSH}").json()["people"]
    assert [(p["person_id"], p["name"], p["titles"], p["first"]) for p in people] == [
        (rd.LI_WEI, "Li Wei", ["Chief Executive Officer", "行政總裁"], "2025-12-11")
    ]
    assert [p["person_id"] for p in client.get(f"/api/org/{rd.HKUST}").json()["people"]] == [rd.ZHANG]
    (zhang,) = client.get(f"/api/org/{rd.SZCH}").json()["people"]
    assert zhang["titles"] == ["President"] and zhang["release_ids"] == [rd.RPT]  # only the role held there
    assert client.get(f"/api/org/{rd.QUIET}").json()["people"] == []


def test_unknown_people_are_404_through_found(client):
    for path in (f"/api/person/{rd.LI_WEI}x", "/api/person/per-%3Cscript%3E", f"/api/person/{rd.HKSH}", "/api/person/%20"):
        res = client.get(path)
        assert res.status_code == 404, path
        assert res.json() == {"error": "no such person"}
    res = client.get("/api/person/..%2F..%2Fetc")  # no route at all: a slash is not in an id
    assert res.status_code == 404 and "error" in res.json()


def test_a_folder_without_the_people_table_still_opens(folder):
    bare = client_for(folder)  # tests/review_data.py's tables: no records at all
    assert bare.get("/api/people", params={"q": "Li"}).json() == {"records": False, "items": []}
    assert bare.get(f"/api/person/{rd.LI_WEI}").status_code == 404
    t = rd.records_tables()  # organisations and deals, but written before the people table existed
    t.people = t.people.iloc[0:0]
    t.write(folder.parent / "no-people")
    older = client_for(folder.parent / "no-people")
    assert older.get("/api/people").json() == {"records": True, "items": []}
    assert older.get(f"/api/org/{rd.HKSH}").json()["people"] == []
