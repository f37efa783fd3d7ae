"""The organisation and deal views driven in a real headless Chromium (helpers of tests/test_review_browser.py).

In order, on one app and one database: find HKSH Medical Group by its name in each script, see its
names, its partner graph (SVG: a node per partner, an edge per deal), click a partner node and land
on its view, open a deal whose reports disagree on the date, merge two organisations and find the
decision in the export; then a folder without records.
Set REVIEW_ORG_SCREENSHOT=docs/review-org.png to also save the screenshot for the README.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.review.store import ReviewStore

from . import review_data as rd
from .test_review_browser import TOKEN, Session, browser_fixture, expect, goto, start  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return rd.write_records(tmp_path_factory.mktemp("records-browser") / "extracted")


def test_the_organisation_list_finds_hksh_by_any_of_its_names(ann):
    goto(ann, "orgs")
    expect(ann.page.locator("#orgs-panel")).to_be_visible()
    expect(ann.page.locator("#queue-panel")).to_be_hidden()
    items = ann.page.locator("#orgs li")
    expect(items).to_have_count(5)
    for q in ("养和", "養和", "HKSH"):
        ann.page.fill("#org-q", q)
        expect(items.first.locator(".qtitle")).to_have_text("HKSH Medical Group")
        expect(ann.page.locator("#orgs li", has_text="Quiet Hospital")).to_have_count(0)
    ann.page.fill("#org-q", "科技大學")  # Traditional, while the table has only the Simplified 香港科技大学
    expect(items).to_have_count(1)
    expect(items.first.locator(".qtitle")).to_have_text("Hong Kong University of Science and Technology")


def test_the_organisation_view_shows_names_in_three_scripts_and_a_partner_graph(ann):
    page = ann.page
    page.fill("#org-q", "HKSH")
    page.locator("#orgs li", has_text="HKSH Medical Group").first.locator("button").click()
    expect(page.locator("#o-name")).to_have_text("HKSH Medical Group")
    assert page.evaluate("location.hash") == f"#org={rd.HKSH}"
    expect(page.locator('#o-names dd[data-field="english"]')).to_have_text("HKSH Medical Group")
    expect(page.locator('#o-names dd[data-field="simplified"]')).to_have_text("养和医疗集团")
    expect(page.locator('#o-names dd[data-field="traditional"]')).to_have_text("養和醫療集團")
    expect(page.locator('#o-names dd[data-field="aliases"]')).to_have_text("HKSH · 養和")
    graph = page.locator("#o-graph svg")
    expect(graph).to_be_visible()
    assert page.evaluate("document.querySelector('#o-graph svg').namespaceURI") == "http://www.w3.org/2000/svg"
    partners = graph.locator("g.node.partner")
    expect(partners).to_have_count(2)
    assert sorted(partners.evaluate_all("ns => ns.map(n => n.dataset.orgId)")) == sorted([rd.SZCH, rd.HKUST])
    expect(graph.locator("g.node.center")).to_have_attribute("data-org-id", rd.HKSH)
    edges = graph.locator("g.edge")
    expect(edges).to_have_count(3)  # one per deal: two with HKUST, one with Shenzhen Cancer Hospital
    labels = sorted(edges.locator("text").all_text_contents())
    assert labels == ["MOU, 2025-03-11", "MOU, 2025-12-11", "agreement, 2026-01-05"]
    # a picture: the partners sit around the centre, and the two HKUST edges are two distinct curves
    box = graph.bounding_box()
    centre = graph.locator("g.node.center circle").bounding_box()
    for i in range(2):
        b = partners.nth(i).locator("circle").bounding_box()
        assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"]
        assert abs(b["x"] - centre["x"]) + abs(b["y"] - centre["y"]) > 100
    ust = graph.locator(f'g.edge[data-target="{rd.HKUST}"] path')
    assert len(set(ust.evaluate_all("ps => ps.map(p => p.getAttribute('d'))"))) == 2
    rows = page.locator("#o-deals tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Shenzhen Cancer Hospital")
    expect(rows.nth(1).locator("td").nth(4)).to_have_text("date")
    expect(page.locator("#o-releases li")).to_have_count(4)
    assert ann.errors == [] and ann.dialogs == []


def test_screenshot_of_the_organisation_view(ann, tmp_path):
    goto(ann, f"org={rd.HKSH}")
    expect(ann.page.locator("#o-graph g.edge")).to_have_count(3)
    expect(ann.page.locator(f'#orgs li.current[data-org-id="{rd.HKSH}"]')).to_have_count(1)  # the list, with it marked
    target = Path(os.environ.get("REVIEW_ORG_SCREENSHOT") or tmp_path / "review-org.png")
    ann.page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


def test_clicking_a_partner_node_opens_its_view(ann):
    page = ann.page
    page.locator(f'#o-graph g.node.partner[data-org-id="{rd.SZCH}"]').click()
    expect(page.locator("#o-name")).to_have_text("Shenzhen Cancer Hospital")
    assert page.evaluate("location.hash") == f"#org={rd.SZCH}"
    expect(page.locator('#o-names dd[data-field="traditional"]')).to_have_text("深圳市腫瘤醫院")
    expect(page.locator("#o-graph g.node.partner")).to_have_count(1)
    expect(page.locator("#o-graph g.node.partner")).to_have_attribute("data-org-id", rd.HKSH)
    expect(page.locator("#o-graph g.edge")).to_have_count(1)
    page.go_back()  # the address bar keeps the way back
    expect(page.locator("#o-name")).to_have_text("HKSH Medical Group")


def test_a_deal_shows_its_reports_side_by_side_and_highlights_the_date_they_disagree_on(ann):
    page = ann.page
    page.locator(f'#o-graph g.edge[data-target="{rd.SZCH}"]').click()
    expect(page.locator("#deal-view")).to_be_visible()
    assert page.evaluate("location.hash") == f"#deal={rd.MOU}"
    expect(page.locator("#d-title")).to_have_text("HKSH Medical Group – Shenzhen Cancer Hospital: MOU")
    parties = page.locator("#d-parties tbody tr")
    expect(parties).to_have_count(2)
    expect(parties.first).to_contain_text("养和医疗集团")
    expect(parties.first).to_contain_text("養和醫療集團")
    expect(parties.nth(1)).to_contain_text("深圳市肿瘤医院")
    expect(page.locator("#d-disagree")).to_have_text("The reports disagree on: date")
    expect(page.locator('#d-meta [data-field="date"]')).to_have_class("differs")
    reports = page.locator("#d-reports article.report")
    expect(reports).to_have_count(3)
    boxes = [reports.nth(i).bounding_box() for i in range(3)]
    assert abs(boxes[0]["y"] - boxes[2]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # side by side
    zh = page.locator(f'#d-reports article[data-rid="{rd.ZH}"]')
    expect(zh.locator("blockquote.evidence")).to_have_text(rd.ZH_TEXT.split("\n")[0])
    expect(zh).to_contain_text("zh · Hant · 香港 · 2025-12-11")
    odd = page.locator(f'#d-reports article[data-rid="{rd.RPT}"]')
    expect(odd).to_have_class("report disagrees")
    expect(odd.locator('dd[data-field="date"]')).to_have_text("2025-12-10")
    expect(odd.locator('dd[data-field="date"]')).to_have_class("differs")
    assert odd.locator('dd[data-field="date"]').evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 241, 184)"
    en = page.locator(f'#d-reports article[data-rid="{rd.EN}"]')
    expect(en.locator('dd[data-field="date"]')).to_have_text("2025-12-11")
    expect(en.locator('dd[data-field="date"]')).not_to_have_class("differs")
    # a report's title opens the release view, and an entity there leads back to its organisation
    en.locator("h4 a").click()
    expect(page.locator("#release")).to_be_visible()
    expect(page.locator("#r-title")).to_have_text("HKSH signs MOU with Shenzhen Cancer Hospital")
    expect(page.locator("#queue-panel")).to_be_visible()
    expect(page.locator('#entities tr[data-key="e3"] a.org-link')).to_have_count(0)  # a person has none
    page.locator('#entities tr[data-key="e2"] a.org-link').click()
    expect(page.locator("#o-name")).to_have_text("Shenzhen Cancer Hospital")


def test_merge_two_organisations_and_find_the_decision_in_the_export(ann, folder):
    page = ann.page
    goto(ann, f"org={rd.HKSH}")
    expect(page.locator("#o-name")).to_have_text("HKSH Medical Group")
    expect(page.locator("#o-merged li")).to_have_text("not merged with another organisation")
    page.fill("#merge-q", "Limited")
    expect(page.locator("#merge-target option")).to_have_count(1)
    expect(page.locator("#merge-target")).to_have_value(rd.HKSH_LTD)
    page.click("#merge")
    expect(page.locator("#status")).to_contain_text("Saved: org merge merge")
    expect(page.locator("#o-merged li")).to_contain_text("One organisation with HKSH Medical Group Limited (merged by ann")
    (made,) = ReviewStore(folder / "reviews.sqlite").of_kinds(["org_merge"]).values()
    assert made.reviewer == "ann" and made.state["org_ids"] == sorted([rd.HKSH, rd.HKSH_LTD])
    # the other organisation's view says so too, with a link back
    page.locator(f'#o-merged a[data-org-id="{rd.HKSH_LTD}"]').click()
    expect(page.locator("#o-name")).to_have_text("HKSH Medical Group Limited")
    expect(page.locator("#o-merged li")).to_contain_text("One organisation with HKSH Medical Group")
    # a mention split off its organisation
    goto(ann, f"org={rd.HKSH}")
    row = page.locator(f'#o-entities tr[data-key="{rd.UST}:u1"]')
    row.locator("button").click()
    expect(row.locator("td.status")).to_have_text("split off · ann")
    page.fill("#export-name", "orgs")
    page.click("#export")
    expect(page.locator("#status")).to_contain_text("org_decisions.jsonl")
    lines = [
        json.loads(x) for x in (folder / "exports" / "orgs" / "org_decisions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(x["kind"], x.get("org_ids"), x.get("entity_id")) for x in lines] == [
        ("org_merge", sorted([rd.HKSH, rd.HKSH_LTD]), None),
        ("org_split", None, "u1"),
    ]
    assert all(x["reviewer"] == "ann" for x in lines)
    assert ann.errors == [] and ann.dialogs == []


def test_a_write_without_the_csrf_token_is_refused(ann, folder):
    before = ReviewStore(folder / "reviews.sqlite").count()
    status = ann.page.evaluate(
        """async (ids) => (await fetch('/api/decision', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({kind: 'org_merge', action: 'merge', data: {org_ids: ids}, reviewer: 'mallory'})})).status""",
        [rd.HKSH, rd.QUIET],
    )
    assert status == 403
    assert ReviewStore(folder / "reviews.sqlite").count() == before


def test_an_unknown_organisation_says_so(ann):
    goto(ann, "org=org-nope")
    expect(ann.page.locator("#status")).to_contain_text("Cannot open organisation: no such organisation")
    expect(ann.page.locator("#org-view")).to_be_hidden()


def test_a_folder_without_records_says_there_are_none(browser, tmp_path):
    address, srv, thread = start(rd.write(tmp_path / "old"))
    s = Session(browser, address, "ann")
    try:
        goto(s, "orgs")
        expect(s.page.locator("#no-records")).to_be_visible()
        expect(s.page.locator("#orgs-count")).to_have_text("No records in this folder.")
        s.page.click("#nav-releases")
        expect(s.page.locator("#queue li")).to_have_count(4)
        assert s.errors == []
    finally:
        s.close()
        srv.should_exit = True
        thread.join(10)


EVIL = '<img src=x onerror="window.__pwned = 1">'


def test_hostile_organisation_names_are_shown_as_text(browser, tmp_path):
    import pandas as pd

    t = rd.records_tables()
    t.organisations = pd.concat(
        [
            t.organisations,
            pd.DataFrame(
                [
                    {
                        "org_id": "org-evil",
                        "name_en": EVIL,
                        "name_hans": "<script>window.__pwned = 2</script>",
                        "name_hant": None,
                        "aliases": ["</text><script>window.__pwned = 3</script>"],
                        "release_ids": [rd.CALM],
                        "deal_ids": ["deal-evil"],
                        "n_mentions": 9,
                        "joined_by": ["name"],
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    t.organisations.at[int((t.organisations["org_id"] == rd.QUIET).idxmax()), "deal_ids"] = ["deal-evil"]
    t.deals = pd.concat(
        [
            t.deals,
            pd.DataFrame(
                [
                    {
                        "deal_id": "deal-evil",
                        "event_id": "ev-" + rd.CALM,
                        "type": "partnership",
                        "parties": ["org-evil", rd.QUIET],
                        "parties_en": [EVIL, "Quiet Hospital"],
                        "parties_zh": [None, None],
                        "date": None,
                        "kind": '<b onmouseover="window.__pwned = 4">MOU</b>',
                        "dates": [],
                        "kinds": [],
                        "disagreements": [],
                        "evidence": [],
                        "release_ids": [rd.CALM],
                        "score": 0.5,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    t.write(tmp_path / "evil")
    address, srv, thread = start(tmp_path / "evil")
    s = Session(browser, address, "ann")
    try:
        goto(s, f"org={rd.QUIET}")
        node = s.page.locator('#o-graph g.node.partner[data-org-id="org-evil"]')
        expect(node.locator("text.nlabel.zh")).to_have_text("<script>window.__pwned = 2</script>"[:15] + "…")
        label = " ".join(node.locator("text.nlabel:not(.zh)").all_text_contents())  # at most two lines, as text
        assert label.startswith('<img src=x onerror="window.__pwned') and label.endswith("…")
        assert node.locator("title").text_content().startswith(EVIL + " / ")  # the whole name on hover
        expect(s.page.locator("#o-graph g.edge text")).to_have_text('<b onmouseover="window.__pwned = 4">MOU</b>, no date')
        expect(s.page.locator("#orgs li").first.locator(".qtitle")).to_have_text(EVIL)
        node.click()
        expect(s.page.locator("#o-name")).to_have_text(EVIL)
        expect(s.page.locator('#o-names dd[data-field="aliases"]')).to_have_text("</text><script>window.__pwned = 3</script>")
        s.page.locator("#o-deals a[data-deal-id]").click()
        expect(s.page.locator("#d-parties tbody tr").first).to_contain_text(EVIL)
        s.page.wait_for_timeout(200)  # give an injected handler the chance it must not get
        injected = s.page.evaluate(
            "document.querySelectorAll('#release-pane script, #release-pane img, #release-pane b, #orgs img, #orgs script')"
            ".length"
        )
        assert injected == 0
        assert s.page.evaluate("typeof window.__pwned") == "undefined"
        assert s.errors == [] and s.dialogs == []
    finally:
        s.close()
        srv.should_exit = True
        thread.join(10)
