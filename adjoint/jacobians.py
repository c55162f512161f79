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

from . import compiler
from .api import Derivative, Wrt, _as_float, vjp
from .errors import ArgumentError
from .transforms.types import UNKNOWN


class ForwardDerivative(Derivative):
    """``jvp(f)``: the Jacobian-vector product of ``f``, generated as readable Python.

    Called as ``df(*args, *tangents)`` with one tangent per ``wrt`` parameter, shaped
    like that argument; returns ``(f(*args), J @ tangents)``.
    """

    def __init__(self, fn: Callable[..., Any], wrt: Wrt):
        super().__init__(fn, wrt, "grad")
        self.kind = "jvp"
        self.name = f"jvp_{self.primal.name}"
        self.__name__ = self.__qualname__ = self.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        k = len(self.wrt)
        if len(args) < k:
            raise ArgumentError(
                f"{self.name} takes the arguments of {self.primal.name}, then {k} tangent(s)"
            )
        primal_args, tangents = args[: len(args) - k], args[len(args) - k:]
        values = self._bind(tuple(primal_args), kwargs)
        tangents = tuple(
            self._tangent_like(t, values[i], self.primal.param_names[i])
            for i, t in zip(self.wrt, tangents)
        )
        return self._run(values + list(tangents))

    def _tangent_like(self, t: Any, x: Any, name: str) -> Any:
        """``t`` as a float tangent for ``x``: same structure, same shapes."""
        if isinstance(x, (tuple, list)):
            if not isinstance(t, (tuple, list)) or len(t) != len(x):
                raise ArgumentError(
                    f"{self.name}: the tangent for '{name}' must be a {type(x).__name__} of "
                    f"{len(x)} items, like '{name}'"
                )
            return type(x)(self._tangent_like(ti, xi, f"{name}[{k}]")
                           for k, (ti, xi) in enumerate(zip(t, x)))
        if isinstance(x, dict):
            if not isinstance(t, dict) or set(t) != set(x):
                raise ArgumentError(
                    f"{self.name}: the tangent for '{name}' must be a dict with its keys"
                )
            return {k: self._tangent_like(t[k], x[k], f"{name}[{k!r}]") for k in x}
        t = _as_float(t)
        if np.shape(t) != np.shape(x):
            raise ArgumentError(
                f"{self.name}: the tangent for '{name}' has shape {np.shape(t)}, "
                f"but '{name}' has shape {np.shape(x)}"
            )
        return t

    def _compile(self, types_: list[Any] | None) -> Any:
        from .backend import load_module

        n = len(self.primal.param_names)
        arg_types = types_[:n] if types_ is not None else None
        tangent_types = types_[n:] if types_ is not None else None
        ir = compiler.derive_jvp(self.primal, self.wrt, arg_types, self.name, tangent_types)
        src = self.primal_fn.__code__.co_filename
        wrt_names = ", ".join(self.primal.param_names[i] for i in self.wrt)
        what = f"jvp of {self.primal.name} from {src} with respect to {wrt_names}"
        doc = f"Value of {self.primal.name} and its Jacobian-vector product in {wrt_names}."
        gm = compiler.emit([(ir, doc)], what)
        module = load_module(gm, self.name)
        fn = getattr(module, self.name)
        fn.__adjoint_ir__ = ir
        return fn

    def generic(self) -> Any:
        """The JVP generated for arguments of unknown kinds (works for all)."""
        key = ("generic",)
        if key not in self._compiled:
            n = len(self.primal.param_names) + len(self.wrt)
            self._compiled[key] = self._compile([UNKNOWN] * n)
        return self._compiled[key]


def jvp(f: Callable[..., Any] | None = None, wrt: Wrt = None) -> Any:
    """Forward mode: ``jvp(f, wrt)(*args, *tangents) -> (value, tangent)``.

    One tangent per ``wrt`` parameter (default: the first), each shaped like its
    argument; the result's tangent is the sum of the directional derivatives.
    """
    if f is None:
        return lambda fn: ForwardDerivative(fn, wrt)
    if not callable(f):
        raise ArgumentError(f"adjoint.jvp expects a function, got {f!r}")
    return ForwardDerivative(f, wrt)


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
        self._jvp: dict[Any, ForwardDerivative] = {}
        self._vjp: dict[Any, Derivative] = {}

    def _target(self, args: tuple, kwargs: dict) -> Callable[..., Any]:
        """The function whose derivatives are generated.

        A plain function is differentiated from its source. A derivative adjoint
        generated (``jacobian(grad(f))``) is a real function with real source too: it is
        generated for the kinds of ``args`` and differentiated like any other function.
        """
        f = self.f
        if isinstance(f, Derivative):
            f(*args, **kwargs)  # generate (or reuse) the module for these argument kinds
            return f.__wrapped__
        return f

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        target = self._target(args, kwargs)
        is_tuple = isinstance(self.wrt, (tuple, list))
        probe = self._jvp.get(target) or self._vjp.get(target)
        if probe is None:
            probe = self._forward(target)
        values = probe._bind(args, kwargs)
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

    def _forward(self, target: Callable[..., Any]) -> ForwardDerivative:
        if target not in self._jvp:
            self._jvp[target] = ForwardDerivative(target, self.wrt)
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


__all__ = ["ForwardDerivative", "Jacobian", "choose_mode", "jacobian", "jvp"]
