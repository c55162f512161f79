"""Operators (``+ - * / ** @ %``, unary minus and plus), their NumPy ufuncs, and builtins.

The operator module's functions are what the frontend lowers ``a + b`` and friends
to, so these rules are the most used of all. Each binary rule sums its cotangents
back to the shape of each operand, since either may have been broadcast.
"""

import builtins
import operator

import numpy as np

from ..ir.prims import BoolOp
from ..runtime import matmul_lhs, matmul_rhs, unbroadcast
from .registry import complex_safe, facts, jvp_rule, nondifferentiable, vjp_rule
from .results import (
    abs_result,
    array_elementwise,
    compare_result,
    complex_scalar,
    divide_result,
    float_elementwise,
    float_scalar,
    floor_divide_result,
    int_scalar,
    matmul_result,
    real_part_result,
    same_elementwise,
)
from .spaces import Array, Number, binary, space, unary


@vjp_rule(operator.add, np.add, ndiff=2)
def _(g, ans, x, y):
    return unbroadcast(g, x), unbroadcast(g, y)


@vjp_rule(operator.sub, np.subtract, ndiff=2)
def _(g, ans, x, y):
    # Negate after summing down to y's shape: fewer elements when y was broadcast.
    return unbroadcast(g, x), -unbroadcast(g, y)


@vjp_rule(operator.mul, np.multiply, ndiff=2)
def _(g, ans, x, y):
    return unbroadcast(g * y, x), unbroadcast(g * x, y)


@vjp_rule(operator.truediv, np.divide, np.true_divide, ndiff=2)
def _(g, ans, x, y):
    return unbroadcast(g / y, x), -unbroadcast(g * ans / y, y)


@vjp_rule(operator.pow, np.power, np.float_power, builtins.pow, ndiff=2)
def _(g, ans, x, y):
    # As JAX does: x ** 0 has slope 0 at x == 0 (not 0 * inf), and 0 ** y has slope 0 in y
    # (not 0 * log 0): the exponent y - 1 is 0 where y is, the logarithm's argument 1.
    return (unbroadcast(g * y * x ** (y - 1 + (y == 0)), x),
            unbroadcast(g * ans * np.log(x + (x == 0)), y))


@vjp_rule(operator.mod, np.remainder, ndiff=2)
def _(g, ans, x, y):
    # x % y == x - floor(x / y) * y, and the floor is locally constant.
    return unbroadcast(g, x), -unbroadcast(g * (x // y), y)


@vjp_rule(np.fmod, ndiff=2)
def _(g, ans, x1, x2):
    # fmod rounds the quotient toward zero where % floors it.
    return unbroadcast(g, x1), -unbroadcast(g * np.trunc(x1 / x2), x2)


@vjp_rule(operator.neg, np.negative)
def _(g, ans, x):
    return -g


@vjp_rule(operator.pos, np.positive)
def _(g, ans, x):
    return g


@vjp_rule(operator.matmul, np.matmul, ndiff=2)
def _(g, ans, x, y):
    return matmul_lhs(g, x, y), matmul_rhs(g, x, y)


@vjp_rule(builtins.abs, np.abs, np.absolute, np.fabs)
def _(g, ans, x):
    return g * np.sign(x)


@vjp_rule(builtins.float)
def _(g, ans, x):
    return g


@jvp_rule(operator.add, np.add)
def _(dx, dy, ans, x, y):
    return dx + dy


@jvp_rule(operator.sub, np.subtract)
def _(dx, dy, ans, x, y):
    return dx - dy


@jvp_rule(operator.mul, np.multiply)
def _(dx, dy, ans, x, y):
    return dx * y + x * dy


@jvp_rule(operator.truediv, np.divide, np.true_divide)
def _(dx, dy, ans, x, y):
    return (dx - ans * dy) / y


@jvp_rule(operator.pow, np.power, np.float_power, builtins.pow)
def _(dx, dy, ans, x, y):
    return dx * y * x ** (y - 1 + (y == 0)) + dy * ans * np.log(x + (x == 0))


@jvp_rule(operator.mod, np.remainder)
def _(dx, dy, ans, x, y):
    return dx - dy * (x // y)


@jvp_rule(np.fmod)
def _(dx1, dx2, ans, x1, x2):
    return dx1 - dx2 * np.trunc(x1 / x2)


@jvp_rule(operator.neg, np.negative)
def _(dx, ans, x):
    return -dx


@jvp_rule(operator.pos, np.positive)
def _(dx, ans, x):
    return dx


@jvp_rule(operator.matmul, np.matmul)
def _(dx, dy, ans, x, y):
    return dx @ y + x @ dy


@jvp_rule(builtins.abs, np.abs, np.absolute, np.fabs)
def _(dx, ans, x):
    return dx * np.sign(x)


@jvp_rule(builtins.float)
def _(dx, ans, x):
    return dx


# Complex arguments: a holomorphic f sends g * conj(f'(z)) back (the cotangent of z = a + ib
# is dL/da + i dL/db); a real argument's cotangent is the real part of that, which the
# compiler takes. The JVPs above are holomorphic as written (dx * y + x * dy).
@vjp_rule(operator.mul, np.multiply, ndiff=2, complex=True)
def _(g, ans, x, y):
    return unbroadcast(g * np.conjugate(y), x), unbroadcast(g * np.conjugate(x), y)


@vjp_rule(operator.truediv, np.divide, np.true_divide, ndiff=2, complex=True)
def _(g, ans, x, y):
    return unbroadcast(g / np.conjugate(y), x), -unbroadcast(g * np.conjugate(ans / y), y)


@vjp_rule(operator.pow, np.power, builtins.pow, ndiff=2, complex=True)
def _(g, ans, x, y):
    return (unbroadcast(g * np.conjugate(y * x ** (y - 1 + (y == 0))), x),
            unbroadcast(g * np.conjugate(ans * np.log(x + (x == 0))), y))


@vjp_rule(operator.matmul, np.matmul, ndiff=2, complex=True)
def _(g, ans, x, y):
    return matmul_lhs(g, x, np.conjugate(y)), matmul_rhs(g, np.conjugate(x), y)


# |z| = sqrt(a**2 + b**2) has gradient (a, b) / |z|, z / |z| as one complex number (0 at
# z == 0, as the real rule's sign(0)).
@vjp_rule(builtins.abs, np.abs, np.absolute, complex=True)
def _(g, ans, x):
    return g * x / (ans + (ans == 0))


@jvp_rule(builtins.abs, np.abs, np.absolute, complex=True)
def _(dx, ans, x):
    return np.real(np.conjugate(x) * dx) / (ans + (ans == 0))


# complex(a, b) is a + ib: a gets the real part of the cotangent, b the imaginary part.
@vjp_rule(builtins.complex, ndiff=2, complex=True)
def _(g, ans, real=0.0, imag=0.0):
    return g, -1j * g


@jvp_rule(builtins.complex, ndiff=2, complex=True)
def _(dreal, dimag, ans, real=0.0, imag=0.0):
    return dreal + 1j * dimag


complex_safe(operator.add, np.add, operator.sub, np.subtract, operator.neg, np.negative,
             operator.pos, np.positive)
complex_safe(operator.mul, np.multiply, operator.truediv, np.divide, np.true_divide,
             operator.pow, np.power, builtins.pow, operator.matmul, np.matmul, modes=("jvp",))

nondifferentiable(
    BoolOp("and"), BoolOp("or"),
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains, operator.floordiv,
    operator.and_, operator.or_, operator.xor, operator.invert,
    operator.lshift, operator.rshift, builtins.len, builtins.int, builtins.bool,
    builtins.range, builtins.round, builtins.isinstance,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.floor_divide,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.left_shift, np.right_shift,
    np.gcd, np.lcm,
)

# The calls these rules support (adjoint/rules/spaces.py; listed in docs/rules.md).
binary(operator.add, np.add, operator.sub, np.subtract, operator.mul, np.multiply,
       names=("x", "y"))
binary(operator.truediv, np.divide, right="nonzero", names=("x", "y"))
binary(operator.pow, np.power, np.float_power, builtins.pow, left="positive", names=("x", "y"))
space(operator.mod, np.remainder, x=Array("mod"), y=Array("nonzero", like="x"))
space(np.fmod, x1=Array("mod"), x2=Array("nonzero", like="x1"))
unary(operator.neg, np.negative, operator.pos, np.positive)
unary(builtins.abs, np.absolute, np.fabs, domain="nonzero")
space(operator.matmul, np.matmul, joint="matmul", x=Array(ranks=(1, None), number=False),
      y=Array(ranks=(1, None), number=False))
space(builtins.float, x=Number())

# -- what the compiler may assume of these callables (registry.Facts) ----------------------
facts(operator.add, operator.sub, operator.mul, operator.pow, operator.neg, operator.pos,
      np.add, np.subtract, np.multiply, np.power, np.negative, np.positive,
      result=same_elementwise)
facts(builtins.abs, result=abs_result)
facts(np.fabs, result=array_elementwise)
facts(np.abs, result=real_part_result)  # the modulus of a complex value is real
facts(operator.truediv, np.divide, np.true_divide, result=divide_result)
facts(operator.floordiv, operator.mod, result=floor_divide_result)
facts(operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne, np.less,
      np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal, result=compare_result)
facts(operator.matmul, np.matmul, result=matmul_result)
facts(np.float_power, result=float_elementwise)
facts(builtins.complex, result=complex_scalar)
facts(builtins.float, result=float_scalar)
facts(builtins.int, builtins.len, result=int_scalar)
# Operators allocate their result, as ufuncs do (``out=`` is refused).
facts(operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
      operator.mod, operator.pow, operator.matmul, operator.neg, operator.pos, operator.abs,
      operator.invert, operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
      operator.ne, operator.not_, operator.and_, operator.or_, operator.xor, operator.lshift,
      operator.rshift, operator.contains, operator.is_, operator.is_not, operator.truth,
      builtins.abs, np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power,
      np.float_power, np.negative, np.positive, np.abs, np.fabs, np.less, np.less_equal,
      np.greater, np.greater_equal, np.equal, np.not_equal, memory="new")
facts(operator.truediv, np.divide, np.true_divide, operator.pow, np.power, np.float_power,
      singular=True)
facts(operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.neg,
      operator.pos, operator.floordiv, operator.mod, operator.lt, operator.le, operator.gt,
      operator.ge, operator.eq, operator.ne, operator.not_, operator.is_, operator.is_not,
      builtins.len, builtins.abs, builtins.int, builtins.float, builtins.bool, foldable=True)
facts(operator.add, np.add, zeros="add")
facts(operator.sub, np.subtract, zeros="subtract")
facts(operator.mul, np.multiply, operator.matmul, np.matmul, zeros="product")
facts(operator.truediv, np.divide, np.true_divide, zeros="quotient")
facts(operator.neg, operator.pos, np.negative, np.positive, zeros="sign")
facts(operator.mul, np.multiply, operator.truediv, np.divide, np.true_divide, operator.pow,
      np.power, builtins.pow, operator.matmul, np.matmul, full_terms=True)
facts(builtins.pow, memory="new")
