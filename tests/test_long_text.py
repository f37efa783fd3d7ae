"""Releases longer than spaCy takes (1,000,000 characters, its error E088): read in pieces, with
offsets into the whole `clean_text`, and read as a release of ordinary length would be.

The releases over the limit put real releases from data/raw at both ends of filler lines of
punctuation (dots, or 。 in Chinese): past the limit at a cost of seconds, since the taggers
have next to nothing to do with those lines. The shorter ones read real releases in pieces of a
few thousand characters, to compare with the same text read whole.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from pipeline.ner import lexicon
from pipeline.ner.pieces import split_text
from pipeline.release import Entity, Release
from pipeline.stages.recognise import Recognise

from .conftest import RAW

LIMIT = 1_000_000  # spaCy's nlp.max_length


def _filler(n_chars: int, mark: str) -> str:
    return "\n".join(mark * 1000 for _ in range(n_chars // 1001 + 1))


def _pieces(text: str, size: int) -> list[str]:
    return [text[a:b] for a, b in split_text(text, size)]


def _stage(pipeline, name: str):
    return next(s for s in pipeline.release_stages if s.name == name)


def _assert_offsets_index_the_text(r: Release) -> None:
    for e in r.entities:
        written = [r.clean_text[s:t] for s, t in e.mentions]
        assert all(w.strip() for w in written), e
        assert e.text in written, e  # the name as first written is one of its mentions
        assert all(0 <= s < t <= len(r.clean_text) for s, t in e.mentions), e
    ids = sorted((e.entity_id for e in r.entities + r.rejected), key=lambda i: int(i[1:]))  # the judge's rejects aside
    assert ids == [f"E{i}" for i in range(1, len(ids) + 1)]


def _mentions_after(r: Release, label: str, start: int) -> dict[str, Entity]:
    return {r.clean_text[s:t]: e for e in r.entities if e.label == label for s, t in e.mentions if s >= start}


# --- where the pieces end ----------------------------------------------------------------------


def test_pieces_cover_the_text_and_end_at_the_strongest_break():
    text = "First paragraph, first line.\nIts second line.\n\nSecond paragraph. Two sentences here.\nLast line"
    for size in range(20, len(text) + 1):
        spans = split_text(text, size)
        assert spans[0][0] == 0 and spans[-1][1] == len(text)
        assert all(a < b <= a + size for a, b in spans) and all(b == c for (_, b), (c, _) in pairwise(spans))
    assert [text[a:b] for a, b in split_text(text, 60)] == [
        "First paragraph, first line.\nIts second line.\n\n",
        "Second paragraph. Two sentences here.\nLast line",
    ]
    assert _pieces("Sentence one. Sentence two goes on. Three.", 30) == ["Sentence one. ", "Sentence two goes on. Three."]
    assert _pieces("One. Two three four five six seven.", 20) == ["One. Two three four ", "five six seven."]
    assert _pieces("長句，還有一句。短句！" * 2, 16) == ["長句，還有一句。短句！", "長句，還有一句。短句！"]
    assert _pieces("a b. " + "c" * 30, 20) == ["a b. ", "c" * 20, "c" * 10]
    assert split_text("x" * 25, 10) == [(0, 10), (10, 20), (20, 25)]  # no break at all: cut where it must
    assert split_text("short", 10) == [(0, 5)]


def test_piece_size_is_checked_when_the_pipeline_is_built():
    for bad in (LIMIT + 1, 10, "big"):
        with pytest.raises(
            ValueError, match=r"^recognise\.max_chars must be a whole number from 1,000 to 1,000,000 \(spaCy's limit\)"
        ):
            Recognise(max_chars=bad)


# --- over the limit -------------------------------------------------------------------------------


def test_english_release_over_a_million_characters(pipeline):
    head = (RAW / "en_hksh_shenzhen_mou.txt").read_text("utf-8")
    tail = (RAW / "en_concord_kiang_wu_agreement.txt").read_text("utf-8")
    raw = head + "\n\n" + _filler(LIMIT + 50_000, ".") + "\n\n" + tail

    r = pipeline.process(Release(source_path="long.txt", raw_text=raw))  # before: spaCy's E088

    assert len(r.clean_text) > LIMIT
    tail_at = r.clean_text.index("BEIJING, Aug. 31, 2020")
    assert tail_at > LIMIT
    _assert_offsets_index_the_text(r)
    orgs = _mentions_after(r, "ORG", tail_at)
    assert {"Concord Medical Services Holdings Limited", "Guangzhou Concord Cancer Center", "Kiang Wu hospital"} <= set(orgs)
    assert "HKSH Medical Group" in {e.text for e in r.entities}  # the head, read in the first piece
    # the tail read within the long release finds what the tail read alone finds, in the same places
    alone = pipeline.process(Release(source_path="tail.txt", raw_text=tail))
    shift = tail_at - alone.clean_text.index("BEIJING, Aug. 31, 2020")
    found = {(e.label, s, t) for e in r.entities for s, t in e.mentions}
    assert {
        (e.label, s + shift, t + shift) for e in alone.entities if e.label in ("ORG", "PERSON") for s, t in e.mentions
    } <= found

    # the facts of the tail too, read in the last piece
    # (a place spelled two ways is one entity, named as first written: the head's `Macau` is the tail's `Macao`)
    def spelled(name):
        return lexicon.place_spelling(name) or name if name else name

    late = {(x.type, x.head, spelled(x.tail)) for x in r.relations if r.clean_text.find(x.evidence, tail_at) >= 0}
    assert {(x.type, x.head, spelled(x.tail)) for x in alone.relations} <= late
    assert ("partnership", "Guangzhou Concord Cancer Center", "Macao Kiang Wu hospital") in late
    assert r.docs["en"].text == r.clean_text


def test_release_of_one_line_over_a_million_characters(pipeline):
    """No line breaks at all (a page scraped flat): the pieces end at sentence ends, in recognise
    and in relate's parse, which reads a line at a time."""
    head = (RAW / "en_hksh_shenzhen_mou.txt").read_text("utf-8").replace("\n", " ")
    tail = (RAW / "en_concord_kiang_wu_agreement.txt").read_text("utf-8").replace("\n", " ")
    r = pipeline.process(Release(source_path="flat.txt", raw_text=head + " " + "." * (LIMIT + 50_000) + " " + tail))

    assert len(r.clean_text) > LIMIT and "\n" not in r.clean_text
    _assert_offsets_index_the_text(r)
    tail_at = r.clean_text.index("BEIJING, Aug. 31, 2020")
    assert {"Concord Medical Services Holdings Limited", "Guangzhou Concord Cancer Center"} <= set(
        _mentions_after(r, "ORG", tail_at)
    )
    assert any(r.clean_text.find(x.evidence, tail_at) >= 0 for x in r.relations)


def test_chinese_release_over_a_million_characters(pipeline):
    zh = (RAW / "zht_hksh_shenzhen_mou.txt").read_text("utf-8")
    again = "\n".join(f"重發：{line}" if line.strip() else line for line in zh.split("\n"))  # a copy, not dropped as a repeat
    last = "養和將於2027年與深圳腫瘤醫院合辦第二個質子治療中心。"  # the short form only: defined a million characters before
    raw = zh + "\n\n" + _filler(LIMIT + 200_000, "。") + "\n\n" + again + "\n\n" + last
    r = Release(source_path="long.txt", raw_text=raw)
    for name in ("clean", "convert", "recognise"):  # relate on Chinese has no length limit (see below for it on pieces)
        r = _stage(pipeline, name)(r)

    assert len(r.clean_text) > LIMIT and (r.lang, r.script) == ("zh", "Hant")
    _assert_offsets_index_the_text(r)
    again_at = r.clean_text.index("重發：")
    orgs = _mentions_after(r, "ORG", again_at)
    assert {"養和醫療集團", "中國醫學科學院腫瘤醫院深圳醫院"} <= set(orgs)  # offsets into the Traditional text
    yeung = next(e for e in r.entities if e.text == "養和醫療集團")
    last_at = r.clean_text.index(last)
    assert (last_at, last_at + 2) in yeung.mentions and "養和" in yeung.aliases


# --- read in pieces, read as a whole -----------------------------------------------------------------


def _read_both_ways(pipeline, monkeypatch, raw: str, size: int) -> tuple[Release, Release]:
    whole = pipeline.process(Release(source_path="t.txt", raw_text=raw))
    monkeypatch.setattr(_stage(pipeline, "recognise"), "max_chars", size)
    pieces = pipeline.process(Release(source_path="t.txt", raw_text=raw))
    n = len(split_text(pieces.text_hans or pieces.clean_text, size))
    assert n >= 4, n
    return whole, pieces


def _mentions(r: Release) -> set[tuple[str, int, int]]:
    return {(e.label, s, t) for e in r.entities for s, t in e.mentions}


def _facts(r: Release) -> set[tuple]:
    return {(x.type, x.head, x.tail, x.date, x.title) for x in r.relations}


def test_english_in_pieces_reads_like_the_whole(pipeline, monkeypatch):
    names = [
        "en_hksh_shenzhen_mou.txt",
        "en_concord_kiang_wu_agreement.txt",
        "en_guangzhou_concord_opening.txt",
        "en_hainan_medical_association.txt",
    ]
    raw = "\n\n".join((RAW / n).read_text("utf-8") for n in names)
    raw += "\n\nHKSH will open a second proton therapy centre with Shenzhen Cancer Hospital in 2027."
    whole, pieces = _read_both_ways(pipeline, monkeypatch, raw, 2_000)

    assert pieces.clean_text == whole.clean_text
    _assert_offsets_index_the_text(pieces)
    assert _mentions(pieces) == _mentions(whole)
    assert _facts(pieces) == _facts(whole)
    # the short form defined in the first piece is the group's in the last one, not an entity of its own
    hksh = next(e for e in pieces.entities if e.text == "HKSH Medical Group")
    last = pieces.clean_text.rindex("HKSH")
    assert "HKSH" in hksh.aliases and (last, last + 4) in hksh.mentions
    assert not any(e.text == "HKSH" for e in pieces.entities)
    assert pieces.docs["en"].text == pieces.clean_text
    assert {e.text for e in pieces.docs["en"].ents} <= {
        pieces.clean_text[s:t] for e in pieces.entities + pieces.rejected for s, t in e.mentions
    }


def test_chinese_in_pieces_reads_like_the_whole(pipeline, monkeypatch):
    zh = (RAW / "zht_hksh_shenzhen_mou.txt").read_text("utf-8")
    again = "\n".join(f"重發：{line}" if line.strip() else line for line in zh.split("\n"))
    raw = zh + "\n\n" + again + "\n\n養和將於2027年與深圳腫瘤醫院合辦第二個質子治療中心。"
    whole, pieces = _read_both_ways(pipeline, monkeypatch, raw, 1_000)

    assert pieces.clean_text == whole.clean_text and pieces.script == "Hant"
    _assert_offsets_index_the_text(pieces)
    assert _mentions(pieces) == _mentions(whole)
    assert _facts(pieces) == _facts(whole) and pieces.relations
