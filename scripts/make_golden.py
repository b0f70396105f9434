#!/usr/bin/env python3
"""Writes the golden fixtures the Swift tests compare against, from PyTorch (see nanogpt_ref.py).

    ~/torchvenv/bin/python scripts/make_golden.py

Outputs (small safetensors files, committed):
  Tests/TensorTests/Fixtures/ops_golden.safetensors      GELU, LayerNorm, softmax, cross-entropy, attention
  Tests/ModelsTests/Fixtures/gpt_learned.safetensors     tiny GPT (nanoGPT layout): params, ids, logits, loss, grads
  Tests/ModelsTests/Fixtures/gpt_rotary.safetensors      tiny GPT with rotary + parallel block, no bias
  Tests/TrainingTests/Fixtures/adamw_golden.safetensors  clip_grad_norm_ + AdamW trajectory with a schedule
  Tests/TrainingTests/Fixtures/adafactor_golden.safetensors  torch.optim.Adafactor trajectory
Integer tensors (ids, targets) are stored as F32, exact for these small values.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(__file__))
from nanogpt_ref import GPT, GPTConfig  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
torch.manual_seed(1234)


def f32(t):
    return t.detach().float().contiguous().clone()


def ops_golden():
    out = {}
    x = torch.linspace(-6, 6, 97)
    out["gelu.x"], out["gelu.y"] = f32(x), f32(F.gelu(x))
    xg = x.clone().requires_grad_(True)
    F.gelu(xg).sum().backward()
    out["gelu.dx"] = f32(xg.grad)

    x = torch.randn(5, 12, requires_grad=True)
    w, b = torch.randn(12, requires_grad=True), torch.randn(12, requires_grad=True)
    dy = torch.randn(5, 12)
    y = F.layer_norm(x, (12,), w, b, 1e-5)
    y.backward(dy)
    out.update({"ln.x": f32(x), "ln.w": f32(w), "ln.b": f32(b), "ln.dy": dy, "ln.y": f32(y),
                "ln.dx": f32(x.grad), "ln.dw": f32(w.grad), "ln.db": f32(b.grad)})

    x = torch.randn(4, 9, requires_grad=True)
    dy = torch.randn(4, 9)
    y = torch.softmax(x, -1)
    y.backward(dy)
    out.update({"softmax.x": f32(x), "softmax.dy": dy, "softmax.y": f32(y), "softmax.dx": f32(x.grad)})

    logits = (3 * torch.randn(7, 11)).requires_grad_(True)
    targets = torch.tensor([3, -1, 0, 10, -1, 5, 2])
    loss = F.cross_entropy(logits, targets, ignore_index=-1)
    loss.backward()
    out.update({"ce.logits": f32(logits), "ce.targets": targets.float(), "ce.loss": f32(loss.reshape(1)),
                "ce.dlogits": f32(logits.grad)})

    # causal attention on a packed qkv [B, T, 3C] with H heads, as the fused kernel sees it.
    B, T, C, H = 2, 70, 12, 3   # T > 64 exercises two row blocks
    qkv = torch.randn(B, T, 3 * C, requires_grad=True)
    q, k, v = qkv.split(C, dim=2)
    q, k, v = (z.view(B, T, H, C // H).transpose(1, 2) for z in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, C)
    dy = torch.randn(B, T, C)
    y.backward(dy)
    out.update({"attn.qkv": f32(qkv), "attn.dy": dy, "attn.y": f32(y), "attn.dqkv": f32(qkv.grad),
                "attn.heads": torch.tensor([float(H)])})
    save_file(out, os.path.join(ROOT, "Tests/TensorTests/Fixtures/ops_golden.safetensors"))


def gpt_golden(cfg, name, seed):
    torch.manual_seed(seed)
    model = GPT(cfg)
    # Non-trivial LayerNorm parameters and biases, so their gradients and roles are tested too.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.endswith(".bias") or "ln_" in n:
                p.add_(0.1 * torch.randn_like(p))
    B, T = 2, 11
    ids = torch.randint(0, cfg.vocab_size, (B, T))
    targets = torch.randint(0, cfg.vocab_size, (B, T))
    targets[0, 3] = -1
    targets[1, 0] = -1
    logits, loss = model(ids, targets)
    loss.backward()
    tensors = {k: f32(v) for k, v in model.state_dict().items()}
    tensors["golden.ids"] = ids.float()
    tensors["golden.targets"] = targets.float()
    tensors["golden.logits"] = f32(logits)
    tensors["golden.loss"] = f32(loss.reshape(1))
    for n, p in model.named_parameters():
        tensors["grad." + n] = f32(p.grad)
    save_file(tensors, os.path.join(ROOT, f"Tests/ModelsTests/Fixtures/{name}.safetensors"),
              metadata={"config": cfg.to_json(), "format": "pt"})


def adamw_golden():
    torch.manual_seed(7)
    w = torch.randn(6, 5).requires_grad_(True)       # 2-D: decayed
    b = torch.randn(5).requires_grad_(True)          # 1-D: not decayed
    opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    out = {"w0": f32(w), "b0": f32(b)}
    steps, warmup, max_lr, min_lr = 6, 2, 1e-2, 1e-3
    for s in range(steps):
        # nanoGPT's schedule: linear warmup, then cosine to min_lr at `steps`.
        if s < warmup:
            lr = max_lr * (s + 1) / (warmup + 1)
        else:
            ratio = (s - warmup) / (steps - warmup)
            lr = min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
        for g in opt.param_groups:
            g["lr"] = lr
        gw, gb = 3 * torch.randn(6, 5), 3 * torch.randn(5)
        w.grad, b.grad = gw.clone(), gb.clone()
        norm = torch.nn.utils.clip_grad_norm_([w, b], 1.0)
        opt.step()
        out.update({f"gw{s}": gw, f"gb{s}": gb, f"lr{s}": torch.tensor([lr], dtype=torch.float32),
                    f"norm{s}": f32(norm.reshape(1)), f"w{s+1}": f32(w), f"b{s+1}": f32(b)})
    save_file(out, os.path.join(ROOT, "Tests/TrainingTests/Fixtures/adamw_golden.safetensors"))


def adafactor_golden():
    torch.manual_seed(8)
    w = torch.randn(6, 5).requires_grad_(True)
    b = torch.randn(5).requires_grad_(True)
    opt = torch.optim.Adafactor([w, b], lr=1e-2, weight_decay=0.01)
    out = {"w0": f32(w), "b0": f32(b)}
    for s in range(6):
        gw, gb = torch.randn(6, 5), torch.randn(5)
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        out.update({f"gw{s}": gw, f"gb{s}": gb, f"w{s+1}": f32(w), f"b{s+1}": f32(b)})
    save_file(out, os.path.join(ROOT, "Tests/TrainingTests/Fixtures/adafactor_golden.safetensors"))


if __name__ == "__main__":
    ops_golden()
    gpt_golden(GPTConfig(block_size=16, vocab_size=37, n_layer=2, n_head=2, n_embd=16, bias=True), "gpt_learned", 11)
    gpt_golden(GPTConfig(block_size=16, vocab_size=37, n_layer=2, n_head=2, n_embd=16, bias=False,
                         rotary_dim=4, parallel_block=True), "gpt_rotary", 12)
    adamw_golden()
    adafactor_golden()
    print("wrote golden fixtures")
