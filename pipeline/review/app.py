"""The review web app: a Starlette app over the extracted tables and the SQLite review store.

Security, because the page shows scraped text from anywhere:
- the page builds every piece of data into the DOM with `textContent` and a strict
  Content-Security-Policy forbids inline script, so `<script>` in a release is just text;
- state-changing requests need the session's CSRF token (an HMAC of the session cookie under a key
  kept in the database, so it survives a restart) in a header, a JSON body and a same-origin Origin;
- only an allow-list of Host names is answered (loopback names, the bound name, --allow-host), so
  a DNS-rebinding page that points its own name at this machine gets 400, Origin check or not;
- with a shared secret (`--token`, Jupyter-style, required off loopback) every request but /static/
  needs it: once in the URL (`/?token=...`, then an HttpOnly SameSite=Strict cookie) or as
  `Authorization: Bearer ...`; without it the page and its data are 403, and so is every write;
- the only path a request names is an export folder, a plain name kept inside DIR/exports.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.review.decide import BadRequest, ReviewData
from pipeline.review.queue import Filters
from pipeline.review.store import ReviewStore

HERE = Path(__file__).resolve().parent
COOKIE = "review_session"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("0.0.0.0", "::", "[::]", "")
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{16,256}$")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?:\*|(?:\*\.)?{_LABEL}(?:\.{_LABEL})*)$")
MAX_BODY = 256 * 1024
_EXPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def default_db(extracted: Path) -> Path:
    return Path(extracted) / "reviews.sqlite"


class SecurityHeaders:
    """Adds CSP and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def export_folder(extracted: Path, name: str) -> Path:
    """DIR/exports/NAME for a plain NAME; anything that could lead elsewhere is refused."""
    root = (Path(extracted) / "exports").resolve()
    if not _EXPORT_NAME.match(name or "") or name in {".", ".."}:
        raise BadRequest("an export name is letters, digits, '.', '_' or '-' (no slashes)")
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise BadRequest("the export folder must stay inside the data folder")
    return path


def create_app(
    extracted: Path, db: Path | None = None, hosts: Iterable[str] | None = None, token: str | None = None
) -> Starlette:
    """The review app for the tables in `extracted`, with its decisions in `db` (default DIR/reviews.sqlite).

    `hosts`: the Host names answered (default: the loopback names; ["*"] answers any). `token`: the
    shared secret every request needs (None: none, as on loopback by default).
    """
    extracted = Path(extracted).resolve()
    store = ReviewStore(db or default_db(extracted))
    data = ReviewData(extracted, store)
    key = store.secret().encode()
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def csrf_for(session: str) -> str:
        return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()

    async def json_body(request: Request) -> dict[str, Any]:
        """The body of a state-changing request, after the CSRF, origin, type and size checks."""
        # a request that carries the shared secret in its Authorization header was not forged by
        # another site (a browser adds no such header by itself): it needs no CSRF token
        if request.scope.get(AUTH_KEY) != "bearer":
            session = request.cookies.get(COOKIE, "")
            csrf = request.headers.get("x-csrf-token", "")
            if not session or not hmac.compare_digest(csrf.encode(), csrf_for(session).encode()):
                raise HTTPException(403, "missing or wrong CSRF token: reload the page")
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            raise HTTPException(403, "cross-origin request refused")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            raise HTTPException(415, "send JSON")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise HTTPException(413, "request too large")
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise HTTPException(400, "malformed JSON") from e
        if not isinstance(body, dict):
            raise HTTPException(400, "expected a JSON object")
        return body

    async def index(request: Request) -> Response:
        session = request.cookies.get(COOKIE) or secrets.token_urlsafe(32)
        response = templates.TemplateResponse(request, "index.html", {"csrf": csrf_for(session), "folder": extracted.name})
        response.set_cookie(COOKIE, session, httponly=True, samesite="strict", path="/")
        return response

    def meta(request: Request) -> Response:
        return JSONResponse(data.meta())

    def queue(request: Request) -> Response:
        return JSONResponse({"items": data.queue(Filters.from_query(request.query_params))})

    def found(view: dict | None, what: str) -> Response:
        """The view as JSON, or 404 naming what was not found."""
        if view is None:
            raise HTTPException(404, f"no such {what}")
        return JSONResponse(view)

    def release(request: Request) -> Response:
        return found(data.view(request.path_params["rid"]), "release")

    def history(request: Request) -> Response:
        rid = request.path_params["rid"]
        if data.release(rid) is None:
            raise HTTPException(404, "no such release")
        return JSONResponse({"decisions": [{**d.public(), "state": d.state} for d in store.history(rid)]})

    def orgs(request: Request) -> Response:
        recs = data.records()
        q = str(request.query_params.get("q", "") or "").strip()[:200]
        return JSONResponse({"records": recs.available, "items": recs.search(q)})

    def org(request: Request) -> Response:
        return found(data.org_view(request.path_params["org_id"]), "organisation")

    def deal(request: Request) -> Response:
        return found(data.records().deal(request.path_params["deal_id"]), "deal")

    def people(request: Request) -> Response:
        recs = data.records()
        q = str(request.query_params.get("q", "") or "").strip()[:200]
        return JSONResponse({"records": recs.available, "items": recs.search_people(q)})

    def person(request: Request) -> Response:
        return found(data.records().person(request.path_params["person_id"]), "person")

    async def decision(request: Request) -> Response:
        body = await json_body(request)
        try:
            made, superseded = await run_in_threadpool(data.decide, body)
        except BadRequest as e:
            raise HTTPException(400, str(e)) from e
        return JSONResponse({"decision": made.public(), "superseded": superseded.public() if superseded else None})

    async def export(request: Request) -> Response:
        from pipeline.export_reviews import export_reviews

        body = await json_body(request)
        try:
            out = export_folder(extracted, str(body.get("name") or ""))
        except BadRequest as e:
            raise HTTPException(400, str(e)) from e
        include = "all" if body.get("all") else "reviewed"
        summary = await run_in_threadpool(export_reviews, extracted, store.path, out, include)
        return JSONResponse({**summary, "folder": str(out.relative_to(extracted)), "files": sorted(summary["files"])})

    async def error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
        return JSONResponse({"error": detail}, status_code=status)

    routes = [
        Route("/", index),
        Route("/api/meta", meta),
        Route("/api/queue", queue),
        Route("/api/release/{rid}", release),
        Route("/api/history/{rid}", history),
        Route("/api/orgs", orgs),
        Route("/api/org/{org_id}", org),
        Route("/api/deal/{deal_id}", deal),
        Route("/api/people", people),
        Route("/api/person/{person_id}", person),
        Route("/api/decision", decision, methods=["POST"]),
        Route("/api/export", export, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(HostGuard, hosts=allowed_hosts("127.0.0.1") if hosts is None else hosts),
    ]
    if token is not None:
        middleware.append(Middleware(TokenGate, token=check_token(token)))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error, Exception: error})
    app.state.data = data
    return app


def is_wildcard(host: str) -> bool:
    """Whether `host` binds every interface (0.0.0.0, ::)."""
    return host.strip().lower() in WILDCARDS


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the app on this machine."""
    host = host.strip().lower().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(value: str) -> str:
    """A Host allow-list entry, lower-case, an IPv6 address without brackets; ValueError if it is none.

    A DNS name, an IP address, `*.example.org` (the names under example.org) or `*` (any name).
    """
    name = value.strip().lower()
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    if not _HOST_NAME.match(name) or len(name) > 253:
        raise ValueError(f"not a host name or IP address: {value!r} (give the name only, without a port)")
    return name


def allowed_hosts(host: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host names to answer when bound to `host`: the loopback names, plus `host` itself when it is
    one address or name, or this machine's hostname when it is 0.0.0.0 / ::, plus `extra`."""
    names = {*LOOPBACK_NAMES, socket.gethostname().lower() if is_wildcard(host) else host_name(host)}
    names.update(host_name(h) for h in extra)
    return sorted(names)


def host_of(header: str) -> str:
    """The name in a Host header ("Name:8765", "[::1]:8765", "name"), lower-case, without port or brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        end = header.find("]")
        return header[1:end] if end > 0 else header
    if header.count(":") == 1:
        header = header.split(":")[0]
    return header.rstrip(".")


def host_allowed(name: str, allowed: Iterable[str]) -> bool:
    return bool(name) and any(a == "*" or a == name or (a.startswith("*.") and name.endswith(a[1:])) for a in allowed)


class HostGuard:
    """Answers only requests whose Host header names one of `hosts`; others get 400 (DNS rebinding)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = [host_name(h) for h in hosts]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"host"]
            name = host_of(given[0]) if len(given) == 1 else ""
            if not host_allowed(name, self.hosts):
                shown = (name or "(none)")[:100]
                text = (
                    f"400 Bad Request: this review app does not answer to the Host name {shown!r}: a page"
                    f" that points its own name at this machine (DNS rebinding) gets no further. To reach the app"
                    f" under this name, start it with --allow-host {shown}.\n"
                )
                await PlainTextResponse(text, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


AUTH_KEY = "review.auth"  # scope key: how the request proved it holds the token ("bearer", "cookie", "query")
NEED_TOKEN = (
    "403 Forbidden: this review app is private. Open the address it printed when it started (it ends in"
    " ?token=...); ask whoever started it for that address. Scripts can send Authorization: Bearer TOKEN.\n"
)


def check_token(token: str) -> str:
    """`token` if it is fit to be a shared secret (16 to 256 of A-Z a-z 0-9 . _ ~ -), else ValueError."""
    if not _TOKEN.match(token or ""):
        raise ValueError("a review token is 16 to 256 letters, digits, '.', '_', '~' or '-' (or give --token auto)")
    return token


def resolve_token(value: str | None, host: str) -> str | None:
    """The token to require: `value` ("auto": a new random one); when none is given, a new one unless `host` is loopback."""
    value = (value or "").strip()
    if value == "auto" or (not value and not is_loopback(host)):
        return secrets.token_urlsafe(32)
    return check_token(value) if value else None


def token_cookie(token: str) -> str:
    """The cookie that holds `token`; named after it, so two apps on one machine keep their own."""
    return "review_token_" + hashlib.sha256(token.encode()).hexdigest()[:12]


class TokenGate:
    """Lets through only requests that hold the shared secret (all but /static/, which is public code).

    `GET ...?token=T` sets the HttpOnly, SameSite=Strict cookie (and for the page, redirects to the same
    address without the token, so it stays out of the address bar and history); later requests send the
    cookie, or `Authorization: Bearer T`. Every token is compared with secrets.compare_digest.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()
        self.cookie = token_cookie(token)

    def valid(self, given: str | None) -> bool:
        return bool(given) and secrets.compare_digest((given or "").encode("utf-8", "replace"), self.token)

    def how(self, request: Request) -> str | None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.valid(given.strip()):
            return "bearer"
        if request.method in ("GET", "HEAD") and self.valid(request.query_params.get("token")):
            return "query"
        if self.valid(request.cookies.get(self.cookie)):
            return "cookie"
        return None

    def set_cookie(self, response: Response) -> Response:
        response.set_cookie(self.cookie, self.token.decode(), httponly=True, samesite="strict", path="/")
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        how = self.how(request)
        if how is None:
            if scope["path"].startswith("/api/"):
                refused: Response = JSONResponse({"error": NEED_TOKEN.strip()}, status_code=403)
            else:
                refused = PlainTextResponse(NEED_TOKEN, status_code=403)
            await refused(scope, receive, send)
            return
        scope[AUTH_KEY] = how
        if how != "query":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/":
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            await self.set_cookie(RedirectResponse("/" + (f"?{rest}" if rest else ""), status_code=303))(scope, receive, send)
            return
        cookie = [h for h in self.set_cookie(Response()).raw_headers if h[0] == b"set-cookie"]

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + cookie
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def open_urls(sock: socket.socket, token: str | None = None) -> list[str]:
    """Addresses to open in a browser (with `?token=` when there is one): for a 0.0.0.0 / :: bind,
    this machine's hostname and loopback, since a browser cannot open 0.0.0.0."""
    host, port = sock.getsockname()[:2]
    if is_wildcard(host):
        loop = "[::1]" if ":" in host else "127.0.0.1"
        urls = [f"http://{socket.gethostname().lower()}:{port}/", f"http://{loop}:{port}/"]
    else:
        urls = [url_of(sock)]
    return [u + (f"?token={token}" if token else "") for u in urls]


def server(app: Starlette) -> uvicorn.Server:
    """A uvicorn server for `app`: `.run(sockets=[bind(...)])`, in the foreground or a thread."""
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
