#!/usr/bin/env python3
"""PyTorch baseline of the models suite (bench/models.mjs): an XLM-RoBERTa encoder of the same shape as the
synthetic ONNX models (random weights), eager fp32 and torch's dynamic int8 (nn.Linear), the same workloads:
passages/s for `batch` sequences of each length, one query of `queryTokens` tokens (p50), a cross-encoder head on
`rerankPairs` pairs of `rerankTokens` tokens (p50). Tokenization is not timed here (random ids). Prints one JSON line.

    python3 bench/lib/torch_xlmr.py '{"threads": 2, "lengths": [64, 128, 256], ...}'
"""
import json
import math
import resource
import sys
import time

import torch
from torch import nn

SHAPE = dict(layers=24, hidden=1024, heads=16, ffn=4096, vocab=250002, positions=514)


class Layer(nn.Module):
    def __init__(self, h, heads, ffn):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-5), nn.LayerNorm(h, eps=1e-5)
        self.up, self.down = nn.Linear(h, ffn), nn.Linear(ffn, h)

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads
        split = lambda y: y.view(b, t, self.heads, d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(self.o(ctx) + x)
        return self.ln2(self.down(torch.nn.functional.gelu(self.up(x))) + x)


class XLMR(nn.Module):
    def __init__(self, s, head):
        super().__init__()
        self.word = nn.Embedding(s["vocab"], s["hidden"], padding_idx=1)
        self.pos = nn.Embedding(s["positions"], s["hidden"], padding_idx=1)
        self.ln = nn.LayerNorm(s["hidden"], eps=1e-5)
        self.layers = nn.ModuleList(Layer(s["hidden"], s["heads"], s["ffn"]) for _ in range(s["layers"]))
        self.head = head
        if head:
            self.dense, self.out = nn.Linear(s["hidden"], s["hidden"]), nn.Linear(s["hidden"], 1)

    def forward(self, ids, mask):
        not_pad = (ids != 1).long()
        positions = torch.cumsum(not_pad, dim=1) * not_pad + 1
        x = self.ln(self.word(ids) + self.pos(positions))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        if self.head:
            return self.out(torch.tanh(self.dense(x[:, 0])))
        return x


def batch(n, t, vocab):
    ids = torch.randint(5, vocab - 1, (n, t))
    return ids, torch.ones(n, t, dtype=torch.long)


def timed(model, inputs, reps):
    out = []
    with torch.inference_mode():
        model(*inputs)
        for _ in range(reps):
            t0 = time.perf_counter()
            model(*inputs)
            out.append(time.perf_counter() - t0)
    return sorted(out)[len(out) // 2]


def peak_rss_mb():
    """VmHWM (reset by exec; getrusage keeps the parent's high-water mark across fork + exec on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas():
    """Debian's torch calls the system libblas.so.3 (BLAS_INFO=generic): name the library the alternatives chose."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1].rsplit("/", 1)[-1] for line in maps if "blas" in line}
        return "BLAS " + ", ".join(sorted(libs))
    except OSError:
        return "BLAS ?"


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(c.get("threads", 2))
    torch.manual_seed(0)
    s = {k: c.get(k, v) for k, v in SHAPE.items()}
    enc = XLMR(s, head=False).eval()
    enc_q = torch.ao.quantization.quantize_dynamic(enc, {nn.Linear}, dtype=torch.qint8)
    passages = {}
    for length in c["lengths"]:
        inputs = batch(c["batch"], length, s["vocab"])
        passages[length] = {
            "fp32": c["batch"] / timed(enc, inputs, c["reps"]),
            "int8": c["batch"] / timed(enc_q, inputs, c["reps"]),
        }
        print(f"passages at {length} tokens: {passages[length]}", file=sys.stderr)
    query = {"fp32": timed(enc, batch(1, c["queryTokens"], s["vocab"]), c["queryReps"]) * 1000}
    del enc, enc_q
    ce = XLMR(s, head=True).eval()
    ce_q = torch.ao.quantization.quantize_dynamic(ce, {nn.Linear}, dtype=torch.qint8)
    pairs = batch(c["rerankPairs"], c["rerankTokens"], s["vocab"])
    rerank = {"fp32": timed(ce, pairs, c["rerankReps"]), "int8": timed(ce_q, pairs, c["rerankReps"])}
    print(f"rerank: {rerank}", file=sys.stderr)
    rss = peak_rss_mb()
    model = f"hand-written XLM-R, {s['layers']} layers, hidden {s['hidden']}, {blas()}"
    print(json.dumps({"passages": passages, "query": query, "rerank": rerank, "maxRssMb": rss, "model": model}))


if __name__ == "__main__":
    main()
