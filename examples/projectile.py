"""Aim a projectile with air drag at a target, by gradient descent through its simulation.

``miss`` integrates the equations of motion (gravity and quadratic drag) with explicit
Euler steps and returns the squared distance to the target at the final time. Its
gradient with respect to the launch velocity, ``projectile_grad.py`` beside this file,
differentiates through all the time steps (reverse mode, with a tape). Written by::

    adjoint grad examples/projectile.py::miss --wrt v0 --shapes v0=2 --shapes target=2 \\
        --shapes gravity=2 --shapes drag= -o examples/projectile_grad.py

Run it with ``python examples/projectile.py`` (NumPy only).
"""

import numpy as np

#: Euler steps of DT seconds: the flight lasts STEPS * DT = 2 seconds.
STEPS = 200
DT = 0.01


def miss(v0, target, gravity, drag):
    """Squared distance between the projectile and ``target`` after STEPS steps."""
    p = np.zeros_like(v0)
    v = v0
    for _ in range(STEPS):
        speed = np.sqrt(np.sum(v * v))
        p = p + DT * v
        v = v + DT * (gravity - drag * speed * v)
    return np.sum((p - target) ** 2)


def main(iterations=60, lr=0.1):
    from projectile_grad import grad_miss

    target = np.array([12.0, 3.0])
    gravity = np.array([0.0, -9.81])
    drag = 0.05
    v0 = np.array([5.0, 5.0])
    for k in range(iterations + 1):
        if k % 10 == 0:
            print(f"iteration {k:2d}  v0 = [{v0[0]:7.4f}, {v0[1]:7.4f}]  "
                  f"miss {np.sqrt(miss(v0, target, gravity, drag)):.6f} m")
        v0 = v0 - lr * grad_miss(v0, target, gravity, drag)


if __name__ == "__main__":
    main()
