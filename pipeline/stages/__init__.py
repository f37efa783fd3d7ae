"""Built-in stages; importing this package registers them."""

from pipeline.stages import clean, convert  # noqa: F401
