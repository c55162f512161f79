"""How callables apply to a stack of values: the batching facts of vector forward mode.

A JVP pushes one tangent direction through a program. Vector forward mode
(:mod:`adjoint.transforms.batch`) pushes many at once, as one array with a new leading
axis; each operation a tangent reaches is rewritten by the kind of callable it is,
declared here with :func:`~.registry.facts` (``batch=``):

* ``"elementwise"``: broadcasting functions; an operand stacked along the new axis with
  fewer dimensions than the result gets axes inserted after the leading one;
* ``"reduce"`` (``np.sum(x, axis)``) and ``"scan"`` (``np.cumsum``): the axes shift by
  one (``axis=None`` becomes every axis but the leading one; a scan over the flattened
  array has no stacked form);
* ``"matmul"`` (and ``"dot"``, for vectors and matrices): products by the operands'
  ranks; ``"like"`` (``np.full_like``); ``"unbroadcast"`` (the runtime helper that sums a
  cotangent down to a shape); ``"transpose"``, ``"reshape"``,
  ``"axes"`` (``np.swapaxes``, ``np.moveaxis``, ``np.expand_dims``: axis arguments),
  ``"join"`` (``np.stack``, ``np.concatenate``), ``"shape"`` (queries of the shape).

Indexing, updates and containers are handled by the transform itself. A callable
declared nowhere has no stacked form: a JVP that applies it to a tangent is run once per
direction instead, which is always right.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import runtime as rt
from ..ir.prims import Attribute, Method
from .registry import facts

facts(operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, operator.pos,
      operator.pow, np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.negative,
      np.positive, np.power, np.float_power, np.exp, np.exp2, np.expm1, np.log, np.log2,
      np.log10, np.log1p, np.sqrt, np.cbrt, np.reciprocal, np.square, np.sign, np.sin, np.cos,
      np.tan, np.arcsin, np.arccos, np.arctan, np.arctan2, np.sinh, np.cosh, np.tanh,
      np.arcsinh, np.arccosh, np.arctanh, np.maximum, np.minimum, np.where, np.abs, np.fabs,
      np.real, np.imag, np.conjugate, np.zeros_like, np.ones_like, np.copy, Method("copy"),
      rt.zeros_like,
      operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
      batch="elementwise")
facts(np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std,
      batch="reduce")
facts(np.cumsum, np.cumprod, batch="scan")
facts(operator.matmul, np.matmul, batch="matmul")
facts(np.dot, batch="dot")
facts(np.full_like, batch="like")
facts(rt.unbroadcast, batch="unbroadcast")
facts(np.transpose, Attribute("T"), batch="transpose")
facts(np.reshape, batch="reshape")
facts(np.swapaxes, np.moveaxis, np.expand_dims, batch="axes")
facts(np.stack, np.concatenate, batch="join")
facts(np.shape, Attribute("shape"), np.ndim, Attribute("ndim"), batch="shape")
