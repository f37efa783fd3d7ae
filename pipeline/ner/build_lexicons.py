"""Derive the gazetteers in pipeline/data/ner/ from the shared lexicon folders (run once, by hand).

Usage::

    python -m pipeline.ner.build_lexicons /path/to/lexicons

Reads world-countries-en-zh, cn-admin-divisions-en-pinyin, hk-hospital-authority-facilities and
cn-hospitals-fever-clinics-2020 (see pipeline/data/ner/README.md for sources and licences) and
writes gpe_en.txt, gpe_zh.txt, org_en.txt and org_zh.txt, one name a line, Chinese in Simplified.
The hand-written lists (*_extra.tsv, terms.tsv, abbrev_zh.tsv) are not touched.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

from pipeline.text.hans import to_hans

OUT = Path(__file__).resolve().parent.parent / "data" / "ner"
# Placeholders of the division code table, not places.
_PLACEHOLDER = re.compile(r"市辖区|^县$|直辖|Municipal districts|Administrative divisions|^county$", re.IGNORECASE)
# Short names that are mostly ordinary words in press releases (来宾 "guests", 安康 "well-being").
_ZH_STOP = {
    "来宾",
    "安康",
    "开封",
    "朝阳",
    "大同",
    "通化",
    "长治",
    "中山",
    "北海",
    "永川",
    "海东",
    "山南",
    "阿里",
    "和田",
    "温江",
    "江孜",
    "合江",
    "东加",
    "尼日",
    "根息",
    "加彭",
    "卡达",
    "查德",
    "白山",
    "金昌",
    "普洱",
    "红河",
    "太和",
}
_ZH_PROVINCE_SUFFIX = re.compile(r"(?:壮族|回族|维吾尔)?(?:自治区|特别行政区|省|市)$")


def countries(folder: Path) -> tuple[set[str], set[str]]:
    en, zh = set(), set()
    with open(folder / "countries_en_zh.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name = row["en"].strip()
            if "SAR China" in name:  # "Hong Kong SAR China": the text says "Hong Kong"
                name = name.replace(" SAR China", "")
            en.add(name.replace(" & ", " and "))
            en.add(name)
            for col in ("zh_CN", "zh_TW", "zh_HK"):
                z = to_hans(row[col].strip())
                z = re.sub(r"^中国(香港|澳门)特别行政区$", r"\1", z)
                if z:
                    zh.add(z)
    return en, zh


def divisions(folder: Path) -> tuple[set[str], set[str]]:
    """Provinces and prefectures with and without their suffix; counties and districts in full."""
    en, zh = set(), set()
    with open(folder / "adminGeo.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            code, name_zh, name_en = row["code"], row["name_zh"].strip(), row["name_en"].strip()
            if _PLACEHOLDER.search(name_zh) or _PLACEHOLDER.search(name_en):
                continue
            level = "province" if code.endswith("0000") else "prefecture" if code.endswith("00") else "county"
            if level == "county":
                if len(name_zh) >= 3 and name_zh[-1] in "区县市旗":
                    zh.add(name_zh)
            else:
                zh.add(name_zh)
                short = _ZH_PROVINCE_SUFFIX.sub("", name_zh) if level == "province" else re.sub(r"(?:市|地区)$", "", name_zh)
                if len(short) >= 2:
                    zh.add(short)
            if not re.match(r"^[A-Z][A-Za-z' \-]+$", name_en):
                continue
            if level == "county":
                if name_en.endswith((" District", " County")):
                    en.add(name_en)
                elif name_en.endswith(" City"):
                    en.add(name_en[: -len(" City")])
            else:
                en.add(name_en)
                short = re.sub(
                    r" (?:City|Province|Special Administrative Region|Autonomous Region|area|Prefecture)$", "", name_en
                )
                if (short and " " not in short.strip()) or level == "province":
                    en.add(short)
    return en, zh


def hk_facilities(folder: Path) -> tuple[set[str], set[str]]:
    en: set[str] = set()
    zh: set[str] = set()
    for name in ("facility-hosp.json", "facility-sop.json", "facility-gop.json"):
        for row in json.loads((folder / name).read_text("utf-8")):
            for key, out in (("institution_eng", en), ("cluster_eng", en), ("institution_sc", zh), ("cluster_sc", zh)):
                value = (row.get(key) or "").strip()
                if value and "," not in value:
                    out.add(value)
    return en, zh


def mainland_hospitals(folder: Path) -> set[str]:
    zh = set()
    with open(folder / "hospitals.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            for part in re.split(r"[()（）]", row["name"]):
                part = part.strip()
                if len(part) >= 5 and re.search(r"(?:医院|中心|卫生院|院)$", part):
                    zh.add(part)
    return zh


def write(path: Path, names: set[str]) -> None:
    path.write_text("\n".join(sorted(names)) + "\n", "utf-8")
    print(f"{path.name}: {len(names)} names")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lexicons", type=Path, help="folder holding the shared lexicon folders")
    args = ap.parse_args()
    src = args.lexicons
    c_en, c_zh = countries(src / "world-countries-en-zh")
    d_en, d_zh = divisions(src / "cn-admin-divisions-en-pinyin")
    h_en, h_zh = hk_facilities(src / "hk-hospital-authority-facilities")
    write(OUT / "gpe_en.txt", c_en | d_en)
    write(OUT / "gpe_zh.txt", (c_zh | d_zh) - _ZH_STOP)
    write(OUT / "org_en.txt", h_en)
    write(OUT / "org_zh.txt", h_zh | mainland_hospitals(src / "cn-hospitals-fever-clinics-2020"))


if __name__ == "__main__":
    main()
