"""SCHEMA.md's conventions that decide a candidate outright, before the span judge's weights.

A convention is the contract, not a tendency to learn: media outlets, newspapers and wires are
never ORG (`Reuters`, `证券日报`, `新华社`), whatever a dev set's gold once said, so no relation has
one as a party, and a byline (`记者 陈然`) is no role; `mainland` / `内地` alone is no GPE; a bare
disease word (`cancer`, `癌症`) is no DISEASE. The judge gives such
a candidate P(no entity) = 1 and leaves it out of training, so the stage, `train spans` and
`evaluate --cv` all apply it the same way.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline.ner import lexicon
from pipeline.text.chars import HAN
from pipeline.text.hans import to_hans

# The last word of a wire, paper, broadcaster or portal's name (`Global Times`, `Business Wire`,
# `Xinhua News Agency`; `大公报`, `威海新闻网`, `中评社`): general newspaper naming, not a list of releases.
_MEDIA_TAIL_EN = re.compile(
    r"(?i)(?:\bnews(?:wire| ?agency| ?network| ?service)?|\bwire|\bpresswire|\bdaily|\btimes|\bpost|\bherald|\bjournal"
    r"|\bgazette|\btribune|\bweekly|\bmagazine|\bradio|\btelevision|\btv|\bbroadcasting|\bnewspaper)$"
)
_MEDIA_TAIL_ZH = re.compile(r"(?:报|报社|新闻网|新闻社|通讯社|电视台|广播电台|电台|杂志|周刊|新闻)$")


def is_media_outlet(text: str, lang: str) -> bool:
    """Is `text` the name of a media outlet (the list in media_outlets.tsv or a newspaper's last word)?"""
    name = text.strip()
    if lang.startswith("zh") or HAN.search(name):
        name = to_hans(name)
        return name in lexicon.media_outlets("zh") or bool(_MEDIA_TAIL_ZH.search(name))
    return name.casefold() in _casefolded(lexicon.media_outlets("en")) or bool(_MEDIA_TAIL_EN.search(name))


@cache
def _casefolded(names: frozenset[str]) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


# A byline's title: the writer of the copy, not a fact of the release (`记者 陈然`, `Reporter: Jane Doe`).
_BYLINE_TITLE = re.compile(
    r"(?i)(?:本报|本台|本网|特约|实习)?(?:记者|通讯员|实习生|(?:责任|新闻|实习)?编辑|摄影|撰文|报道)"
    r"|(?:staff |senior |chief )?(?:reporter|correspondent|journalist|editor|writer|photographer)s?"
)


def is_byline_title(title: str | None) -> bool:
    """Is the title a byline's (reporter, editor), which SCHEMA.md's outlets-are-not-ORG rule leaves out?"""
    if not title:
        return False
    return bool(_BYLINE_TITLE.fullmatch(to_hans(title.strip(" :：,，"))))


def decided_none(label: str, text: str, lang: str) -> str | None:
    """Why SCHEMA.md says the candidate is no entity, or None when it leaves it to the judge."""
    if label == "ORG" and is_media_outlet(text, lang):
        return "media outlet"
    if label == "GPE" and to_hans(text.strip()).casefold() in _NOT_PLACES:
        return "mainland alone"
    if label == "DISEASE" and to_hans(text.strip()).casefold() in _BARE_DISEASES:
        return "bare disease word"
    return None


# `cancer`, `癌症`, `肿瘤` alone name no disease (SCHEMA.md); `nasopharyngeal carcinoma`, `血癌` do.
_BARE_DISEASES = frozenset(
    {"cancer", "cancers", "tumour", "tumours", "tumor", "tumors", "disease", "diseases", "癌症", "癌", "肿瘤", "恶性肿瘤", "疾病"}
)


# `mainland` / `内地` alone is no GPE (SCHEMA.md); `Mainland China`, `中国内地` are.
_NOT_PLACES = frozenset({"mainland", "the mainland", "内地"})
