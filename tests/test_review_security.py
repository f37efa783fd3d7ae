"""Who may talk to the review app: the Host allow-list (DNS rebinding) and the shared secret.

The HTTP-level checks run on the real app, through Starlette's TestClient, and end to end on the
real command (`run_pipeline.py review`, uvicorn on a real socket, real HTTP requests).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from pipeline.review.app import (
    allowed_hosts,
    create_app,
    host_of,
    resolve_token,
    token_cookie,
)
from pipeline.review.store import ReviewStore

from . import review_data as rd

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-token-for-the-tests_0123456789"
BODY = {"release_id": rd.EN, "kind": "entity", "key": "e1", "action": "reject", "reviewer": "ann"}


def stored(folder: Path) -> list[tuple[str, str, str]]:
    return [(d.item_key, d.action, d.reviewer) for d in ReviewStore(folder / "reviews.sqlite").history(rd.EN)]


def csrf(client: TestClient) -> str:
    page = client.get("/")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf-token" content="([0-9a-f]{64})"', page.text)[1]


# ---- the Host allow-list ----


def test_a_wildcard_bind_no_longer_answers_every_host(folder):
    hosts = allowed_hosts("0.0.0.0")  # what `review --host 0.0.0.0` uses with no --allow-host
    assert "*" not in hosts and set(hosts) == {"localhost", "127.0.0.1", "::1", socket.gethostname().lower()}
    client = TestClient(create_app(folder, hosts=hosts), base_url="http://127.0.0.1:8765")
    for rebound in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "[::2]:8765", ""):
        res = client.get("/api/queue", headers={"host": rebound})
        assert res.status_code == 400, rebound
        assert "DNS rebinding" in res.text and "--allow-host" in res.text
        assert rd.EN_TEXT[:20] not in res.text
    # a write sent under the rebound name is refused before the Origin check could be fooled
    page_token = csrf(client)
    rebound = {"host": "evil.example:8765", "origin": "http://evil.example:8765", "x-csrf-token": page_token}
    assert client.post("/api/decision", json=BODY, headers=rebound).status_code == 400
    assert stored(folder) == []
    for good in ("127.0.0.1:8765", "localhost:8765", "LOCALHOST", "localhost.", "[::1]:8765", f"{socket.gethostname()}:8765"):
        assert client.get("/api/queue", headers={"host": good}).status_code == 200, good


def test_allowed_hosts_for_a_specific_address_and_extra_names(folder):
    assert set(allowed_hosts("192.0.2.7")) == {"localhost", "127.0.0.1", "::1", "192.0.2.7"}
    assert set(allowed_hosts("[2001:db8::1]")) == {"localhost", "127.0.0.1", "::1", "2001:db8::1"}
    hosts = allowed_hosts("0.0.0.0", ["Review.Example.org", "*.lan"])
    assert {"review.example.org", "*.lan"} <= set(hosts) and "*" not in hosts
    client = TestClient(create_app(folder, hosts=hosts), base_url="http://127.0.0.1")
    assert client.get("/api/meta", headers={"host": "review.example.org:8765"}).status_code == 200
    assert client.get("/api/meta", headers={"host": "box.lan"}).status_code == 200
    assert client.get("/api/meta", headers={"host": "lan"}).status_code == 400
    assert client.get("/api/meta", headers={"host": "example.org"}).status_code == 400
    for bad in ("evil.example/x", "a b", "host:8765", "http://x", ""):
        with pytest.raises(ValueError):
            allowed_hosts("127.0.0.1", [bad])


def test_the_default_app_answers_only_loopback_names(folder):
    client = TestClient(create_app(folder), base_url="http://127.0.0.1")  # no hosts given
    assert client.get("/api/meta").status_code == 200
    assert client.get("/api/meta", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.parametrize(
    "header, name",
    [
        ("Example.ORG:80", "example.org"),
        ("[::1]:8765", "::1"),
        ("[::1]", "::1"),
        ("10.0.0.1", "10.0.0.1"),
        ("a.b.", "a.b"),
        ("::1", "::1"),
    ],
)
def test_host_of(header, name):
    assert host_of(header) == name


# ---- the shared secret ----


def test_token_defaults():
    assert (
        resolve_token(None, "127.0.0.1") is None and resolve_token(None, "localhost") is None and resolve_token("", "::1") is None
    )
    auto = resolve_token(None, "0.0.0.0")
    assert auto and len(auto) >= 40 and auto != resolve_token(None, "0.0.0.0")
    assert resolve_token(None, "192.0.2.7") and resolve_token(None, "myhost.example")
    assert len(resolve_token("auto", "127.0.0.1")) >= 40
    assert resolve_token(TOKEN, "0.0.0.0") == TOKEN
    for weak in ("short", "has space in it 0123456789", "semi;colon;0123456789", "plus+plus+plus+plus"):
        with pytest.raises(ValueError):
            resolve_token(weak, "127.0.0.1")


@pytest.fixture
def locked(folder) -> TestClient:
    return TestClient(create_app(folder, hosts=allowed_hosts("127.0.0.1"), token=TOKEN), base_url="http://127.0.0.1")


def test_without_the_token_nothing_is_read(locked):
    page = locked.get("/")
    assert page.status_code == 403 and "printed when it started" in page.text and "?token=" in page.text
    assert "csrf-token" not in page.text and "set-cookie" not in page.headers
    for path in ("/api/meta", "/api/queue", f"/api/release/{rd.EN}", f"/api/history/{rd.EN}", "/?token=" + TOKEN[:-1] + "x"):
        res = locked.get(path)
        assert res.status_code == 403, path
        assert rd.EN_TEXT[:20] not in res.text and "HKSH" not in res.text
    assert locked.get("/api/queue", headers={"authorization": "Bearer " + "x" * len(TOKEN)}).status_code == 403
    forged = TestClient(locked.app, base_url="http://127.0.0.1", cookies={token_cookie(TOKEN): TOKEN[:-1] + "x"})
    assert forged.get("/api/queue").status_code == 403
    assert locked.get("/static/review.js").status_code == 200  # the page's code is public, not data
    sneaky = locked.get("/static/..%2Fapi%2Fqueue")  # /static/ is open, but leads nowhere else
    assert sneaky.status_code == 404 and "HKSH" not in sneaky.text


def test_writes_need_the_token(locked, folder):
    assert locked.post("/api/decision", json=BODY).status_code == 403
    wrong = {"authorization": "Bearer " + TOKEN[:-1] + "X"}
    assert locked.post("/api/decision", json=BODY, headers=wrong).status_code == 403
    assert locked.post("/api/decision", json=BODY, headers={"authorization": TOKEN}).status_code == 403  # not "Bearer"
    assert locked.post(f"/api/decision?token={TOKEN}", json=BODY).status_code == 403  # a token in a URL opens the page only
    assert locked.post("/api/export", json={"name": "x"}).status_code == 403
    assert stored(folder) == [] and not (folder / "exports").exists()
    ok = locked.post("/api/decision", json=BODY, headers={"authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["decision"]["reviewer"] == "ann"
    assert stored(folder) == [("e1", "reject", "ann")]


def test_the_cookie_flow(locked, folder):
    first = locked.get(f"/?token={TOKEN}", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/"  # the token leaves the address bar
    cookie = first.headers["set-cookie"].lower()
    assert cookie.startswith(token_cookie(TOKEN)) and "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert locked.cookies.get(token_cookie(TOKEN)) == TOKEN
    page_token = csrf(locked)  # the cookie alone opens the page now
    assert locked.get("/api/queue").status_code == 200
    # the cookie does not stand in for the CSRF token: another site's form would send it too
    assert locked.post("/api/decision", json=BODY).status_code == 403
    assert (
        locked.post("/api/decision", json=BODY, headers={"origin": "http://evil.example", "x-csrf-token": page_token}).status_code
        == 403
    )
    assert stored(folder) == []
    ok = locked.post("/api/decision", json=BODY, headers={"x-csrf-token": page_token, "origin": "http://127.0.0.1"})
    assert ok.status_code == 200, ok.text
    assert stored(folder) == [("e1", "reject", "ann")]
    # an API address opened with the token sets the cookie too, without a redirect
    other = TestClient(locked.app, base_url="http://127.0.0.1")
    res = other.get(f"/api/meta?token={TOKEN}", follow_redirects=False)
    assert res.status_code == 200 and other.cookies.get(token_cookie(TOKEN)) == TOKEN
    kept = TestClient(locked.app, base_url="http://127.0.0.1").get(f"/?token={TOKEN}&x=1", follow_redirects=False)
    assert kept.headers["location"] == "/?x=1"


def test_a_loopback_app_without_a_token_works_as_before(folder):
    client = TestClient(create_app(folder, hosts=allowed_hosts("127.0.0.1")), base_url="http://127.0.0.1")
    assert client.post("/api/decision", json=BODY, headers={"x-csrf-token": csrf(client)}).status_code == 200
    assert (
        client.post("/api/decision", json=BODY, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 403
    )  # no CSRF token
    assert stored(folder) == [("e1", "reject", "ann")]


# ---- end to end: the command, on a real socket ----


class Running:
    def __init__(self, proc: subprocess.Popen, lines: list[str]) -> None:
        self.proc, self.lines = proc, lines
        first = next(line for line in lines if line.startswith("review app: "))
        self.url = first.split()[2]
        self.port = int(re.search(r":(\d+)/", self.url)[1])
        self.base = f"http://127.0.0.1:{self.port}"


def start(folder: Path, *args: str, env: dict[str, str] | None = None) -> Running:
    env = {k: v for k, v in os.environ.items() if k != "MEDPR_REVIEW_TOKEN"} | {"COLUMNS": "300"} | (env or {})
    proc = subprocess.Popen(
        [sys.executable, "run_pipeline.py", "review", "--extracted", str(folder), "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("review app: "):
                time.sleep(0.2)  # the lines printed right after it
                started.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 30
    if not started.wait(30):
        proc.kill()
        raise AssertionError("review did not start:\n" + "\n".join(lines))
    running = Running(proc, lines)
    while time.monotonic() < deadline:  # the address is printed just before uvicorn starts serving
        try:
            httpx.get(running.base + "/static/review.css", timeout=1)
            return running
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("review never answered")


@pytest.fixture
def launched() -> Iterator[list[Running]]:
    procs: list[Running] = []
    yield procs
    for r in procs:
        r.proc.terminate()
        try:
            r.proc.wait(10)
        except subprocess.TimeoutExpired:
            r.proc.kill()


def test_command_on_0_0_0_0_refuses_rebinding_and_requires_its_printed_token(folder, launched):
    app = start(folder, "--host", "0.0.0.0")
    launched.append(app)
    token = re.search(r"\?token=([A-Za-z0-9_-]{40,})", app.url)[1]
    assert app.url.startswith(f"http://{socket.gethostname().lower()}:{app.port}/?token=")
    assert any(f"http://127.0.0.1:{app.port}/?token={token}" in line for line in app.lines)
    assert any("answering Host names" in line for line in app.lines)
    with httpx.Client(base_url=app.base, timeout=5) as http:
        # DNS rebinding: the attacker's name, resolved to this machine; even with the token, 400
        for headers in ({"host": f"evil.example:{app.port}"}, {"host": "evil.example", "authorization": f"Bearer {token}"}):
            res = http.get("/", headers=headers)
            assert res.status_code == 400 and "DNS rebinding" in res.text
        res = http.post(
            "/api/decision",
            json=BODY,
            headers={"host": "evil.example", "origin": "http://evil.example", "authorization": f"Bearer {token}"},
        )
        assert res.status_code == 400
        # a name it answers, but no token: the page and the data are private, writes refused
        assert http.get("/").status_code == 403 and "printed when it started" in http.get("/").text
        assert http.get("/api/queue", headers={"host": f"localhost:{app.port}"}).status_code == 403
        assert http.post("/api/decision", json=BODY).status_code == 403
        assert (
            http.post("/api/decision", json=BODY, headers={"authorization": "Bearer wrong-token-0123456789"}).status_code == 403
        )
        assert stored(folder) == []
        ok = http.post("/api/decision", json=BODY, headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200, ok.text
        assert stored(folder) == [("e1", "reject", "ann")]
    with httpx.Client(
        base_url=app.base, timeout=5, follow_redirects=True
    ) as browser_like:  # the printed address, then the cookie only
        opened = browser_like.get(f"/?token={token}")
        assert opened.status_code == 200 and opened.history[0].status_code == 303 and "?token" not in str(opened.url)
        page_token = re.search(r'name="csrf-token" content="([0-9a-f]{64})"', opened.text)[1]
        body = {**BODY, "key": "e2", "reviewer": "bob"}
        res = browser_like.post("/api/decision", json=body, headers={"x-csrf-token": page_token, "origin": app.base})
        assert res.status_code == 200, res.text
    assert stored(folder)[-1] == ("e2", "reject", "bob")


def test_command_takes_the_token_from_the_environment_and_allow_host(folder, launched):
    app = start(folder, "--allow-host", "review.example.org", env={"MEDPR_REVIEW_TOKEN": TOKEN})
    launched.append(app)
    assert app.url == f"http://127.0.0.1:{app.port}/?token={TOKEN}"
    with httpx.Client(base_url=app.base, timeout=5) as http:
        assert http.get("/api/meta").status_code == 403  # loopback, but a token was given: required
        auth = {"authorization": f"Bearer {TOKEN}"}
        assert http.get("/api/meta", headers=auth).status_code == 200
        assert http.get("/api/meta", headers={**auth, "host": "review.example.org"}).status_code == 200
        assert http.get("/api/meta", headers={**auth, "host": "other.example.org"}).status_code == 400


def test_command_refuses_a_weak_token_and_a_bad_host_name(folder):
    for args in (["--token", "short"], ["--allow-host", "evil.example/path"]):
        res = subprocess.run(
            [sys.executable, "run_pipeline.py", "review", "--extracted", str(folder), "--port", "0", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert res.returncode == 2, res.stdout + res.stderr
        assert "review app:" not in res.stdout
