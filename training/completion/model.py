"""The completion brain's network: one small pre-LN transformer, used two ways.

* diffusion (the shipped model): bidirectional inside a chunk, block-causal across context chunks,
  and a canvas of <mask> slots at the cursor that attends to all retained context and to itself.
  Trained with the masked-diffusion loss (train.py); decoded by a confidence-threshold sampler (eval.py here; server/src/completion/sampler.ts in the product).
* autoregressive twin (the baseline): the same blocks with a plain causal mask, fill-in-the-middle (PSM).

The network itself does not know which of the two it is: the caller passes the attention mask (or asks for
causal). That keeps one definition of the weights, so an AR checkpoint can initialise a diffusion model.

Shapes in comments: B batch, T tokens, H heads, Dh head dim, D d_model, M memory (cached context) tokens.
Positions are explicit inputs (not arange(T)): the diffusion layout puts the suffix at a fixed gap after the
cursor (see DiffusionLayout in data.py), and context tokens keep their positions when others are evicted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F

# Control token ids, fixed by training/tokenizer/train_tokenizer.py (SPECIAL_TOKENS order).
PAD, EOS, MASK, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = 0, 1, 2, 3, 4, 5


@dataclass
class Config:
    vocab_size: int = 16384
    d_model: int = 256
    n_layer: int = 8
    n_head: int = 4          # head dim 64: the size fused attention kernels and onnxruntime like best
    d_ff: int = 1024         # 4 x d_model, GELU MLP (plain ops export cleanly to ONNX and quantize well)
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)


SHAPES = {  # candidate shapes measured for CPU latency (README.md, "Shape")
    "d256l8": Config(d_model=256, n_layer=8, n_head=4, d_ff=1024),
    "d256l10": Config(d_model=256, n_layer=10, n_head=4, d_ff=1024),
    "d256l12": Config(d_model=256, n_layer=12, n_head=4, d_ff=1024),
    "d320l8": Config(d_model=320, n_layer=8, n_head=5, d_ff=1280),
    "d384l6": Config(d_model=384, n_layer=6, n_head=6, d_ff=1536),
    "d384l8": Config(d_model=384, n_layer=8, n_head=6, d_ff=1536),
    "d384l10": Config(d_model=384, n_layer=10, n_head=6, d_ff=1536),
    "d512l8": Config(d_model=512, n_layer=8, n_head=8, d_ff=2048),
    # Not a product shape: random weights of this size are the server's test fixture (test/fixtures/tiny-completion).
    "tiny": Config(d_model=8, n_layer=1, n_head=2, d_ff=16),
}


class RMSNorm(nn.Module):
    # RMSNorm instead of LayerNorm: one reduction fewer per call on the CPU, same quality at this size.
    def __init__(self, d: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(pos: torch.Tensor, head_dim: int, theta: float):
    """pos [B,T] (int) -> cos, sin [B,1,T,Dh/2] (float32)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, device=pos.device, dtype=torch.float32) / head_dim))
    ang = pos.to(torch.float32)[..., None] * inv_freq          # [B,T,Dh/2]
    return ang.cos()[:, None], ang.sin()[:, None]


def rope_tables(pos: torch.Tensor, head_dim: int, theta: float):
    """Inference form of the rotary tables for positions pos [T]: (cos, signed sin) [T,Dh] and the fixed
    permutation [Dh,Dh] that swaps the two halves, so that rotate(x) = x*cos + (x @ swap)*sin is one matmul
    and three elementwise ops (apply_rope_tables), the same numbers as apply_rope."""
    cos, sin = rope_cos_sin(pos[None], head_dim, theta)                # [1,1,T,Dh/2]
    cos, sin = cos[0, 0], sin[0, 0]
    half = head_dim // 2
    swap = torch.zeros(head_dim, head_dim)
    swap[half:, :half] = torch.eye(half)                              # output first half <- input second half
    swap[:half, half:] = torch.eye(half)
    return torch.cat([cos, cos], -1), torch.cat([-sin, sin], -1), swap


def apply_rope_tables(x, rope):
    cos, sin, swap = rope
    return x * cos + (x @ swap) * sin


def apply_rope(x, cos, sin):
    """x [B,H,T,Dh]; rotate the two halves of the head dim (GPT-NeoX layout, no interleaving: cheaper slices)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1).to(x.dtype)


def attend(q, k, v, mask=None, causal=False):
    """Scaled dot-product attention; q [..,T,Dh], k, v [..,S,Dh], mask broadcastable to [..,T,S] (True = may attend)."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    # torch < 2.0 (a CPU-only export machine): the same attention, spelled out
    if causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    return (att if mask is None else att.masked_fill(~mask, float("-inf"))).softmax(-1) @ v


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.head_dim
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=False)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)

    def qkv_heads(self, x, cos, sin):
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)  # 3x[B,H,T,Dh]
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def forward(self, x, cos, sin, mask=None, causal=False, past=None, new_kv=None):
        """Training / evaluation path: the whole sequence at once. mask [B,T,T] bool, True = may attend.
        With `past` ((k, v) [B,H,M,Dh] of earlier tokens, rotary applied) the tokens also attend to those, and
        mask is [B,T,M+T]; `new_kv`, a list, gets this call's (k, v) appended (Transformer.hidden_cached)."""
        B, T, D = x.shape
        q, k, v = self.qkv_heads(x, cos, sin)
        if new_kv is not None:
            new_kv.append((k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        y = attend(q, k, v, None if mask is None else mask[:, None], causal and mask is None)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))

    def forward_with_memory(self, x, rope, mem_k, mem_v, self_mask=None):
        """Inference path (export.py), batch 1: new tokens x [T,D] attend to cached memory K/V and to themselves.

        rope = rope_tables(pos) for the new tokens; mem_k, mem_v [1,H,M,Dh] (rotary already applied to mem_k
        when it was cached); self_mask [T,T] bool or None (None = the new tokens see each other fully: the
        canvas). Returns the output [T,D], this call's K/V [1,H,T,Dh] (to append to the memory) and the
        attention probabilities [H,T,M+T], from which the memory brain reads how much attention each token
        receives.
        Written for a small graph on the CPU, where each node costs time however small its tensors: no batch
        axis, shapes as constants, rotary as one matmul by a fixed permutation, and the scores against the
        memory and against the new tokens computed apart and only they joined (softmax over M+T), so the
        memory's K/V are never copied.
        """
        H, Dh = self.n_head, self.head_dim
        q, k, v = self.qkv(x).reshape(-1, 3 * H, Dh).transpose(0, 1).split(H)        # 3 x [H,T,Dh]
        q, k = apply_rope_tables(q, rope), apply_rope_tables(k, rope)
        q = q * (1.0 / math.sqrt(Dh))
        mk, mv = mem_k.reshape(H, -1, Dh), mem_v.reshape(H, -1, Dh)
        new = q @ k.transpose(1, 2)                                                   # [H,T,T]
        if self_mask is not None:
            new = new.masked_fill(~self_mask, float("-inf"))
        p = torch.cat([q @ mk.transpose(1, 2), new], dim=-1).softmax(-1)              # [H,T,M+T]
        p_mem, p_new = p.split([mk.shape[1], new.shape[2]], dim=-1)
        y = (p_mem @ mv + p_new @ v).transpose(0, 1).reshape(-1, H * Dh)
        return self.proj(y), k[None], v[None], p


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.out = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x):
        return self.out(F.gelu(self.fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1, self.ln2 = RMSNorm(cfg.d_model, cfg.norm_eps), RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn, self.mlp = Attention(cfg), MLP(cfg)

    def forward(self, x, cos, sin, mask=None, causal=False, past=None, new_kv=None):
        x = x + self.attn(self.ln1(x), cos, sin, mask, causal, past, new_kv)
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = RMSNorm(cfg.d_model, cfg.norm_eps)
        # Tied embeddings: the output head is embed.weight (saves vocab x D params, ~4M at D=256).
        self.apply(self._init)
        for b in self.blocks:  # GPT-2 style: shrink residual-branch outputs with depth
            nn.init.normal_(b.attn.proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))
            nn.init.normal_(b.mlp.out.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def hidden(self, ids, pos, mask=None, causal=False):
        """ids, pos [B,T] -> final normed hidden states [B,T,D]."""
        cos, sin = rope_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        for b in self.blocks:
            x = b(x, cos, sin, mask, causal)
        return self.ln_f(x)

    def hidden_cached(self, ids, pos, mask, past=None):
        """Batched forward over new tokens that also attend to cached ones (eval.py's decoding on the GPU: the
        context is run once, then only the canvas each pass). ids, pos [B,T]; past: per layer (k, v) [B,H,M,Dh]
        of the earlier tokens (rotary applied) or None; mask [B,T,M+T] bool over [past | new] keys.
        Returns (final normed hidden states [B,T,D], per layer (k, v) of the new tokens)."""
        cos, sin = rope_cos_sin(pos, self.cfg.head_dim, self.cfg.rope_theta)
        x = self.embed(ids)
        new = []
        for i, b in enumerate(self.blocks):
            x = b(x, cos, sin, mask, past=None if past is None else past[i], new_kv=new)
        return self.ln_f(x), new

    def logits(self, h):
        """h [..., D] -> logits [..., V]. Callers gather the positions they need first (the head is the
        most expensive matmul at this size: V=16k)."""
        return h @ self.embed.weight.t()

    def forward(self, ids, pos, mask=None, causal=False):
        return self.logits(self.hidden(ids, pos, mask, causal))
