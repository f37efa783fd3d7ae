"""Build step that pyproject.toml cannot state: a wheel carries the trained models.

`models/` sits beside the package in the repository (training writes there). A wheel copies each
model folder's live model, card and history into the package as `pipeline/_models/`, where
pipeline/models.py finds them when no checkout or $MEDPR_MODELS is there. An editable install
(`make setup`) copies nothing: it reads the checkout's models/ directly.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).resolve().parent / "models"


class BuildWithModels(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False) or not MODELS.is_dir():
            return
        target = Path(self.build_lib) / "pipeline" / "_models"
        shutil.rmtree(target, ignore_errors=True)
        # previous/ and candidate/ are for rollback and promotion in a checkout, not for inference
        shutil.copytree(MODELS, target, ignore=shutil.ignore_patterns("previous", "candidate", ".*"))


setup(cmdclass={"build_py": BuildWithModels})
