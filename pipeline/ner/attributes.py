"""A drop-in for en_core_web_sm's `attribute_ruler` that looks its rules up instead of matching them.

The shipped AttributeRuler runs a spaCy Matcher with ~180 rules (the tag map: TAG -> POS and
MORPH, plus word exceptions) over every token: on press releases, the largest cost of
en_core_web_sm after its neural components. Nearly all of those rules are one-token patterns over a few attributes
(TAG, LOWER, DEP, IS_SPACE), so which of them fire depends only on the token's values of those
attributes, and for LOWER and DEP only on whether the value is one the rules name. Each distinct
combination is matched once, with the ruler's own Matcher, and its merged attributes remembered.
Rules that span tokens or use operators still run through a Matcher. The result is the same
token attributes as AttributeRuler sets, rule order included (tests/test_attributes.py).
"""

from __future__ import annotations

import re

import numpy as np
from spacy.attrs import IDS
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc
from spacy.tokens._retokenize import set_token_attrs

_UNNAMED = np.uint64(2**64 - 1)  # stands for every value of an attribute that no rule names
_SET_PREDICATES = ("IN", "NOT_IN")


@Language.factory("cached_attribute_ruler", default_config={"validate": False})
def make_cached_attribute_ruler(nlp: Language, name: str, validate: bool) -> CachedAttributeRuler:
    return CachedAttributeRuler(nlp.vocab, name, validate=validate)


class CachedAttributeRuler(AttributeRuler):
    """AttributeRuler with one-token rules looked up per distinct token key."""

    max_cached = 200_000  # keys are (tag, lower-if-named, dep-if-named, space): far fewer in practice

    def clear(self) -> None:
        super().clear()
        self._compiled = False

    def add(self, patterns, attrs, index: int = 0) -> None:
        super().add(patterns, attrs, index)
        self._compiled = False

    def _compile(self) -> None:
        self._single = Matcher(self.vocab)
        self._multi = Matcher(self.vocab)
        self._has_multi = False
        named: dict[str, set[int]] = {}
        regexes: dict[str, list[re.Pattern]] = {}
        raw: set[str] = set()
        for i in range(len(self.attrs)):
            singles, multis = [], []
            for pattern in self.matcher.get(str(i))[1]:
                if len(pattern) == 1 and _lookupable(pattern[0]):
                    singles.append(pattern)
                    for attr, value in pattern[0].items():
                        _collect(attr, value, named, regexes, raw, self.vocab)
                else:
                    multis.append(pattern)
            if singles:
                self._single.add(str(i), singles)
            if multis:
                self._multi.add(str(i), multis)
                self._has_multi = True
        self._key_attrs = sorted(named.keys() | regexes.keys() | raw)
        # Key attributes come from lookupable patterns only, whose attributes all have ids.
        self._key_ids: list[int | str] = []  # the type Doc.to_array takes
        for a in self._key_attrs:
            attr_id = _attr_id(a)
            assert attr_id is not None
            self._key_ids.append(attr_id)
        # per key attribute: the hashes of the values rules name (None: key on the raw value)
        self._named = [None if a in raw else np.array(sorted(named.get(a, ())), dtype=np.uint64) for a in self._key_attrs]
        self._regexes = [regexes.get(a, []) for a in self._key_attrs]
        self._cache: dict[tuple, tuple[int, ...]] = {}
        self._merged: dict[tuple[int, ...], dict] = {}
        self._compiled = True

    def __call__(self, doc: Doc) -> Doc:
        if not self._compiled:
            self._compile()
        per_token = self._rules_per_token(doc)
        extra: dict[int, list[int]] = {}
        if self._has_multi:
            for m_id, start, end in self._multi(doc, allow_missing=True):
                r = int(self.vocab.strings[m_id])
                index = self.indices[r]
                extra.setdefault((start if index >= 0 else end) + index, []).append(r)
        for i, rules in enumerate(per_token):
            if i in extra:
                rules = tuple(sorted((*rules, *extra[i])))
            if rules:
                set_token_attrs(doc[i], self._merged_attrs(rules))
        return doc

    def _rules_per_token(self, doc: Doc) -> list[tuple[int, ...]]:
        if not len(doc) or not self._key_attrs:
            return [()] * len(doc)
        values = doc.to_array(self._key_ids).reshape(len(doc), -1)
        keys = np.empty_like(values)
        for c, (named, regexes) in enumerate(zip(self._named, self._regexes, strict=True)):
            column = values[:, c]
            if named is None:
                keys[:, c] = column
                continue
            known = np.isin(column, named)
            if regexes:
                strings = self.vocab.strings
                known |= np.array([any(rx.search(strings[int(v)]) for rx in regexes) for v in column.tolist()], dtype=bool)
            keys[:, c] = np.where(known, column, _UNNAMED)
        out = []
        for i, key in enumerate(map(tuple, keys.tolist())):
            rules = self._cache.get(key)
            if rules is None:
                matches = self._single(doc[i : i + 1], allow_missing=True)
                rules = tuple(sorted({int(self.vocab.strings[m]) for m, _, _ in matches}))
                if len(self._cache) < self.max_cached:
                    self._cache[key] = rules
            out.append(rules)
        return out

    def _merged_attrs(self, rules: tuple[int, ...]) -> dict:
        merged = self._merged.get(rules)
        if merged is None:
            merged = {}
            for r in rules:  # later rules win, as when AttributeRuler applies them one by one
                merged.update(self.attrs[r])
            self._merged[rules] = merged
        return merged


def _attr_id(attr: str) -> int | None:
    """spaCy's id of a pattern attribute (`TEXT` is `ORTH`), None for one `to_array` cannot read."""
    return IDS.get("ORTH" if attr.upper() == "TEXT" else attr.upper())


def _lookupable(token_pattern: dict) -> bool:
    """A one-token pattern whose outcome depends only on attribute values we can key on."""
    for attr, value in token_pattern.items():
        if attr == "OP" or attr == "_" or _attr_id(attr) is None:
            return False
        if isinstance(value, dict) and not set(value) <= {*_SET_PREDICATES, "REGEX"}:
            return False
        if isinstance(value, dict) and "REGEX" in value and len(value) > 1:
            return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return False
    return True


def _collect(attr: str, value, named: dict[str, set[int]], regexes: dict[str, list[re.Pattern]], raw: set[str], vocab) -> None:
    """Record which values of `attr` the rules name or test; booleans (IS_SPACE) are keyed raw."""
    if isinstance(value, bool):
        raw.add(attr)
    elif isinstance(value, str):
        named.setdefault(attr, set()).add(vocab.strings.add(value))
    elif "REGEX" in value:
        regexes.setdefault(attr, []).append(re.compile(value["REGEX"]))
    else:
        for key in _SET_PREDICATES:
            named.setdefault(attr, set()).update(vocab.strings.add(v) for v in value.get(key, []))


def cache_attribute_rules(nlp: Language) -> Language:
    """Swap the pipeline's `attribute_ruler` for the cached one, same rules; a no-op without one."""
    if "attribute_ruler" not in nlp.pipe_names:
        return nlp
    patterns = nlp.get_pipe("attribute_ruler").patterns  # type: ignore[attr-defined]  # spaCy types pipes as callables
    ruler = nlp.replace_pipe("attribute_ruler", "cached_attribute_ruler")
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]  # spaCy types pipes as callables
    return nlp
