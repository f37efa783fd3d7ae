"""The people views driven in a real headless Chromium (helpers of tests/test_review_browser.py).

In order, on one app: find a person in the People tab by a name in each script, open them from the
list, see their roles in date order with links to the organisations, follow one to the organisation
view, find the person among that organisation's people and come back; a release view's person
links; an unknown person; hostile names shown as text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import review_data as rd
from .test_review_browser import Session, browser_fixture, expect, goto, start  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return rd.write_records(tmp_path_factory.mktemp("people-browser") / "extracted")


def test_the_people_tab_finds_a_person_by_any_of_their_names(ann):
    page = ann.page
    page.click("#nav-people")
    expect(page.locator("#people-panel")).to_be_visible()
    expect(page.locator("#orgs-panel")).to_be_hidden()
    expect(page.locator("#queue-panel")).to_be_hidden()
    expect(page.locator("#nav-people")).to_have_attribute("aria-current", "page")  # not only a colour says which tab
    items = page.locator("#people li")
    expect(items).to_have_count(2)
    expect(page.locator("#people-count")).to_have_text("2 people")
    for q in ("李偉", "李伟", "li wei"):
        page.fill("#person-q", q)
        expect(items).to_have_count(1)
        expect(items.first.locator(".qtitle")).to_have_text("Li Wei")
    expect(items.first.locator(".qmeta")).to_contain_text("李伟")
    page.fill("#person-q", "HKSH")  # an organisation's name finds no person
    expect(items).to_have_count(0)
    expect(page.locator("#people-count")).to_have_text("0 people")


def test_open_a_person_from_the_search_and_see_their_roles_over_time(ann):
    page = ann.page
    page.fill("#person-q", "zhang")
    expect(page.locator("#people li")).to_have_count(1)
    page.locator("#people li button").click()
    expect(page.locator("#person-view")).to_be_visible()
    assert page.evaluate("location.hash") == f"#person={rd.ZHANG}"
    expect(page.locator("#p-name")).to_have_text("Zhang Ming")
    expect(page.locator("#person-view h2")).to_have_count(1)
    expect(page.locator("#person-view h3")).to_have_text(["Roles 3", "Releases 2"])
    expect(page.locator(f'#people li.current[data-person-id="{rd.ZHANG}"]')).to_have_count(1)
    rows = page.locator("#p-roles tbody tr")
    expect(rows).to_have_count(3)
    # by date, although the table lists the 2026 role first
    assert [rows.nth(i).locator("td").first.text_content() for i in range(3)] == ["2025-12-10", "2026-01-05", "2026-01-05"]
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("President")
    org_links = page.locator("#p-roles tbody a[data-org-id]")
    expect(org_links).to_have_text(["Shenzhen Cancer Hospital", "Hong Kong University of Science and Technology"])
    expect(rows.nth(2).locator("td").nth(2)).to_have_text("no organisation named")  # said in words, no link
    expect(rows.nth(2).locator("a[data-org-id]")).to_have_count(0)
    expect(rows.nth(0).locator(f'a[data-rid="{rd.RPT}"]')).to_have_text("Shenzhen hospital and HKSH join hands")
    expect(page.locator("#p-releases a[data-rid]")).to_have_count(2)
    assert ann.errors == [] and ann.dialogs == []


def test_a_role_leads_to_its_organisation_which_lists_the_person(ann):
    page = ann.page
    page.locator(f'#p-roles a[data-org-id="{rd.HKUST}"]').click()
    expect(page.locator("#org-view")).to_be_visible()
    expect(page.locator("#person-view")).to_be_hidden()
    assert page.evaluate("location.hash") == f"#org={rd.HKUST}"
    expect(page.locator("#o-name")).to_have_text("Hong Kong University of Science and Technology")
    expect(page.locator("#orgs-panel")).to_be_visible()  # the organisation list beside it, as from the Organisations tab
    expect(page.locator("#nav-orgs")).to_have_attribute("aria-current", "page")
    people = page.locator("#o-people li")
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("Zhang Ming · Dean of Medicine · 2026-01-05")
    expect(page.locator("#n-o-people")).to_have_text("1")
    people.first.locator(f'a[data-person-id="{rd.ZHANG}"]').click()
    expect(page.locator("#p-name")).to_have_text("Zhang Ming")
    page.go_back()
    expect(page.locator("#o-name")).to_have_text("Hong Kong University of Science and Technology")
    goto(ann, f"org={rd.QUIET}")
    expect(page.locator("#o-people li")).to_have_text("nobody holds a role here in these releases")
    assert ann.errors == []


def test_a_person_in_a_release_and_a_release_of_a_person(ann):
    page = ann.page
    goto(ann, f"person={rd.LI_WEI}")
    expect(page.locator('#p-names dd[data-field="chinese"]')).to_have_text("李伟")
    expect(page.locator('#p-names dd[data-field="aliases"]')).to_have_text("李偉")
    expect(page.locator("#p-roles tbody a[data-org-id]")).to_have_text(["HKSH Medical Group", "HKSH Medical Group"])
    page.locator(f'#p-releases a[data-rid="{rd.ZH}"]').click()
    expect(page.locator("#release")).to_be_visible()
    expect(page.locator("#r-title")).to_have_text("養和與深圳市腫瘤醫院簽署合作備忘錄")
    expect(page.locator("#queue-panel")).to_be_visible()
    page.locator('#entities tr[data-key="z3"] a.person-link').click()  # 李偉 in the release: back to the person
    expect(page.locator("#p-name")).to_have_text("Li Wei")
    assert page.evaluate("location.hash") == f"#person={rd.LI_WEI}"


def test_an_unknown_person_says_so(ann):
    goto(ann, "person=per-nope")
    expect(ann.page.locator("#status")).to_contain_text("Cannot open person: no such person")
    expect(ann.page.locator("#person-view")).to_be_hidden()
    expect(ann.page.locator("#people-panel")).to_be_visible()  # the list stays usable
    ann.page.fill("#person-q", "")
    expect(ann.page.locator("#people li")).to_have_count(2)
    ann.page.locator(f'#people li[data-person-id="{rd.LI_WEI}"] button').click()
    expect(ann.page.locator("#p-name")).to_have_text("Li Wei")


EVIL = '<img src=x onerror="window.__pwned = 1">'


def test_hostile_names_and_titles_are_shown_as_text(browser, tmp_path):
    import pandas as pd

    t = rd.records_tables()
    t.people = pd.concat(
        [
            t.people,
            pd.DataFrame(
                [
                    {
                        "person_id": "per-evil",
                        "name_en": EVIL,
                        "name_zh": "<script>window.__pwned = 2</script>",
                        "aliases": ["</li><b>x</b>"],
                        "release_ids": [rd.CALM],
                        "roles": [
                            {
                                "title": '<b onmouseover="window.__pwned = 3">Boss</b>',
                                "org_id": rd.QUIET,
                                "date": None,
                                "release_id": rd.CALM,
                            }
                        ],
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
        expect(s.page.locator("#o-people li")).to_contain_text(EVIL)
        s.page.locator('#o-people a[data-person-id="per-evil"]').click()
        expect(s.page.locator("#p-name")).to_have_text(EVIL)
        expect(s.page.locator('#p-names dd[data-field="chinese"]')).to_have_text("<script>window.__pwned = 2</script>")
        expect(s.page.locator("#p-roles tbody td").nth(1)).to_have_text('<b onmouseover="window.__pwned = 3">Boss</b>')
        expect(s.page.locator('#people li[data-person-id="per-evil"] .qtitle')).to_have_text(EVIL)
        s.page.wait_for_timeout(200)  # give an injected handler the chance it must not get
        injected = s.page.evaluate(
            "document.querySelectorAll('#release-pane script, #release-pane img, #release-pane b, #people img, #people b').length"
        )
        assert injected == 0
        assert s.page.evaluate("typeof window.__pwned") == "undefined"
        assert s.errors == [] and s.dialogs == []
    finally:
        s.close()
        srv.should_exit = True
        thread.join(10)
