"""Programs the command-line golden files are written from (read statically, never run)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def layer_loss(W: Float[np.ndarray, "d h"], b: Float[np.ndarray, " h"],
               x: Float[np.ndarray, "n d"], y: Float[np.ndarray, "n h"], lam: float) -> float:
    h = np.tanh(x @ W + b)
    return np.mean((h - y) ** 2) + lam * np.sum(W * W)


def rosenbrock(x: Float[np.ndarray, " n"]) -> float:
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def unannotated(w, x):
    return np.sum(np.tanh(x @ w) ** 2)
