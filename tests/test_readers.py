"""Readers: every encoding Chinese sources use, HTML/JSON/JSONL, and bad files reported (never raised)."""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from pipeline.io.readers import InputFile, ReadError, discover, read_file
from pipeline.release import Release

# Realistic press-release paragraphs, one per script/region.
ZHS = (
    "新华社北京12月24日电 国家卫生健康委员会今天召开新闻发布会，介绍深化医药卫生体制改革进展情况。"
    "四川大学华西医院与北京协和医院签署战略合作协议，双方将在肿瘤精准治疗、远程会诊和人才培养等方面开展深度合作。\n"
    "院长表示，这次合作将推动优质医疗资源扩容下沉，让患者在家门口就能享受高水平的医疗服务。"
)
ZHT_HK = (  # 衞 and 綫 exist only in Big5-HKSCS, not in plain Big5
    "香港2025年12月24日 -- 養和醫療集團與香港大學深圳醫院簽署合作備忘錄，雙方將在質子治療及癌症研究方面加強合作。\n"
    "衞生署署長表示，政府會繼續推動大灣區醫療合作，並透過專綫服務方便跨境病人覆診。"
    "集團行政總裁李維達醫生指出，是次合作有助提升區內病人獲得優質醫療服務的機會。"
)
ZHT_TW = (
    "臺北訊 臺灣大學醫學院附設醫院今日與衛生福利部合作，宣布啟動新一代癌症篩檢計畫。\n"
    "院長表示，計畫將結合人工智慧影像判讀技術，提升早期發現率，並擴大偏鄉地區的醫療服務量能。"
)
EN = (
    "HONG KONG, Dec. 24, 2025 /PRNewswire/ -- HKSH Medical Group and the Cancer Hospital Chinese Academy of Medical "
    "Sciences Shenzhen Hospital signed a strategic cooperation memorandum of understanding on 11 December 2025.\n"
    "Dr Lee Wai-tat, Chief Executive Officer of HKSH Medical Group, said the collaboration would help patients in the "
    "Greater Bay Area gain access to advanced cancer care."
)


def read(path: Path, root: Path | None = None, **kw) -> list[Release | ReadError]:
    root = root or path.parent
    return list(read_file(InputFile(path, path.relative_to(root).as_posix()), **kw))


def read_one(path: Path) -> Release:
    [item] = read(path)
    assert isinstance(item, Release), item
    return item


def read_error(path: Path, **kw) -> str:
    [item] = read(path, **kw)
    assert isinstance(item, ReadError), f"expected a ReadError, got a release: {item.raw_text[:60]!r}"
    return str(item)


# --- encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, encoding",
    [
        (ZHS, "utf-8"),
        (ZHT_HK, "utf-8-sig"),
        (ZHS, "gb18030"),
        (ZHS, "gbk"),
        (ZHT_TW, "big5"),
        (ZHT_HK, "big5hkscs"),
        (ZHT_HK, "utf-16"),  # with BOM, as Windows saves "Unicode" text
        (ZHT_HK, "utf-16-le"),  # no BOM
        (ZHS, "utf-16-be"),  # no BOM
        (EN, "utf-16-be"),
        (EN + " Café – résumé", "cp1252"),
    ],
)
def test_encoding_is_detected(tmp_path, text, encoding):
    f = tmp_path / "release.txt"
    f.write_bytes(text.encode(encoding))
    assert read_one(f).raw_text == text


def test_hkscs_characters_need_big5hkscs_not_big5(tmp_path):
    """Plain Big5 cannot even encode 衞 and 綫, so reading them back proves Big5-HKSCS was detected."""
    with pytest.raises(UnicodeEncodeError):
        "衞".encode("big5")
    with pytest.raises(UnicodeEncodeError):
        "綫".encode("big5")
    f = tmp_path / "hk.txt"
    f.write_bytes(ZHT_HK.encode("big5hkscs"))
    text = read_one(f).raw_text
    assert "衞生署" in text and "專綫" in text


def test_gbk_and_big5_bytes_of_one_text_are_told_apart(tmp_path):
    """The same Traditional paragraph in GB18030 and in Big5: both decode back to the text."""
    for enc in ("gb18030", "big5"):
        f = tmp_path / f"{enc}.txt"
        f.write_bytes(ZHT_TW.encode(enc))
        assert read_one(f).raw_text == ZHT_TW, enc


@pytest.mark.parametrize("encoding", ["gb18030", "big5hkscs", "utf-16-le"])
@pytest.mark.parametrize("text", ["香港大學深圳醫院", "北京協和醫院今天宣布", "養和醫療集團簽署備忘錄"])
def test_short_texts_of_eight_characters_decode(tmp_path, text, encoding):
    f = tmp_path / "short.txt"
    f.write_bytes(text.encode(encoding))
    assert read_one(f).raw_text == text


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
@pytest.mark.parametrize("text", ["養和醫院", "台灣大學醫院", "衛生福利部"])
def test_too_short_to_tell_gb_from_big5_is_reported_not_guessed(tmp_path, text, encoding):
    f = tmp_path / "tiny.txt"
    f.write_bytes(text.encode(encoding))
    assert "too little text to tell its encoding" in read_error(f)


# --- bad files: each one a ReadError with a reason ------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(30)) for y in range(10))
    ihdr = struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\r\n\t \n", "empty file"),
        ("photo.txt", _png(), "binary file"),
        ("archive.txt", zlib.compress(ZHS.encode() * 3), "binary file"),
        ("mixed.txt", ZHS.encode()[:90] + b"\xff\xfe\xfd" + ZHS.encode()[90:], "undecodable"),
        ("cut.txt", ZHT_HK.encode("utf-8")[:-1], "truncated"),
        ("cut2.txt", ZHT_HK.encode("utf-8")[:-2], "truncated"),
        ("cut.json", json.dumps([{"text": EN}, {"text": ZHS}]).encode()[:-40], "malformed JSON at line 1"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "json"),
        ("nav.html", b"<html><body><nav></nav><footer></footer></body></html>", "no main text"),
        ("none.json", json.dumps({"id": 3, "url": "https://example.org"}).encode(), "no text field"),
    ],
)
def test_bad_file_is_one_read_error_with_a_reason(tmp_path, name, data, reason):
    f = tmp_path / name
    f.write_bytes(data)
    assert reason.lower() in read_error(f).lower()


def test_undecodable_bytes_say_where(tmp_path):
    head = ZHS[:30].encode()
    f = tmp_path / "mixed.txt"
    f.write_bytes(head + b"\xff\xfe\xfd" + ZHS[30:].encode())
    assert f"not UTF-8 (byte 0xff at offset {len(head)})" in read_error(f)


def test_file_over_max_bytes_is_reported_as_too_large(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text(EN * 5, encoding="utf-8")
    reason = read_error(f, max_bytes=100)
    assert "too large" in reason and "--max-bytes" in reason
    assert read(f, max_bytes=10_000)[0].raw_text == EN * 5


# --- HTML -----------------------------------------------------------------------------------

P1, P2 = EN.split("\n")
PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>HKSH signs proton therapy MOU with Shenzhen hospital | MedNews</title></head>
<body><header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">Latest news</a></li>
<li><a href="/about">About us</a></li><li><a href="/contact">Contact the newsroom</a></li></ul></nav></header>
<main><article><h1>HKSH signs proton therapy MOU with Shenzhen hospital</h1><p>{P1}</p><p>{P2}</p></article></main>
<aside><h3>Most read</h3><ul><li><a href="/x">Subscribe to our weekly newsletter</a></li></ul></aside>
<footer><p>Copyright 2025 MedNews Ltd.</p><a href="/privacy">Privacy policy</a></footer></body></html>"""

ZH_PAGE = """<html><head><meta charset="gb2312"><title>华西医院与协和医院签署战略合作协议_新闻中心</title></head><body>
<div class="nav"><a href="/">首页</a> | <a href="/news">新闻中心</a> | \
<a href="/about">关于我们</a> | <a href="/jobs">招聘信息</a></div>
<div class="content"><h1>华西医院与协和医院签署战略合作协议</h1>
<p>新华社北京12月24日电 四川大学华西医院与北京协和医院今天在北京签署战略合作协议，\
双方将在肿瘤精准治疗、远程会诊和人才培养等方面开展深度合作。</p>
<p>院长表示，这次合作将推动优质医疗资源扩容下沉，让患者在家门口就能享受高水平的医疗服务，进一步提升区域医疗服务能力。</p></div>
<div class="footer">版权所有 © 2025 健康新闻网 京ICP备12345678号</div></body></html>"""


def test_html_page_main_text_and_title_without_navigation(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(PAGE, encoding="utf-8")
    r = read_one(f)
    assert r.title and r.title.startswith("HKSH signs proton therapy MOU")
    assert P1 in r.raw_text and P2 in r.raw_text
    for chrome in ("About us", "Contact the newsroom", "Latest news", "Subscribe", "Privacy policy", "<p>"):
        assert chrome not in r.raw_text


def test_chinese_html_page_in_gb18030(tmp_path):
    f = tmp_path / "zh.htm"
    f.write_bytes(ZH_PAGE.encode("gb18030"))
    r = read_one(f)
    assert r.title and "华西医院与协和医院签署战略合作协议" in r.title
    assert "四川大学华西医院与北京协和医院今天在北京签署战略合作协议" in r.raw_text
    assert "提升区域医疗服务能力" in r.raw_text
    for chrome in ("招聘信息", "关于我们", "京ICP备"):
        assert chrome not in r.raw_text


def test_html_saved_as_txt_is_still_read_as_html(tmp_path):
    f = tmp_path / "saved.txt"
    f.write_text(PAGE, encoding="utf-8")
    r = read_one(f)
    assert P1 in r.raw_text and "<article>" not in r.raw_text and "About us" not in r.raw_text


# --- JSON and JSONL -------------------------------------------------------------------------


def test_json_single_object(tmp_path):
    f = tmp_path / "one.json"
    f.write_text(json.dumps({"headline": "MOU signed", "body": ZHT_HK}, ensure_ascii=False), encoding="utf-8")
    r = read_one(f)
    assert (r.source_path, r.title, r.raw_text) == ("one.json", "MOU signed", ZHT_HK)


def test_json_list_gives_one_release_per_object_and_reports_the_rest(tmp_path):
    f = tmp_path / "list.json"
    records = [{"title": "A", "text": EN}, {"content": f"<div><p>{P2}</p></div>"}, {"url": "x"}, "just a string"]
    f.write_text(json.dumps(records), encoding="utf-8")
    items = read(f)
    assert [i.source_path for i in items if isinstance(i, Release)] == ["list.json#1", "list.json#2"]
    assert items[1].raw_text == P2  # HTML in the field stripped, even a one-paragraph fragment
    errors = [str(i) for i in items if isinstance(i, ReadError)]
    assert errors == ["record 3: no text field (one of text, body, content)", "record 4: expected a JSON object, got str"]


def test_jsonl_one_release_per_line_good_lines_survive_bad_ones(tmp_path):
    sub = tmp_path / "feeds" / "2025"
    sub.mkdir(parents=True)
    lines = [
        json.dumps({"text": EN, "title": "T"}),
        '{"text": "cut off in the mid',  # malformed
        "",  # blank lines are skipped, numbering stays by line
        json.dumps({"body": f"<p>{P1}</p>\n<p>{P2}</p>", "url": "https://example.org/a"}),
        "[1, 2, 3]",
        json.dumps({"content": ZHT_HK}, ensure_ascii=False),
        "[" * 50_000,  # nested too deeply for the parser: reported, the file goes on
        json.dumps({"正文": ZHS}, ensure_ascii=False),
    ]
    f = sub / "feed.jsonl"
    f.write_text("\n".join(lines), encoding="utf-8")
    items = read(f, root=tmp_path)
    releases = {i.source_path: i for i in items if isinstance(i, Release)}
    assert list(releases) == [
        "feeds/2025/feed.jsonl#1",
        "feeds/2025/feed.jsonl#4",
        "feeds/2025/feed.jsonl#6",
        "feeds/2025/feed.jsonl#8",
    ]
    assert releases["feeds/2025/feed.jsonl#1"].title == "T"
    html_record = releases["feeds/2025/feed.jsonl#4"].raw_text
    assert P1 in html_record and P2 in html_record and "<p>" not in html_record
    assert releases["feeds/2025/feed.jsonl#8"].raw_text == ZHS
    errors = [str(i) for i in items if isinstance(i, ReadError)]
    assert len(errors) == 3
    assert errors[0].startswith("line 2: malformed JSON")
    assert errors[1] == "record 5: expected a JSON object, got list"
    assert errors[2].startswith("line 7: malformed JSON")


def test_jsonl_record_ids_change_only_with_their_record(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps({"text": EN}) + "\n" + json.dumps({"text": ZHS}, ensure_ascii=False), encoding="utf-8")
    before = [r.source_sha for r in read(f)]
    f.write_text(json.dumps({"text": EN}) + "\n" + json.dumps({"text": ZHS + "。"}, ensure_ascii=False), encoding="utf-8")
    after = [r.source_sha for r in read(f)]
    assert before[0] == after[0] and before[1] != after[1]


def test_json_escape_of_a_lone_surrogate_becomes_a_replacement_character(tmp_path):
    """'\\ud800' is valid JSON but not UTF-8: left in, it would fail the Parquet write of the batch."""
    f = tmp_path / "s.jsonl"
    f.write_text('{"text": "Queen Mary Hospital \\ud800 opens a clinic", "title": "Clinic \\udfff"}\n', encoding="utf-8")
    r = read_one(f)
    assert r.raw_text == "Queen Mary Hospital \ufffd opens a clinic" and r.title == "Clinic \ufffd"
    r.raw_text.encode("utf-8")


def test_json_in_legacy_encoding(tmp_path):
    f = tmp_path / "big5.json"
    f.write_bytes(json.dumps({"text": ZHT_TW}, ensure_ascii=False).encode("big5"))
    assert read_one(f).raw_text == ZHT_TW


# --- discovery and source paths -------------------------------------------------------------


def test_source_paths_are_relative_to_the_input_folder(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "top.TXT").write_text(ZHS, encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "logo.png").write_bytes(_png())
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    files, missing = discover([tmp_path, tmp_path / "missing-folder"])
    assert [f.rel for f in files] == ["a/b/x.txt", "top.TXT"]
    assert [(p, r.split(":")[0]) for p, r in missing] == [
        ("logo.png", "not a supported type (.png)"),
        ("notes.docx", "not a supported type (.docx)"),
        (str(tmp_path / "missing-folder"), "no such file or folder"),
    ]  # the hidden file stays unmentioned
    files, _ = discover([tmp_path / "a" / "b" / "x.txt"])  # a file given directly: its own name
    assert [f.rel for f in files] == ["x.txt"]


def test_file_name_that_is_not_utf8_gets_a_storable_source_path(tmp_path):
    name = os.fsdecode(b"caf\xe9 release.txt")  # Latin-1 bytes in a Linux file name
    (tmp_path / name).write_text(EN, encoding="utf-8")
    [f], _ = discover([tmp_path])
    assert f.rel == "caf\\xe9 release.txt"
    f.rel.encode("utf-8")
    assert read(f.path, root=tmp_path)[0].raw_text == EN


def test_every_input_not_read_is_reported_with_its_reason(tmp_path):
    root = tmp_path / "in"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text(EN, encoding="utf-8")
    (root / "a" / "loop").symlink_to("..")  # back up to the input folder
    (root / "a" / "self").symlink_to("self")  # a link to itself
    (root / "a" / "gone.txt").symlink_to("nowhere.txt")
    (root / "a" / "twin").symlink_to("../b")  # b is read in place
    (root / "b").mkdir()
    (root / "b" / "y.txt").write_text(ZHS, encoding="utf-8")
    (root / "x.txt").mkdir()  # a folder with a release's name: walked into, its files read
    (root / "x.txt" / "inner.txt").write_text(ZHT_TW, encoding="utf-8")
    (root / "report.pdf").write_bytes(b"%PDF-1.4")
    (root / "README").write_text("notes", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD.txt").write_text("ref", encoding="utf-8")  # hidden folders are not walked
    (root / "out").mkdir()  # `run in --out in/out`: the pipeline's own tables are no input
    (root / "out" / ".medpr.lock").write_bytes(b"")
    (root / "out" / "releases.parquet").write_bytes(b"PAR1")
    os.mkfifo(root / "feed.fifo")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "z.txt").write_text(EN, encoding="utf-8")
    (root / "linked").symlink_to(outside)  # a folder outside the input: followed
    (root / "linked-again").symlink_to(outside)  # ... once

    files, skipped = discover([root, tmp_path / "no-such.txt"])

    assert [f.rel for f in files] == ["a/x.txt", "b/y.txt", "linked/z.txt", "x.txt/inner.txt"]
    reasons = dict(skipped)
    assert len(reasons) == len(skipped), skipped  # each once
    assert reasons == {
        "README": reasons["README"],
        "a/gone.txt": "broken symlink (points to nowhere.txt, which does not exist)",
        "a/loop/": "symlink loop: points back to the input folder itself, not followed",
        "a/self": "symlink loop: it leads back to itself",
        "a/twin/": "symlink to b/, a folder of this input: read there, not twice",
        "feed.fifo": "not a regular file or folder",
        "linked-again/": "symlink to a folder already read as linked/, not read twice",
        "report.pdf": reasons["report.pdf"],
        str(tmp_path / "no-such.txt"): "no such file or folder",
    }
    assert reasons["report.pdf"].startswith("not a supported type (.pdf): reads ") and ".txt" in reasons["report.pdf"]
    assert reasons["README"].startswith("not a supported type (no suffix)")
    assert discover([root]) == (files, skipped[:-1])  # the same order every time


def test_a_broken_symlink_named_on_the_command_line_is_reported(tmp_path):
    (tmp_path / "x.txt").symlink_to("missing.txt")
    assert discover([tmp_path / "x.txt"]) == (
        [],
        [(str(tmp_path / "x.txt"), "broken symlink (points to missing.txt, which does not exist)")],
    )


def _unprivileged(fn):
    """`fn()`'s result, computed without root's right to read anything: in this process when it is
    not root, else in a forked child that has become `nobody` (the test suite runs as root in CI
    containers, where chmod 000 stops nothing)."""
    if os.geteuid() != 0:
        return fn()
    import pickle
    import pwd

    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root and there is no user `nobody` to drop to: chmod 000 cannot be tested")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, run, send the result back, leave without cleanup
        code = 0
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            data = pickle.dumps(("ok", fn()))
        except BaseException as e:  # anything at all goes back to the parent
            data, code = pickle.dumps(("error", repr(e))), 1
        with os.fdopen(w, "wb") as out:
            out.write(data)
        os._exit(code)
    os.close(w)
    import select

    with os.fdopen(r, "rb") as inp:
        if not select.select([inp], [], [], 60)[0]:  # a child stuck (a lock held at fork) must not hang the suite
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the unprivileged child gave no answer in 60 s")
        data = inp.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    assert status == "ok", value
    return value


def test_unreadable_folder_and_file_are_reported(tmp_path):
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="medpr-perm-"))  # pytest's tmp_path is root's alone (0700)
    try:
        base.chmod(0o755)
        (base / "open").mkdir()
        (base / "open" / "a.txt").write_text(EN, encoding="utf-8")
        (base / "open" / "locked.txt").write_text(EN, encoding="utf-8")
        (base / "open" / "locked.txt").chmod(0o000)
        (base / "shut").mkdir()
        (base / "shut" / "b.txt").write_text(EN, encoding="utf-8")
        (base / "shut").chmod(0o000)

        def run():
            files, skipped = discover([base])
            reads = {f.rel: [str(x) if isinstance(x, ReadError) else "release" for x in read_file(f)] for f in files}
            return [f.rel for f in files], skipped, reads

        names, skipped, reads = _unprivileged(run)
        assert names == ["open/a.txt", "open/locked.txt"]
        assert skipped == [("shut/", "cannot read folder: Permission denied")]
        assert reads == {"open/a.txt": ["release"], "open/locked.txt": ["cannot read: Permission denied"]}
    finally:
        (base / "shut").chmod(0o755)
        import shutil

        shutil.rmtree(base)
