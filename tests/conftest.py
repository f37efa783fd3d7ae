from __future__ import annotations

import shutil
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def light_config(tmp_path_factory) -> Path:
    """A config with the foundation stages only (clean, convert): fast CLI runs whatever the default grows to."""
    path = tmp_path_factory.mktemp("config") / "light.toml"
    path.write_text('[pipeline]\nstages = ["clean", "convert"]\n', encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cli():
    """Invoke run_pipeline's typer app in this process; returns (exit code, output with whitespace squeezed)."""
    from typer.testing import CliRunner

    import run_pipeline

    def invoke(*args: object) -> tuple[int, str]:
        result = CliRunner().invoke(run_pipeline.app, [str(a) for a in args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, " ".join(result.output.split())

    return invoke


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """The review tests' extracted tables (tests/review_data.py), written once; copy before changing."""
    from . import review_data as rd

    return rd.write(tmp_path_factory.mktemp("pristine") / "extracted")


@pytest.fixture
def folder(pristine, tmp_path) -> Path:
    """A fresh copy of `pristine` for a test that writes."""
    out = tmp_path / "extracted"
    shutil.copytree(pristine, out)
    return out


@pytest.fixture(scope="module")
def run():
    """The shipped pipeline without align and records, built once per test module; `run(text)` processes one release."""
    config = PipelineConfig.load()
    config.stages = [s for s in config.stages if s not in ("align", "records")]
    pipe = Pipeline(config)

    def process(text: str) -> Release:
        return pipe.process(Release(source_path="t.txt", raw_text=text))

    return process


# The browser tests' app and reviewer (tests/test_review_browser.py and the modules that import its
# helpers). A module using them defines its own module-scoped `folder` (the extracted tables to
# serve) and imports the `browser` fixture; helpers are imported here, not at the top: that module
# skips itself without playwright.
@pytest.fixture(scope="module")
def url(folder) -> Iterator[str]:
    """The review app serving `folder`, on a free local port, for the whole module."""
    from .test_review_browser import start

    address, srv, thread = start(folder)
    yield address
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def ann(browser, url):
    """Reviewer `ann`'s browser session on `url`, opened (which sets the reviewer name)."""
    from .test_review_browser import Session

    s = Session(browser, url, "ann")
    s.open()
    yield s
    s.close()
