"""Readers: .txt (any encoding Chinese sources use), .html, .json and .jsonl files -> Releases.

A file that cannot be read raises `ReadError` with a reason a user can act on; the runner records
it in the `errors` table and goes on with the batch.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trafilatura
from charset_normalizer import from_bytes

from pipeline.io.output import LOCK as OUTPUT_LOCK
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
    """Files to read under the given files and folders, and every input that will not be read,
    with the reason: missing, not a supported type, a folder that cannot be listed, a broken
    symlink, a symlink loop. Hidden files and folders (`.git`, `.DS_Store`) and an output folder of
    this pipeline inside the input (it holds `.medpr.lock`) are passed over silently. A file named
    on the command line is read whatever its suffix.

    Folders are walked in name order; a symlink to a folder outside the input is followed, one to a
    folder inside it (read there) or back up to a folder being walked (a loop) is not. Paths are
    relative to the input folder, as recorded in `source_path`.
    """
    found: list[InputFile] = []
    skipped: list[tuple[str, str]] = []
    for inp in inputs:
        try:
            st = inp.stat()
        except OSError as e:
            if e.errno == errno.ENOENT and os.path.islink(inp):
                skipped.append((str(inp), f"broken symlink (points to {os.readlink(inp)}, which does not exist)"))
            elif e.errno == errno.ELOOP:
                skipped.append((str(inp), "symlink loop: it leads back to itself"))
            elif e.errno in (errno.ENOENT, errno.ENOTDIR):
                skipped.append((str(inp), "no such file or folder"))
            else:
                skipped.append((str(inp), f"cannot read: {e.strerror or e}"))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk(inp, found, skipped)
        elif stat.S_ISREG(st.st_mode):
            found.append(InputFile(inp, _storable(inp.name)))
        else:
            skipped.append((str(inp), "not a regular file or folder"))
    return found, skipped


def _walk(root: Path, found: list[InputFile], skipped: list[tuple[str, str]]) -> None:
    real_root = root.resolve()
    walked: dict[tuple[int, int], str] = {}  # folders walked (device, inode) -> where, for links met later

    def rel(path: Path) -> str:
        return _storable(path.relative_to(root).as_posix())

    def walk(folder: Path, ancestors: frozenset[tuple[int, int]]) -> None:
        try:
            st = folder.stat()
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            where = rel(folder) + "/" if folder != root else str(root)
            skipped.append((where, f"cannot read folder: {e.strerror or e}"))
            return
        key = (st.st_dev, st.st_ino)
        walked[key] = rel(folder) if folder != root else "."
        ancestors = ancestors | {key}
        for entry in entries:
            if entry.name.startswith("."):
                continue  # hidden: .git, .DS_Store, editors' swap files
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows a symlink
                is_file = not is_dir and entry.is_file()
            except OSError as e:
                loop = e.errno == errno.ELOOP
                skipped.append(
                    (rel(path), "symlink loop: it leads back to itself" if loop else f"cannot read: {e.strerror or e}")
                )
                continue
            if is_link and not (is_dir or is_file) and not os.path.exists(path):
                skipped.append((rel(path), f"broken symlink (points to {os.readlink(path)}, which does not exist)"))
                continue
            if is_dir:
                if os.path.exists(path / OUTPUT_LOCK):  # False, not an error, in a folder it may not look into
                    continue  # this pipeline's own output (`--out` inside the input): tables, not releases
                if is_link:
                    reason = _link_to_folder(path, real_root, ancestors, walked)
                    if reason:
                        skipped.append((rel(path) + "/", reason))
                        continue
                try:
                    walk(path, ancestors)
                except RecursionError:
                    skipped.append((rel(path) + "/", "folders nested too deep to walk"))
            elif is_file:
                suffix = path.suffix.lower()
                if suffix in SUFFIXES:
                    found.append(InputFile(path, rel(path)))
                else:
                    kind = f"({suffix})" if suffix else "(no suffix)"
                    skipped.append((rel(path), f"not a supported type {kind}: reads {', '.join(sorted(SUFFIXES))}"))
            else:
                skipped.append((rel(path), "not a regular file or folder"))

    walk(root, frozenset())


def _link_to_folder(
    link: Path, real_root: Path, ancestors: frozenset[tuple[int, int]], walked: dict[tuple[int, int], str]
) -> str | None:
    """Why a symlink to a folder is not followed, or None to follow it."""
    try:
        st = link.stat()
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop of symlinks (Python < 3.13)
        return "symlink loop: it leads back to itself"
    key = (st.st_dev, st.st_ino)
    if key in ancestors:
        return f"symlink loop: points back to {_where(target, real_root, walked.get(key))}, not followed"
    if target.is_relative_to(real_root):
        return f"symlink to {_where(target, real_root, None)}, a folder of this input: read there, not twice"
    if key in walked:
        return f"symlink to a folder already read as {walked[key]}/, not read twice"
    return None


def _where(target: Path, real_root: Path, known: str | None) -> str:
    """A folder as the report names it: relative to the input folder, else in full."""
    inner = known
    if inner is None and target.is_relative_to(real_root):
        inner = _storable(target.relative_to(real_root).as_posix())
    if inner is None:
        return str(target)
    return "the input folder itself" if inner == "." else inner + "/"


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
    doc = trafilatura.bare_extraction(markup, include_comments=False, include_tables=True, favor_recall=True, with_metadata=True)
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
        rec_sha = (
            sha1_bytes(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")) if many else sha
        )
        yield Release(source_path=rel, raw_text=text, source_sha=rec_sha, title=title)
