"""Readers: .txt (any encoding Chinese sources use), .html, .json and .jsonl files -> Releases.

A file that cannot be read raises `ReadError` with a reason a user can act on; the runner records
it in the `errors` table and goes on with the batch.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from charset_normalizer import from_bytes

from pipeline.release import Release, sha1_bytes

SUFFIXES = {".txt", ".text", ".html", ".htm", ".json", ".jsonl", ".ndjson"}
TEXT_FIELDS = ("text", "body", "content", "clean_text", "article", "正文", "内容")
TITLE_FIELDS = ("title", "headline", "標題", "标题")
DEFAULT_MAX_BYTES = 20_000_000
# Encodings real Chinese and English sources use; detection picks among these.
_CANDIDATES = ["utf_8", "gb18030", "big5hkscs", "big5", "utf_16", "cp1252", "latin_1"]
_LOOKS_HTML = re.compile(r"<(?:p|div|br|span|html|body|a|img|h[1-6]|table|article)\b[^>]*>", re.IGNORECASE)


class ReadError(Exception):
    """A file, or one record of it, that cannot be turned into a release."""


@dataclass
class InputFile:
    path: Path
    rel: str  # path relative to the input folder, as recorded in `source_path`


def discover(inputs: list[Path]) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """Files to read under the given files and folders, and the inputs that do not exist."""
    found: list[InputFile] = []
    missing: list[tuple[str, str]] = []
    for inp in inputs:
        if inp.is_dir():
            for p in sorted(inp.rglob("*")):
                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."):
                    found.append(InputFile(p, p.relative_to(inp).as_posix()))
        elif inp.is_file():
            found.append(InputFile(inp, inp.name))
        else:
            missing.append((str(inp), "no such file or folder"))
    return found, missing


def decode(data: bytes) -> str:
    """Decode bytes by detecting their encoding (BOM, strict UTF-8, then charset-normalizer)."""
    if not data.strip():
        raise ReadError("empty file")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc)
    if b"\x00" in data[:4096]:
        raise ReadError("binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            raise ReadError("truncated: the file ends in the middle of a UTF-8 character") from e
    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise ReadError("undecodable: no known text encoding fits the bytes")
    text = str(best)
    if _control_ratio(text) > 0.05:
        raise ReadError(f"binary file (decoded as {best.encoding} it is mostly control characters)")
    return text


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\n\r\t\f")
    return bad / min(len(text), 20000)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Main text and title of an HTML page, through trafilatura."""
    doc = trafilatura.bare_extraction(markup, include_comments=False, include_tables=True, favor_recall=True)
    if doc is None:
        return "", None
    text = doc.text if hasattr(doc, "text") else doc.get("text")
    title = doc.title if hasattr(doc, "title") else doc.get("title")
    return text or "", title


def _field(obj: dict, names: tuple[str, ...]) -> str | None:
    for n in names:
        v = obj.get(n)
        if isinstance(v, str) and v.strip():
            return v
    return None


def _from_object(obj: object, where: str) -> tuple[str, str | None]:
    if not isinstance(obj, dict):
        raise ReadError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    text = _field(obj, TEXT_FIELDS)
    if text is None:
        raise ReadError(f"{where}: no text field (one of {', '.join(TEXT_FIELDS[:3])})")
    title = _field(obj, TITLE_FIELDS)
    if _LOOKS_HTML.search(text):
        text, html_title = html_to_text(text)
        title = title or html_title
    return text, title


def read_file(f: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Release | ReadError]:
    """Yield the releases of one file, or a ReadError per bad record (the file's others still come)."""
    try:
        size = f.path.stat().st_size
        if size > max_bytes:
            yield ReadError(f"too large: {size:,} bytes (limit {max_bytes:,}; raise it with --max-bytes)")
            return
        data = f.path.read_bytes()
        text = decode(data)
    except ReadError as e:
        yield e
        return
    except OSError as e:
        yield ReadError(f"cannot read: {e.strerror}")
        return
    suffix = f.path.suffix.lower()
    sha = sha1_bytes(data)
    if suffix in (".html", ".htm"):
        body, title = html_to_text(text)
        if not body.strip():
            yield ReadError("no main text found in the HTML page")
            return
        yield Release(source_path=f.rel, raw_text=body, source_sha=sha, title=title)
    elif suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            yield ReadError(f"malformed JSON at line {e.lineno} column {e.colno}: {e.msg}")
            return
        objs = obj if isinstance(obj, list) else [obj]
        yield from _records(f, sha, enumerate(objs, 1), many=isinstance(obj, list))
    elif suffix in (".jsonl", ".ndjson"):
        yield from _records(f, sha, _jsonl_objects(text), many=True)
    else:
        if _LOOKS_HTML.search(text[:5000]) and text.lstrip().startswith("<"):
            text, title = html_to_text(text)
            yield Release(source_path=f.rel, raw_text=text, source_sha=sha, title=title)
        else:
            yield Release(source_path=f.rel, raw_text=text, source_sha=sha)


def _jsonl_objects(text: str) -> Iterator[tuple[int, object]]:
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except json.JSONDecodeError as e:
            yield n, ReadError(f"line {n}: malformed JSON: {e.msg}")


def _records(f: InputFile, sha: str, objs, many: bool) -> Iterator[Release | ReadError]:
    for n, obj in objs:
        where = f"record {n}" if many else "record"
        if isinstance(obj, ReadError):
            yield obj
            continue
        try:
            text, title = _from_object(obj, where)
        except ReadError as e:
            yield e
            continue
        rel = f"{f.rel}#{n}" if many else f.rel
        rec_sha = sha1_bytes(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()) if many else sha
        yield Release(source_path=rel, raw_text=text, source_sha=rec_sha, title=title)
