"""Tests of the Chinese NER corpus converters (pipeline/train/corpora/) and of the
trained model in models/ner-zh/live (skipped when that folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")
pytest.importorskip("opencc")

from pipeline.train.corpora.build import load_docbin  # noqa: E402
from pipeline.train.corpora.cluener import cluener_address_label, read_cluener  # noqa: E402
from pipeline.train.corpora.common import (  # noqa: E402
    MISSING,
    ConvertStats,
    bio_to_spans,
    blank_zh,
    bmes_to_spans,
    make_doc,
)
from pipeline.train.corpora.msra import read_msra  # noqa: E402
from pipeline.train.corpora.peoples_daily import read_peoples_daily  # noqa: E402
from pipeline.train.corpora.resume import read_resume  # noqa: E402
from pipeline.train.corpora.weibo import read_weibo  # noqa: E402

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "ner-zh" / "live"


@pytest.fixture(scope="module")
def nlp():
    return blank_zh()


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_blank_zh_is_character_tokenizer(nlp):
    assert nlp.tokenizer.segmenter == "char"
    assert [t.text for t in nlp.make_doc("王小明在北京")] == list("王小明在北京")


def test_bio_and_bmes_decoders():
    assert bio_to_spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]) == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 6, "LOC"),
    ]
    # IOB1-style I- without B- starts a span
    assert bio_to_spans(["O", "I-ORG", "I-ORG"]) == [(1, 3, "ORG")]
    assert bmes_to_spans(["B-NAME", "M-NAME", "E-NAME", "O", "S-NAME", "B-ORG", "E-ORG"]) == [
        (0, 3, "NAME"),
        (4, 5, "NAME"),
        (5, 7, "ORG"),
    ]


def test_msra_bio_tab_format(tmp_path, nlp):
    # MSRA: "<char>\t<BIO>", blank line between sentences; "0\t" (empty tag) occurs too
    text = "".join(
        f"{c}\t{t}\n"
        for c, t in zip("王小明在北京大学工作", ["B-PER", "I-PER", "I-PER", "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "O"])
    )
    text += "\n" + "".join(f"{c}\t{t}\n" for c, t in zip("去上海", ["O", "B-LOC", "I-LOC"])) + "0\t\n"
    stats = ConvertStats()
    docs = list(read_msra(nlp, write(tmp_path, "msra_bio", text), stats))
    assert [d.text for d in docs] == ["王小明在北京大学工作", "去上海0"]
    assert ents(docs[0]) == [("王小明", "PERSON"), ("北京大学", "ORG")]
    assert ents(docs[1]) == [("上海", "GPE")]
    # every token is annotated (O or entity): nothing left missing
    assert all(t.ent_iob != 0 for d in docs for t in d)


def test_peoples_daily_space_format_and_t2s(tmp_path, nlp):
    # People's Daily: "<char> <BIO>"; Traditional characters are converted to Simplified
    text = "".join(
        f"{c} {t}\n"
        for c, t in zip("臺灣李登輝訪問東京", ["B-LOC", "I-LOC", "B-PER", "I-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"])
    )
    docs = list(read_peoples_daily(nlp, write(tmp_path, "example.dev", text), ConvertStats()))
    assert docs[0].text == "台湾李登辉访问东京"
    assert ents(docs[0]) == [("台湾", "GPE"), ("李登辉", "PERSON"), ("东京", "GPE")]


def test_weibo_nam_only_and_position_digits(tmp_path, nlp):
    # Weibo: "<char><word-position digit(s)>\t<BIO>"; only .NAM kept, .NOM is outside
    rows = [
        ("张0", "B-PER.NAM"),
        ("三1", "I-PER.NAM"),
        ("在0", "O"),
        ("广0", "B-GPE.NAM"),
        ("州1", "I-GPE.NAM"),
        ("见0", "O"),
        ("记0", "B-PER.NOM"),
        ("者1", "I-PER.NOM"),
        ("和0", "O"),
        ("黄0", "B-LOC.NAM"),
        ("山1", "I-LOC.NAM"),
        (".10", "O"),
    ]
    text = "".join(f"{c}\t{t}\n" for c, t in rows)
    docs = list(read_weibo(nlp, write(tmp_path, "weibo.train", text), ConvertStats()))
    assert docs[0].text == "张三在广州见记者和黄山."
    assert ents(docs[0]) == [("张三", "PERSON"), ("广州", "GPE"), ("黄山", "GPE")]
    assert docs[0][6].ent_iob_ == "O"  # 记 (nominal mention) is outside, not missing


def test_resume_bmes(tmp_path, nlp):
    rows = list(
        zip(
            "高勇，中国国籍，任阿里巴巴公司董事",
            [
                "B-NAME",
                "E-NAME",
                "O",
                "B-CONT",
                "M-CONT",
                "M-CONT",
                "E-CONT",
                "O",
                "O",
                "B-ORG",
                "M-ORG",
                "M-ORG",
                "M-ORG",
                "M-ORG",
                "E-ORG",
                "B-TITLE",
                "E-TITLE",
            ],
        )
    )
    rows += list(zip("云南建水人", ["B-LOC", "M-LOC", "M-LOC", "M-LOC", "E-LOC"]))
    text = "".join(f"{c} {t}\n" for c, t in rows)
    docs = list(read_resume(nlp, write(tmp_path, "train.char.bmes", text), ConvertStats()))
    doc = docs[0]
    assert doc.text == "高勇，中国国籍，任阿里巴巴公司董事云南建水人"
    # CONT "中国国籍" -> GPE "中国" (国籍 left unannotated); TITLE dropped; LOC trimmed of 人
    assert ents(doc) == [("高勇", "PERSON"), ("中国", "GPE"), ("阿里巴巴公司", "ORG"), ("云南建水", "GPE")]
    assert [t.ent_iob for t in doc[5:7]] == [0, 0]  # 国籍 missing
    assert doc[15].ent_iob_ == "O"  # 董 (TITLE) outside


def test_cluener_json(tmp_path, nlp):
    records = [
        {
            "text": "浙商银行企业信贷部叶老桂博士则从北京市海淀区中关村大街来到台湾。",
            "label": {
                "company": {"浙商银行": [[0, 3]]},
                "name": {"叶老桂": [[9, 11]]},
                "position": {"博士": [[12, 13]]},
                "address": {"北京市海淀区中关村大街": [[16, 26]], "台湾": [[29, 30]]},
            },
        },
        {
            "text": "国务院和曼联在《三体》里",
            "label": {"government": {"国务院": [[0, 2]]}, "organization": {"曼联": [[4, 5]]}, "book": {"三体": [[8, 9]]}},
        },
    ]
    path = write(tmp_path, "train.json", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    docs = list(read_cluener(nlp, path, ConvertStats(), gazetteer=frozenset({"台湾", "北京"})))
    d0, d1 = docs
    assert ents(d0) == [("浙商银行", "ORG"), ("叶老桂", "PERSON"), ("台湾", "GPE")]
    # a full street address is not a clean GPE: left unannotated (missing), not O
    assert all(t.ent_iob == 0 for t in d0[16:27])
    assert d0[12].ent_iob_ == "O"  # position -> outside
    assert ents(d1) == [("国务院", "ORG"), ("曼联", "ORG")]


def test_cluener_address_rule():
    gaz = frozenset({"北京", "泗水"})
    assert cluener_address_label("北京", gaz) == "GPE"
    assert cluener_address_label("北京市", gaz) == "GPE"
    assert cluener_address_label("泗水县", frozenset()) == "GPE"
    assert cluener_address_label("北京回龙观经济适用房小区", gaz) == MISSING
    assert cluener_address_label("金融街", gaz) == MISSING


def test_docbin_roundtrip_keeps_missing(tmp_path, nlp):
    doc = make_doc(nlp, "他住在北京市海淀区", [(3, 9, MISSING), (0, 1, None)])
    db = spacy.tokens.DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"])
    db.add(doc)
    db.to_disk(tmp_path / "x.spacy")
    back = load_docbin(tmp_path / "x.spacy", nlp)[0]
    assert [t.ent_iob for t in back] == [2, 2, 2, 0, 0, 0, 0, 0, 0]


@pytest.mark.skipif(not MODEL_DIR.exists(), reason="models/ner-zh/live not built")
def test_trained_model_finds_person_and_gpe():
    model = spacy.load(MODEL_DIR)
    doc = model("王小明昨天在北京会见了李华。")
    found = {(e.text, e.label_) for e in doc.ents}
    assert ("北京", "GPE") in found
    assert ("王小明", "PERSON") in found or ("李华", "PERSON") in found
