#!/usr/bin/env python3
"""Cross-checks the Swift engine against the PyTorch reference (nanogpt_ref.py), in both directions:

  PyTorch -> Swift: a checkpoint saved by PyTorch is scored by `lab loss`; the loss must equal PyTorch's.
  Swift -> PyTorch: a checkpoint made by `lab init` loads strictly into nanoGPT's GPT
                    (load_state_dict(strict=True)) and PyTorch's loss equals `lab loss`.

    ~/torchvenv/bin/python scripts/check_torch.py --lab .build/debug/lab

Each check uses `lab loss`'s windowing: consecutive windows of block_size + 1 tokens, remainder dropped.
Exits non-zero when any loss differs by more than --tol.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from nanogpt_ref import GPT, GPTConfig, load_checkpoint, save_checkpoint  # noqa: E402


def torch_loss(model, ids):
    T = model.config.block_size
    n = len(ids) // (T + 1)
    w = torch.tensor(ids[: n * (T + 1)].astype(np.int64)).view(n, T + 1)
    model.eval()
    with torch.no_grad():
        logits, _ = model(w[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), w[:, 1:].reshape(-1), reduction="sum")
    return loss.item() / (n * T), n * T


def lab_loss(lab, ckpt, tokens):
    out = subprocess.run([lab, "loss", ckpt, tokens], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    return r["loss"], r["tokens"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", default=".build/debug/lab")
    ap.add_argument("--tol", type=float, default=2e-5)
    ap.add_argument("--checkpoint", help="also score this checkpoint (e.g. a trained one) on --tokens")
    ap.add_argument("--tokens", help="token file for --checkpoint")
    args = ap.parse_args()
    failed = False
    if args.checkpoint:
        ids = np.fromfile(args.tokens, dtype="<u2")
        tl, tn = torch_loss(load_checkpoint(args.checkpoint), ids)
        ll, ln = lab_loss(args.lab, args.checkpoint, args.tokens)
        ok = abs(tl - ll) <= args.tol and tn == ln
        print(f"{args.checkpoint} on {args.tokens}: torch {tl:.7f}  lab {ll:.7f}  ({tn} tokens)  diff {abs(tl-ll):.2e}  {'ok' if ok else 'MISMATCH'}")
        failed |= not ok
    configs = {
        "nanoGPT layout (learned positions, biases)": GPTConfig(block_size=64, vocab_size=300, n_layer=2, n_head=4, n_embd=64),
        "phi-1 options (rotary 8 of 16, parallel block, no bias)": GPTConfig(block_size=64, vocab_size=300, n_layer=2, n_head=4,
                                                                           n_embd=64, bias=False, rotary_dim=8, parallel_block=True),
        "bench D shape (vocab 4096, ctx 256)": GPTConfig(block_size=256, vocab_size=4096, n_layer=2, n_head=6, n_embd=384),
    }
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        for name, cfg in configs.items():
            tokens = os.path.join(d, "tokens.bin")
            ids = rng.integers(0, cfg.vocab_size, size=5 * (cfg.block_size + 1) + 7, dtype=np.uint16)
            ids.tofile(tokens)
            # PyTorch -> Swift
            torch.manual_seed(1)
            m = GPT(cfg)
            with torch.no_grad():
                for p in m.parameters():
                    p.add_(0.05 * torch.randn_like(p))
            a = os.path.join(d, "from_torch.safetensors")
            save_checkpoint(m, a)
            tl, tn = torch_loss(m, ids)
            ll, ln = lab_loss(args.lab, a, tokens)
            ok1 = abs(tl - ll) <= args.tol and tn == ln
            # Swift -> PyTorch
            b = os.path.join(d, "from_lab.safetensors")
            subprocess.run([args.lab, "init", "--config", cfg.to_json(), "--seed", "3", "--out", b], check=True, capture_output=True)
            m2 = load_checkpoint(b)
            tl2, _ = torch_loss(m2, ids)
            ll2, _ = lab_loss(args.lab, b, tokens)
            ok2 = abs(tl2 - ll2) <= args.tol
            print(f"{name}:\n  torch->lab  torch {tl:.7f}  lab {ll:.7f}  diff {abs(tl-ll):.2e}  {'ok' if ok1 else 'MISMATCH'}"
                  f"\n  lab->torch  torch {tl2:.7f}  lab {ll2:.7f}  diff {abs(tl2-ll2):.2e}  {'ok' if ok2 else 'MISMATCH'}")
            failed |= not (ok1 and ok2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
