"""requirements.lock: every package the install gets, pinned with its hashes, and the venv made from it.

`make setup` (and so `make run`, `make test`, .ci/run) installs exactly the lock with
`pip install --require-hashes --no-deps`; pyproject.toml keeps the ranges. `make lock` regenerates it.
These checks read files and the installed metadata only: no network.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
_HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def _entries() -> list[str]:
    """The lock's requirement entries, comments dropped and backslash continuations joined."""
    entries, current = [], ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        current += " " + line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            entries.append(current.strip())
            current = ""
    assert not current, "the lock ends inside a continued line"
    return entries


def _parse() -> dict[str, tuple[str, list[str]]]:
    """{canonical name: (version, [hash options])}; fails on anything that is not `name==version --hash=...`."""
    locked: dict[str, tuple[str, list[str]]] = {}
    for entry in _entries():
        pin, *options = entry.split()
        match = _PIN.match(pin)
        assert match, f"not a plain `name==version` pin: {entry[:80]!r}"
        name = canonicalize_name(match.group(1))
        assert name not in locked, f"{name} pinned twice"
        bad = [o for o in options if not _HASH.match(o)]
        assert not bad, f"{name}: options other than sha256 hashes: {bad}"
        locked[name] = (match.group(2), options)
    return locked


@pytest.fixture(scope="module")
def locked() -> dict[str, tuple[str, list[str]]]:
    return _parse()


def _direct_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    return [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]


def test_every_lock_entry_is_pinned_with_a_hash(locked):
    assert len(locked) > 50
    for name, (version, hashes) in locked.items():
        Version(version)  # a real version, not a range
        assert hashes, f"{name}=={version} has no --hash=sha256:"


def test_every_direct_dependency_is_locked_within_its_range(locked):
    for req in _direct_requirements():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req} (pyproject.toml) is not in requirements.lock: run `make lock`"
        version = locked[name][0]
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside pyproject.toml's {req}: run `make lock`"
        )


def test_the_build_backend_is_locked(locked):
    """`pip install --no-build-isolation -e .` builds with the locked setuptools: nothing fetched for the build."""
    for spec in PYPROJECT["build-system"]["requires"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in locked and req.specifier.contains(locked[name][0]), f"build requirement {req} not locked"


def test_the_project_itself_is_not_locked(locked):
    assert PROJECT not in locked
    text = LOCK.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(-e|--editable|-r|-c|--index-url|--extra-index-url|--find-links)\b", text, re.M)


def test_torch_is_the_cpu_build_and_no_gpu_packages_come_in(locked):
    torch = Version(locked["torch"][0])
    assert torch.public == "2.13.0" and torch.local == "cpu", torch
    gpu = sorted(n for n in locked if n.startswith(("nvidia-", "cuda-")) or n in {"triton", "pytorch-triton"})
    assert not gpu, f"GPU packages in the lock: {gpu}"


def test_lxml_html_clean_is_locked_for_justext(locked):
    """lxml split `lxml.html.clean` out into lxml_html_clean; trafilatura's justext imports it."""
    assert "lxml-html-clean" in locked and "lxml" in locked and "justext" in locked


def _requires(name: str, extras: frozenset[str]) -> list[Requirement]:
    """The installed distribution's requirements that apply here, with the given extras."""
    env = default_environment()
    out = []
    for spec in metadata.requires(name) or []:
        req = Requirement(spec)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in ("", *extras)):
            out.append(req)
    return out


def test_the_lock_is_closed_under_the_installed_requirements(locked):
    """Every requirement of every locked package (extras followed) is itself locked within range: `--no-deps` misses nothing."""
    todo = [(canonicalize_name(r.name), frozenset(r.extras)) for r in _direct_requirements()]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for req in _requires(name, extras):
            dep = canonicalize_name(req.name)
            assert dep in locked, f"{name} needs {req}, which requirements.lock lacks: run `make lock`"
            assert req.specifier.contains(locked[dep][0], prereleases=True), (
                f"{name} needs {req}; the lock pins {dep}=={locked[dep][0]}"
            )
            todo.append((dep, frozenset(req.extras)))


def test_the_installed_environment_is_the_lock(locked):
    """The venv these tests run in was installed from the lock (`make setup`): every locked version is the one installed."""
    wrong = {}
    for name, (version, _) in locked.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or Version(installed) != Version(version):
            wrong[name] = (version, installed)
    assert not wrong, f"installed versions differ from requirements.lock (locked, installed): {wrong}; run `make setup`"


@pytest.mark.parametrize("module", ["lxml.html.clean", "justext", "trafilatura", "torch"])
def test_the_locked_packages_import(module):
    __import__(module)
