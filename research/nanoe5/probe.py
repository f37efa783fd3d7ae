#!/usr/bin/env python
"""Usefulness probe: logistic regression on mean-pooled token embeddings of gold entity spans.
Labels ORG/PERSON/GPE/DATE/other; 5-fold GroupKFold by release id. Spans are found by exact string
match of the entity text in raw/<id>.txt (all occurrences, averaged); entities not found are dropped.
Feature sets: char n-gram TF-IDF of the entity string (baseline, no model), e5 span-in-context
(last layer, and layer 8), e5 entity-alone, and TF-IDF + in-context."""
import collections, json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np, torch
from scipy.sparse import hstack, csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as hf_logging
hf_logging.set_verbosity_error()
torch.set_num_threads(int(os.environ.get("THREADS", "1")))
HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.environ.get("MODEL", os.path.join(HERE, "model"))
SAMPLES = "/work/shared/samples"
KEEP = {"ORG", "PERSON", "GPE", "DATE"}
MID = 8
tok = AutoTokenizer.from_pretrained(MODEL)
model = AutoModel.from_pretrained(MODEL).eval()


def token_states(text, win=510, step=384):
    """Per-token hidden states (last layer, layer MID) of "passage: "+text with overlapping windows."""
    full = "passage: " + text
    enc = tok(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offs = enc["input_ids"], enc["offset_mapping"]
    n = len(ids)
    last = np.zeros((n, 384), np.float32); mid = np.zeros((n, 384), np.float32); best = np.full(n, -1)
    starts = list(range(0, max(n - win, 0) + 1, step))
    if starts[-1] + win < n: starts.append(n - win)
    for s in starts:
        e = min(s + win, n)
        x = torch.tensor([[tok.cls_token_id] + ids[s:e] + [tok.sep_token_id]])
        with torch.inference_mode():
            out = model(input_ids=x, output_hidden_states=True)
        hl = out.last_hidden_state[0, 1:-1].numpy(); hm = out.hidden_states[MID][0, 1:-1].numpy()
        for j in range(e - s):
            margin = min(j, e - s - 1 - j) if (s > 0 or e < n) else 10**6
            if margin > best[s + j]:
                best[s + j] = margin; last[s + j] = hl[j]; mid[s + j] = hm[j]
    return full, offs, last, mid


def alone(text):
    enc = tok(text, return_tensors="pt")
    with torch.inference_mode():
        h = model(**enc).last_hidden_state[0, 1:-1]
    return h.mean(0).numpy()


rows = []
t0 = time.time()
for line in open(os.path.join(SAMPLES, "gold.jsonl"), encoding="utf-8"):
    d = json.loads(line)
    p = os.path.join(SAMPLES, "raw", d["id"] + ".txt")
    if not os.path.exists(p):
        continue
    text = open(p, encoding="utf-8").read()
    full, offs, last, mid = token_states(text)
    seen = set()
    for e in d["entities"]:
        key = (e["text"], e["label"])
        if key in seen or not e["text"].strip():
            continue
        seen.add(key)
        occ, i = [], full.find(e["text"], len("passage: "))
        while i >= 0:
            a, b = i, i + len(e["text"])
            tix = [k for k, (x, y) in enumerate(offs) if x < b and y > a]
            if tix: occ.append(tix)
            i = full.find(e["text"], b)
        if not occ:
            continue
        rows.append(dict(doc=d["id"], lang=d["lang"], text=e["text"],
                         label=e["label"] if e["label"] in KEEP else "other",
                         ctx=np.mean([last[t].mean(0) for t in occ], 0),
                         ctx_mid=np.mean([mid[t].mean(0) for t in occ], 0),
                         alone=alone(e["text"])))
print(f"{len(rows)} (entity, label) examples from {len(set(r['doc'] for r in rows))} releases, "
      f"labels {dict(collections.Counter(r['label'] for r in rows))}; embedding time {time.time()-t0:.0f}s")

y = np.array([r["label"] for r in rows]); g = np.array([r["doc"] for r in rows])
lang = np.array([r["lang"] for r in rows])
tf = lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
feats = {
    "tfidf_char_1-4 (no model)": None,
    "e5 span in context, last layer": np.stack([r["ctx"] for r in rows]),
    f"e5 span in context, layer {MID}": np.stack([r["ctx_mid"] for r in rows]),
    "e5 entity text alone, last layer": np.stack([r["alone"] for r in rows]),
    "tfidf + e5 in context (last)": "combo",
}
texts = np.array([r["text"] for r in rows], dtype=object)
res = {}
for name, X in feats.items():
    pred = np.empty_like(y); unseen = np.zeros(len(y), bool)
    for tr, te in GroupKFold(n_splits=5).split(texts, y, g):
        trs = set(t.lower() for t in texts[tr])
        unseen[te] = [t.lower() not in trs for t in texts[te]]
        if X is None or isinstance(X, str):
            v = tf().fit(texts[tr]); Xtr, Xte = v.transform(texts[tr]), v.transform(texts[te])
            if isinstance(X, str):
                E = feats["e5 span in context, last layer"]
                sc = StandardScaler().fit(E[tr])
                Xtr = hstack([Xtr, csr_matrix(sc.transform(E[tr]) * 0.1)]).tocsr()
                Xte = hstack([Xte, csr_matrix(sc.transform(E[te]) * 0.1)]).tocsr()
            clf = LogisticRegression(C=10, max_iter=3000).fit(Xtr, y[tr])
        else:
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000)).fit(X[tr], y[tr])
            Xte = X[te]
        pred[te] = clf.predict(Xte)
    acc = float((pred == y).mean())
    res[name] = dict(acc=round(acc, 3), acc_en=round(float((pred == y)[lang == "en"].mean()), 3),
                     acc_zh=round(float((pred == y)[lang == "zh"].mean()), 3),
                     acc_unseen_strings=round(float((pred == y)[unseen].mean()), 3), n_unseen=int(unseen.sum()),
                     per_label_recall={l: round(float((pred == y)[y == l].mean()), 2) for l in sorted(set(y))})
maj = collections.Counter(y).most_common(1)[0]
print(f"majority-class baseline: {maj[0]} {maj[1]/len(y):.3f}")
print(json.dumps(res, indent=1, ensure_ascii=False))
