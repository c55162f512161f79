"""Logistic regression trained by gradient descent, with a gradient written by adjoint.

The gradient of ``loss`` is the module ``logistic_grad.py`` beside this file, written
(and checked in CI) by::

    adjoint grad examples/logistic.py::loss --wrt w,b --shapes w=2 --shapes b= \\
        --shapes X=200,2 --shapes y=200 --shapes lam= -o examples/logistic_grad.py

Run it with ``python examples/logistic.py``: it needs NumPy only.
"""

import numpy as np


def loss(w, b, X, y, lam):
    """Mean negative log-likelihood of labels ``y`` in {0, 1}, plus an L2 penalty on ``w``.

    ``log(1 + exp(z)) - y z`` is the log-loss of a logit ``z``; ``logaddexp`` keeps it
    finite for large ``|z|``.
    """
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * np.sum(w * w)


def make_data(n=200, seed=0):
    """Two Gaussian blobs in the plane, labelled 0 and 1."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(float)
    centers = np.where(y[:, None] > 0.5, [1.0, 1.5], [-1.0, -0.5])
    X = centers + rng.normal(size=(n, 2))
    return X, y


def train(X, y, lam=0.01, lr=0.5, steps=300):
    """Plain gradient descent from zero, printing the loss every 50 steps."""
    from logistic_grad import grad_loss

    w, b = np.zeros(2), 0.0
    for step in range(steps + 1):
        if step % 50 == 0:
            print(f"step {step:3d}  loss {loss(w, b, X, y, lam):.5f}")
        dw, db = grad_loss(w, b, X, y, lam)
        w, b = w - lr * dw, b - lr * db
    return w, b


def main():
    X, y = make_data()
    w, b = train(X, y)
    accuracy = np.mean(((X @ w + b) > 0) == (y > 0.5))
    print(f"w = [{w[0]:.4f}, {w[1]:.4f}], b = {b:.4f}, training accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
