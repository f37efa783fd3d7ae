"""People's Daily NER (``peoples_daily_ner``): char ``<c> <BIO>``; the MSRA labels and reader."""

from __future__ import annotations

from .msra import MSRA_MAP, read_msra

PEOPLES_DAILY_MAP = MSRA_MAP

read_peoples_daily = read_msra  # same format (space instead of tab) and labels
