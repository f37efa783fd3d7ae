"""The review web app: a Starlette app over the extracted tables and the SQLite review store.

Security, because the page shows scraped text from anywhere:
- the page builds every piece of data into the DOM with `textContent` and a strict
  Content-Security-Policy forbids inline script, so `<script>` in a release is just text;
- state-changing requests need the session's CSRF token (an HMAC of the session cookie under a key
  kept in the database, so it survives a restart) in a header, a JSON body and a same-origin Origin;
- only the Host names the app was bound to are answered (no DNS rebinding);
- the only path a request names is an export folder, a plain name kept inside DIR/exports.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.review.decide import BadRequest, ReviewData
from pipeline.review.queue import Filters
from pipeline.review.store import ReviewStore

HERE = Path(__file__).resolve().parent
COOKIE = "review_session"
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
                    (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store"),
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


def create_app(extracted: Path, db: Path | None = None, hosts: list[str] | None = None) -> Starlette:
    """The review app for the tables in `extracted`, with its decisions in `db` (default DIR/reviews.sqlite)."""
    extracted = Path(extracted).resolve()
    store = ReviewStore(db or default_db(extracted))
    data = ReviewData(extracted, store)
    key = store.secret().encode()
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def csrf_for(session: str) -> str:
        return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()

    async def json_body(request: Request) -> dict[str, Any]:
        """The body of a state-changing request, after the CSRF, origin, type and size checks."""
        session = request.cookies.get(COOKIE, "")
        token = request.headers.get("x-csrf-token", "")
        if not session or not hmac.compare_digest(token.encode(), csrf_for(session).encode()):
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

    def release(request: Request) -> Response:
        view = data.view(request.path_params["rid"])
        if view is None:
            raise HTTPException(404, "no such release")
        return JSONResponse(view)

    def history(request: Request) -> Response:
        rid = request.path_params["rid"]
        if data.release(rid) is None:
            raise HTTPException(404, "no such release")
        return JSONResponse({"decisions": [{**d.public(), "state": d.state} for d in store.history(rid)]})

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
        Route("/api/decision", decision, methods=["POST"]),
        Route("/api/export", export, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=hosts))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error, Exception: error})
    app.state.data = data
    return app


def allowed_hosts(host: str) -> list[str]:
    """Host headers to answer: the loopback names, plus the bound address; anything for a wildcard bind."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return sorted({"127.0.0.1", "localhost", "[::1]", "::1", host, f"[{host}]" if ":" in host else host})


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


def server(app: Starlette) -> uvicorn.Server:
    """A uvicorn server for `app`: `.run(sockets=[bind(...)])`, in the foreground or a thread."""
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
