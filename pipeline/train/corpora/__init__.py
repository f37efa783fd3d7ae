"""Converters from public Chinese NER corpora to spaCy ``Doc`` / ``DocBin`` files.

Target label set: ``PERSON``, ``ORG``, ``GPE`` (``LOC`` is folded into ``GPE``).

Supported corpora (folder names as in the shared datasets folder; pass its path in), one
module each, registered by name in :data:`pipeline.train.corpora.build.READERS`:

=====================  ==========================  ======================================
folder (module)        format                      label mapping
=====================  ==========================  ======================================
``msra_ner``           char ``<c>\\t<BIO>``         PER->PERSON, ORG->ORG, LOC->GPE
(``msra``)
``peoples_daily_ner``  char ``<c> <BIO>``          PER->PERSON, ORG->ORG, LOC->GPE
(``peoples_daily``)
``weibo_ner``          char ``<c><digit>\\t<BIO>``  *.NAM only: PER->PERSON, ORG->ORG,
(``weibo``)                                        GPE/LOC->GPE; *.NOM -> outside (O)
``resume_ner``         char ``<c> <BMES>``         NAME->PERSON, ORG->ORG; LOC/CONT -> GPE
(``resume``)                                       after trimming 人/籍/国籍 (see
                                                   :mod:`.resume`); TITLE/EDU/PRO/RACE -> O
``cluener2020``        JSONL spans (end incl.)     name->PERSON; company/government/
(``cluener``)                                      organization->ORG; address->GPE only
                                                   for clear place names, otherwise
                                                   *missing*; scene -> *missing*;
                                                   book/game/movie/position -> O
=====================  ==========================  ======================================

"*missing*" means the tokens are marked as unannotated (``ent_iob == 0``): the spaCy NER
loss and scorer ignore them, so unclear spans neither teach "not an entity" nor count as
errors.

All text is converted with OpenCC ``t2s`` (Traditional -> Simplified). The conversion is
expected to be character-for-character; a sentence whose length changes is skipped (and
counted), so gold offsets always stay valid.

Docs are made with ``spacy.blank("zh")`` whose default segmenter is ``char`` (one token
per character) and entity spans are created with ``doc.char_span(...,
alignment_mode="strict")``.

Modules: :mod:`.common` (tag schemes, Doc construction, stats, Simplified conversion),
one per corpus (:mod:`.msra`, :mod:`.peoples_daily`, :mod:`.weibo`, :mod:`.resume`,
:mod:`.cluener`), and :mod:`.build` (the split specs, ``build_docbins``, ``load_docbin``;
``python -m pipeline.train.corpora.build DATASETS WORK``).
"""
