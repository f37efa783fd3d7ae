"""One hand-off between recognise and relate: the recogniser's entities carry their offsets in
the Simplified text it read, and relate anchors its patterns on those offsets, not on a second
mapping or search of its own."""

from __future__ import annotations

from dataclasses import replace

from pipeline.ner.zh import working_text
from pipeline.relations.common import collect_mentions
from pipeline.release import Entity, Release

TRADITIONAL = (
    "【2024年5月23日，香港】養和醫療集團（「養和」）今日與深圳市腫瘤醫院簽署合作備忘錄。"
    "養和醫療集團行政總裁李維達醫生表示，雙方將合作培訓醫護人員。\n"
)


def test_chinese_entities_carry_their_simplified_offsets(process):
    r = process(TRADITIONAL, "handoff.txt")
    assert r.lang == "zh" and r.text_hans != r.clean_text
    hans = working_text(r.text_hans)
    named = [e for e in r.entities + r.rejected if e.label in ("ORG", "PERSON")]
    assert named
    for e in named:
        assert len(e.hans_mentions) == len(e.mentions), e
        for (s, t), (hs, ht) in zip(e.mentions, e.hans_mentions):
            # the Simplified span is the converted clean span, character for character
            assert hans[hs:ht] == working_text(r.text_hans[hs:ht]) and r.hans_span_to_clean(hs, ht) == (s, t)
    assert any(hans[s:t] == "养和医疗集团" for e in named for s, t in e.hans_mentions)


def test_relate_anchors_on_the_handed_over_offsets(process):
    r = process(TRADITIONAL, "handoff.txt")
    org = next(e for e in r.entities if e.text_norm == "养和医疗集团")
    before = {(m.start, m.end) for m in collect_mentions(r, r.text_hans) if m.entity is org}
    assert set(org.hans_mentions) <= before
    # offsets handed over are what relate reads: move one and the mention moves with it
    moved = replace(r, docs={})
    moved.entities = [e for e in r.entities if e is not org]
    moved.entities.append(replace(org, hans_mentions=[(0, 1)], text="x", text_norm="x", aliases=[]))
    spans = {(m.start, m.end) for m in collect_mentions(moved, moved.text_hans) if m.entity.text_norm == "x"}
    assert spans == {(0, 1)}


def test_entities_made_after_recognise_are_mapped_from_clean_text(process):
    r = process(TRADITIONAL, "handoff.txt")
    org = next(e for e in r.entities if e.text_norm == "养和医疗集团")
    mapped = r.hans_spans(replace(org, hans_mentions=[]))
    assert mapped == org.hans_mentions
    english = Release(source_path="e.txt", raw_text="x", clean_text="HKSH signed.", lang="en")
    ent = Entity("E1", "ORG", "HKSH", "HKSH", [(0, 4)])
    assert english.hans_spans(ent) == []  # an English release has no Simplified text
