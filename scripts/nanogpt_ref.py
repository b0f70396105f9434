"""nanoGPT's GPT (karpathy/nanoGPT model.py, dropout and all) as the PyTorch reference for this project,
plus the two phi-1 options the Swift engine adds (rotary positions, parallel attention + MLP), switched
by the same config keys the Swift checkpoints carry (absent = nanoGPT's behaviour).

Used by make_golden.py (fixtures for the Swift tests) and check_torch.py (cross-checks of checkpoints
and `lab loss`). Needs torch and safetensors; the Swift tests themselves never import this.
"""
import json
import math
from dataclasses import dataclass, asdict, field
from typing import Optional

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True
    rotary_dim: Optional[int] = None      # project option: RoPE on the first rotary_dim dims of each head
    rotary_base: Optional[float] = None
    parallel_block: Optional[bool] = None  # project option: x + attn(ln(x)) + mlp(ln(x))

    def to_json(self):
        d = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(d, sort_keys=True)

    @staticmethod
    def from_json(s):
        return GPTConfig(**json.loads(s))


class LayerNorm(nn.Module):
    """LayerNorm with an optional bias (nanoGPT)."""
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


def apply_rotary(x, rot, base):
    """GPT-NeoX 'rotate half' RoPE on the first rot dims of the last axis. x: (B, nh, T, hd)."""
    T = x.size(-2)
    half = rot // 2
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq).float()
    cos, sin = freqs.cos(), freqs.sin()
    x1, x2, rest = x[..., :half], x[..., half:rot], x[..., rot:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.rotary_dim = config.rotary_dim or 0
        self.rotary_base = config.rotary_base or 10000.0

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        if self.rotary_dim:
            q = apply_rotary(q, self.rotary_dim, self.rotary_base)
            k = apply_rotary(k, self.rotary_dim, self.rotary_base)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                           dropout_p=self.dropout if self.training else 0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.parallel = bool(config.parallel_block)
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        if not self.parallel:
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        if self.parallel:
            h = self.ln_1(x)
            return x + self.attn(h) + self.mlp(h)
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        mods = dict(wte=nn.Embedding(config.vocab_size, config.n_embd))
        if not config.rotary_dim:
            mods["wpe"] = nn.Embedding(config.block_size, config.n_embd)
        mods.update(drop=nn.Dropout(config.dropout),
                    h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                    ln_f=LayerNorm(config.n_embd, bias=config.bias))
        self.transformer = nn.ModuleDict(mods)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        b, t = idx.size()
        x = self.transformer.wte(idx)
        if "wpe" in self.transformer:
            x = x + self.transformer.wpe(torch.arange(0, t, dtype=torch.long, device=idx.device))
        x = self.transformer.drop(x)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


def save_checkpoint(model, path, extra=None):
    """Saves a model the way the Swift engine does: nanoGPT names, config JSON in __metadata__."""
    from safetensors.torch import save_file
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if not k.endswith(".attn.bias")}
    tensors = dict(sd)
    if extra:
        tensors.update(extra)
    save_file(tensors, path, metadata={"config": model.config.to_json(), "format": "pt"})


def load_checkpoint(path):
    """Loads a checkpoint written by the Swift engine (`lab`) into this reference GPT."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(path, "pt") as f:
        cfg = GPTConfig.from_json(f.metadata()["config"])
    model = GPT(cfg)
    model.load_state_dict(load_file(path), strict=True)
    return model
