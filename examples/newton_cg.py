"""Newton's method for Poisson regression, with Hessian-vector products in conjugate gradients.

Each Newton step solves ``H p = -g`` by conjugate gradients, which needs the Hessian
only through products ``H v``: the Hessian (20 x 20 here, but it could be a million
squared) is never formed. Both derivatives are modules beside this file, written by
adjoint and checked in. The gradient::

    adjoint grad examples/newton_cg.py::loss --shapes w=20 --shapes X=500,20 \\
        --shapes y=500 --shapes lam= -o examples/newton_cg_grad.py

and the Hessian-vector product, forward mode over that generated gradient
(``jvp_grad_loss(w, X, y, lam, v)`` returns the gradient and ``H @ v``)::

    adjoint grad examples/newton_cg_grad.py::grad_loss --shapes w=20 --shapes X=500,20 \\
        --shapes y=500 --shapes lam= --mode forward -o examples/newton_cg_hvp.py

Run it with ``python examples/newton_cg.py`` (NumPy only).
"""

import numpy as np


def loss(w, X, y, lam):
    """Poisson negative log-likelihood of counts ``y`` with rate ``exp(X @ w)``, plus L2."""
    z = X @ w
    return np.mean(np.exp(z) - y * z) + 0.5 * lam * np.sum(w * w)


def make_data(n=500, d=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) / np.sqrt(d)
    w_true = rng.normal(size=d)
    return X, rng.poisson(np.exp(X @ w_true)).astype(float)


def conjugate_gradient(hvp, b, tol, max_iter=50):
    """Solve ``H x = b`` for symmetric positive definite ``H`` given as ``v -> H v``."""
    x = np.zeros_like(b)
    r = b.copy()
    p = r.copy()
    rr = r @ r
    for k in range(max_iter):
        if np.sqrt(rr) <= tol:
            return x, k
        Hp = hvp(p)
        alpha = rr / (p @ Hp)
        x = x + alpha * p
        r = r - alpha * Hp
        rr, rr_old = r @ r, rr
        p = r + rr / rr_old * p
    return x, max_iter


def main(lam=1e-3):
    from newton_cg_grad import grad_loss
    from newton_cg_hvp import jvp_grad_loss

    X, y = make_data()
    w = np.zeros(X.shape[1])
    for newton in range(10):
        g = grad_loss(w, X, y, lam)
        gnorm = np.linalg.norm(g)
        print(f"newton {newton}  loss {loss(w, X, y, lam):.8f}  |grad| {gnorm:.1e}", end="")
        if gnorm < 1e-8:
            print()
            break
        # Forcing term min(0.5, sqrt|g|) |g|: loose solves far away, exact near the optimum.
        p, iters = conjugate_gradient(lambda v: jvp_grad_loss(w, X, y, lam, v)[1], -g,
                                      min(0.5, np.sqrt(gnorm)) * gnorm)
        # Backtracking: halve the step until the loss decreases enough (Armijo).
        t, f0, slope = 1.0, loss(w, X, y, lam), g @ p
        while loss(w + t * p, X, y, lam) > f0 + 1e-4 * t * slope:
            t *= 0.5
        print(f"  {iters} CG iterations, step {t:g}")
        w = w + t * p


if __name__ == "__main__":
    main()
