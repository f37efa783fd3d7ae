"""Built-in stages; importing this package registers them."""

from pipeline.stages import align, clean, convert, judge, recognise, records, relate  # noqa: F401
