"""The command line, one thin module per command (the work is in the pipeline modules they call).

Importing this package registers every command on `app`; `run_pipeline.py` and the `run-pipeline`
script both run it.
"""

# isort: off
# registering the commands, in the order --help lists them
from pipeline.cli import run, bench, train, evaluate, review  # noqa: F401

# isort: on
from pipeline.cli.common import _LoggedProgress, app

__all__ = ["_LoggedProgress", "app"]
