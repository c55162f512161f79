"""The rule tables: which derivative rule belongs to which callable.

A rule is a plain Python function the compiler reads, lowers with the same
frontend as user code, and inlines where the primitive is called::

    @vjp_rule(np.tanh)
    def _(g, ans, x):
        return g * (1.0 - ans * ans)

A VJP rule takes the output cotangent ``g``, the primal result ``ans`` and the
primal's own parameters (same names and defaults as the primitive), and returns
the cotangent of each differentiable parameter: one expression for a single
parameter, or a tuple for the leading parameters (``None`` where a parameter is
not differentiable). A JVP rule takes one tangent per differentiable parameter
(named ``d<param>``), then ``ans`` and the parameters, and returns the output tangent.
Tangents of inactive parameters arrive as symbolic zeros and fold away.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..frontend.lower import KEEP_CALLS
from ..ir.prims import Attribute, Method, Primitive


@dataclass
class Rule:
    """A derivative rule for one callable in one mode."""

    key: Any
    fn: Callable[..., Any]
    mode: str  # "vjp" or "jvp"
    #: Parameters of the primitive as the rule sees them (after g/ans or the tangents).
    params: list[str] = field(default_factory=list)
    #: How many leading primitive parameters are differentiable.
    ndiff: int = 1
    _template: Any = None

    def undifferentiated(self) -> set[str]:
        """Parameters a VJP rule returns ``None`` for: arguments without a derivative."""
        from ..ir.core import Op

        tmpl = self.template()
        ret = tmpl.body.ops[-1]
        out = ret.operands[0] if ret.opname == "return" else None
        producer = out.owner if out is not None else None
        if self.ndiff == 1 or not isinstance(producer, Op) or producer.opname != "call":
            elts = [out] if out is not None else []
        else:
            elts = list(producer.operands)
        names = self.params[: self.ndiff]
        return {name for name, e in zip(names, elts) if isinstance(e.owner, Op)
                and e.owner.opname == "const" and e.owner.attrs.get("value") is None}

    def template(self) -> Any:
        """The rule's body lowered to IR (once, then cached)."""
        if self._template is None:
            from ..frontend import lower

            self._template = lower(self.fn)
        return self._template


VJP: dict[Any, Rule] = {}
JVP: dict[Any, Rule] = {}
#: Rules for calls that involve a complex value (an operand or the result), by mode.
COMPLEX_VJP: dict[Any, Rule] = {}
COMPLEX_JVP: dict[Any, Rule] = {}
#: Callables whose real rules hold for complex values too, with the modes they hold in.
COMPLEX_SAFE: dict[Any, tuple[str, ...]] = {}
#: Callables whose result carries no derivative (integer-valued, boolean, shape queries...).
NONDIFF: set[Any] = set()
#: Callables whose result depends on their arguments without a derivative adjoint can
#: give (random draws): passing them a differentiated value is refused, with the reason.
NO_DERIVATIVE: dict[Any, str] = {}
#: Callables whose results are complex or real depending on the values (``np.linalg.eig``).
SOMETIMES_COMPLEX: set[Any] = set()
#: Callables left without rules on purpose -> what to write instead (the hint of the error
#: that refuses them, in place of "register one").
MISSING_HINTS: dict[Any, str] = {}
#: Method name -> function it stands for, with the array prepended (x.sum() is np.sum(x)).
METHODS: dict[str, Callable[..., Any]] = {}
#: Primitive classes whose VJP is built directly in IR (indexing with static templates).
BUILDERS: dict[Any, Callable[..., Any]] = {}
#: Keys of the rules adjoint itself registers, as opposed to the user's.
BUILTIN: set[Any] = set()


@dataclass
class Facts:
    """What the compiler knows of one callable besides its derivative rules.

    Declared with :func:`facts` in the callable's rule family, next to its rules, so that
    adding a callable is one edit in one module. Every field's default is the safe,
    pessimistic answer: a callable nobody described is assumed to return memory it may
    share with its arguments, of a type inference does not know.
    """

    #: The result's type from the arguments' (see :mod:`.results`): ``rule(op, ts, pos,
    #: kw)`` with ``ts`` every operand's type, ``pos`` the positional arguments' and
    #: ``kw`` the keyword arguments (name -> value); ``None`` from the rule means unknown.
    #: :data:`~.results.UNTYPED` says so for every call.
    result: Callable[..., Any] | None = None
    #: ``"new"``: the result is memory no argument holds (arithmetic, reductions, joins);
    #: ``"view"``: it may be (a view of) an argument (``np.diagonal``, ``np.reshape``).
    memory: str | None = None
    #: For a ``"view"``: the positions of the operands its result may be or view (None:
    #: any); ``unbroadcast(g, x)`` may return ``g``, never ``x``, whose shape it reads.
    aliases: tuple[int, ...] | None = None
    #: Builds a new array from shapes or values alone (``np.zeros``): two equal calls are
    #: two arrays, since either may be updated in place.
    fresh: bool = False
    #: Its derivative can be infinite where it is defined (``sqrt`` at 0), so a zero
    #: cotangent times it is NaN: the adjoint of an untaken ``np.where`` branch is masked.
    singular: bool = False
    #: Evaluated at compile time when every argument is a constant number.
    foldable: bool = False
    #: How symbolic zero tangents pass through it inside a JVP rule: ``"add"``,
    #: ``"subtract"`` (a zero operand drops out), ``"product"`` (one zero factor makes the
    #: result zero), ``"quotient"`` (a zero numerator does), ``"sign"`` (zero in, zero of
    #: the same shape out).
    zeros: str | None = None
    #: Every term of its JVP involves every operand (``dx * y + x * dy``), so dropping a
    #: zero term never loses a broadcast dimension.
    full_terms: bool = False
    #: Positions of the operands it reads only for their shape and dtype (``x`` in
    #: ``unbroadcast(g, x)``, in ``np.zeros_like(x)``): a tape that saves such an operand
    #: for nothing else keeps a stand-in of that shape instead (``transforms/tapes.py``).
    shape_only: tuple[int, ...] = ()
    #: How it applies to a stack of values along a new leading axis (vector forward mode,
    #: :mod:`adjoint.transforms.batch`): ``"elementwise"`` (broadcasting), ``"reduce"`` and
    #: ``"scan"`` (an ``axis`` argument), ``"matmul"``, ``"transpose"``, ``"reshape"``,
    #: ``"axes"`` (axis arguments to shift), ``"join"`` (a sequence and an ``axis``),
    #: ``"shape"`` (a query of the shape), ...; None: not known, and a JVP that applies it
    #: to a tangent falls back to one direction per pass.
    batch: str | None = None


#: Callable key -> its :class:`Facts`.
FACTS: dict[Any, Facts] = {}
_NO_FACTS = Facts()
_MEMORY = (None, "new", "view")
_ZEROS = (None, "add", "subtract", "product", "quotient", "sign")


def facts(*fns: Any, **fields: Any) -> None:
    """Declare what the compiler may assume of ``fns`` (the fields of :class:`Facts`).

    Fields not given keep what an earlier declaration said.

    Examples:
        >>> import numpy as np
        >>> from adjoint.rules.results import float_elementwise
        >>> facts_of(np.exp).result is float_elementwise, facts_of(np.exp).memory
        (True, 'new')
    """
    unknown = set(fields) - set(Facts.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown facts: {sorted(unknown)}")
    if fields.get("memory") not in _MEMORY or fields.get("zeros") not in _ZEROS:
        raise ValueError(f"bad memory/zeros fact: {fields}")
    for fn in fns:
        key = key_of(fn)
        old = FACTS.get(key, _NO_FACTS)
        FACTS[key] = Facts(**{**old.__dict__, **fields})


def facts_of(callee: Any) -> Facts:
    """The declared facts of ``callee`` (methods by the function they stand for)."""
    try:
        found = FACTS.get(callee)  # most callees are their own key (checked first: hot)
        if found is None and isinstance(callee, Primitive):
            found = FACTS.get(key_of(callee))
            if found is None and isinstance(callee, Method):
                found = FACTS.get(key_of(canonical(callee)))
    except TypeError:  # an unhashable callee
        return _NO_FACTS
    return found if found is not None else _NO_FACTS


def key_of(callee: Any) -> Any:
    """The key of ``callee`` in the tables (primitives with templates key by their class)."""
    if isinstance(callee, (Attribute, Method)):
        return callee
    if isinstance(callee, Primitive) and hasattr(callee, "index"):
        return type(callee)
    if isinstance(callee, Primitive) and hasattr(callee, "i"):
        return type(callee)
    try:
        hash(callee)
    except TypeError:
        return id(callee)
    return callee


def _register(table: dict[Any, Rule], mode: str, fns: tuple[Any, ...], ndiff: int | None,
              complex_: bool = False) -> Any:
    if complex_:
        table = COMPLEX_VJP if mode == "vjp" else COMPLEX_JVP
    def deco(rule_fn: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(rule_fn)
        names = list(sig.parameters)
        if mode == "vjp":
            params = names[2:]
            n = ndiff if ndiff is not None else 1
        else:
            # The tangents are the parameters before ``ans``; counting names that start
            # with "d" would also count primal parameters such as ``dtype`` or ``ddof``.
            n = ndiff if ndiff is not None else (
                names.index("ans") if "ans" in names else
                sum(1 for p in names if p.startswith("d"))
            )
            params = names[n + 1 :]
        for fn in fns:
            table[key_of(fn)] = Rule(key_of(fn), rule_fn, mode, params, n)
        return rule_fn

    return deco


def vjp_rule(*fns: Any, ndiff: int | None = None, complex: bool = False) -> Callable[
        [Callable[..., Any]], Callable]:
    """Register a reverse-mode rule for each of ``fns`` (see the module docstring).

    ``complex=True`` registers the rule used where a call involves a complex value: it
    returns ``dL/da + i dL/db`` for each complex argument ``a + ib`` (for a holomorphic
    ``f``, ``g * np.conj(f'(z))``); a real argument's cotangent is the real part of what
    it returns, taken by the compiler.

    Examples:
        >>> import numpy as np, adjoint
        >>> def cube(x):
        ...     return x * x * x
        >>> @adjoint.vjp_rule(cube)
        ... def _(g, ans, x):
        ...     return g * 3.0 * x * x
        >>> def f(x):
        ...     return cube(x) + x
        >>> print(adjoint.grad(f)(2.0))
        13.0
    """
    return _register(VJP, "vjp", fns, ndiff, complex)


def jvp_rule(*fns: Any, ndiff: int | None = None, complex: bool = False) -> Callable[
        [Callable[..., Any]], Callable]:
    """Register a forward-mode rule for each of ``fns`` (``complex=True``: the rule used
    where a call involves a complex value; tangents are then complex, ``da + i db``).

    Examples:
        >>> import numpy as np, adjoint
        >>> def square(x):
        ...     return x * x
        >>> @adjoint.jvp_rule(square)
        ... def _(dx, ans, x):
        ...     return 2.0 * x * dx
        >>> def f(x):
        ...     return square(x) + 1.0
        >>> print(adjoint.jvp(f)(3.0, 1.0))
        (10.0, 6.0)
    """
    return _register(JVP, "jvp", fns, ndiff, complex)


def nondifferentiable(*fns: Any) -> None:
    """Declare that the results of ``fns`` have zero derivative (the gradient stops there)."""
    for fn in fns:
        NONDIFF.add(key_of(fn))


def no_derivative(*fns: Any, reason: str) -> None:
    """Declare that ``fns`` depend on their arguments in a way with no derivative here:
    a differentiated value passed to one is refused with ``reason`` as the hint."""
    for fn in fns:
        NO_DERIVATIVE[key_of(fn)] = reason


def without_rule(*fns: Any, hint: str) -> None:
    """Declare that ``fns`` have no rule on purpose: differentiating through one is refused,
    as for any callable without a rule, with ``hint`` as the error's hint."""
    for fn in fns:
        MISSING_HINTS[key_of(fn)] = hint


def missing_rule_hint(callee: Any) -> str:
    """The hint of the error for ``callee``, a callable without a derivative rule."""
    try:
        hint = MISSING_HINTS.get(key_of(canonical(callee)))
    except TypeError:
        hint = None
    return hint or ("register one with @adjoint.vjp_rule(fn), or mark the argument as "
                    "constant with adjoint.stop_gradient(x)")


def complex_safe(*fns: Any, modes: tuple[str, ...] = ("vjp", "jvp")) -> None:
    """Declare that the real rules of ``fns`` (in ``modes``) are right for complex values.

    True of linear maps with real coefficients (sums, reshapes, indexing, ``+``) in both
    modes, and of the JVP rules of holomorphic functions written without conjugates,
    absolute values or comparisons (``dx * ans`` for ``exp``).
    """
    for fn in fns:
        COMPLEX_SAFE[key_of(fn)] = tuple(modes)


def sometimes_complex(*fns: Any) -> None:
    """Declare that ``fns`` return complex or real values depending on their arguments'
    values (``np.linalg.eig``: complex eigenvalues where the matrix has them)."""
    for fn in fns:
        SOMETIMES_COMPLEX.add(key_of(fn))


def is_sometimes_complex(callee: Any) -> bool:
    """Was ``callee`` declared with :func:`sometimes_complex`?"""
    try:
        return key_of(canonical(callee)) in SOMETIMES_COMPLEX
    except TypeError:
        return False


def refusal(callee: Any) -> str | None:
    """Why a differentiated value may not reach ``callee``, or None."""
    try:
        return NO_DERIVATIVE.get(key_of(canonical(callee)))
    except TypeError:
        return None


def method(name: str, fn: Callable[..., Any]) -> None:
    """Declare that ``x.name(...)`` means ``fn(x, ...)`` for the rule tables."""
    METHODS[name] = fn


def builder(cls: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function that builds the VJP of primitive class ``cls`` directly in IR."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        BUILDERS[cls] = fn
        return fn

    return deco


def canonical(callee: Any) -> Any:
    """The callable whose rules apply: ``x.sum`` maps to ``numpy.sum``."""
    if isinstance(callee, Method) and callee.name in METHODS:
        return METHODS[callee.name]
    return callee


def is_nondifferentiable(callee: Any, complex: bool = False) -> bool:
    """Is ``callee``'s result a constant? ``complex``: for a call involving a complex value,
    where ``np.imag`` and ``np.angle``, constants of real numbers, have derivatives."""
    if complex and find_vjp(callee, True) is not None:
        return False
    return key_of(canonical(callee)) in NONDIFF or key_of(callee) in NONDIFF


def _lookup(callee: Any, real: dict[Any, Rule], cplx: dict[Any, Rule], mode: str,
            complex_: bool) -> Rule | None:
    for key in (key_of(callee), key_of(canonical(callee))):
        if complex_:
            rule = cplx.get(key) or (real.get(key) if mode in COMPLEX_SAFE.get(key, ())
                                     else None)
        else:
            # A callable with complex rules only (np.fft.fft) always involves complex values.
            rule = real.get(key) or cplx.get(key)
        if rule is not None:
            return rule
    return None


def find_vjp(callee: Any, complex: bool = False) -> Rule | None:
    """The reverse-mode rule of ``callee``; ``complex``: for a call involving a complex value
    (None when it has no rule known to be right for one)."""
    return _lookup(callee, VJP, COMPLEX_VJP, "vjp", complex)


def handles_complex(callee: Any) -> bool:
    """Does ``callee`` have rules right for complex values, in both modes?"""
    try:
        return find_vjp(callee, True) is not None and find_jvp(callee, True) is not None
    except TypeError:
        return False


def has_rule(callee: Any) -> bool:
    """Does ``callee`` have a derivative rule (so calls to it are never inlined)?"""
    try:
        return find_vjp(callee) is not None or find_jvp(callee) is not None
    except TypeError:
        return False


def find_jvp(callee: Any, complex: bool = False) -> Rule | None:
    """The forward-mode rule of ``callee`` (``complex``: as for :func:`find_vjp`)."""
    return _lookup(callee, JVP, COMPLEX_JVP, "jvp", complex)


KEEP_CALLS.append(has_rule)


def record_builtins() -> None:
    """Mark everything registered so far as built in (called once the families are loaded)."""
    BUILTIN.update(VJP, JVP, COMPLEX_VJP, COMPLEX_JVP, COMPLEX_SAFE, NONDIFF, NO_DERIVATIVE)


def is_builtin(key: Any) -> bool:
    """Does ``key`` have rules that come with adjoint (not only ones the user registered)?

    Those registered while the rule families load, and any other whose rule (or, for a
    constant, the function itself) is defined in adjoint, such as ``stop_gradient``.
    """
    if key in BUILTIN:
        return True
    rule = VJP.get(key) or JVP.get(key) or COMPLEX_VJP.get(key) or COMPLEX_JVP.get(key)
    owner = rule.fn if rule is not None else key if key in NONDIFF or key in NO_DERIVATIVE \
        else None
    return (getattr(owner, "__module__", None) or "").split(".")[0] == "adjoint"
