"""Whole Jacobians: ``jacobian``, and how it chooses between forward and reverse mode.

``jacobian(f)`` is a transform like the others: for each combination of argument
kinds it generates a readable function that assembles the Jacobian from the
generated derivatives of ``f``, never from finite differences: one JVP per input
element (columns, forward mode) or one VJP per output element (rows, reverse mode),
whichever needs fewer passes. In forward mode the columns come from one call of the
JVP's vector form (:mod:`adjoint.transforms.batch`: every direction stacked along a
leading axis) when it has one, and from one call per column otherwise. Because the
assembly is generated Python too, a Jacobian can be differentiated again
(``jacobian(jacobian(f))``, ``grad`` of a function that calls a Jacobian), and
``hessian`` is ``jacobian(grad(f))``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from . import compiler
from .api import Derivative, Transform, Wrt, as_float, jvp, normalize_wrt
from .backend import GeneratedModule, default_header, load_module
from .compiler import COMPILER, emit
from .errors import ArgumentError
from .frontend.targets import resolve
from .ir import verify
from .transforms.batch import Unbatchable, batch_jvp
from .transforms.types import Num, type_of_value


def choose_mode(in_size: int, out_size: int) -> str:
    """Forward mode when there are fewer inputs than outputs (one pass per input), else reverse.

    Each forward pass gives one column of the Jacobian and each reverse pass one row,
    so the cheaper mode is the one with fewer passes; ties go to reverse.
    """
    return "forward" if in_size < out_size else "reverse"


class Jacobian(Transform):
    """``jacobian(f)``: the full Jacobian, of shape ``out.shape + x.shape`` per ``wrt`` input.

    ``mode`` is what was asked for ("auto", "forward" or "reverse"); ``last_mode`` is
    the mode the last call used. With "auto" the generated code decides when it runs,
    from the sizes of the input and of the output.
    """

    def __init__(self, f: Callable[..., Any], wrt: Wrt, mode: str):
        if mode not in ("auto", "forward", "reverse"):
            raise ArgumentError(f"mode must be 'auto', 'forward' or 'reverse', not {mode!r}")
        self.mode = mode
        self.last_mode: str | None = None
        self._compiled: dict[tuple, Any] = {}
        self._plain: dict[Any, Jacobian] = {}
        if isinstance(f, Transform):
            self.inner: Transform | None = f
            self.target = None
            self._names = f._names_with_extras()
            base = f.name
        else:
            self.inner = None
            self.target = resolve(f, "adjoint.jacobian")
            params = list(inspect.signature(self.target.function,
                                            follow_wrapped=False).parameters.values())
            self._fsig = inspect.Signature(params[len(self.target.args):])
            self._names = list(self._fsig.parameters)
            base = self.target.function.__name__
        self.wrt, self.wrt_tuple = normalize_wrt(self._names, 0 if wrt is None else wrt,
                                                  f"'{base}'")
        self.name = f"jacobian_{base}" if base.isidentifier() else "jacobian"

    def _names_with_extras(self) -> list[str]:
        return list(self._names)

    def __adjoint_arrange__(self, args: tuple, kwargs: dict) -> list[Any]:
        if self.inner is not None:
            return self.inner.__adjoint_arrange__(args, kwargs)
        assert self.target is not None
        try:
            bound = self._fsig.bind(*args, **{**self.target.kwargs, **kwargs})
        except TypeError as exc:
            raise ArgumentError(f"{self.name}: {exc}") from None
        bound.apply_defaults()
        return [bound.arguments[n] for n in self._names]

    def _prepare(self, values: list[Any]) -> list[Any]:
        values = list(values)
        for i in self.wrt:
            values[i] = as_float(values[i])
            if isinstance(values[i], (tuple, list, dict)):
                raise ArgumentError(
                    "jacobian differentiates with respect to numbers and arrays, not containers",
                    hint="pass the container's arrays as separate parameters",
                )
        return values

    def _run(self, values: list[Any]) -> Any:
        out = super()._run(values)
        self.last_mode = getattr(self._last, "__adjoint_mode__", None)
        if self.mode == "auto":
            x_size = sum(int(np.size(values[i])) for i in self.wrt)
            first = out[0] if self.wrt_tuple else out
            i0 = self.wrt[0]
            out_size = int(np.size(first)) // max(1, int(np.size(values[i0])))
            self.last_mode = choose_mode(x_size, out_size)
        return out

    def __adjoint_generate__(self, kinds: list[Any]) -> tuple[Callable[..., Any], tuple]:
        if self.inner is not None:
            inner_fn, ahead = self.inner.__adjoint_generate__(list(kinds))
            plain = self._plain.get(inner_fn)
            if plain is None:
                shifted = [len(ahead) + i for i in self.wrt]
                plain = Jacobian(inner_fn, tuple(shifted) if self.wrt_tuple else shifted[0],
                                 self.mode)
                self._plain[inner_fn] = plain
            fn, _ = plain.__adjoint_generate__([type_of_value(a) for a in ahead] + list(kinds))
            return fn, ahead
        assert self.target is not None
        key = tuple(kinds)
        built = self._compiled.get(key)
        if built is None:
            built = self._compiled[key] = self._build(list(kinds))
        return built, self.target.args

    # -- the generated assembly ----------------------------------------------------------
    def _build(self, kinds: list[Any]) -> Callable[..., Any]:
        assert self.target is not None
        target = self.target.function
        ahead = list(self.target.args)
        all_kinds = [type_of_value(a) for a in ahead] + kinds
        params = list(inspect.signature(target, follow_wrapped=False).parameters)
        wrt = [len(ahead) + i for i in self.wrt]
        names = [p for p in params]
        taken = set(names)

        def fresh(base: str) -> str:
            name = base
            while name in taken:
                name += "_"
            taken.add(name)
            return name

        constants: dict[str, Any] = {}
        lines: list[str] = []
        args = ", ".join(names)
        primal_name = fresh(target.__name__ if target.__name__.isidentifier() else "f")
        constants[primal_name] = target
        out = fresh("out")
        lines.append(f"{out} = {primal_name}({args})")
        blocks = []
        forward = reverse = None
        vector: str | None = None
        if self.mode in ("auto", "forward"):
            jvp_fn = Derivative(target, tuple(wrt), "jvp").__adjoint_generate__(
                all_kinds + [_tangent_kind(all_kinds[i]) for i in wrt])[0]
            batched, why = vector_jvp(jvp_fn, len(wrt)) if vector_forward else \
                (None, "vector forward mode is switched off")
            if batched is not None:
                jvp_fn = batched
            else:
                vector = why
            forward = fresh(jvp_fn.__name__)
            constants[forward] = jvp_fn
        if self.mode in ("auto", "reverse"):
            out_kind = COMPILER.output_type(target, all_kinds)
            vjp_fn = Derivative(target, tuple(wrt), "vjp").__adjoint_generate__(
                all_kinds + [_tangent_kind(out_kind)])[0]
            reverse = fresh(vjp_fn.__name__)
            constants[reverse] = vjp_fn
        for i in wrt:
            blocks.append(fresh(f"jacobian_{names[i]}"))
        if forward and vector is None:
            fwd = _vector_lines(names, wrt, out, forward, blocks, fresh)
        elif forward:
            fwd = self._forward_lines(names, wrt, all_kinds, out, forward, blocks, fresh)
        else:
            fwd = []
        rev = self._reverse_lines(names, wrt, out_kind, out, reverse, blocks, fresh) \
            if reverse else []
        result = f"({', '.join(blocks)},)" if self.wrt_tuple else blocks[0]
        if self.mode == "auto":
            x_size = " + ".join(f"np.size({names[i]})" for i in wrt)
            lines.append(f"if {x_size} < np.size({out}):")
            lines += ["    " + ln for ln in fwd]
            lines.append("else:")
            lines += ["    " + ln for ln in rev]
        else:
            lines += fwd or rev
        lines.append(f"return {result}")
        fname = self.name if self.name not in constants else fresh(self.name)
        wrt_names = ", ".join(names[i] for i in wrt)
        how = {"auto": "Forward or reverse mode, whichever needs fewer passes.",
               "forward": "Forward mode.",
               "reverse": "Reverse mode: one row per output element."}[self.mode]
        text = [f"def {fname}({args}):",
                f'    """Jacobian of {target.__name__} with respect to {wrt_names}.',
                "",
                f'    {how}']
        if forward:
            text = text[:-1] if self.mode == "forward" else text + [""]
            text += _forward_note(forward, vector)
        text.append('    """')
        text += ["    " + ln for ln in lines]
        header = default_header(f"jacobian of {target.__name__} with respect to {wrt_names}")
        source = "\n".join(["# " + h if h else "#" for h in header] + ["", "import numpy as np",
                                                                        "", ""] + text) + "\n"
        module = load_module(GeneratedModule(source, [fname], constants), fname)
        fn = getattr(module, fname)
        fn.__adjoint_mode__ = self.mode
        # How forward mode runs: "vector" (every direction in one pass), or why it runs
        # one direction per pass.
        fn.__adjoint_forward__ = None if not forward else vector or "vector"
        return fn

    @staticmethod
    def _forward_lines(names: list[str], wrt: list[int], kinds: list[Any], out: str,
                       jvp_name: str, blocks: list[str], fresh: Any) -> list[str]:
        """One JVP per element of each input: the Jacobian's columns."""
        lines = []
        for b, i in zip(blocks, wrt):
            x = names[i]
            cols, k, e = fresh(f"columns_{x}"), fresh("k"), fresh("e")
            tangents = []
            for j in wrt:
                if j == i:
                    tangents.append(f"np.reshape({e}, np.shape({x}))" if _is_array(kinds[i])
                                    else "1.0")
                else:
                    tangents.append(f"np.zeros(np.shape({names[j]}))" if _is_array(kinds[j])
                                    else "0.0")
            call = f"{jvp_name}({', '.join(names)}, {', '.join(tangents)})[1]"
            lines.append(f"{cols} = []")
            if _is_array(kinds[i]):
                lines += [f"for {k} in range(np.size({x})):",
                          f"    {e} = np.zeros(np.size({x}))",
                          f"    {e}[{k}] = 1.0",
                          f"    {cols}.append({call})"]
            else:
                lines.append(f"{cols}.append({call})")
            lines.append(f"{b} = np.reshape(np.stack({cols}, axis=-1), "
                         f"np.shape({out}) + np.shape({x}))")
        return lines

    @staticmethod
    def _reverse_lines(names: list[str], wrt: list[int], out_kind: Any, out: str,
                       vjp_name: str, blocks: list[str], fresh: Any) -> list[str]:
        """One VJP per element of the output: the Jacobian's rows, for every input at once.

        A complex output element ``a + ib`` takes two: the cotangent 1 gives the gradient
        of ``a``, the cotangent ``1j`` that of ``b``; its row is the first plus ``1j``
        times the second (the derivative along real directions, as forward mode's)."""
        rows = [fresh(f"rows_{names[i]}") for i in wrt]
        k, e, g = fresh("k"), fresh("e"), fresh("grads")
        complex_ = isinstance(out_kind, Num) and out_kind.dtype == "c"
        lines = [f"{r} = []" for r in rows]
        if not complex_:
            lines += [f"if np.iscomplexobj({out}):",
                      "    raise ValueError('the output is complex where its kind said real: "
                      "take its Jacobian in forward mode')"]
        args = ", ".join(names)
        if _is_array(out_kind):
            lines += [f"for {k} in range(np.size({out})):",
                      f"    {e} = np.zeros(np.size({out}))",
                      f"    {e}[{k}] = 1.0",
                      f"    {g} = {vjp_name}({args}, np.reshape({e}, np.shape({out})))"]
            seed_i = f"np.reshape(1j * {e}, np.shape({out}))"
            indent = "    "
        else:
            lines.append(f"{g} = {vjp_name}({args}, 1.0)")
            seed_i = "1j"
            indent = ""
        if complex_:
            gi = fresh("grads_imag")
            lines += [f"{indent}{gi} = {vjp_name}({args}, {seed_i})",
                      f"{indent}{g} = [np.real(a) + 1j * np.real(b) for a, b in "
                      f"zip({g}, {gi})]"]
        for n, r in enumerate(rows):
            lines.append(f"{indent}{r}.append({g}[{n}])")
        for b, r, i in zip(blocks, rows, wrt):
            lines.append(f"{b} = np.reshape(np.stack({r}), np.shape({out}) + "
                         f"np.shape({names[i]}))")
        return lines


def _forward_note(jvp_name: str, fallback: str | None) -> list[str]:
    """The docstring lines that say how the generated Jacobian runs forward mode."""
    if fallback is None:
        return [f"    Forward mode, vectorized: {jvp_name} takes the tangent directions",
                "    stacked along a leading axis and pushes them all through in one pass",
                "    (in chunks of at most a few million tangent elements)."]
    return ["    Forward mode, one column per input element: the JVP has no vectorized",
            f"    form ({fallback})."]


def _vector_lines(names: list[str], wrt: list[int], out: str, jvp_name: str,
                  blocks: list[str], fresh: Any) -> list[str]:
    """Every column at once: the identity's rows as tangent directions, in chunks.

    The directions of all ``wrt`` inputs are the rows of one identity matrix of their
    total size, split by input; each chunk of at most ``DIRECTION_ELEMENTS // size``
    directions is one call of the vector JVP, which returns their output tangents
    stacked along a leading axis."""
    n, step, start, e, k = (fresh(b) for b in ("n", "step", "start", "e", "k"))
    rows, t, cols = fresh("rows"), fresh("tangents"), fresh("columns")
    xs = [names[i] for i in wrt]
    lines = [f"{n} = {' + '.join(f'np.size({x})' for x in xs)}",
             f"{step} = max(1, min({n}, {DIRECTION_ELEMENTS} // max(1, {n}, np.size({out}))))",
             f"{rows} = []",
             f"for {start} in range(0, {n}, {step}):",
             f"    {k} = min({step}, {n} - {start})",
             f"    {e} = np.zeros(({k}, {n}))",
             f"    {e}[np.arange({k}), {start} + np.arange({k})] = 1.0"]
    offset = "0"
    tangents = []
    for x in xs:
        end = f"{offset} + np.size({x})" if offset != "0" else f"np.size({x})"
        tangents.append(f"np.reshape({e}[:, {offset}:{end}], ({k},) + np.shape({x}))")
        offset = end
    lines += [f"    {t} = {jvp_name}({', '.join(names)}, {', '.join(tangents)})[1]",
              f"    {rows}.append(np.reshape({t}, ({k}, np.size({out}))))",
              f"{cols} = np.concatenate({rows}).T"]
    offset = "0"
    for b, x in zip(blocks, xs):
        end = f"{offset} + np.size({x})" if offset != "0" else f"np.size({x})"
        lines.append(f"{b} = np.reshape({cols}[:, {offset}:{end}], "
                     f"np.shape({out}) + np.shape({x}))")
        offset = end
    return lines


#: Use the vector form of the JVP for forward-mode Jacobians when there is one.
vector_forward = True
#: At most this many tangent elements (directions times the larger of the input and output
#: sizes) per call of a vector JVP: the directions are pushed through in chunks this size.
DIRECTION_ELEMENTS = 1 << 22


def vector_jvp(jvp_fn: Callable[..., Any], ntangents: int) -> tuple[Any, str | None]:
    """The vector form of generated JVP ``jvp_fn`` and None, or None and why it has none."""
    # Taken, not read: the generated function need not keep its IR once it is batched.
    ir = jvp_fn.__dict__.pop("__adjoint_ir__", None)
    if ir is None:
        ir = jvp_fn.__adjoint_derive__()  # type: ignore[attr-defined]  # from the disk cache
    base = ir.name.removeprefix("jvp_")
    name = "jvp_batched_" + base
    try:
        batched = batch_jvp(ir, ntangents, name)
    except Unbatchable as exc:
        return None, str(exc)
    if compiler.verify_passes:
        verify(batched)
    doc = (f"Value of {base} and its Jacobian-vector products in the directions stacked "
           "along the tangents' leading axis.")
    module = load_module(emit([(batched, doc)], f"vector JVP of {base}"), name)
    return getattr(module, name), None


def _is_array(kind: Any) -> bool:
    return not (isinstance(kind, Num) and kind.dims == () and kind.py)


def _tangent_kind(kind: Any) -> Any:
    if isinstance(kind, Num):
        return Num("c" if kind.dtype == "c" else "f", kind.dims, kind.py)
    return kind


def jacobian(f: Callable[..., Any], wrt: Wrt = 0, mode: str = "auto") -> Jacobian:
    """The Jacobian of ``f``: shape ``out.shape + x.shape`` (a tuple of those for tuple ``wrt``).

    ``mode="auto"`` uses forward mode when the ``wrt`` inputs have fewer elements than
    the output, reverse mode otherwise (see ``choose_mode``); "forward" and
    "reverse" force one. ``jacobian(f).last_mode`` tells which one the last call used.

    Examples:
        >>> import numpy as np, adjoint
        >>> def f(x):
        ...     return np.array([x[0] * x[1], x[0] + 2.0 * x[1], x[1] ** 2])
        >>> J = adjoint.jacobian(f)
        >>> print(J(np.array([2.0, 3.0])))
        [[3. 2.]
         [1. 2.]
         [0. 6.]]
        >>> J.last_mode
        'forward'
    """
    if not callable(f):
        raise ArgumentError(f"adjoint.jacobian expects a function, got {f!r}")
    return Jacobian(f, wrt, mode)


jacobian.__adjoint_transform__ = True  # type: ignore[attr-defined]

__all__ = ["Jacobian", "choose_mode", "jacobian", "jvp"]
