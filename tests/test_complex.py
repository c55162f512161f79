"""Real-valued functions with complex values inside: spectra, FFT convolutions, phases,
eigenvalues of real matrices.

A complex value ``z = a + ib`` is differentiated as the pair of reals ``(a, b)``: its
cotangent is ``dL/da + i dL/db`` and its tangent ``da + i db``. Each program here is
checked in float64 against central differences (reverse mode), forward mode against
reverse mode, second derivatives against differences of the gradient, and the modules
the command line writes against the API. Every rule used where a call involves a
complex value (``complex=True`` rules, and real rules declared right for complex values)
is checked directly, on complex arguments, as ``tests/test_rule_registry.py`` checks the
real ones. Complex values reaching callables whose rules are for real numbers only are
refused, with the line.
"""

from __future__ import annotations

import importlib.util
import operator
import re
import textwrap
import zlib
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import adjoint
from adjoint import runtime as rt
from adjoint.cli import main as cli_main
from adjoint.ir.prims import Attribute
from adjoint.rules.catalog import public_name
from adjoint.rules.registry import (
    COMPLEX_JVP,
    COMPLEX_SAFE,
    COMPLEX_VJP,
    find_jvp,
    find_vjp,
    is_builtin,
)
from adjoint.testing import check_grads, check_modes
from tests.rule_calls import check_second_order, load
from tests.test_rule_registry import NZ, RE, SPECS, P, R, _literal, case

rng = np.random.default_rng(11)
LOCATION = re.compile(r"test_complex\.py:\d+:\d+")


# -- programs ----------------------------------------------------------------------------------
def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2 * np.arange(5.0))


def fft_convolution(x, k):
    return np.sum(np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(k))) ** 3)


def filtered(x, h):
    # h is a complex frequency response (data); n pads the output to 10 samples.
    return np.sum(np.fft.irfft(np.fft.rfft(x) * h, 10) ** 2 * np.arange(10.0))


def energy(x):
    z = x + 1j * x ** 2
    return np.sum(np.real(z * np.conj(z)) * x)


def phases(x):
    return np.sum(np.angle(np.fft.fft(x)) * x) + np.sum(np.angle(x + 2j, deg=True))


def back_to_real(x):
    return np.sum(np.real_if_close(np.fft.ifft(np.fft.fft(x) * 2.0)) ** 3)


def stays_complex(x):
    return np.sum(np.abs(np.real_if_close(np.fft.fft(x) * 1j)) ** 2)


def spectra_2d(a):
    s = np.fft.fft2(a, s=(4, 6))
    t = np.fft.rfftn(a * a, axes=(0, 1), norm="ortho")
    return np.sum(np.abs(s) * np.arange(6.0)) + np.sum(np.real(t) ** 2 - np.imag(t))


def round_trips(a):
    back = np.fft.irfftn(np.fft.rfftn(a) * 1.5j, s=(3, 6), axes=(0, 1))
    inv = np.fft.ifftn(np.fft.fftn(a, norm="forward") ** 2, axes=(1,), norm="backward")
    return np.sum(back ** 2) + np.sum(np.abs(inv) ** 2) + np.sum(np.real(np.fft.ifft2(a * a)))


def lengths_and_norms(x):
    cut = np.fft.fft(x, n=5, norm="ortho")
    padded = np.fft.ifft(x * x, n=11, norm="forward")
    half = np.fft.rfft(x, n=9, norm="forward")
    return np.sum(np.abs(cut) ** 3) + np.sum(np.real(padded * np.conj(cut[0]))) + \
        np.sum(np.imag(half) ** 2)


def hermitian(x):
    spectrum = np.fft.ihfft(x * x, norm="ortho")
    return np.sum(np.fft.hfft(spectrum * (1.0 + 0.5j), 12) ** 2)


def oscillator(t):
    z = np.exp(1j * t)
    return np.sum(np.imag(z ** 3 / (z + 2.0)) + np.abs(z - 0.5) ** 2)


def built_from_parts(a, b):
    z = complex(a, b)
    w = z ** 2 + 1j
    return abs(w) + z.real * w.imag


def through_matmul(W, x):
    z = W @ np.fft.fft(x)
    return np.sum(np.abs(W.T @ z) ** 2) + np.real(np.fft.fft(x) @ np.fft.fft(x))


def indexing(x):
    z = np.fft.fft(x)
    y = z.reshape(2, 4).T
    return np.sum(np.abs(z[1:4]) ** 2) + np.real(z[0]) * np.imag(y[1, 1]) + \
        np.sum(np.mean(y, axis=0) * np.conj(np.flip(y[0])) * 1j).real


def written_into(x):
    z = np.zeros(4, dtype=complex)
    z[1:3] = x[:2] * 1j
    z[0] = x[3]
    return np.sum(np.abs(np.fft.fft(z)) ** 2 * x)


def carried_by_a_loop(x):
    acc = x[0]  # real, then complex
    for k in range(3):
        acc = acc * np.exp(1j * x[k]) + x[k + 1]
    return np.abs(acc) ** 2


def joined_by_a_branch(x):
    if np.sum(x) > 0.0:
        z = np.fft.fft(x)
    else:
        z = x * 2.0
    return np.sum(np.abs(z) ** 2)


def spectrum(x):
    s = np.fft.rfft(x)
    s = s * np.arange(1.0, 6.0)
    return s


def calls_a_helper(x):
    return np.sum(np.abs(spectrum(x)) ** 2 + np.real(spectrum(x * x)))


def eigenvalues(a):
    w = np.linalg.eig(a)[0]
    return np.sum(np.real(w) ** 3) + np.sum(np.abs(w))


def eigenvectors(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(v * np.arange(1.0, 5.0)[:, None]) ** 2) + np.sum(np.imag(v * w))


A4 = rng.normal(size=(4, 4))
assert np.iscomplexobj(np.linalg.eig(A4)[0])  # two complex eigenvalues, two real ones
X8 = rng.normal(size=8)
H5 = rng.normal(size=5) + 1j * rng.normal(size=5)

PROGRAMS = [
    (power_spectrum, (X8,), 0),
    (fft_convolution, (X8, rng.normal(size=8)), (0, 1)),
    (filtered, (X8, H5), 0),
    (energy, (X8,), 0),
    (phases, (X8,), 0),
    (back_to_real, (X8,), 0),
    (stays_complex, (X8,), 0),
    (spectra_2d, (rng.normal(size=(3, 5)),), 0),
    (round_trips, (rng.normal(size=(3, 4)),), 0),
    (lengths_and_norms, (X8,), 0),
    (hermitian, (X8,), 0),
    (oscillator, (X8,), 0),
    (built_from_parts, (0.7, -0.4), (0, 1)),
    (through_matmul, (rng.normal(size=(3, 8)), X8), (0, 1)),
    (indexing, (X8,), 0),
    (written_into, (rng.normal(size=4),), 0),
    (carried_by_a_loop, (rng.normal(size=4),), 0),
    (joined_by_a_branch, (np.abs(X8),), 0),
    (joined_by_a_branch, (-np.abs(X8),), 0),
    (calls_a_helper, (X8,), 0),
    (eigenvalues, (A4,), 0),
    (eigenvectors, (A4,), 0),
]


@pytest.mark.parametrize("f, args, wrt", PROGRAMS,
                         ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(PROGRAMS)])
def test_program_against_differences_and_forward_against_reverse(f, args, wrt):
    check_modes(f, args, wrt)


def test_the_power_spectrum_is_parseval():
    def total(x):
        return np.sum(np.abs(np.fft.fft(x)) ** 2)

    # sum |X_k|^2 = n sum x^2, whose gradient is 2 n x.
    np.testing.assert_allclose(adjoint.grad(total)(X8), 16.0 * X8, rtol=1e-12)


def test_a_real_function_of_eigenvalues_that_are_real_is_unchanged():
    # A matrix with real eigenvalues: the complex rules give the real rules' gradient.
    spread = RE(np.random.default_rng(3), 4)
    got = adjoint.grad(eigenvalues)(spread)
    want = adjoint.grad(lambda a: np.sum(np.linalg.eig(a)[0] ** 3) + np.sum(
        np.abs(np.linalg.eig(a)[0])))(spread)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


SECOND = [(power_spectrum, (X8,), 0), (fft_convolution, (X8, rng.normal(size=8)), 1),
          (filtered, (X8, H5), 0), (spectra_2d, (rng.normal(size=(3, 5)),), 0),
          (hermitian, (X8,), 0), (oscillator, (rng.normal(size=3),), 0),
          (eigenvectors, (A4,), 0)]


@pytest.mark.parametrize("f, args, wrt", SECOND, ids=[f.__name__ for f, _, _ in SECOND])
def test_second_derivatives_in_every_order_of_modes(f, args, wrt):
    """The derivative code calls the complex rules' callables, which have rules of their own:
    Hessian-vector products in all four orders of modes, against differences of the
    gradient."""
    wrt_t = (wrt,) if isinstance(wrt, int) else wrt
    r = np.random.default_rng(5)
    v = [r.normal(size=np.shape(args[i])) for i in wrt_t]
    check_second_order(f, list(args), wrt_t, f(*args), 1.0, v)


# -- the command line ------------------------------------------------------------------------
CLI_SOURCE = """
import numpy as np


def power_spectrum(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2 * np.arange(5.0))


def fft_convolution(x, k):
    return np.sum(np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(k))) ** 3)


def filtered(x, h: "Complex[np.ndarray, 'k']"):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * h, 10) ** 2 * np.arange(10.0))


def eigenvectors(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(v * np.arange(1.0, 5.0)[:, None]) ** 2) + np.sum(np.imag(v * w))
"""


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name, args, shapes", [
    ("power_spectrum", (X8,), ["x=8"]),
    ("fft_convolution", (X8, rng.normal(size=8)), []),
    ("filtered", (X8, H5), []),
    ("eigenvectors", (A4,), ["a=4,4"]),
])
def test_the_modules_the_command_line_writes_agree_with_the_api(tmp_path, name, args, shapes):
    """Written for any shape and for the given ones, in both modes: the modules import
    only NumPy and the helpers they copy in."""
    source = tmp_path / "spectra.py"
    source.write_text(textwrap.dedent(CLI_SOURCE).lstrip())
    api = _load(source)
    fn = getattr(api, name)
    want = adjoint.grad(fn)(*args)
    v = rng.normal(size=np.shape(args[0]))
    want_t = adjoint.jvp(fn)(*args, v)[1]
    for flags in [[]] + ([[w for s in shapes for w in ("-s", s)]] if shapes else []):
        for mode in ("reverse", "forward"):
            out = tmp_path / f"{name}_{mode}_{len(flags)}.py"
            command = ["grad", f"{source}::{name}", "--wrt", "x" if name != "eigenvectors"
                       else "a", "-o", str(out), *flags]
            if mode == "forward":
                command += ["--mode", "forward"]
            result = CliRunner().invoke(cli_main, command)
            assert result.exit_code == 0, result.output
            text = out.read_text()
            assert "import adjoint" not in text and "from adjoint" not in text
            module = _load(out)
            if mode == "reverse":
                np.testing.assert_allclose(getattr(module, f"grad_{name}")(*args), want,
                                           rtol=1e-12, atol=1e-12)
            else:
                got = getattr(module, f"jvp_{name}")(*args, v)[1]
                np.testing.assert_allclose(got, want_t, rtol=1e-12, atol=1e-12)


# -- refusals ---------------------------------------------------------------------------------
def sine_of_a_spectrum(x):
    return np.sum(np.abs(np.sin(np.fft.fft(x))))


def sorts_complex_values(x):
    z = x * (1.0 + 2j)
    return np.sum(np.abs(np.sort(z)))


def compares_with_a_complex_value(x):
    return np.sum(np.real(np.maximum(x, 1j)))


def returns_a_spectrum(x):
    return np.fft.fft(x)[1]


def helper(z):
    w = z * 2.0
    return np.sum(np.abs(w))


def passes_a_value_that_may_be_complex(x):
    z = x
    if x[0] > 0.0:
        z = np.fft.fft(x)
    return helper(z)


@adjoint.custom_vjp
def squared(x):
    return x * x


@squared.defvjp
def _(g, ans, x):
    return 2.0 * g * x


def custom_rule_of_a_complex_value(x):
    return np.sum(np.abs(squared(np.fft.fft(x))))


@pytest.mark.parametrize("f, words", [
    (sine_of_a_spectrum, "'numpy.sin' has derivative rules for real numbers only"),
    (sorts_complex_values, "'numpy.sort' has derivative rules for real numbers only"),
    (compares_with_a_complex_value, "'numpy.maximum' has derivative rules for real numbers"),
    (passes_a_value_that_may_be_complex, "'z' may be complex here"),
    (custom_rule_of_a_complex_value, "has derivative rules for real numbers only"),
])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_complex_value_reaching_rules_for_real_numbers_is_refused(f, words, mode):
    with pytest.raises(adjoint.NonDifferentiableError) as info:
        if mode == "reverse":
            adjoint.grad(f)(X8)
        else:
            adjoint.jvp(f)(X8, X8)
    message = str(info.value)
    assert words in message, message
    assert LOCATION.search(message) and "\n    " in message and "^" in message
    assert "hint: " in message


def test_a_gradient_of_a_complex_output_is_refused_and_its_vjp_takes_a_complex_cotangent():
    with pytest.raises(adjoint.ArgumentError, match="needs a real output"):
        adjoint.grad(returns_a_spectrum)(X8)
    # vjp: the cotangent u of a complex output is dL/da + i dL/db for L = Re(conj(u) * out).
    u = 0.3 - 1.7j
    got = adjoint.vjp(returns_a_spectrum)(X8, u)
    k = np.arange(8)
    want = np.real(np.conj(u) * np.exp(-2j * np.pi * k / 8))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # jvp: the tangent is complex, the transform of the direction.
    v = rng.normal(size=8)
    np.testing.assert_allclose(adjoint.jvp(returns_a_spectrum)(X8, v)[1], np.fft.fft(v)[1])


def half_spectrum_of_squares(x):
    return np.fft.rfft(x * x)


def test_the_jacobian_of_a_complex_output_is_complex_in_both_modes():
    x = np.arange(1.0, 5.0)
    want = np.fft.rfft(np.diag(2.0 * x), axis=0)  # d rfft(x * x) / dx
    for mode in ("forward", "reverse"):
        got = adjoint.jacobian(half_spectrum_of_squares, mode=mode)(x)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def weighted_modulus(z, x):
    return np.sum(np.abs(z * x) ** 2 + np.real(z) * np.imag(z) ** 2)


def test_a_complex_argument_gets_the_pair_cotangent():
    """With respect to z = a + ib, the gradient is dL/da + i dL/db."""
    z = rng.normal(size=3) + 1j * rng.normal(size=3)
    x = rng.normal(size=3)
    got = adjoint.grad(weighted_modulus)(z, x)
    h = 1e-6
    want = [(weighted_modulus(z + h * e, x) - weighted_modulus(z - h * e, x)) / (2 * h) +
            1j * (weighted_modulus(z + 1j * h * e, x) - weighted_modulus(z - 1j * h * e, x)) /
            (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    v = rng.normal(size=3) + 1j * rng.normal(size=3)
    tangent = adjoint.jvp(weighted_modulus)(z, x, v)[1]
    np.testing.assert_allclose(tangent, np.real(np.vdot(got, v)), rtol=1e-12)


def cast_to_complex(x):
    return np.sum(np.abs(x.astype(complex)))


def made_complex_by_dtype(x):
    return np.sum(np.abs(np.array(x, dtype=complex)))


@pytest.mark.parametrize("f", [cast_to_complex, made_complex_by_dtype])
def test_casts_to_complex_are_refused_with_their_argument(f):
    with pytest.raises(adjoint.UnsupportedArgumentError, match="dtype") as info:
        adjoint.grad(f)(X8)
    assert LOCATION.search(str(info.value))


def test_arguments_outside_a_transforms_space_are_refused():
    def negative_length(x):
        return np.sum(np.abs(np.fft.fft(x, n=0)))

    def unknown_norm(x):
        return np.sum(np.abs(np.fft.fft(x, norm="sideways")))

    for f in (negative_length, unknown_norm):
        with pytest.raises(adjoint.UnsupportedArgumentError, match="numpy.fft.fft"):
            adjoint.grad(f)(X8)


# -- every rule used on complex values, checked directly ------------------------------------------
def C(r, *shape):
    """Complex numbers (a Python complex for shape ())."""
    z = r.normal(size=shape) + 1j * r.normal(size=shape)
    return complex(z) if z.ndim == 0 else z


def GEN(r, n, *batch):
    """General real matrices (complex eigenvalues, in conjugate pairs, likely) whose
    eigenvalues are apart and whose eigenvectors have one component of largest modulus
    (NumPy makes it real: where two tie, the eigenvector's phase jumps)."""
    while True:
        a = r.normal(size=batch + (n, n))
        w, v = np.linalg.eig(a)
        top = np.sort(np.abs(v), axis=-2)
        gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(n)
        if np.all(top[..., -1, :] > 1.2 * top[..., -2, :]) and np.all(gaps > 0.2):
            return a


#: How to sample the rules that only complex values use: (cases, parameters left real).
CSPECS: dict[Any, tuple[Any, tuple[int, ...]]] = {}


def cspec(*fns, cases, real=()):
    for fn in fns:
        CSPECS[fn] = (cases, real)


cspec(np.imag, np.conjugate, np.real, cases=lambda r: [case(C(r, 3)), case(C(r, 2, 3)),
                                                       case(C(r))])
cspec(Attribute("imag"), Attribute("real"), cases=lambda r: [case(C(r, 3)), case(C(r, 2, 2))])
cspec(np.angle, cases=lambda r: [case(C(r, 4)), case(C(r, 2, 2), True), case(C(r))])
# (Where its argument is complex with negligible imaginary parts, np.real_if_close is not
# differentiable: an imaginary step makes its result complex.)
cspec(np.real_if_close, cases=lambda r: [case(C(r, 3)), case(R(r, 3))])
cspec(complex, real=(0, 1), cases=lambda r: [case(R(r), R(r)), case(R(r))])
cspec(np.linalg.eig, real=(0,), cases=lambda r: [case(GEN(r, 4)), case(GEN(r, 3, 2)),
                                                 case(RE(r, 3))])
cspec(np.fft.fft, np.fft.ifft, cases=lambda r: [
    case(C(r, 6)), case(R(r, 5)), case(C(r, 3, 4), 6, 0), case(C(r, 7), 4, -1, "ortho"),
    case(C(r, 2, 5), None, 1, "forward"), case(R(r, 4), 4, -1, "backward")])
cspec(np.fft.rfft, np.fft.ihfft, real=(0,), cases=lambda r: [
    case(R(r, 6)), case(R(r, 7)), case(R(r, 3, 4), 7, 0), case(R(r, 2, 5), 4, -1, "ortho"),
    case(R(r, 5), 8, -1, "forward")])
cspec(np.fft.irfft, np.fft.hfft, cases=lambda r: [
    case(C(r, 4)), case(C(r, 4), 7), case(C(r, 3, 4), 9, 0), case(C(r, 2, 5), 4, -1, "ortho"),
    case(C(r, 5), 8, -1, "forward")])
cspec(np.fft.fftn, np.fft.ifftn, cases=lambda r: [
    case(C(r, 3, 4)), case(C(r, 2, 3, 4), (4, 2), (0, 2)), case(R(r, 3, 4), None, (1,), "ortho"),
    case(C(r, 2, 3), (3, 5), None, "forward")])
cspec(np.fft.fft2, np.fft.ifft2, cases=lambda r: [
    case(C(r, 3, 4)), case(C(r, 2, 3, 4), (4, 2)), case(C(r, 3, 4, 2), None, (0, 1), "ortho")])
cspec(np.fft.rfftn, real=(0,), cases=lambda r: [
    case(R(r, 3, 4)), case(R(r, 2, 3, 5), (4, 3), (0, 2)), case(R(r, 3, 4), None, (1,), "ortho"),
    case(R(r, 2, 3), (3, 6), None, "forward")])
cspec(np.fft.rfft2, real=(0,), cases=lambda r: [
    case(R(r, 3, 4)), case(R(r, 2, 3, 5), (4, 3)), case(R(r, 3, 5, 2), None, (0, 1), "ortho")])
cspec(np.fft.irfftn, cases=lambda r: [
    case(C(r, 3, 4)), case(C(r, 2, 3, 3), (4, 5), (0, 2)), case(C(r, 3, 4), None, (1,), "ortho"),
    case(C(r, 2, 3), (3, 6), None, "forward")])
cspec(np.fft.irfft2, cases=lambda r: [
    case(C(r, 3, 4)), case(C(r, 2, 3, 4), (4, 5)), case(C(r, 3, 4, 2), None, (0, 1), "ortho")])
# Real-input samples whose complex versions leave the domain: keep them away from it.
cspec(operator.pow, np.power, cases=lambda r: [
    case(P(r, 3) + 0.3j * R(r, 3), R(r, 3)), case(P(r, 2, 3) + 0.3j, 2),
    case(P(r) + 0.2j, P(r) + 0.1j)])
# log and sqrt away from their branch cut (the negative real axis).
cspec(np.log, np.sqrt, cases=lambda r: [case(P(r, 3) + 1j * R(r, 3)), case(P(r) - 0.5j),
                                        case(C(r, 2, 2) * 0.3 + 1.0)])
cspec(abs, np.abs, np.absolute, cases=lambda r: [case(C(r, 3)), case(C(r)), case(NZ(r, 2, 2))])
cspec(rt.real_if, cases=lambda r: [case(C(r, 3), C(r, 3)), case(C(r, 3), R(r, 3))])


def _complex_keys() -> list[tuple[str, Any]]:
    keys: dict[str, Any] = {}
    for key in list(COMPLEX_VJP) + list(COMPLEX_JVP) + list(COMPLEX_SAFE):
        if is_builtin(key):
            keys.setdefault(public_name(key), key)
    return sorted(keys.items())


COMPLEX_KEYS = _complex_keys()


def _complexify(x: Any, r: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(_complexify(e, r) for e in x)
    if isinstance(x, dict):
        return {k: _complexify(v, r) for k, v in x.items()}
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x + 1j * r.normal(size=x.shape)
    if isinstance(x, float):
        return complex(x, float(r.normal()))
    return x


def _leaves(x: Any) -> list:
    if isinstance(x, (tuple, list)):
        return [leaf for e in x for leaf in _leaves(e)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    if isinstance(x, str) or x is None:
        return []
    return [x]


def _flat(x: Any) -> np.ndarray:
    leaves = _leaves(x)
    if not leaves:
        return np.zeros(0, complex)
    return np.concatenate([np.ravel(np.asarray(v, dtype=complex)) for v in leaves])


def _rebuild(vec: np.ndarray, like: Any) -> Any:
    """``vec`` in ``like``'s structure, real where ``like`` is real."""
    out, _ = _rebuild_at(vec, like, 0)
    return out


def _rebuild_at(vec: np.ndarray, like: Any, k: int) -> tuple[Any, int]:
    if isinstance(like, dict):
        out = {}
        for key in like:
            out[key], k = _rebuild_at(vec, like[key], k)
        return out, k
    if isinstance(like, str) or like is None:
        return like, k
    if isinstance(like, (tuple, list)):
        items = []
        for e in like:
            item, k = _rebuild_at(vec, e, k)
            items.append(item)
        return (type(like)(items) if type(like) in (tuple, list) else tuple(items)), k
    n = int(np.size(like))
    piece = vec[k:k + n] if np.iscomplexobj(like) else np.real(vec[k:k + n])
    if isinstance(like, np.ndarray):
        return piece.reshape(like.shape), k + n
    return (complex(piece[0]) if np.iscomplexobj(like) else float(piece[0])), k + n


def _random_like(x: Any, r: np.random.Generator) -> Any:
    if isinstance(x, (tuple, list)):
        return tuple(_random_like(e, r) for e in x)
    if isinstance(x, dict):
        return {k: _random_like(v, r) for k, v in x.items()}
    if x is None or isinstance(x, str):
        return x
    z = r.normal(size=np.shape(x)) + (1j * r.normal(size=np.shape(x)) if np.iscomplexobj(x)
                                      else 0.0)
    return z if isinstance(x, np.ndarray) else z.item()


def _has_complex(x: Any) -> bool:
    return any(np.iscomplexobj(leaf) for leaf in _leaves(x))


def _real(x: Any) -> Any:
    """The real part of each number in ``x`` (tuples and lists kept)."""
    if isinstance(x, (tuple, list)):
        return type(x)(_real(e) for e in x)
    if isinstance(x, dict):
        return {k: _real(v) for k, v in x.items()}
    return x if x is None or isinstance(x, str) else np.real(x)


def _dot(a: Any, b: Any) -> float:
    """The real inner product ``Re(sum(conj(a) * b))``, for which the cotangent is defined."""
    return float(np.real(np.vdot(_flat(a), _flat(b))))


def _close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float, label: str) -> None:
    got, want = np.asarray(got, complex), np.asarray(want, complex)
    assert got.shape == want.shape, f"{label}: shape {got.shape}, expected {want.shape}"
    for part in (np.real, np.imag):
        g, w = part(got), part(want)
        assert np.array_equal(np.isfinite(g), np.isfinite(w)), f"{label}: non-finite\n{g}\n{w}"
        err = np.abs(g - w)
        tol = atol + rtol * np.maximum(np.abs(g), np.abs(w))
        assert np.all(err <= tol), (
            f"{label}: max error {np.max(err):.3g}\n got:  {got}\n want: {want}")


def _cases(key: Any, r: np.random.Generator) -> tuple[list, tuple[int, ...]]:
    if key in CSPECS:
        cases, real = CSPECS[key]
        return cases(r), real
    spec = SPECS.get(key)
    assert spec is not None, f"{public_name(key)} has complex rules but no samples"
    wanted = spec.diff if spec.diff is not None else tuple(range(find_vjp(key, True).ndiff))
    out = []
    for args, kwargs in spec.cases(r):
        args = tuple(_complexify(a, r) if i in wanted else a for i, a in enumerate(args))
        out.append((args, kwargs))
    return out, ()


EPS = 1e-6


def _check_complex_case(key: Any, args: tuple, kwargs: dict, real: tuple[int, ...],
                        r: np.random.Generator) -> None:
    vjp, jvp = find_vjp(key, True), find_jvp(key, True)
    primal = SPECS[key].primal if key in SPECS and SPECS[key].primal else key
    if isinstance(key, Attribute):
        def primal(x: Any, name: str = key.name) -> Any:
            return getattr(x, name)
    ans = primal(*args, **kwargs)
    spec = SPECS.get(key)
    wanted = spec.diff if key not in CSPECS and spec is not None and spec.diff is not None \
        else tuple(range(vjp.ndiff))
    diff = [i for i in wanted if i < len(args) and args[i] is not None and
            not isinstance(args[i], (str, bool))]
    x0 = [args[i] for i in diff]
    h = EPS * max(1.0, float(np.max(np.abs(_flat(x0)))))
    scale = max(1.0, float(np.max(np.abs(_flat(ans)), initial=0.0)))

    def f(xs: list) -> np.ndarray:
        call = list(args)
        for i, x in zip(diff, xs):
            call[i] = x
        return _flat(primal(*call, **kwargs))

    u = _random_like(ans, r)
    res = vjp.fn(u, ans, *args, **kwargs)
    res = tuple(res) if vjp.ndiff > 1 else (res,)
    # A real argument's cotangent is the real part of what the rule returns.
    grads = [_real(res[i]) if i in real or not _has_complex(args[i]) else res[i]
             for i in diff]

    def tangents(d: list) -> list:
        ts: list[Any] = [0.0] * jvp.ndiff
        for i, t in zip(diff, d):
            ts[i] = t
        return ts

    base = _flat(x0)
    dirs = []
    for j in range(base.size):
        e = np.zeros(base.size, complex)
        e[j] = 1.0
        dirs.append(_rebuild(e, x0))
        d = _rebuild(e * 1j, x0)
        if np.any(_flat(d)):  # the imaginary direction of a complex argument
            dirs.append(d)
    for d in dirs:
        step = h * _flat(d)
        fd = (f(_rebuild(base + step, x0)) - f(_rebuild(base - step, x0))) / (2 * h)
        t = jvp.fn(*tangents(d), ans, *args, **kwargs)
        _close(_flat(t), fd, 1e-5, 1e-7 * scale, f"jvp along {_flat(d)}")
        _close(np.array(_dot(grads, d)), np.array(_dot(u, _rebuild(fd, ans))), 1e-5,
               1e-7 * scale * max(1, fd.size), f"vjp along {_flat(d)}")
    v = [_random_like(x, r) for x in x0]
    lhs = _dot(u, jvp.fn(*tangents(v), ans, *args, **kwargs))
    _close(np.array(lhs), np.array(_dot(grads, v)), 1e-9, 1e-12 * scale * max(1, base.size),
           "<u, jvp(v)> vs <vjp(u), v>")


@pytest.mark.parametrize("key", [k for _, k in COMPLEX_KEYS], ids=[n for n, _ in COMPLEX_KEYS])
def test_complex_rule(key):
    name = public_name(key)
    assert find_vjp(key, True) is not None and find_jvp(key, True) is not None, (
        f"{name} is used on complex values in one mode only")
    r = np.random.default_rng(zlib.crc32(name.encode()))
    cases, real = _cases(key, r)
    assert cases, f"no cases for {name}"
    for args, kwargs in cases:
        try:
            _check_complex_case(key, args, kwargs, real, r)
        except AssertionError as exc:
            shapes = [np.shape(a) if not isinstance(a, (str, list, tuple)) else a for a in args]
            raise AssertionError(f"{name}{tuple(shapes)} {kwargs}: {exc}") from None


def test_the_real_rules_are_kept_for_real_values():
    """A call without complex values keeps the real rule (and the code it generates)."""
    def plain(x):
        return np.sum(np.abs(x * 3.0) ** 2)

    g = adjoint.grad(plain)
    check_grads(plain, (X8,))
    g(X8)
    assert "conjugate" not in adjoint.source(g) and "np.real" not in adjoint.source(g)


def _second_order_call(key: Any, args: tuple, kwargs: dict, real: tuple[int, ...],
                       r: np.random.Generator) -> tuple[Any, list, tuple[int, ...]]:
    """A module calling ``key`` on complex arguments built from real parameters (``p0 + 1j *
    p1``), returning a real number that depends on the phase of each result: its function,
    argument values and differentiated parameters."""
    spec = SPECS.get(key)
    wanted = spec.diff if key not in CSPECS and spec is not None and spec.diff is not None \
        else tuple(range(find_vjp(key, True).ndiff))
    params: list[str] = []
    values: list[Any] = []
    wrt: list[int] = []

    def param(value: Any, differentiated: bool) -> str:
        params.append(f"p{len(params)}")
        values.append(value)
        if differentiated:
            wrt.append(len(params) - 1)
        return params[-1]

    passed = []
    for i, a in enumerate(args):
        if i in wanted and a is not None and not isinstance(a, (str, bool)) and \
                np.ndim(a) >= 0 and not isinstance(a, (tuple, list)):
            re_part = param(np.real(a) if np.ndim(a) else float(np.real(a)), True)
            if np.iscomplexobj(a) and i not in real:
                im_part = param(np.imag(a) if np.ndim(a) else float(np.imag(a)), True)
                passed.append(f"({re_part} + 1j * {im_part})")
            else:
                passed.append(re_part)
        else:
            text = _literal(a)
            passed.append(param(a, False) if text is None else text)
    passed += [f"{k}={_literal(a) or param(a, False)}" for k, a in kwargs.items()]
    name = public_name(key)
    if isinstance(key, Attribute):
        call = f"{passed[0]}.{key.name}"
    else:
        call = f"{name}({', '.join(passed)})"
    out = key(*args, **kwargs) if not isinstance(key, Attribute) else getattr(args[0], key.name)
    leaves = _leaves(out)
    terms = []
    for k, leaf in enumerate(leaves):
        w = param(r.normal(size=np.shape(leaf)) if np.ndim(leaf) else float(r.normal()), False)
        item = "out" if not isinstance(out, (tuple, list)) else f"out[{k}]"
        terms.append(f"numpy.sum(numpy.real({item} * {w}) ** 2 + numpy.imag({item}) * {w})")
    source = ("import builtins\nimport operator\n\nimport numpy\n\nimport adjoint.runtime\n"
              f"\n\ndef call({', '.join(params)}):\n    out = {call}\n"
              f"    return {' + '.join(terms)}\n")
    module, _ = load(source)
    return module.call, values, tuple(wrt)


#: The complex rules of callables (not the helpers the rules call, whose own complex rules
#: the second derivatives of these run).
SECOND_KEYS = [(n, k) for n, k in COMPLEX_KEYS if k in COMPLEX_VJP or k in COMPLEX_JVP]


@pytest.mark.parametrize("key", [k for _, k in SECOND_KEYS], ids=[n for n, _ in SECOND_KEYS])
def test_complex_rule_differentiates_again(key):
    """The complex rules are written with callables that have complex rules: the first
    sample of each, on complex arguments, to second order in every order of modes."""
    name = public_name(key)
    r = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    cases, real = _cases(key, r)
    args, kwargs = cases[0]
    f, values, wrt = _second_order_call(key, args, kwargs, real, r)
    v = [r.normal(size=np.shape(values[i])) if np.ndim(values[i]) else float(r.normal())
         for i in wrt]
    try:
        check_second_order(f, values, wrt, f(*values), 1.0, v)
    except AssertionError as exc:
        raise AssertionError(f"{name}: {exc}") from None
