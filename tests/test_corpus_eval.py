"""Scoring the recognise stage on public NER corpora (pipeline/corpus_eval.py, `evaluate-corpus`)."""

from __future__ import annotations

import json
from collections import defaultdict

from pipeline.corpus_eval import CONLL_MAP, Counts, Result, pooled, read_chinese, read_conll, score_exact, score_lenient


def _counts() -> dict[str, list[int]]:
    return defaultdict(lambda: [0, 0, 0])


def _conll(sentences: list[list[tuple[str, str]]]) -> str:
    """CoNLL-2003 four columns, with a -DOCSTART- line, as eng.testb is written."""
    out = ["-DOCSTART- -X- -X- O", ""]
    for sent in sentences:
        out += [f"{tok} NNP I-NP {tag}" for tok, tag in sent] + [""]
    return "\n".join(out) + "\n"


def _bio(sentences: list[list[tuple[str, str]]], sep: str = "\t") -> str:
    """One character per line (MSRA), a blank line after each sentence."""
    return "".join("".join(f"{c}{sep}{t}\n" for c, t in sent) + "\n" for sent in sentences)


def _toks(text: str, *spans: tuple[str, str]) -> list[tuple[str, str]]:
    """Tokens of `text` (split on spaces) tagged IOB1: each (phrase, label) gets I- tags."""
    toks = text.split()
    tags = ["O"] * len(toks)
    for phrase, label in spans:
        words = phrase.split()
        i = next(i for i in range(len(toks)) if toks[i : i + len(words)] == words and tags[i] == "O")
        tags[i : i + len(words)] = [f"I-{label}"] * len(words)
    return list(zip(toks, tags))


def _chars(text: str, *spans: tuple[str, str]) -> list[tuple[str, str]]:
    tags = ["O"] * len(text)
    for phrase, label in spans:
        i = text.index(phrase)
        tags[i : i + len(phrase)] = [f"B-{label}"] + [f"I-{label}"] * (len(phrase) - 1)
    return list(zip(text, tags))


# -- label mapping and readers --------------------------------------------------------------------
def test_label_mapping_keeps_names_and_drops_misc():
    assert CONLL_MAP == {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "GPE": "GPE", "MISC": None}


def test_conll_reader_offsets_iob1_and_misc(tmp_path):
    # IOB1: `B-LOC` only where two LOC names touch; MISC (German) is not one of our labels.
    rows = [
        ("German", "I-MISC"),
        ("Chancellor", "O"),
        ("Helmut", "I-PER"),
        ("Kohl", "I-PER"),
        ("flew", "O"),
        ("Bonn", "I-LOC"),
        ("Paris", "B-LOC"),
        ("to", "O"),
        ("U.S.", "I-ORG"),
        ("Treasury", "I-ORG"),
        (".", "O"),
    ]
    path = tmp_path / "t.conll"
    path.write_text(_conll([rows, [("Rubin", "I-PER")]]), encoding="utf-8")
    first, second = list(read_conll(path))
    assert first.text == "German Chancellor Helmut Kohl flew Bonn Paris to U.S. Treasury ."
    assert [(first.text[s:e], lab) for s, e, lab in first.gold] == [
        ("Helmut Kohl", "PERSON"),
        ("Bonn", "GPE"),
        ("Paris", "GPE"),
        ("U.S. Treasury", "ORG"),
    ]
    assert second.text == "Rubin" and second.gold == [(0, 5, "PERSON")]


def test_resume_reader_marks_trimmed_characters_unannotated(tmp_path):
    # Resume's LOC `云南建水人` is trimmed to the place; `人` is left unannotated, not "outside".
    text, tags = "张三，云南建水人。", ["B-NAME", "E-NAME", "O", "B-LOC", "M-LOC", "M-LOC", "M-LOC", "E-LOC", "O"]
    (tmp_path / "resume_ner").mkdir()
    (tmp_path / "resume_ner" / "test.char.bmes").write_text(
        "".join(f"{c} {t}\n" for c, t in zip(text, tags)) + "\n", encoding="utf-8"
    )
    (sent,) = list(read_chinese("resume", tmp_path))
    assert [(sent.text[s:e], lab) for s, e, lab in sent.gold] == [("张三", "PERSON"), ("云南建水", "GPE")]
    assert sent.missing == [(7, 8)]


# -- the scorers ------------------------------------------------------------------------------------
def test_exact_scorer_needs_span_and_label():
    counts = _counts()
    gold = [(0, 11, "PERSON"), (20, 35, "ORG"), (40, 44, "GPE")]
    pred = [(0, 11, "PERSON"), (20, 30, "ORG"), (40, 44, "ORG"), (50, 55, "DATE"), (0, 11, "PERSON")]
    score_exact(gold, pred, counts)
    assert counts["PERSON"] == [1, 1, 1]  # a duplicate mention counts once
    assert counts["ORG"] == [0, 1, 2]  # a short boundary and a wrong label are both misses
    assert counts["GPE"] == [0, 1, 0]
    assert "DATE" not in counts  # labels the corpora do not annotate are not scored


def test_exact_scorer_ignores_predictions_on_unannotated_text():
    counts = _counts()
    score_exact([(0, 2, "GPE")], [(0, 2, "GPE"), (5, 8, "ORG"), (7, 10, "ORG")], counts, missing=[(4, 9)])
    assert counts["GPE"] == [1, 1, 1]
    assert counts["ORG"] == [0, 0, 1]  # (5, 8) lies wholly on unannotated text; (7, 10) does not


def test_lenient_scorer_matches_names_as_schema_does():
    counts = _counts()
    gold = [("ORG", "Hospital Authority"), ("ORG", "Hospital Authority"), ("GPE", "香港"), ("PERSON", "Lo Chung-mau")]
    pred = [
        ("ORG", ["the Hospital Authority", "Hospital Authority"]),
        ("GPE", ["香港"]),
        ("PERSON", ["Lo Chung-Mau"]),
        ("PERSON", ["Chung"]),
    ]
    score_lenient(gold, pred, counts)
    assert counts["ORG"] == [1, 1, 1]  # distinct names per sentence; "the" and case do not matter
    assert counts["GPE"] == [1, 1, 1]  # Traditional and Simplified are one name
    assert counts["PERSON"] == [1, 1, 2]


def test_pooled_scores_add_counts_not_f1s():
    def result(name: str, gold: list, pred: list) -> Result:
        c = Counts()
        score_exact(gold, pred, c.exact)
        return Result(name, "lac", True, 1, 1.0, 0, c.table("exact"), Counts().table("lenient"))

    big = result("msra", [(i, i + 1, "ORG") for i in range(0, 18, 2)], [(i, i + 1, "ORG") for i in range(0, 18, 2)])
    small = result("weibo", [(0, 2, "ORG")], [(0, 3, "ORG")])
    both = pooled([big, small])
    assert (both.exact["ORG"]["tp"], both.exact["ORG"]["gold"], both.exact["ORG"]["pred"]) == (9, 10, 10)
    assert both.exact["ALL"]["f"] == 0.9  # micro: not the mean of 1.0 and 0.0
    assert both.sentences == 2 and both.corpus == "msra+weibo"


# -- a real run through the shipped stages ------------------------------------------------------------
EN = [
    _toks(
        "Professor Lo Chung-mau , Secretary for Health , visited Queen Mary Hospital in Hong Kong .",
        ("Lo Chung-mau", "PER"),
        ("Queen Mary Hospital", "ORG"),
        ("Hong Kong", "LOC"),
    ),
    _toks(
        "AstraZeneca and Fosun Pharma announced a partnership in Shanghai on Tuesday .",
        ("AstraZeneca", "ORG"),
        ("Fosun Pharma", "ORG"),
        ("Shanghai", "LOC"),
    ),
    _toks("BEIJING 1996-08-22", ("BEIJING", "LOC")),
    _toks(
        "Angela Merkel met Emmanuel Macron in Berlin .", ("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Berlin", "LOC")
    ),
    _toks(
        "The World Health Organization warned that Europe faces a new wave .",
        ("World Health Organization", "ORG"),
        ("Europe", "LOC"),
    ),
    _toks(
        "Manchester United beat Chelsea 2-1 at Old Trafford .",
        ("Manchester United", "ORG"),
        ("Chelsea", "ORG"),
        ("Old Trafford", "LOC"),
    ),
    _toks("U.S. Treasury Secretary Robert Rubin said on Friday .", ("U.S. Treasury", "ORG"), ("Robert Rubin", "PER")),
    _toks(
        "Pfizer 's chief executive , Albert Bourla , spoke in New York .",
        ("Pfizer", "ORG"),
        ("Albert Bourla", "PER"),
        ("New York", "LOC"),
    ),
    _toks("German Chancellor Helmut Kohl arrived in Moscow .", ("German", "MISC"), ("Helmut Kohl", "PER"), ("Moscow", "LOC")),
    _toks("Shares of Tencent Holdings rose 3 percent in Hong Kong trading .", ("Tencent Holdings", "ORG"), ("Hong Kong", "LOC")),
    _toks(
        "Peking University Third Hospital opened a clinic in Shenzhen .",
        ("Peking University Third Hospital", "ORG"),
        ("Shenzhen", "LOC"),
    ),
    _toks("SOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT .", ("JAPAN", "LOC"), ("CHINA", "LOC")),
]
ZH = [
    _chars("香港大學深圳醫院與復星醫藥簽署合作協議。", ("香港大學深圳醫院", "ORG"), ("復星醫藥", "ORG")),  # Traditional
    _chars("国家卫生健康委员会主任马晓伟在北京出席会议。", ("国家卫生健康委员会", "ORG"), ("马晓伟", "PER"), ("北京", "LOC")),
    _chars("李嘉诚基金会向汕头大学捐赠１０亿港元。", ("李嘉诚基金会", "ORG"), ("汕头大学", "ORG")),  # full-width digits
    _chars("美国辉瑞公司首席执行官艾伯乐访问上海。", ("美国", "LOC"), ("辉瑞公司", "ORG"), ("艾伯乐", "PER"), ("上海", "LOC")),
    _chars("钟南山院士在广州医科大学附属第一医院接受采访。", ("钟南山", "PER"), ("广州医科大学附属第一医院", "ORG")),
    _chars("养和医院位于香港跑马地。", ("养和医院", "ORG"), ("香港", "LOC"), ("跑马地", "LOC")),
    _chars("他说：“今年的合作非常成功。”"),
    _chars("湖南省人民医院与长沙市卫健委签约。", ("湖南省人民医院", "ORG"), ("长沙市卫健委", "ORG")),
]


def test_evaluate_corpus_command_on_twenty_sentences(cli, tmp_path):
    data = tmp_path / "datasets"
    (data / "conll2003_en").mkdir(parents=True)
    (data / "conll2003_en" / "eng.testb").write_text(_conll(EN), encoding="utf-8")
    (data / "msra_ner").mkdir()
    (data / "msra_ner" / "msra_test_bio").write_text(_bio(ZH), encoding="utf-8")
    out = tmp_path / "scores.json"

    code, text = cli("evaluate-corpus", "--corpus", "conll2003,msra", "--datasets", data, "--out", out)
    assert code == 0, text
    assert "exact ALL" in text and "lenient PERSON" in text
    en, zh = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert (en["corpus"], en["sentences"], zh["corpus"], zh["sentences"]) == ("conll2003", 12, "msra", 8)
    # Gold as mapped: German (MISC) is dropped, every LOC is a GPE.
    assert {k: en["exact"][k]["gold"] for k in ("PERSON", "ORG", "GPE")} == {"PERSON": 6, "ORG": 10, "GPE": 12}
    assert {k: zh["exact"][k]["gold"] for k in ("PERSON", "ORG", "GPE")} == {"PERSON": 3, "ORG": 10, "GPE": 5}
    for r in (en, zh):
        assert r["exact"]["ALL"]["f"] >= 0.7, r["exact"]  # 0.82 (en) and 0.86 (zh) when written
        assert r["lenient"]["ALL"]["r"] >= r["exact"]["ALL"]["r"] - 0.05, r
    assert en["exact"]["PERSON"]["tp"] >= 5 and zh["exact"]["PERSON"]["tp"] >= 2

    code, text = cli("evaluate-corpus", "--corpus", "msra", "--datasets", data, "--limit", "3", "--out", out)
    assert code == 0 and "3 sentences" in text
    assert json.loads(out.read_text(encoding="utf-8"))["results"][0]["exact"]["ORG"]["gold"] == 5


def test_evaluate_corpus_command_rejects_unknown_names(cli, tmp_path):
    code, text = cli("evaluate-corpus", "--corpus", "ontonotes", "--datasets", tmp_path)
    assert code == 2 and "ontonotes" in text
    code, text = cli("evaluate-corpus", "--corpus", "msra", "--datasets", tmp_path)
    assert code == 2 and "not found" in text
