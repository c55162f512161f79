"""Train the 784-300-100-10 perceptron of ``mlp.py`` with the gradient adjoint wrote.

``mlp_grad.py`` beside this file is ``make demo``'s output, checked in::

    adjoint grad examples/mlp.py::loss --wrt W1,b1,W2,b2,W3,b3 --shapes W1=784,300 \\
        --shapes b1=300 --shapes W2=300,100 --shapes b2=100 --shapes W3=100,10 \\
        --shapes b3=10 --shapes x=32,784 --shapes y=32,10 -o examples/mlp_grad.py

The data are synthetic (the labels of a random linear "teacher"), so the script runs
anywhere in a second with NumPy only: ``python examples/mlp_train.py``.
"""

import numpy as np
from mlp import init, loss
from mlp_grad import grad_loss


def make_data(n=512, seed=1):
    """Inputs and one-hot labels given by the argmax of a random linear map."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 784))
    teacher = rng.normal(size=(784, 10))
    return x, np.eye(10)[np.argmax(x @ teacher, axis=1)]


def main(epochs=3, batch=32, lr=0.1):
    params, _, _ = init(seed=0, batch=batch)
    x, y = make_data()
    for epoch in range(epochs + 1):
        full = np.mean([loss(*params, x[i:i + batch], y[i:i + batch])
                        for i in range(0, len(x), batch)])
        print(f"epoch {epoch}  loss {full:.4f}")
        if epoch == epochs:
            break
        for i in range(0, len(x), batch):
            grads = grad_loss(*params, x[i:i + batch], y[i:i + batch])
            params = [p - lr * g for p, g in zip(params, grads)]
    W1, b1, W2, b2, W3, b3 = params
    h = np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2) @ W3 + b3
    print(f"training accuracy {np.mean(np.argmax(h, 1) == np.argmax(y, 1)):.3f}")


if __name__ == "__main__":
    main()
