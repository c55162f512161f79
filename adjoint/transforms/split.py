"""A VJP cut in two: the forward sweep, which saves, and the backward sweep, which reads.

When a differentiated function calls one of the user's functions, ``h = layer(x, W)``,
its forward sweep calls ``h, h_saved = layer_fwd(x, W)`` and its adjoint sweep
``dx, dW = layer_bwd(h_saved, dh)``. ``layer_fwd`` is ``layer`` plus what its adjoint
sweep needs kept (the *residuals*: values it reads, tapes of its loops), returned with
its result; ``layer_bwd`` runs only the adjoint sweep. Nothing is computed twice, and
the caller saves ``h_saved`` like any value its own adjoint needs (on a tape, in a loop).

Both come from one VJP, derived, simplified and specialized as any other (with the
primal output returned beside the gradients, so it survives), then split at the top
level of its body:

* the forward part holds what computes the output, every effect of the forward sweep
  (reports, tape pushes, calls of functions with effects: they run once, here), and the
  other forward values, which are saved rather than computed again, except the cheap
  ones (constants, views, attributes, shapes), which the backward part recomputes from
  what it has;
* the backward part holds the rest, in the same order; the values it reads from the
  forward part become the residual tuple, unpacked under their own names.

No operation of the forward part reads the cotangent, so the cut is always possible.
"""

from __future__ import annotations

from typing import Any

from ..errors import InternalError
from ..ir import prims
from ..ir.core import Block, Function, Op, Value, walk
from ..ir.effects import has_effect
from ..rules.registry import facts_of
from .types import Num, Seq

_CHEAP = (prims.Attribute, prims.Subscript)

def split_vjp(vjp: Function, fwd_name: str, bwd_name: str) -> tuple[Function, Function]:
    """``vjp`` (a "split" derivative: parameters then the cotangent, returning
    ``(output, gradients)``) as its forward and backward functions."""
    body = vjp.body
    ret = body.ops[-1]
    pair = ret.operands[0] if ret.opname == "return" else None
    pack = pair.owner if pair is not None else None
    if not (isinstance(pack, Op) and pack.opname == "call" and
            isinstance(pack.callee, prims.BuildTuple) and len(pack.operands) == 2):
        raise InternalError(f"cannot split the derivative of {vjp.name}: it no longer "
                            "returns (output, gradients)", None, "")
    out, grads = pack.operands
    dout = body.args[-1]
    ops = [op for op in body.ops[:-1] if op is not pack]
    pos = {op: i for i, op in enumerate(ops)}
    reads = {op: _reads(op) for op in ops}

    # What reads the cotangent is backward, always.
    tainted: set[Value] = {dout}
    late: set[Op] = set()
    for op in ops:
        if any(v in tainted for v in reads[op]):
            late.add(op)
            tainted.update(op.results)

    def defining(v: Value) -> Op | None:
        o = v.owner
        return o if isinstance(o, Op) and o in pos else None

    seeds = [o for o in [defining(out)] if o is not None]
    for op in ops:
        if op in late or op.attrs.get("adjoint"):
            continue
        if _has_effect(op) or not _cheap(op):
            seeds.append(op)
    forward: set[Op] = set()
    stack = list(seeds)
    while stack:
        op = stack.pop()
        if op in forward:
            continue
        forward.add(op)
        for v in reads[op]:
            o = defining(v)
            if o is not None:
                stack.append(o)
    if forward & late:
        bad = min(forward & late, key=pos.__getitem__)
        raise InternalError(f"cannot split the derivative of {vjp.name}: its forward sweep "
                            "reads the cotangent", bad.loc, "")
    fwd_ops = [op for op in ops if op in forward]
    bwd_ops = [op for op in ops if op not in forward]

    # Cheap values (constants, views, shapes) are computed again rather than saved.
    consts: dict[Value, Value] = {}
    again: dict[Value, Op] = {}
    bwd_defs = {r for op in bwd_ops for r in op.results}
    needed: dict[Value, None] = {}
    work = [v for op in bwd_ops for v in reads[op]]
    while work:
        v = work.pop(0)
        if v is dout or v in bwd_defs or v in consts or v in again:
            continue
        o = defining(v)
        if o is not None and o.opname == "const":
            c = Op("const", [], 1, dict(o.attrs), loc=o.loc)
            c.stmt = o.stmt
            c.result.type, c.result.hint, c.result.origin = v.type, v.hint, v.origin
            consts[v] = c.result
            continue
        if o is not None and _cheap(o) and len(o.results) == 1 and \
                not o.attrs.get("effect"):
            again[v] = o
            work.extend(o.operands)
            continue
        if o is not None or v in body.args:
            needed.setdefault(v, None)
    if out not in needed and defining(out) is None and out not in body.args:
        raise InternalError(f"cannot split the derivative of {vjp.name}", None, "")
    order = {v: i for i, v in enumerate(body.args)}
    for op in fwd_ops:
        for r in op.results:
            order[r] = len(order)
    residuals = sorted(needed, key=lambda v: order.get(v, len(order)))

    fwd = _function(vjp, fwd_name, vjp.param_names[:-1], body.args[:-1])
    for op in fwd_ops:
        op.parent = fwd.body
    fwd.body.ops = fwd_ops
    saved = _append(fwd.body, prims.BUILD_TUPLE, residuals, ret)
    saved.type = Seq("tuple", tuple(v.type for v in residuals))
    result = _append(fwd.body, prims.BUILD_TUPLE, [out, saved], ret)
    result.type = Seq("tuple", (out.type, saved.type))
    done = Op("return", [result], 0, loc=ret.loc)
    done.stmt, done.parent = ret.stmt, fwd.body
    fwd.body.ops.append(done)
    fwd.meta["kind"] = "fwd"

    saved_name = "saved"
    while saved_name in vjp.param_names:
        saved_name += "_"
    saved_param = Value(saved_name)
    saved_param.type = saved.type
    bwd = _function(vjp, bwd_name, [saved_name, vjp.param_names[-1]], [saved_param, dout])
    mapping = dict(consts)
    unpack = []
    for k, v in enumerate(residuals):
        get = Op("call", [saved_param], 1, {"callee": prims.GetItem(k), "kwnames": (),
                                            "keep_type": True}, loc=ret.loc)
        r = get.result
        r.hint, r.type, r.origin = v.hint, v.type, v.origin
        if v.origin is None and v.hint is None:
            r.origin = ("copy", v)  # named as the value it stands for in the forward sweep
        mapping[v] = r
        unpack.append(get)
    const_ops = [c.owner for c in consts.values() if isinstance(c.owner, Op)]
    redo = []
    for o in sorted(set(again.values()), key=pos.__getitem__):
        copy = Op(o.opname, [mapping.get(v, v) for v in o.operands], 1, dict(o.attrs),
                  loc=o.loc, hints=[o.result.hint])
        copy.stmt = o.stmt
        copy.result.type, copy.result.origin = o.result.type, o.result.origin
        mapping[o.result] = copy.result
        redo.append(copy)
    for op in bwd_ops:
        for sub in [op, *_nested(op)]:
            sub.operands = [mapping.get(v, v) for v in sub.operands]
    for op in [*unpack, *const_ops, *redo, *bwd_ops]:
        op.parent = bwd.body
        bwd.body.ops.append(op)
    back = Op("return", [mapping.get(grads, grads)], 0, loc=ret.loc)
    back.stmt, back.parent = ret.stmt, bwd.body
    bwd.body.ops.append(back)
    bwd.meta["kind"] = "bwd"
    return fwd, bwd


def _function(vjp: Function, name: str, param_names: list[str], params: list[Value]) -> Function:
    fn = Function(name, param_names, vjp.filename)
    fn.meta = {k: v for k, v in vjp.meta.items() if k not in ("output", "entry_kinds")}
    fn.body.args = list(params)
    for p in params:
        p.owner = fn.body
    return fn


def _append(block: Block, callee: Any, operands: list[Value], ret: Op) -> Value:
    op = Op("call", list(operands), 1, {"callee": callee, "kwnames": ()}, loc=ret.loc)
    op.stmt, op.parent = ret.stmt, block
    block.ops.append(op)
    return op.result


def _nested(op: Op) -> list[Op]:
    return [sub for region in op.regions for sub in walk(region)]


def _reads(op: Op) -> set[Value]:
    """The values ``op`` reads from outside itself (its regions' reads included)."""
    out = set(op.operands)
    inner: set[Value] = set()
    for sub in _nested(op):
        out.update(sub.operands)
        inner.update(sub.results)
    for region in op.regions:
        inner.update(region.args)
    for sub in _nested(op):
        for region in sub.regions:
            inner.update(region.args)
    return out - inner


def _has_effect(op: Op) -> bool:
    """Must ``op`` run where the forward sweep runs it (an effect, a draw), or does an
    operation inside it?"""
    return has_effect(op) or any(has_effect(sub) for sub in _nested(op))


def _indices(op: Op) -> bool:
    """Does ``op`` compute indices or shapes (``np.triu_indices``...), with no derivative?"""
    from ..rules.registry import is_nondifferentiable

    # An allocation (np.zeros, np.eye) is an array to save, not an index to recompute.
    return op.opname == "call" and not isinstance(op.callee, prims.Primitive) and \
        is_nondifferentiable(op.callee, False) and not facts_of(op.callee).fresh


def _integral(t: Any) -> bool:
    if isinstance(t, Num):
        return t.dtype in ("i", "b")
    return isinstance(t, Seq) and t.items is not None and bool(t.items) and \
        all(_integral(u) for u in t.items)


def _cheap(op: Op) -> bool:
    """Cheaper to compute again in the backward sweep than to save: a constant, a view,
    an attribute, a length, integer arithmetic on such. (An item of a tuple is saved: it
    costs as little, and the tuple itself is then not kept.)"""
    if op.opname == "const":
        return True
    if op.opname != "call" or op.regions:
        return False
    callee = op.callee
    if isinstance(callee, _CHEAP):
        return True
    if op.attrs.get("effect") or op.attrs.get("mutates"):
        return False
    src = op.operands[0].owner if isinstance(callee, prims.GetItem) and op.operands else None
    if (op.results and all(_integral(r.type) for r in op.results)) or _indices(op) or (
            isinstance(src, Op) and _indices(src)):
        # Indices (np.triu_indices(d, 1), an argmax): computed again, so that a derivative
        # of the backward sweep does not see them come out of the residuals it
        # differentiates, as if they depended on the inputs.
        return True
    return False


__all__ = ["split_vjp"]
