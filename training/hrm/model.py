"""HRM: a Hierarchical Reasoning Model small enough for 2 CPU cores.

One ACT step (what the ONNX graph computes, and what the TypeScript loop calls
until the halt head fires):

    x   = embed(tokens)                                  # [B, N, D]
    for h in range(H_cycles):                            # slow time-scale
        for l in range(L_cycles):                        # fast time-scale
            z_L = L_net(z_L + z_H + x)                   # [B, N, D]
        z_H = H_net(z_H + z_L)                           # [B, N, D]
    logits     = head(z_H)                               # [B, N, V_out]
    halt_logit = halt_head(mean_N(z_H))                  # [B]

The answer is read from z_H only. z_H and z_L start as ALL ZEROS for every
new puzzle (in training too), so the runtime can start from zeros.

TRM-style simplifications (Jolicoeur-Martineau 2025) we use: gradients flow
through the last H cycle only (earlier cycles run without a graph), deep
supervision carries the detached state from one ACT step to the next, and the
halt head is a single logit trained with BCE on "the current answer is fully
right". Two separate nets keep the two time-scales of HRM (Wang et al. 2025).

Token mixing depends on the family, because both are fixed grids and a
structural prior trains far faster than attention in the time we have:
  * sudoku: each cell sees the mean of its row, its column and its box
    (a graph convolution over the Sudoku constraint graph; 3 fixed 81x81 matrices),
  * maze:   a depthwise 3x3 convolution over the 30x30 grid (information
    moves one cell per block, like a BFS wavefront).
Neither uses position embeddings: both mixers are equivariant to the puzzle's
symmetries, so the network cannot overfit to absolute positions.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class HRMConfig:
    family: str = "sudoku"   # "sudoku" | "maze"
    grid: int = 9            # side of the square grid; N = grid * grid tokens
    vocab_in: int = 10       # sudoku: 0 blank, 1..9 digits | maze: 0 wall, 1 open, 2 start, 3 goal
    vocab_out: int = 9       # sudoku: class k = digit k+1  | maze: 0 off path, 1 on path
    d: int = 128             # hidden size D
    expansion: int = 4       # MLP hidden = expansion * D
    h_layers: int = 2        # blocks in the slow net H
    l_layers: int = 2        # blocks in the fast net L
    h_cycles: int = 2        # H updates per ACT step
    l_cycles: int = 3        # L updates per H update
    max_steps: int = 16      # ACT steps the runtime allows at most

    @property
    def n_tokens(self) -> int:
        return self.grid * self.grid

    def to_dict(self):
        return asdict(self)


SUDOKU = dict(family="sudoku", grid=9, vocab_in=10, vocab_out=9)
MAZE = dict(family="maze", grid=30, vocab_in=4, vocab_out=2)


def sudoku_groups() -> torch.Tensor:
    """[3, 81, 81]: averaging matrices over the same row, column and box."""
    r = torch.arange(81) // 9
    c = torch.arange(81) % 9
    b = (r // 3) * 3 + c // 3
    mats = [(k[:, None] == k[None, :]).float() / 9.0 for k in (r, c, b)]
    return torch.stack(mats)


class SudokuMix(nn.Module):
    """Token mixing along the Sudoku constraint graph."""

    def __init__(self, cfg: HRMConfig):
        super().__init__()
        self.register_buffer("P", sudoku_groups(), persistent=False)  # [3, 81, 81]
        self.proj = nn.Linear(cfg.d, 3 * cfg.d)  # one projection per group

    def forward(self, x):  # x [B, 81, D] -> [B, 81, D]
        y = self.proj(x)                                   # [B, 81, 3D]
        yr, yc, yb = y.chunk(3, dim=-1)                    # 3 x [B, 81, D]
        return self.P[0] @ yr + self.P[1] @ yc + self.P[2] @ yb


class ConvMix(nn.Module):
    """Token mixing on a square grid: depthwise 3x3 convolution."""

    def __init__(self, cfg: HRMConfig):
        super().__init__()
        self.g = cfg.grid
        self.conv = nn.Conv2d(cfg.d, cfg.d, 3, padding=1, groups=cfg.d)

    def forward(self, x):  # x [B, N, D] -> [B, N, D]
        B, N, D = x.shape
        y = x.transpose(1, 2).reshape(B, D, self.g, self.g)  # [B, D, g, g]
        y = self.conv(y)
        return y.reshape(B, D, N).transpose(1, 2)


class Block(nn.Module):
    """Post-norm block (keeps the recurrent state bounded): mix, then channel MLP."""

    def __init__(self, cfg: HRMConfig):
        super().__init__()
        self.mix = SudokuMix(cfg) if cfg.family == "sudoku" else ConvMix(cfg)
        self.n1 = nn.LayerNorm(cfg.d)
        self.fc1 = nn.Linear(cfg.d, cfg.expansion * cfg.d)
        self.fc2 = nn.Linear(cfg.expansion * cfg.d, cfg.d)
        self.n2 = nn.LayerNorm(cfg.d)

    def forward(self, x):  # [B, N, D] -> [B, N, D]
        x = self.n1(x + self.mix(x))
        return self.n2(x + self.fc2(F.gelu(self.fc1(x))))


class Net(nn.Module):
    """H or L: a stack of blocks applied to (state + injected input)."""

    def __init__(self, cfg: HRMConfig, n_layers: int):
        super().__init__()
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(n_layers))

    def forward(self, z, inj):  # [B, N, D], [B, N, D] -> [B, N, D]
        x = z + inj
        for b in self.blocks:
            x = b(x)
        return x


class HRM(nn.Module):
    def __init__(self, cfg: HRMConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_in, cfg.d)
        self.L = Net(cfg, cfg.l_layers)
        self.H = Net(cfg, cfg.h_layers)
        self.head = nn.Linear(cfg.d, cfg.vocab_out)
        self.halt = nn.Linear(cfg.d, 1)
        nn.init.normal_(self.embed.weight, std=1.0)  # same scale as the layer-normed states
        nn.init.zeros_(self.halt.weight)
        nn.init.constant_(self.halt.bias, -3.0)      # start by not halting

    def initial_state(self, batch: int, device=None):
        z = torch.zeros(batch, self.cfg.n_tokens, self.cfg.d, device=device)
        return z, z.clone()

    def forward(self, tokens, z_H, z_L):
        """One ACT step.
        tokens [B, N] int64, z_H [B, N, D], z_L [B, N, D]
        -> z_H' [B, N, D], z_L' [B, N, D], logits [B, N, V_out], halt_logit [B]
        In training mode only the last H cycle builds a graph (1-step gradient).
        """
        cfg = self.cfg
        x = self.embed(tokens)  # [B, N, D]
        for h in range(cfg.h_cycles):
            last = h == cfg.h_cycles - 1
            with (nullcontext() if (last or not self.training) else torch.no_grad()):
                for _ in range(cfg.l_cycles):
                    z_L = self.L(z_L, z_H + x)
                z_H = self.H(z_H, z_L)
        logits = self.head(z_H)                             # [B, N, V_out]
        halt_logit = self.halt(z_H.mean(dim=1)).squeeze(-1)  # [B]
        return z_H, z_L, logits, halt_logit


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def widen_state(sd: dict, k: int, noise: float = 0.01, seed: int = 0) -> dict:
    """Weights of a model k times wider that computes the same function (Net2WiderNet).

    Every hidden channel and MLP unit is repeated k times; a layer that reads a
    repeated vector gets its input weights divided by k, so each sum is unchanged,
    and LayerNorm of [x, x] equals [LN(x), LN(x)]. The copies would then receive
    identical gradients forever, so every weight matrix gets Gaussian noise of
    `noise` times its own standard deviation to let them drift apart.
    """
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, w in sd.items():
        w = w.float()
        if name == "embed.weight":                       # [V, D]: outputs repeated
            v = w.repeat(1, k)
        elif name.endswith(("mix.conv.weight", "mix.conv.bias")) or ".n1." in name or ".n2." in name:
            v = w.repeat(k, *([1] * (w.ndim - 1)))       # per-channel parameters repeated
        elif name.endswith("fc1.weight") or name.endswith("fc2.weight"):  # [out, in]: both sides repeated
            v = w.repeat(k, k) / k
        elif name.endswith("fc1.bias") or name.endswith("fc2.bias"):
            v = w.repeat(k)
        elif name in ("head.weight", "halt.weight"):     # [V_out, D]: inputs repeated
            v = w.repeat(1, k) / k
        elif name in ("head.bias", "halt.bias"):
            v = w
        else:
            raise KeyError(f"widen_state does not know how to widen {name}")
        if v.ndim >= 2 and name != "embed.weight":
            v = v + noise * w.std() * torch.randn(v.shape, generator=g)
        out[name] = v
    return out
