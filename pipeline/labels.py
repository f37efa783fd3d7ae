"""Entity labels and relation types: the one list of each, as ../SCHEMA.md defines them.

The recogniser, the relation extractors, the scorer and the review app all name labels; they take
them from here so that adding a label or a relation type is one edit.
"""

from __future__ import annotations

# Entity labels, in the order the review app offers them.
NAME_LABELS = ("ORG", "PERSON", "GPE")  # names: what relations connect and alignment links
DATE, MONEY = "DATE", "MONEY"
TERM_LABELS = ("TREATMENT", "DRUG", "DISEASE", "DEVICE")  # medical terms, read from lexicons
ENTITY_LABELS = (*NAME_LABELS, DATE, MONEY, *TERM_LABELS)

# Relation types: partnership (ORG-ORG, symmetric), role (PERSON holds a title at an ORG),
# subsidiary_of (child ORG -> parent ORG), located_in (ORG -> GPE). Each is a module of
# pipeline/relations/types/ registered under this name; relate composes the ones listed here.
PARTNERSHIP, ROLE, SUBSIDIARY_OF, LOCATED_IN = "partnership", "role", "subsidiary_of", "located_in"
RELATION_TYPES = (PARTNERSHIP, ROLE, SUBSIDIARY_OF, LOCATED_IN)
# The labels a relation's arguments (and a partnership's date) can carry.
RELATION_ARGUMENT_LABELS = (*NAME_LABELS, DATE)
