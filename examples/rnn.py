"""A recurrent network learns to continue a sine wave, trained through its time loop.

``loss`` runs a vanilla RNN over a batch of sequences and scores its one-step-ahead
predictions. Its gradient, ``rnn_grad.py`` beside this file, is reverse mode through
the ``for`` loop: the forward sweep saves each step's state on a tape (a Python list)
and the backward sweep walks the steps in reverse, popping them. Written by::

    adjoint grad examples/rnn.py::loss --wrt Wx,Wh,b,Wo --shapes Wx=1,16 --shapes Wh=16,16 \\
        --shapes b=16 --shapes Wo=16,1 --shapes xs=40,8,1 --shapes ys=40,8,1 \\
        --shapes h0=8,16 -o examples/rnn_grad.py

Run it with ``python examples/rnn.py`` (NumPy only).
"""

import numpy as np


def loss(Wx, Wh, b, Wo, xs, ys, h0):
    """Mean squared error of the predictions ``h_t @ Wo`` of ``ys[t]``, over all steps."""
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        err = h @ Wo - ys[t]
        total = total + np.sum(err * err)
    return total / ys.size


def make_data(steps=40, batch=8, seed=0):
    """Sine waves of random phase, as (time, batch, 1) arrays: inputs and next values."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0.0, 2 * np.pi, size=batch)
    t = np.arange(steps + 1)[:, None] * 0.3 + phase[None, :]
    wave = np.sin(t)[:, :, None]
    return wave[:-1], wave[1:]


def init(hidden=16, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 0.5, (1, hidden)), rng.normal(0.0, 0.3, (hidden, hidden)),
            np.zeros(hidden), rng.normal(0.0, 0.3, (hidden, 1))]


def main(iterations=300, lr=0.05):
    """Adam on the four weight arrays; prints the loss every 50 iterations."""
    from rnn_grad import grad_loss

    xs, ys = make_data()
    h0 = np.zeros((xs.shape[1], 16))
    params = init()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for k in range(1, iterations + 1):
        grads = grad_loss(*params, xs, ys, h0)
        for i, g in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            step = m[i] / (1 - 0.9 ** k) / (np.sqrt(v[i] / (1 - 0.999 ** k)) + 1e-8)
            params[i] = params[i] - lr * step
        if k == 1 or k % 50 == 0:
            print(f"iteration {k:3d}  loss {loss(*params, xs, ys, h0):.5f}")


if __name__ == "__main__":
    main()
