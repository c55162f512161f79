"""Fit a Gaussian process's kernel hyperparameters by maximizing its marginal likelihood.

``nll`` is the negative log marginal likelihood of noisy observations ``y`` at inputs
``X`` under a squared-exponential kernel, with the hyperparameters on a log scale
(length scale, signal and noise standard deviations). Its gradient goes through a
Cholesky factorization, a linear solve and a log-determinant; it is the module
``gaussian_process_grad.py`` beside this file, written by::

    adjoint grad examples/gaussian_process.py::nll --shapes theta=3 --shapes X=40,1 \\
        --shapes y=40 -o examples/gaussian_process_grad.py

Run it with ``python examples/gaussian_process.py`` (NumPy only).
"""

import numpy as np


def nll(theta, X, y):
    """``-log p(y | X, theta)`` for ``theta = log([length scale, signal sd, noise sd])``."""
    ell = np.exp(theta[0])
    sf2 = np.exp(2.0 * theta[1])
    sn2 = np.exp(2.0 * theta[2])
    n = X.shape[0]
    d2 = np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=2)
    K = sf2 * np.exp(-0.5 * d2 / ell ** 2) + sn2 * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    return 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * np.log(2.0 * np.pi)


def make_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.sort(rng.uniform(-3.0, 3.0, size=(n, 1)), axis=0)
    y = np.sin(2.0 * X[:, 0]) + 0.1 * rng.normal(size=n)
    return X, y


def main(iterations=200, lr=0.05):
    """Adam on ``theta``, starting from unit length scale, signal and noise."""
    from gaussian_process_grad import grad_nll

    X, y = make_data()
    theta = np.zeros(3)
    m, v = np.zeros(3), np.zeros(3)
    for k in range(iterations + 1):
        if k % 40 == 0:
            ell, sf, sn = np.exp(theta)
            print(f"iteration {k:3d}  nll {nll(theta, X, y):9.4f}  length scale {ell:.4f}  "
                  f"signal sd {sf:.4f}  noise sd {sn:.4f}")
        g = grad_nll(theta, X, y)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - lr * m / (1 - 0.9 ** (k + 1)) / (np.sqrt(v / (1 - 0.999 ** (k + 1)))
                                                          + 1e-8)


if __name__ == "__main__":
    main()
