from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.registry import PipelineConfig
from pipeline.release import Release
from pipeline.runner import Pipeline

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The shipped pipeline, built once for the whole test session (models load once)."""
    return Pipeline(PipelineConfig.load())


@pytest.fixture(scope="session")
def process(pipeline):
    def run(text: str, name: str = "t.txt", title: str | None = None) -> Release:
        return pipeline.process(Release(source_path=name, raw_text=text, title=title))

    return run
