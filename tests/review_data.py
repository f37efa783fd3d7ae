"""Small extracted tables for the review tests, written with pipeline/io/tables.py (no NER needed).

Nastier than the samples: an emoji and a CJK Extension B character (two UTF-16 units, one Python
character) before entities, so browser offsets must count code points; a wrong span with low
confidence; a Traditional Chinese release aligned with the English one; and a release whose
title, text and entity are HTML and script.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.io.tables import Tables

EN_TEXT = (
    "HONG KONG, 11 December 2025 – 🩺 HKSH Medical Group signed a memorandum of understanding with "
    "Shenzhen Cancer Hospital on 11 December 2025.\n"
    "Dr Li Wei, Chief Executive Officer of HKSH Medical Group, said the partnership brings cancer care closer to patients."
)
ZH_TEXT = (
    "香港，2025年12月11日 — 𠮷 養和醫療集團與深圳市腫瘤醫院於2025年12月11日簽署合作備忘錄。\n"
    "養和醫療集團行政總裁李偉醫生表示，合作將惠及病人。"
)
XSS_TEXT = (
    'Evil Corp <script>window.__pwned = 1</script> announced <img src=x onerror="window.__pwned = 2"> '
    "a deal with </mark><b>Bold Hospital</b> on 2 January 2026."
)
CALM_TEXT = "Quiet Hospital opened a new ward on 3 March 2025 in Macau."


def span(text: str, needle: str, nth: int = 0) -> list[int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return [start, start + len(needle)]


def ids(text: str) -> str:
    from pipeline.release import Release

    return Release(source_path="", raw_text="", clean_text=text).release_id


EN, ZH, XSS, CALM = ids(EN_TEXT), ids(ZH_TEXT), ids(XSS_TEXT), ids(CALM_TEXT)


def tables() -> Tables:
    t = Tables()
    t.releases = pd.DataFrame(
        [
            {
                "release_id": EN,
                "source_path": "en/hksh.txt",
                "lang": "en",
                "script": "Latn",
                "title": "HKSH signs MOU with Shenzhen Cancer Hospital",
                "dateline_place": "HONG KONG",
                "dateline_date": date(2025, 12, 11),
                "clean_text": EN_TEXT,
                "pipeline_version": "test",
            },
            {
                "release_id": ZH,
                "source_path": "zh/hksh.txt",
                "lang": "zh",
                "script": "Hant",
                "title": "養和與深圳市腫瘤醫院簽署合作備忘錄",
                "dateline_place": "香港",
                "dateline_date": date(2025, 12, 11),
                "clean_text": ZH_TEXT,
                "text_hans": ZH_TEXT,
                "pipeline_version": "test",
            },
            {
                "release_id": XSS,
                "source_path": "../../etc/<script>.txt",
                "lang": "en",
                "script": "Latn",
                "title": "<script>window.__pwned = 3</script><b>Evil</b> title",
                "dateline_place": None,
                "dateline_date": date(2026, 1, 2),
                "clean_text": XSS_TEXT,
                "pipeline_version": "test",
            },
            {
                "release_id": CALM,
                "source_path": "en/calm.txt",
                "lang": "en",
                "script": "Latn",
                "title": "Quiet Hospital opens a ward",
                "dateline_place": None,
                "dateline_date": date(2025, 3, 3),
                "clean_text": CALM_TEXT,
                "pipeline_version": "test",
            },
        ]
    )
    ent = []

    def add(rid: str, eid: str, label: str, text: str, surface: str, norm: str, score: float, mentions: list[list[int]]) -> None:
        ent.append(
            {
                "release_id": rid,
                "entity_id": eid,
                "label": label,
                "text": surface,
                "text_norm": norm,
                "mentions": mentions,
                "aliases": [],
                "source": "model",
                "score": score,
            }
        )

    add(
        EN,
        "e1",
        "ORG",
        EN_TEXT,
        "HKSH Medical Group",
        "HKSH Medical Group",
        0.95,
        [span(EN_TEXT, "HKSH Medical Group"), span(EN_TEXT, "HKSH Medical Group", 1)],
    )
    add(EN, "e2", "ORG", EN_TEXT, "Shenzhen Cancer", "Shenzhen Cancer", 0.3, [span(EN_TEXT, "Shenzhen Cancer")])  # span too short
    add(EN, "e3", "PERSON", EN_TEXT, "Li Wei", "Li Wei", 0.5, [span(EN_TEXT, "Li Wei")])
    add(EN, "e4", "DATE", EN_TEXT, "11 December 2025", "2025-12-11", 0.9, [span(EN_TEXT, "11 December 2025", 1)])
    add(EN, "e5", "GPE", EN_TEXT, "patients", "patients", 0.2, [span(EN_TEXT, "patients")])  # wrong: should be rejected
    add(
        ZH,
        "z1",
        "ORG",
        ZH_TEXT,
        "養和醫療集團",
        "养和医疗集团",
        0.9,
        [span(ZH_TEXT, "養和醫療集團"), span(ZH_TEXT, "養和醫療集團", 1)],
    )
    add(ZH, "z2", "ORG", ZH_TEXT, "深圳市腫瘤醫院", "深圳市肿瘤医院", 0.85, [span(ZH_TEXT, "深圳市腫瘤醫院")])
    add(ZH, "z3", "PERSON", ZH_TEXT, "李偉", "李伟", 0.7, [span(ZH_TEXT, "李偉")])
    add(XSS, "x1", "ORG", XSS_TEXT, "Evil Corp", "Evil Corp", 0.4, [span(XSS_TEXT, "Evil Corp")])
    add(
        XSS,
        "x2",
        "ORG",
        XSS_TEXT,
        '<img src=x onerror="window.__pwned = 2">',
        "<img>",
        0.1,
        [span(XSS_TEXT, '<img src=x onerror="window.__pwned = 2">')],
    )
    add(
        XSS,
        "x3",
        "ORG",
        XSS_TEXT,
        "</mark><b>Bold Hospital</b>",
        "Bold Hospital",
        0.3,
        [span(XSS_TEXT, "</mark><b>Bold Hospital</b>")],
    )
    add(CALM, "c1", "ORG", CALM_TEXT, "Quiet Hospital", "Quiet Hospital", 0.99, [span(CALM_TEXT, "Quiet Hospital")])
    add(CALM, "c2", "GPE", CALM_TEXT, "Macau", "Macau", 0.98, [span(CALM_TEXT, "Macau")])
    t.entities = pd.DataFrame(ent)
    t.relations = pd.DataFrame(
        [
            {
                "release_id": EN,
                "type": "partnership",
                "head": "HKSH Medical Group",
                "tail": "Shenzhen Cancer",
                "head_id": "e1",
                "tail_id": "e2",
                "date": date(2025, 12, 11),
                "kind": "MOU",
                "title": None,
                "evidence": EN_TEXT.split("\n")[0],
                "score": 0.4,
            },
            {
                "release_id": ZH,
                "type": "partnership",
                "head": "养和医疗集团",
                "tail": "深圳市肿瘤医院",
                "head_id": "z1",
                "tail_id": "z2",
                "date": date(2025, 12, 11),
                "kind": "MOU",
                "title": None,
                "evidence": ZH_TEXT.split("\n")[0],
                "score": 0.8,
            },
            {
                "release_id": XSS,
                "type": "partnership",
                "head": "Evil Corp",
                "tail": "<img>",
                "head_id": "x1",
                "tail_id": "x2",
                "date": None,
                "kind": "<script>",
                "title": None,
                "evidence": XSS_TEXT,
                "score": 0.2,
            },
        ]
    )
    t.alignments = pd.DataFrame([{"en_release_id": EN, "zh_release_id": ZH, "score": 0.92}])
    t.entity_links = pd.DataFrame(
        [
            {
                "en_release_id": EN,
                "en_entity_id": "e1",
                "zh_release_id": ZH,
                "zh_entity_id": "z1",
                "en_text": "HKSH Medical Group",
                "zh_text": "养和医疗集团",
                "score": 0.95,
            },
            {
                "en_release_id": EN,
                "en_entity_id": "e2",
                "zh_release_id": ZH,
                "zh_entity_id": "z2",
                "en_text": "Shenzhen Cancer",
                "zh_text": "深圳市肿瘤医院",
                "score": 0.45,
            },
        ]
    )
    return t


def write(folder: Path) -> Path:
    tables().write(folder)
    return folder


# ---- records across releases (organisations, deals, events), for the organisation and deal views ----
# Two more releases: a second English report of the HKSH - Shenzhen MOU that gives another date (so the
# reports disagree on the date), and a release with two HKSH - HKUST deals (an MOU and its renewal).
# Two people: Li Wei (李偉), HKSH's chief executive in the English and Chinese releases, and Zhang Ming,
# President of Shenzhen Cancer Hospital in December 2025 and Dean of Medicine at HKUST in January 2026.
RPT_TEXT = (
    "SHENZHEN, 10 December 2025 – HKSH Medical Group and Shenzhen Cancer Hospital signed a memorandum of understanding"
    " on 10 December 2025."
    " Professor Zhang Ming, President of Shenzhen Cancer Hospital, signed for the hospital."
)
UST_TEXT = (
    "HKSH Medical Group signed an MOU with the Hong Kong University of Science and Technology on 11 March 2025.\n"
    "HKSH Medical Group Limited and the Hong Kong University of Science and Technology renewed the agreement on 5 January 2026,"
    " with Professor Zhang Ming, now Dean of Medicine at the university, as its adviser."
)
RPT, UST = ids(RPT_TEXT), ids(UST_TEXT)
HKSH, SZCH, HKUST, QUIET, HKSH_LTD = "org-hksh", "org-szch", "org-hkust", "org-quiet", "org-hkshltd"
MOU, UST_MOU, UST_RENEWAL = "deal-hksh-szch", "deal-hksh-ust-mou", "deal-hksh-ust-renewal"
EVENT = "ev-" + min(EN, ZH, RPT)
LI_WEI, ZHANG = "per-liwei", "per-zhang"


def records_tables() -> Tables:
    """`tables()` with two more releases and the records tables a records run would write over them."""
    t = tables()
    t.releases = pd.concat(
        [
            t.releases,
            pd.DataFrame(
                [
                    {
                        "release_id": RPT,
                        "source_path": "en/hksh-report.txt",
                        "lang": "en",
                        "script": "Latn",
                        "title": "Shenzhen hospital and HKSH join hands",
                        "dateline_place": "SHENZHEN",
                        "dateline_date": date(2025, 12, 10),
                        "clean_text": RPT_TEXT,
                        "pipeline_version": "test",
                    },
                    {
                        "release_id": UST,
                        "source_path": "en/hkust.txt",
                        "lang": "en",
                        "script": "Latn",
                        "title": "HKSH and HKUST: MOU and renewal",
                        "dateline_place": None,
                        "dateline_date": date(2026, 1, 5),
                        "clean_text": UST_TEXT,
                        "pipeline_version": "test",
                    },
                ]
            ),
        ],
        ignore_index=True,
    )
    t.releases["event_id"] = [EVENT if r in (EN, ZH, RPT) else "ev-" + r for r in t.releases["release_id"]]
    more = []
    for rid, text, eid, surface in (
        (RPT, RPT_TEXT, "r1", "HKSH Medical Group"),
        (RPT, RPT_TEXT, "r2", "Shenzhen Cancer Hospital"),
        (UST, UST_TEXT, "u1", "HKSH Medical Group"),
        (UST, UST_TEXT, "u2", "Hong Kong University of Science and Technology"),
        (UST, UST_TEXT, "u3", "HKSH Medical Group Limited"),
        (RPT, RPT_TEXT, "r3", "Zhang Ming"),
        (UST, UST_TEXT, "u4", "Zhang Ming"),
    ):
        more.append(
            {
                "release_id": rid,
                "entity_id": eid,
                "label": "PERSON" if surface == "Zhang Ming" else "ORG",
                "text": surface,
                "text_norm": surface,
                "mentions": [span(text, surface)],
                "aliases": [],
                "source": "model",
                "score": 0.9,
            }
        )
    t.entities = pd.concat([t.entities, pd.DataFrame(more)], ignore_index=True)
    org_of = {
        (EN, "e1"): HKSH,
        (EN, "e2"): SZCH,
        (ZH, "z1"): HKSH,
        (ZH, "z2"): SZCH,
        (CALM, "c1"): QUIET,
        (RPT, "r1"): HKSH,
        (RPT, "r2"): SZCH,
        (UST, "u1"): HKSH,
        (UST, "u2"): HKUST,
        (UST, "u3"): HKSH_LTD,
    }
    t.entities["org_id"] = [org_of.get(k) for k in zip(t.entities["release_id"], t.entities["entity_id"])]
    person_of = {(EN, "e3"): LI_WEI, (ZH, "z3"): LI_WEI, (RPT, "r3"): ZHANG, (UST, "u4"): ZHANG}
    t.entities["person_id"] = [person_of.get(k) for k in zip(t.entities["release_id"], t.entities["entity_id"])]
    first, second = UST_TEXT.split("\n")
    t.relations = pd.concat(
        [
            t.relations,
            pd.DataFrame(
                [
                    {
                        "release_id": RPT,
                        "type": "partnership",
                        "head": "HKSH Medical Group",
                        "tail": "Shenzhen Cancer Hospital",
                        "head_id": "r1",
                        "tail_id": "r2",
                        "date": date(2025, 12, 10),
                        "kind": "MOU",
                        "title": None,
                        "evidence": RPT_TEXT,
                        "score": 0.9,
                    },
                    {
                        "release_id": UST,
                        "type": "partnership",
                        "head": "HKSH Medical Group",
                        "tail": "Hong Kong University of Science and Technology",
                        "head_id": "u1",
                        "tail_id": "u2",
                        "date": date(2025, 3, 11),
                        "kind": "MOU",
                        "title": None,
                        "evidence": first,
                        "score": 0.9,
                    },
                    {
                        "release_id": UST,
                        "type": "partnership",
                        "head": "HKSH Medical Group Limited",
                        "tail": "Hong Kong University of Science and Technology",
                        "head_id": "u3",
                        "tail_id": "u2",
                        "date": date(2026, 1, 5),
                        "kind": "agreement",
                        "title": None,
                        "evidence": second,
                        "score": 0.8,
                    },
                ]
            ),
        ],
        ignore_index=True,
    )
    t.organisations = pd.DataFrame(
        [
            {
                "org_id": HKSH,
                "name_en": "HKSH Medical Group",
                "name_hans": "养和医疗集团",
                "name_hant": "養和醫療集團",
                "aliases": ["HKSH", "養和"],
                "release_ids": [EN, ZH, RPT, UST],
                "deal_ids": [MOU, UST_MOU, UST_RENEWAL],
                "n_mentions": 5,
                "joined_by": ["link", "name"],
            },
            {
                "org_id": SZCH,
                "name_en": "Shenzhen Cancer Hospital",
                "name_hans": "深圳市肿瘤医院",
                "name_hant": "深圳市腫瘤醫院",
                "aliases": [],
                "release_ids": [EN, ZH, RPT],
                "deal_ids": [MOU],
                "n_mentions": 3,
                "joined_by": ["link"],
            },
            {
                "org_id": HKUST,
                "name_en": "Hong Kong University of Science and Technology",
                "name_hans": "香港科技大学",
                "name_hant": None,
                "aliases": ["HKUST"],
                "release_ids": [UST],
                "deal_ids": [UST_MOU, UST_RENEWAL],
                "n_mentions": 1,
                "joined_by": ["lexicon"],
            },
            {
                "org_id": HKSH_LTD,
                "name_en": "HKSH Medical Group Limited",
                "name_hans": None,
                "name_hant": None,
                "aliases": [],
                "release_ids": [UST],
                "deal_ids": [],
                "n_mentions": 1,
                "joined_by": [],
            },
            {
                "org_id": QUIET,
                "name_en": "Quiet Hospital",
                "name_hans": None,
                "name_hant": None,
                "aliases": [],
                "release_ids": [CALM],
                "deal_ids": [],
                "n_mentions": 1,
                "joined_by": [],
            },
        ]
    )
    t.deals = pd.DataFrame(
        [
            {
                "deal_id": MOU,
                "event_id": EVENT,
                "type": "partnership",
                "parties": [HKSH, SZCH],
                "parties_en": ["HKSH Medical Group", "Shenzhen Cancer Hospital"],
                "parties_zh": ["养和医疗集团", "深圳市肿瘤医院"],
                "date": date(2025, 12, 11),
                "kind": "MOU",
                "dates": [date(2025, 12, 10), date(2025, 12, 11)],
                "kinds": ["MOU"],
                "disagreements": ["date"],
                "evidence": [EN_TEXT.split("\n")[0], ZH_TEXT.split("\n")[0], RPT_TEXT],
                "release_ids": [EN, ZH, RPT],
                "score": 0.9,
            },
            {
                "deal_id": UST_MOU,
                "event_id": "ev-" + UST,
                "type": "partnership",
                "parties": [HKSH, HKUST],
                "parties_en": ["HKSH Medical Group", "Hong Kong University of Science and Technology"],
                "parties_zh": ["养和医疗集团", "香港科技大学"],
                "date": date(2025, 3, 11),
                "kind": "MOU",
                "dates": [date(2025, 3, 11)],
                "kinds": ["MOU"],
                "disagreements": [],
                "evidence": [first],
                "release_ids": [UST],
                "score": 0.9,
            },
            {
                "deal_id": UST_RENEWAL,
                "event_id": "ev-" + UST,
                "type": "partnership",
                "parties": [HKSH, HKUST],
                "parties_en": ["HKSH Medical Group", "Hong Kong University of Science and Technology"],
                "parties_zh": ["养和医疗集团", "香港科技大学"],
                "date": date(2026, 1, 5),
                "kind": "agreement",
                "dates": [date(2026, 1, 5)],
                "kinds": ["agreement"],
                "disagreements": [],
                "evidence": [second],
                "release_ids": [UST],
                "score": 0.8,
            },
        ]
    )
    t.people = pd.DataFrame(
        [  # each role dated by its release; Zhang Ming's out of date order, which the view must put right
            {
                "person_id": LI_WEI,
                "name_en": "Li Wei",
                "name_zh": "李伟",
                "aliases": ["李偉"],
                "release_ids": [EN, ZH],
                "roles": [
                    {"title": "Chief Executive Officer", "org_id": HKSH, "date": date(2025, 12, 11), "release_id": EN},
                    {"title": "行政總裁", "org_id": HKSH, "date": date(2025, 12, 11), "release_id": ZH},
                ],
            },
            {
                "person_id": ZHANG,
                "name_en": "Zhang Ming",
                "name_zh": None,
                "aliases": [],
                "release_ids": [UST, RPT],
                "roles": [
                    {"title": "Dean of Medicine", "org_id": HKUST, "date": date(2026, 1, 5), "release_id": UST},
                    {"title": "President", "org_id": SZCH, "date": date(2025, 12, 10), "release_id": RPT},
                    {"title": "adviser", "org_id": None, "date": date(2026, 1, 5), "release_id": UST},
                ],
            },
        ]
    )
    t.events = pd.DataFrame(
        [
            {
                "event_id": EVENT,
                "date": date(2025, 12, 11),
                "kind": "MOU",
                "title_en": "HKSH signs MOU with Shenzhen Cancer Hospital",
                "title_zh": "養和與深圳市腫瘤醫院簽署合作備忘錄",
                "members": [
                    {"release_id": EN, "lang": "en", "role": "original"},
                    {"release_id": ZH, "lang": "zh", "role": "translation"},
                    {"release_id": RPT, "lang": "en", "role": "report"},
                ],
                "n_releases": 3,
            },
        ]
    )
    return t


def write_records(folder: Path) -> Path:
    records_tables().write(folder)
    return folder
