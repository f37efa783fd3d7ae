#!/usr/bin/env python3
"""Command line of the bilingual press-release pipeline: run, evaluate, train, review, bench.

The commands live in pipeline/cli/ (one module each); this file runs them from a checkout.
"""

import sys

from pipeline.cli import _LoggedProgress, app  # noqa: F401 (tests and users import them from here)

if __name__ == "__main__":
    sys.exit(app())
