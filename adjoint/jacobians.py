"""Forward-mode products and whole Jacobians: ``jvp``, ``jacobian``, ``choose_mode``.

``jvp(f)`` generates ``jvp_f(*args, *tangents) -> (value, tangent)`` ahead of time,
like ``grad`` does for gradients: one readable module per combination of argument
kinds. ``jacobian(f)`` assembles the full matrix from generated derivatives, never
from finite differences: one JVP per input element (columns, forward mode) or one
VJP per output element (rows, reverse mode), whichever needs fewer passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .api import Derivative, Transform, Wrt, _as_float, jvp, vjp
from .errors import ArgumentError
from .transforms.types import type_of_value


def choose_mode(in_size: int, out_size: int) -> str:
    """Forward mode when there are fewer inputs than outputs (one pass per input), else reverse.

    Each forward pass gives one column of the Jacobian and each reverse pass one row,
    so the cheaper mode is the one with fewer passes; ties go to reverse.
    """
    return "forward" if in_size < out_size else "reverse"


class Jacobian:
    """``jacobian(f)``: the full Jacobian, of shape ``out.shape + x.shape`` per ``wrt`` input.

    ``mode`` is what was asked for ("auto", "forward" or "reverse"); ``last_mode`` is
    the mode the last call used.
    """

    def __init__(self, f: Callable[..., Any], wrt: Wrt, mode: str):
        if mode not in ("auto", "forward", "reverse"):
            raise ArgumentError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}")
        self.f = f
        self.wrt = 0 if wrt is None else wrt
        self.mode = mode
        self.last_mode: str | None = None
        self._jvp: dict[Any, Derivative] = {}
        self._vjp: dict[Any, Derivative] = {}

    def _target(self, args: tuple, kwargs: dict) -> tuple[Callable[..., Any], tuple, dict]:
        """The function whose derivatives are generated, and the arguments to call it with.

        A plain function is differentiated from its source. A transform of adjoint's
        (``jacobian(grad(f))``) is generated for the kinds of ``args`` and its code is
        differentiated like any other function's.
        """
        f = self.f
        if isinstance(f, Transform):
            values = f._prepare(f.__adjoint_arrange__(args, kwargs))
            fn, ahead = f.__adjoint_generate__([type_of_value(v) for v in values])
            if ahead:
                raise ArgumentError("jacobian of a transform of a bound method is not "
                                    "supported", hint="differentiate a plain function")
            return fn, tuple(values), {}
        return f, args, kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target, args, kwargs = self._target(args, kwargs)
        is_tuple = isinstance(self.wrt, (tuple, list))
        probe = self._jvp.get(target) or self._vjp.get(target)
        if probe is None:
            probe = self._forward(target)
        values = probe.arguments(args, kwargs)
        for i in probe.wrt:
            values[i] = _as_float(values[i])
        idx = probe.wrt
        for i in idx:
            if isinstance(values[i], (tuple, list, dict)):
                raise ArgumentError(
                    "jacobian differentiates with respect to numbers and arrays, not containers",
                    hint="pass the container's arrays as separate parameters",
                )
        out = target(*values)
        if isinstance(out, (tuple, list, dict)):
            raise ArgumentError("jacobian needs a function returning one number or array")
        out_shape = np.shape(out)
        in_size = sum(int(np.size(values[i])) for i in idx)
        mode = self.mode if self.mode != "auto" else choose_mode(in_size, int(np.prod(out_shape)))
        self.last_mode = mode
        if mode == "forward":
            blocks = self._columns(target, values, idx, out_shape)
        else:
            blocks = self._rows(target, values, idx, out_shape)
        return tuple(blocks) if is_tuple else blocks[0]

    def _forward(self, target: Callable[..., Any]) -> Derivative:
        if target not in self._jvp:
            self._jvp[target] = jvp(target, self.wrt)
        return self._jvp[target]

    def _reverse(self, target: Callable[..., Any]) -> Derivative:
        if target not in self._vjp:
            self._vjp[target] = vjp(target, self.wrt)
        return self._vjp[target]

    def _columns(self, target: Any, values: list[Any], idx: list[int],
                 out_shape: tuple) -> list[np.ndarray]:
        """Forward mode: one JVP per input element, each giving a column."""
        df = self._forward(target)
        zeros = [_zero_like(values[i]) for i in idx]
        blocks = []
        for k, i in enumerate(idx):
            cols = []
            for e in _basis(values[i]):
                tangents = list(zeros)
                tangents[k] = e
                _, col = df(*values, *tangents)
                cols.append(np.asarray(col, dtype=float))
            jac = np.stack(cols, axis=-1) if cols else np.zeros(out_shape + (0,))
            blocks.append(jac.reshape(out_shape + np.shape(values[i])))
        return blocks

    def _rows(self, target: Any, values: list[Any], idx: list[int],
              out_shape: tuple) -> list[np.ndarray]:
        """Reverse mode: one VJP per output element, each giving a row for every input."""
        df = self._reverse(target)
        rows: list[list[np.ndarray]] = [[] for _ in idx]
        probe = np.zeros(out_shape) if out_shape else 0.0
        for e in _basis(probe):
            grads = df(*values, e)
            grads = grads if isinstance(self.wrt, (tuple, list)) else (grads,)
            for k, g in enumerate(grads):
                rows[k].append(np.asarray(g, dtype=float))
        blocks = []
        for k, i in enumerate(idx):
            shape = np.shape(values[i])
            jac = np.stack(rows[k]) if rows[k] else np.zeros((0,) + shape)
            blocks.append(jac.reshape(out_shape + shape))
        return blocks


def _zero_like(x: Any) -> Any:
    return 0.0 if np.ndim(x) == 0 and not isinstance(x, np.ndarray) else np.zeros(np.shape(x))


def _basis(x: Any) -> list[Any]:
    """The unit vectors of the space ``x`` lives in, shaped (and typed) like ``x``."""
    if np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return [1.0]
    out = []
    for j in range(int(np.size(x))):
        e = np.zeros(np.shape(x))
        e.reshape(-1)[j] = 1.0
        out.append(e)
    return out


def jacobian(f: Callable[..., Any], wrt: Wrt = 0, mode: str = "auto") -> Jacobian:
    """The Jacobian of ``f``: shape ``out.shape + x.shape`` (a tuple of those for tuple ``wrt``).

    ``mode="auto"`` uses forward mode when the ``wrt`` inputs have fewer elements than
    the output, reverse mode otherwise (see :func:`choose_mode`); "forward" and
    "reverse" force one. ``jacobian(f).last_mode`` tells which one the last call used.
    """
    if not callable(f):
        raise ArgumentError(f"adjoint.jacobian expects a function, got {f!r}")
    return Jacobian(f, wrt, mode)


__all__ = ["Jacobian", "choose_mode", "jacobian", "jvp"]
