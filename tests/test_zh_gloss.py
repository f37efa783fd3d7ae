"""A Latin gloss in brackets after a Chinese name (`尾池雄一(Yuichi Oike)`, `熊本大學（Kumamoto
University）`) is that name's alias, not an entity of its own; on releases written here, with
invented Japanese names that the Chinese tagger cuts short, misses or reads as a place."""

from __future__ import annotations

from pipeline.release import Entity, Release
from pipeline.text.hans import to_hans

TRADITIONAL = (
    "北海道醫科大學與東海醫科大學（Tokai Medical University）今日簽署合作備忘錄。\n"
    "出席嘉賓(左起):\n"
    "森田健二郎(Kenjiro Morita)-北海道醫科大學醫學院院長\n"
    "長谷川美穗(Mihoko Hasegawa)-東海醫科大學醫院副院長\n"
    "田村靖人(Yasuhito Tamura)-東海醫科大學教授\n"
    "安藤純一朗(Jun-ichirou Ando)-東海醫科大學醫院主任\n"
    "松本惠美(Emi Matsumoto)-東海醫科大學講師\n"
)
SIMPLIFIED = (
    "东海医科大学校长山本和彦教授（Prof. Kazuhiko Yamamoto）致辞时表示,两校将加强合作。\n"
    "长江医药集团（0001.HK）与香港科技园公司（HKSTP）今日宣布合作。\n"
    "长江医药集团主席李明华（Evergreen Medical Group）出席签约仪式。\n"
    "本次合作由青山大学附属医院（Aoyama University Hospital）主办,山田太郎(yamada taro)亦有出席。\n"
)


def candidates(r: Release, label: str) -> set[str]:
    """Every name proposed under `label`, kept or rejected by the judge."""
    return {e.text for e in r.entities + r.rejected if e.label == label}


def entity(r: Release, label: str, text: str) -> Entity:
    found = [e for e in r.entities + r.rejected if e.label == label and e.text == text]
    assert len(found) == 1, (label, text, sorted(candidates(r, label)))
    return found[0]


def test_a_persons_gloss_is_the_alias_of_the_han_name_cut_short_missed_or_read_as_a_place(run):
    r = run(TRADITIONAL)
    people = candidates(r, "PERSON")
    # 森田健二郎 proposed by no tagger, 長谷川美穗 read as a place, 田村靖人 cut to 田村靖, 安藤純一朗 to 安藤純
    for han, latin in [
        ("森田健二郎", "Kenjiro Morita"),
        ("長谷川美穗", "Mihoko Hasegawa"),
        ("田村靖人", "Yasuhito Tamura"),
        ("安藤純一朗", "Jun-ichirou Ando"),  # the English reader's `Jun-ichirou` + `Ando`, one gloss
        ("松本惠美", "Emi Matsumoto"),  # the English reader's ORG, after a person the tagger found
    ]:
        e = entity(r, "PERSON", han)
        assert e.aliases == [latin]
        assert [r.clean_text[s:t] for s, t in e.mentions] == [han, latin]
        assert [r.text_hans[s:t] for s, t in e.hans_mentions] == [to_hans(han), latin]
    assert not people & {"田村靖", "安藤純", "Jun-ichirou", "Kenjiro Morita", "Mihoko Hasegawa", "Yasuhito Tamura"}
    assert "Emi Matsumoto" not in candidates(r, "ORG") and "Ando" not in candidates(r, "ORG")
    assert "長谷川美穗" not in candidates(r, "GPE")


def test_an_organisations_gloss_is_its_alias(run):
    r = run(TRADITIONAL)
    assert "Tokai Medical University" in entity(r, "ORG", "東海醫科大學").aliases
    assert "Tokai Medical University" not in candidates(r, "ORG")
    r = run(SIMPLIFIED)
    assert entity(r, "ORG", "青山大学附属医院").aliases == ["Aoyama University Hospital"]
    assert "Aoyama University Hospital" not in candidates(r, "ORG")


def test_a_gloss_after_a_name_and_title_with_prof_inside_the_brackets(run):
    r = run(SIMPLIFIED)
    e = entity(r, "PERSON", "山本和彦")
    assert e.aliases == ["Kazuhiko Yamamoto"]
    assert "Kazuhiko Yamamoto" not in candidates(r, "PERSON") | {"山本和彦教授"}


def test_brackets_that_are_no_gloss_stay_as_they_were(run):
    r = run(SIMPLIFIED)
    # a stock code: no alias; an abbreviation defined in brackets: still the short form it was
    assert entity(r, "ORG", "长江医药集团").aliases == []
    assert entity(r, "ORG", "香港科技园公司").aliases == ["HKSTP"]
    assert "HKSTP" not in candidates(r, "ORG")
    # an organisation in brackets after a person and title is not the person's name
    assert entity(r, "PERSON", "李明华").aliases == []
    assert "Evergreen Medical Group" in candidates(r, "ORG")
    # a lower-case romanisation does not look like a name
    assert entity(r, "PERSON", "山田太郎").aliases == []
