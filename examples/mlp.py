"""A 784-300-100-10 multilayer perceptron with a numerically stable softmax cross-entropy.

The shapes in the annotations (jaxtyping's notation, read by ``adjoint grad`` from the
text; jaxtyping itself is not needed to run this file) let the command line write
the gradient as plain NumPy for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from jaxtyping import Float


def loss(W1: Float[np.ndarray, "i h1"], b1: Float[np.ndarray, " h1"],
         W2: Float[np.ndarray, "h1 h2"], b2: Float[np.ndarray, " h2"],
         W3: Float[np.ndarray, "h2 o"], b3: Float[np.ndarray, " o"],
         x: Float[np.ndarray, "n i"], y: Float[np.ndarray, "n o"]) -> float:
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    logits = h2 @ W3 + b3
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def init(seed=0, batch=32):
    rng = np.random.default_rng(seed)
    sizes = [784, 300, 100, 10]
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out)))
        params.append(np.zeros(n_out))
    x = rng.normal(size=(batch, 784))
    y = np.eye(10)[rng.integers(0, 10, batch)]
    return params, x, y
