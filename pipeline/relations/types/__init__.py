"""The relation types, one module each (`base.py` is their skeleton and registry); see base.py.

Every module of this package registers its type when imported; `load` imports them all, so a new
type is found by its module being here.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from pipeline.relations.types.base import REGISTRY, RelationType


@cache
def load() -> dict[str, type[RelationType]]:
    """Every type shipped in this package, by name (importing a module registers its type)."""
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY
