"""Run the shipped pipeline (without align/records) on texts given one per argument; print entities and relations."""

import sys

from pipeline.registry import PipelineConfig
from pipeline.release import Release
from pipeline.runner import Pipeline

config = PipelineConfig.load()
config.stages = [s for s in config.stages if s not in ("align", "records")]
pipe = Pipeline(config)
for text in sys.argv[1:]:
    r = pipe.process(Release(source_path="t.txt", raw_text=text))
    print("TEXT:", text[:100])
    print("  ENT:", [(e.label, e.text) for e in r.entities])
    print("  REJ:", [(e.label, e.text) for e in r.rejected])
    for f in r.relations:
        print("  REL:", f.type, "|", f.head, "|", f.tail, "|", getattr(f, "title", None), getattr(f, "kind", None))
