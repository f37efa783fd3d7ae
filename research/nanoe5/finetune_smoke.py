#!/usr/bin/env python
"""Smoke test that the converted checkpoint is trainable: AutoModelForTokenClassification on top,
a few AdamW steps on one toy batch (loss must drop), save_pretrained + reload, offline."""
import os, sys, tempfile
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch
from transformers import AutoModelForTokenClassification, AutoTokenizer
from transformers.utils import logging as hf_logging
hf_logging.set_verbosity_error()
torch.manual_seed(0); torch.set_num_threads(1)
MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "model")
tok = AutoTokenizer.from_pretrained(MODEL)
m = AutoModelForTokenClassification.from_pretrained(MODEL, num_labels=3)
texts = ["Pfizer opened a lab in Boston.", "复旦大学在上海发布了研究结果。"]
ents = [["Pfizer", "Boston"], ["复旦大学", "上海"]]
enc = tok(texts, padding=True, return_offsets_mapping=True, return_tensors="pt")
labels = torch.zeros_like(enc["input_ids"])
for b, (t, es) in enumerate(zip(texts, ents)):
    for e in es:
        s = t.index(e); f = s + len(e)
        for k, (x, y) in enumerate(enc["offset_mapping"][b].tolist()):
            if y > x and x < f and y > s:
                labels[b, k] = 1 if x <= s else 2
labels[enc["attention_mask"] == 0] = -100
enc.pop("offset_mapping")
opt = torch.optim.AdamW(m.parameters(), lr=5e-5)
m.train(); losses = []
for _ in range(8):
    out = m(**enc, labels=labels); out.loss.backward(); opt.step(); opt.zero_grad(); losses.append(out.loss.item())
print("loss per step:", [round(l, 3) for l in losses])
d = tempfile.mkdtemp(); m.save_pretrained(d); tok.save_pretrained(d)
m2 = AutoModelForTokenClassification.from_pretrained(d).eval(); m.eval()
with torch.no_grad():
    diff = (m(**enc).logits - m2(**enc).logits).abs().max().item()
print("reload max |logit diff|:", diff, "| params:", sum(p.numel() for p in m.parameters()))
assert losses[-1] < losses[0] and diff < 1e-4
print("OK")
