"""The review page driven in a real headless Chromium (Debian's /usr/bin/chromium, via Playwright).

The tests run in order on one app and one database, as a reviewer's session would: open the queue,
fix a span by selecting text, reject and add with the keyboard, add a relation, reload, export;
then the hostile cases (a release that is HTML and script, a request without the token, paths
that try to leave the data folder, a browser without the shared secret, a DNS-rebound name) and
two reviewers on the same item. The app requires a shared secret (`review --token`): every tab
opens the address with `?token=` once, as a reviewer opens the address the command printed.
Set REVIEW_SCREENSHOT=docs/review.png to also save the screenshot for the README.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.export_reviews import read_docs
from pipeline.review.app import allowed_hosts, bind, create_app, server, token_cookie, url_of
from pipeline.review.store import ReviewStore

from . import review_data as rd

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")
expect = playwright_api.expect

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP evil.example 127.0.0.1",
]  # DNS rebinding: the attacker's name now points here
TOKEN = "browser-test-token_0123456789abcdef"

# Select the nth occurrence of `needle` inside the element `sel`, across text nodes and marks, like a mouse drag.
SELECT = """([sel, needle, nth]) => {
  const box = document.querySelector(sel);
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const nodes = []; let all = "";
  while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
  let i = -1;
  for (let k = 0; k <= nth; k++) i = all.indexOf(needle, i + 1);
  if (i < 0) throw new Error("not found: " + needle);
  const at = (pos, end) => { for (const [n, off] of nodes) \
if (pos < off + n.data.length || (end && pos === off + n.data.length)) return [n, pos - off]; };
  const [sn, so] = at(i, false), [en, eo] = at(i + needle.length, true);
  const r = document.createRange(); r.setStart(sn, so); r.setEnd(en, eo);
  const s = getSelection(); s.removeAllRanges(); s.addRange(r);
  return r.toString();
}"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return rd.write(tmp_path_factory.mktemp("browser") / "extracted")


def start(folder: Path) -> tuple[str, object, threading.Thread]:
    """The review app on a free local port in a thread: (its address, the server, the thread)."""
    app = create_app(folder, hosts=allowed_hosts("127.0.0.1"), token=TOKEN)
    sock = bind("127.0.0.1", 0)
    srv = server(app)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "the review server did not start"
    return url_of(sock), srv, thread


@pytest.fixture(scope="module", name="browser")
def browser_fixture():
    """One headless Chromium per test module (imported by the organisation view's tests too)."""
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Session:
    """One reviewer's tab, recording script errors and dialogs (an XSS would show up in either)."""

    def __init__(self, browser, url: str, name: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(5000)
        self.page = self.context.new_page()
        self.url, self.name = url, name
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(f"{url}?token={TOKEN}")  # the address `review` printed; the page keeps the token in a cookie
        self.page.wait_for_selector('body[data-ready="1"]')

    def open(self, rid: str | None = None) -> None:
        self.page.goto(self.url + (f"#release={rid}" if rid else ""))
        self.page.wait_for_selector('body[data-ready="1"]')
        if self.page.input_value("#reviewer") != self.name:
            self.page.fill("#reviewer", self.name)
            self.page.dispatch_event("#reviewer", "change")
        self.page.locator("#reviewer").blur()

    def row(self, table: str, key: str):
        return self.page.locator(f'#{table} tr[data-key="{key}"]')

    def select(self, needle: str, nth: int = 0, where: str = "#doc") -> str:
        return self.page.evaluate(SELECT, [where, needle, nth])

    def close(self) -> None:
        self.context.close()


def goto(s: Session, fragment: str) -> None:
    """Open `fragment` of the app in `s` and wait until the page has drawn it."""
    s.page.goto(s.url + "#" + fragment)
    s.page.wait_for_selector('body[data-ready="1"]')


@pytest.fixture(scope="module")
def ann(browser, url) -> Iterator[Session]:
    s = Session(browser, url, "ann")
    yield s
    s.close()


def test_queue_opens_with_the_most_needed_release_first(ann):
    ann.open()
    items = ann.page.locator("#queue li")
    expect(items).to_have_count(4)
    expect(items.first.locator(".qtitle")).to_have_text("HKSH signs MOU with Shenzhen Cancer Hospital")
    expect(items.last.locator(".qtitle")).to_have_text("Quiet Hospital opens a ward")
    expect(ann.page.locator("#r-title")).to_have_text("HKSH signs MOU with Shenzhen Cancer Hospital")
    assert ann.page.locator("#doc").text_content() == rd.EN_TEXT  # the whole text, exactly
    expect(ann.page.locator("#aligned-pane")).to_be_visible()
    assert ann.page.locator("#aligned-doc").text_content() == rd.ZH_TEXT
    ann.page.fill('#filters input[name="q"]', "李偉")
    expect(items).to_have_count(1)
    ann.page.fill('#filters input[name="q"]', "")
    ann.page.select_option('#filters select[name="label"]', "PERSON")
    expect(items).to_have_count(2)
    ann.page.select_option('#filters select[name="label"]', "")
    expect(items).to_have_count(4)


def test_correct_a_span_by_selecting_text(ann):
    ann.row("entities", "e2").locator("td").nth(1).click()
    expect(ann.row("entities", "e2")).to_have_class("st-pending cur")
    assert ann.select("Shenzhen Cancer Hospital") == "Shenzhen Cancer Hospital"
    ann.page.keyboard.press("s")
    row = ann.row("entities", "e2")
    expect(row.locator("td").nth(1)).to_have_text("Shenzhen Cancer Hospital")
    expect(row.locator("td.status")).to_contain_text("accepted · ann")
    expect(ann.page.locator('#doc mark[data-eid="e2"]')).to_have_text("Shenzhen Cancer Hospital")
    # the relation follows the corrected entity
    expect(ann.page.locator("#relations tbody tr").first.locator("td").nth(2)).to_have_text("Shenzhen Cancer Hospital")


def test_keyboard_reject_relabel_and_add_a_missed_entity(ann):
    page = ann.page
    ann.row("entities", "e1").locator("td").nth(1).click()
    for _ in range(4):
        page.keyboard.press("j")
    expect(ann.row("entities", "e5")).to_have_class("st-pending cur")
    page.keyboard.press("x")
    expect(ann.row("entities", "e5").locator("td.status")).to_contain_text("rejected · ann")
    expect(page.locator('#doc mark[data-eid="e5"]')).to_have_count(0)
    page.keyboard.press("k")  # e4, DATE
    page.keyboard.press("k")  # e3, Li Wei
    page.keyboard.press("3")  # third label: GPE (wrong on purpose) ...
    expect(ann.row("entities", "e3").locator("select")).to_have_value("GPE")
    page.keyboard.press("2")  # ... then PERSON again
    expect(ann.row("entities", "e3").locator("select")).to_have_value("PERSON")
    page.select_option("#new-label", "GPE")
    ann.select("HONG KONG")
    page.keyboard.press("e")
    added = page.locator("#entities tbody tr", has_text="HONG KONG")
    expect(added).to_have_count(1)
    expect(added.locator("select")).to_have_value("GPE")
    expect(page.locator("#doc mark.ent", has_text="HONG KONG")).to_have_attribute("data-label", "GPE")


def test_add_a_relation(ann):
    page = ann.page
    page.select_option('#add-relation select[name="type"]', "role")
    page.select_option('#add-relation select[name="head_id"]', "e3")
    page.select_option('#add-relation select[name="tail_id"]', "e1")
    page.fill('#add-relation input[name="title"]', "Chief Executive Officer")
    page.click('#add-relation button[type="submit"]')
    role = page.locator("#relations tbody tr", has_text="role")
    expect(role).to_have_count(1)
    expect(role.locator("td").nth(1)).to_have_text("Li Wei")
    expect(role.locator("td").nth(2)).to_have_text("HKSH Medical Group")
    expect(role.locator("td").nth(3)).to_have_text("Chief Executive Officer")
    expect(role.locator("td").nth(4)).to_contain_text("Dr Li Wei, Chief Executive Officer of HKSH Medical Group")


def test_reload_keeps_every_decision(ann):
    ann.page.reload()
    ann.page.wait_for_selector('body[data-ready="1"]')
    assert ann.page.input_value("#reviewer") == "ann"
    expect(ann.page.locator("#r-title")).to_have_text("HKSH signs MOU with Shenzhen Cancer Hospital")
    expect(ann.row("entities", "e2").locator("td").nth(1)).to_have_text("Shenzhen Cancer Hospital")
    expect(ann.row("entities", "e5").locator("td.status")).to_contain_text("rejected")
    expect(ann.page.locator("#relations tbody tr", has_text="Chief Executive Officer")).to_have_count(1)
    expect(ann.page.locator("#entities tbody tr", has_text="HONG KONG")).to_have_count(1)
    ann.page.click("#history summary")
    expect(ann.page.locator("#history li")).to_have_count(6)  # span, reject, 2 relabels, add entity, add relation
    expect(ann.page.locator("#history li").last).to_contain_text("ann · entity e2 · span ORG")


def test_mark_reviewed_and_export(ann, folder):
    page = ann.page
    page.keyboard.press("d")
    expect(page.locator("#r-title")).not_to_have_text("HKSH signs MOU with Shenzhen Cancer Hospital")
    expect(page.locator(f'#queue li[data-rid="{rd.EN}"] .qdone')).to_have_text("✓ ann")
    page.fill("#export-name", "from-ui")
    page.click("#export")
    expect(page.locator("#status")).to_contain_text("Exported 1 release(s) to exports/from-ui")
    out = folder / "exports" / "from-ui"
    (doc,) = read_docs(out / "en.spacy", "en")
    ents = {(e.text, e.label_) for e in doc.ents}
    assert {("Shenzhen Cancer Hospital", "ORG"), ("HONG KONG", "GPE"), ("Li Wei", "PERSON")} <= ents
    assert ("patients", "GPE") not in ents
    assert any(r["type"] == "role" and r["title"] == "Chief Executive Officer" for r in doc.user_data["relations"])
    line = json.loads((out / "reviewed.jsonl").read_text(encoding="utf-8"))
    assert line["release_id"] == rd.EN and line["reviewed"] is True


def test_a_release_with_script_is_shown_as_text(ann):
    page = ann.page
    ann.open(rd.XSS)
    expect(page.locator("#r-title")).to_have_text("<script>window.__pwned = 3</script><b>Evil</b> title")
    assert page.locator("#doc").text_content() == rd.XSS_TEXT
    expect(page.locator("#entities tbody tr", has_text='<img src=x onerror="window.__pwned = 2">')).to_have_count(1)
    expect(page.locator('#doc mark[data-eid="x3"]')).to_have_text("</mark><b>Bold Hospital</b>")
    expect(page.locator(f'#queue li[data-rid="{rd.XSS}"] .qmeta')).to_be_visible()
    page.wait_for_timeout(200)  # give an injected handler (onerror) the chance it must not get
    injected = page.evaluate(
        "document.querySelectorAll('#release-pane script, #release-pane img, #release-pane b, #queue script, #queue b').length"
    )
    assert injected == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert ann.dialogs == [] and ann.errors == []


def test_state_change_without_the_token_is_refused(ann, folder):
    before = ReviewStore(folder / "reviews.sqlite").count()
    status = ann.page.evaluate(
        """async (rid) => (await fetch('/api/decision', {method: 'POST', headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({release_id: rid, kind: 'entity', key: 'x1', action: 'reject', \
reviewer: 'mallory'})})).status""",
        rd.XSS,
    )
    assert status == 403
    forged = ann.page.request.post(
        ann.url + "api/decision",
        data={"release_id": rd.XSS, "kind": "entity", "key": "x1", "action": "reject", "reviewer": "mallory"},
        headers={"X-CSRF-Token": "f" * 64},
    )
    assert forged.status == 403
    assert ReviewStore(folder / "reviews.sqlite").count() == before


def test_the_token_is_kept_in_an_httponly_cookie_and_leaves_the_address_bar(ann):
    assert ann.page.url.split("#")[0] == ann.url  # redirected to the address without ?token=
    assert TOKEN not in ann.page.evaluate("document.cookie")  # script (an XSS) cannot read it
    (cookie,) = [c for c in ann.context.cookies() if c["name"] == token_cookie(TOKEN)]
    assert cookie["value"] == TOKEN and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert TOKEN not in ann.page.content()


def test_a_browser_without_the_token_sees_nothing_and_writes_nothing(browser, url, folder):
    context = browser.new_context()
    try:
        page = context.new_page()
        res = page.goto(url)
        assert res.status == 403
        assert "printed when it started" in page.text_content("body")
        assert page.locator("#queue").count() == 0 and "HKSH" not in page.content()
        res = page.goto(url + "?token=" + TOKEN[:-1] + "X")
        assert res.status == 403
        before = ReviewStore(folder / "reviews.sqlite").count()
        status = page.evaluate(
            """async (rid) => [(await fetch('/api/queue')).status, (await fetch('/api/decision', {method: 'POST',
                 headers: {'Content-Type': 'application/json'},
                 body: JSON.stringify({release_id: rid, kind: 'entity', key: 'e1', action: 'reject', \
reviewer: 'mallory'})})).status]""",
            rd.EN,
        )
        assert status == [403, 403]
        assert ReviewStore(folder / "reviews.sqlite").count() == before
        assert not [c for c in context.cookies() if c["name"] == token_cookie(TOKEN)]
    finally:
        context.close()


def test_a_dns_rebound_name_is_refused(ann, url):
    port = url.rsplit(":", 1)[1].strip("/")
    res = ann.page.goto(f"http://evil.example:{port}/?token={TOKEN}")  # the real socket, under the attacker's name
    assert res.status == 400
    assert "DNS rebinding" in ann.page.text_content("body") and "HKSH" not in ann.page.content()
    # what the attacker's script on evil.example would do next: same-origin requests, to this machine
    statuses = ann.page.evaluate(
        """async (rid) => [(await fetch('/api/queue')).status, (await fetch('/api/decision', {method: 'POST',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({release_id: rid, kind: 'entity', key: 'e1', action: 'reject', \
reviewer: 'mallory'})})).status]""",
        rd.EN,
    )
    assert statuses == [400, 400]
    assert not [c for c in ann.context.cookies() if c["domain"] == "evil.example"]
    ann.open()  # back to the real address for the next tests


def test_path_traversal_is_refused(ann, folder):
    for path in (
        "static/..%2F..%2Freview%2Fstore.py",
        "static/%2e%2e/%2e%2e/export_reviews.py",
        "api/release/..%2F..%2F..%2Fetc%2Fpasswd",
    ):
        res = ann.page.request.get(ann.url + path)
        assert res.status == 404, path
        assert "sqlite" not in res.text() and "root:" not in res.text()
    ann.page.fill("#export-name", "../../escape")
    ann.page.click("#export")
    expect(ann.page.locator("#status")).to_contain_text("Export failed")
    assert not (folder.parent / "escape").exists() and not (folder.parent.parent / "escape").exists()


def test_two_reviewers_last_write_wins_and_nothing_is_dropped(browser, url, ann, folder):
    ann.open(rd.CALM)
    expect(ann.row("entities", "c1")).to_be_visible()
    bob = Session(browser, url, "bob")
    try:
        bob.open(rd.CALM)
        bob.row("entities", "c1").locator("button.no").click()
        expect(bob.row("entities", "c1").locator("td.status")).to_contain_text("rejected · bob")
    finally:
        bob.close()
    ann.row("entities", "c1").locator("button.ok").click()  # ann's page still shows c1 undecided
    expect(ann.page.locator("#status")).to_contain_text("replaced bob's reject")
    expect(ann.row("entities", "c1").locator("td.status")).to_contain_text("accepted · ann")
    history = [d for d in ReviewStore(folder / "reviews.sqlite").history(rd.CALM) if d.item_key == "c1"]
    assert [(d.reviewer, d.action) for d in history] == [("bob", "reject"), ("ann", "accept")]


def test_screenshot(browser, url, tmp_path):
    carol = Session(browser, url, "carol")
    try:
        carol.open(rd.EN)
        carol.row("entities", "e1").locator("td").nth(1).click()
        target = Path(os.environ.get("REVIEW_SCREENSHOT") or tmp_path / "review.png")
        carol.page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
        assert carol.errors == []
    finally:
        carol.close()
