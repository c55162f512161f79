"""Long generated lines are broken the way a person would break them, and stay valid Python."""

import ast

import pytest

from adjoint.backend.wrap import wrap

LINES = [
    "    dx[:-1] += -unbroadcast(unbroadcast(dout_add, out_pow_1) * 2 * out_sub_1, out_sub_1)"
    " + unbroadcast(unbroadcast(-dout_sub, out_pow) * 2 * out_item_1, out_item_1)",
    "    return np.mean(out_sub ** 2) + lam * np.sum(W * W), np.mean(x @ dW * (1.0 - h * h)"
    " * 2 * out_sub) + lam * np.sum(dW * W + W * dW)",
    "    dz = dlogp + (-dlogp).sum(axis=1, keepdims=True) / np.sum(logp_exp, axis=1, keep"
    "dims=True) * logp_exp",
    "        dmain_term = logsumexp_rows_vjp(main_term, unreduce(1.0, logsumexp_rows(main_term"
    "), None, False), another_argument)[0]",
]


@pytest.mark.parametrize("line", LINES)
def test_wrapped_lines_fit_and_mean_the_same(line):
    out = wrap(line)
    assert len(out) > 1 and all(len(ln) <= 100 for ln in out)
    indent = len(line) - len(line.lstrip())
    body = "\n".join(ln[indent:] for ln in out)
    assert ast.dump(ast.parse(body)) == ast.dump(ast.parse(line.strip()))


def test_short_lines_and_comments():
    assert wrap("    x = y") == ["    x = y"]
    long_comment = "    # " + "a" * 120
    (out,) = wrap(long_comment)
    assert len(out) <= 100 and out.endswith(" ...")


def test_a_call_of_one_list_breaks_between_the_lists_items():
    line = ("    return np.array([theta[0] * prey - theta[1] * prey * predator, "
            "theta[2] * prey * predator - theta[3] * predator])")
    assert wrap(line) == [
        "    return np.array([theta[0] * prey - theta[1] * prey * predator,",
        "                     theta[2] * prey * predator - theta[3] * predator])",
    ]


def test_a_long_list_of_targets_is_broken_inside_parentheses():
    line = "    " + ", ".join(f"saved_value_{i}" for i in range(12)) + " = saved"
    lines = wrap(line)
    assert len(lines) > 1 and all(len(ln) <= 100 for ln in lines)
    assert lines[0].startswith("    (saved_value_0, ") and lines[-1].endswith(") = saved")
    compile("\n".join(ln[4:] if i == 0 else ln for i, ln in enumerate(lines)), "<t>", "exec")
