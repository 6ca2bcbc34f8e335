"""The memory brain's reference in numpy: attention features, the scorer and the keep rules.

server/src/memory/ (features.ts, scorer.ts, keep.ts) implements the same numbers; test/unit/memoryReference.test.ts
compares them on the fixture this file writes (python3 training/namm/namm.py --fixture test/fixtures/namm-reference.json).

Input, per encoded chunk (the encode graph's `attention_received`, training/completion/export.py): for each layer,
the attention each visible token receives, averaged over the chunk's queries and the heads. Times the number of
keys the chunk could see, so that 1 means "as much as a uniform share", then log1p: the signal x.

Features of a token (FEATURES = 3 * L + 2 numbers; no token text, no lexical class):
  * per layer, a short-time Fourier spectrogram over the query axis: the last FRAME chunk-steps of x (zeros
    before the token existed) times a Hann window, the magnitudes of its rfft (FRAME // 2 + 1 = 3 bins), folded
    into an exponential moving average with factor GAMMA at every chunk step;
  * its age (chunk steps seen, log-scaled) and its distance in positions to the cursor (log-scaled), where the
    cursor is the end of the context encoded so far while the prefix is encoded, then the canvas start.

Scorer (PARAMS numbers, a flat vector; `unpack` gives the layout): z = x W_in + b_in (D = 16); one backward-attention
layer, where each token attends to itself and the next WINDOW retained tokens (the ones after it: whether what
follows still needs it); score = tanh(z + u W_u) . w_o + b_o. Score < 0 evicts.

Keep rules (`keep`): the nearest lines around the cursor are always kept (PROTECT_BEFORE line ends before it,
PROTECT_AFTER after it); the rest is kept when its score is >= 0, and at most budget * (context tokens read so
far) tokens are kept in all (the highest scores).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

FRAME = 4
BINS = FRAME // 2 + 1
GAMMA = 0.8
HANN = np.hanning(FRAME + 2)[1:-1].astype(np.float64)   # no zero ends: every sample of the frame counts
D = 16
WINDOW = 16
PROTECT_BEFORE = 3
PROTECT_AFTER = 2
AGE_SCALE = np.log1p(128.0)
DIST_SCALE = np.log1p(8192.0)


def n_features(n_layer: int) -> int:
    return BINS * n_layer + 2


def n_params(n_layer: int) -> int:
    f = n_features(n_layer)
    return f * D + D + 4 * D * D + D + 1


def unpack(theta: np.ndarray, n_layer: int) -> dict:
    f = n_features(n_layer)
    sizes = [("w_in", (f, D)), ("b_in", (D,)), ("w_q", (D, D)), ("w_k", (D, D)), ("w_v", (D, D)), ("w_u", (D, D)),
             ("w_o", (D,)), ("b_o", (1,))]
    out, i = {}, 0
    for name, shape in sizes:
        n = int(np.prod(shape))
        out[name] = np.asarray(theta[i:i + n], np.float64).reshape(shape)
        i += n
    assert i == len(theta), f"{len(theta)} parameters, expected {i}"
    return out


def keep_everything(n_layer: int) -> np.ndarray:
    """The starting point of the evolution: every weight 0 and the output bias 1 (every score is +1)."""
    theta = np.zeros(n_params(n_layer))
    theta[-1] = 1.0
    return theta


class Features:
    """Feature state of tokens (indexed 0..T-1 in the order they were encoded)."""

    def __init__(self, n_layer: int):
        self.L = n_layer
        self.ring = np.zeros((0, n_layer, FRAME))
        self.ema = np.zeros((0, n_layer, BINS))
        self.age = np.zeros(0)
        self.received = np.zeros(0)   # sum over steps and layers of the normalized attention (H2O's statistic)

    def add(self, n: int):
        self.ring = np.concatenate([self.ring, np.zeros((n, self.L, FRAME))])
        self.ema = np.concatenate([self.ema, np.zeros((n, self.L, BINS))])
        self.age = np.concatenate([self.age, np.zeros(n)])
        self.received = np.concatenate([self.received, np.zeros(n)])

    def step(self, tokens: np.ndarray, row: np.ndarray, visible: int):
        """One chunk's attention: row [L, len(tokens)] = what `tokens` received (head and query mean)."""
        x = np.log1p(np.asarray(row, np.float64).T * visible)              # [T, L]
        self.received[tokens] += x.sum(1)
        ring = np.concatenate([self.ring[tokens, :, 1:], x[:, :, None]], -1)
        self.ring[tokens] = ring
        spec = np.abs(np.fft.rfft(ring * HANN, axis=-1))                    # [T, L, BINS]
        self.ema[tokens] = GAMMA * self.ema[tokens] + (1 - GAMMA) * spec
        self.age[tokens] += 1

    def matrix(self, tokens: np.ndarray, positions: np.ndarray, cursor: int) -> np.ndarray:
        t = np.asarray(tokens)
        dist = np.abs(np.asarray(positions, np.float64) - cursor)
        return np.concatenate([self.ema[t].reshape(len(t), -1), (np.log1p(self.age[t]) / AGE_SCALE)[:, None],
                               (np.log1p(dist) / DIST_SCALE)[:, None]], 1)


def score(theta: np.ndarray, x: np.ndarray, n_layer: int) -> np.ndarray:
    """x [T, FEATURES] of retained tokens in position order -> scores [T]."""
    p = unpack(theta, n_layer)
    z = x @ p["w_in"] + p["b_in"]
    q, k, v = z @ p["w_q"], z @ p["w_k"], z @ p["w_v"]
    T = len(z)
    idx = np.arange(T)[:, None] + np.arange(WINDOW)[None, :]          # [T, WINDOW]: itself and the next ones
    valid = idx < T
    idx = np.minimum(idx, T - 1)
    logits = np.einsum("td,twd->tw", q, k[idx]) / np.sqrt(D)
    logits = np.where(valid, logits, -np.inf)
    a = np.exp(logits - logits.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    u = np.einsum("tw,twd->td", a, v[idx])
    return np.tanh(z + u @ p["w_u"]) @ p["w_o"] + p["b_o"][0]


def protected(positions: np.ndarray, ends_line: np.ndarray, cursor: int) -> np.ndarray:
    """Tokens on the nearest lines around the cursor: back to the PROTECT_BEFORE-th line end before the cursor
    (that line end excluded) and up to the PROTECT_AFTER-th line end after it (included). Tokens in position order."""
    pos = np.asarray(positions)
    ends = np.asarray(ends_line, bool)
    out = np.zeros(len(pos), bool)
    before = np.nonzero(pos < cursor)[0]
    seen = 0
    for i in before[::-1]:
        if ends[i]:
            seen += 1
            if seen == PROTECT_BEFORE:
                break
        out[i] = True
    seen = 0
    for i in np.nonzero(pos >= cursor)[0]:
        out[i] = True
        if ends[i]:
            seen += 1
            if seen == PROTECT_AFTER:
                break
    return out


def keep(scores: np.ndarray, protect: np.ndarray, cap: int) -> np.ndarray:
    """Which of the scored tokens stay: protected ones, then score >= 0, at most `cap` in all (highest scores;
    ties to the later token)."""
    kept = protect | (scores >= 0)
    room = max(0, cap - int(protect.sum()))
    free = np.nonzero(kept & ~protect)[0]
    if len(free) > room:
        order = sorted(free, key=lambda i: (-scores[i], -i))
        kept[:] = protect
        kept[order[:room]] = True
    return kept


def reference_fixture(path: str, seed=0):
    """Fixed attention rows and parameters, and what the features, scores and keep rules give."""
    g = np.random.default_rng(seed)
    L = 3
    feats = Features(L)
    steps = []
    added = 0
    for s in range(5):
        feats.add(8); added += 8
        tokens = np.arange(0, added)[g.random(added) < 0.85]
        tokens = np.union1d(tokens, np.arange(added - 8, added))
        row = g.dirichlet(np.ones(len(tokens)), size=L) * g.uniform(0.5, 1.0)
        visible = len(tokens) + int(g.integers(0, 5))
        feats.step(tokens, row, visible)
        steps.append({"tokens": tokens.tolist(), "row": row.tolist(), "visible": visible})
    positions = np.arange(added) * 2 + 3
    cursor = int(positions[30])
    x = feats.matrix(np.arange(added), positions, cursor)
    theta = g.normal(0, 0.4, n_params(L)); theta[-1] = 0.8
    sc = score(theta, x, L)
    ends = g.random(added) < 0.5
    prot = protected(positions, ends, cursor)
    kept = keep(sc, prot, cap=14)
    Path(path).write_text(json.dumps({
        "what": "training/namm/namm.py reference_fixture: feature steps on fixed attention, then scores and keep rules",
        "n_layer": L, "tokens": added, "steps": steps, "positions": positions.tolist(), "cursor": cursor,
        "features": x.tolist(), "theta": theta.tolist(), "scores": sc.tolist(), "ends_line": ends.tolist(),
        "protected": prot.tolist(), "cap": 14, "kept": kept.tolist(), "received": feats.received.tolist()}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    a = ap.parse_args()
    reference_fixture(a.fixture)
    print("wrote", a.fixture)


if __name__ == "__main__":
    main()
