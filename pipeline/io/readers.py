"""Readers: .txt (any encoding Chinese sources use), .html, .json and .jsonl files -> Releases.

A file that cannot be read raises `ReadError` with a reason a user can act on; the runner records
it in the `errors` table and goes on with the batch.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
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
                    found.append(InputFile(p, _storable(p.relative_to(inp).as_posix())))
        elif inp.is_file():
            found.append(InputFile(inp, _storable(inp.name)))
        else:
            missing.append((str(inp), "no such file or folder"))
    return found, missing


def _storable(name: str) -> str:
    """A file name that is not valid UTF-8 (bytes kept as surrogates) with those bytes as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def decode(data: bytes) -> str:
    """Decode bytes by detecting their encoding (BOM, strict UTF-8, UTF-16, then charset-normalizer)."""
    if not data.strip():
        raise ReadError("empty file")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc)
    if b"\x00" in data[:4096]:
        if (text := _utf16_without_bom(data)) is not None:
            return text
        raise ReadError("binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            raise ReadError("truncated: the file ends in the middle of a UTF-8 character") from e
        utf8_error = f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
    best = from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        if (text := _utf16_without_bom(data)) is not None:
            return text
        raise ReadError(f"undecodable: {utf8_error}, and no other known text encoding fits the bytes")
    text = str(best)
    if _control_ratio(text) > 0.05:
        raise ReadError(f"binary file (decoded as {best.encoding} it is mostly control characters)")
    if best.encoding in ("gb18030", "big5", "big5hkscs") and _ambiguous_cjk(data, text):
        raise ReadError("too little text to tell its encoding (it reads as both GB18030 and Big5): save it as UTF-8")
    return text


# What text (Chinese or English) decodes to: a UTF-16 guess that yields much else is wrong.
_PLAIN = re.compile(r"[\t\n\r\x20-\x7e\xa0-\xff\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a BOM, or None. NULs at odd offsets mean little-endian ASCII."""
    if len(data) % 2:
        return None
    le_first = data[1::2].count(0) >= data[0::2].count(0)
    best: tuple[float, str] | None = None
    for enc in ("utf-16-le", "utf-16-be") if le_first else ("utf-16-be", "utf-16-le"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        sample = text[:20000]
        ratio = len(_PLAIN.findall(sample)) / max(len(sample), 1)
        if ratio >= 0.95 and (best is None or ratio > best[0]):
            best = (ratio, text)
    return best[1] if best else None


def _ambiguous_cjk(data: bytes, text: str) -> bool:
    """A few Chinese characters' worth of bytes that read as different text in GB18030 and Big5.

    Measured on the samples: below 8 characters (16 bytes) detection picks the wrong one for up to
    80% of GB18030 snippets; from 8 on it was right every time.
    """
    if sum(ord(c) >= 0x80 for c in text) >= 8:
        return False
    readings = set()
    for enc in ("gb18030", "big5hkscs"):
        with contextlib.suppress(UnicodeDecodeError):
            readings.add(data.decode(enc))
    return len(readings) > 1


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\n\r\t\f")
    return bad / min(len(text), 20000)


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Main text and title of an HTML page, through trafilatura."""
    if not re.search(r"<(?:html|body)\b", markup[:5000], re.IGNORECASE):
        markup = f"<html><body>{markup}</body></html>"  # a fragment (a JSON field): trafilatura drops bare ones
    doc = trafilatura.bare_extraction(
        markup, include_comments=False, include_tables=True, favor_recall=True, with_metadata=True
    )
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


def _scrub(s: str) -> str:
    """Lone surrogates (a JSON escape like \\ud800) -> U+FFFD: they cannot be written as UTF-8."""
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _from_object(obj: object, where: str) -> tuple[str, str | None]:
    if not isinstance(obj, dict):
        raise ReadError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    text = _field(obj, TEXT_FIELDS)
    if text is None:
        raise ReadError(f"{where}: no text field (one of {', '.join(TEXT_FIELDS[:3])})")
    title = _field(obj, TITLE_FIELDS)
    text, title = _scrub(text), title and _scrub(title)
    if _LOOKS_HTML.search(text):
        text, html_title = html_to_text(text)
        title = title or html_title
    return text, title


def read_file(f: InputFile, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Release | ReadError]:
    """Yield the releases of one file, or a ReadError per bad record (the file's others still come)."""
    try:
        yield from _read_file(f, max_bytes)
    except Exception as e:  # a parser tripping on one odd file (deep JSON nesting...) must not stop the batch
        yield ReadError(f"unreadable: {type(e).__name__}: {e}")


def _read_file(f: InputFile, max_bytes: int) -> Iterator[Release | ReadError]:
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
        except RecursionError:
            yield n, ReadError(f"line {n}: malformed JSON: nested too deeply")


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
        rec_sha = sha1_bytes(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")) if many else sha
        yield Release(source_path=rel, raw_text=text, source_sha=rec_sha, title=title)
