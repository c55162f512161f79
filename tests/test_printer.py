"""The backend's printer writes every statement exactly as ``ast.unparse`` does.

Generated code is printed by ``adjoint.backend.printer`` (a direct printer for the node
kinds the emitter builds) rather than by ``ast.unparse`` itself; these tests hold it to
``ast.unparse``'s text: for every pair of operators nested either way, literals of every
kind, each context that changes parentheses (subscripts, calls, tuples, targets), random
expression trees, and every statement of the modules the golden tests and the examples
generate.
"""

from __future__ import annotations

import ast
import itertools
import shlex
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adjoint.backend import emit, module
from adjoint.backend.printer import expression_text, statement_text

ROOT = Path(__file__).resolve().parents[1]
LOAD, STORE = ast.Load(), ast.Store()


def name(id_: str, ctx: ast.expr_context = LOAD) -> ast.Name:
    return ast.Name(id_, ctx)


def reference(node: ast.AST) -> str:
    return ast.unparse(_fresh(node))


def _fresh(node: ast.AST) -> ast.AST:
    """A copy in which no node appears twice: ``ast.unparse`` keeps the precedence asked of
    a node by the node, so a node written in two places would be printed for the context
    of the last (the emitter's nodes were always converted to fresh ``ast`` nodes first)."""
    if isinstance(node, list):
        return [_fresh(n) for n in node]
    if not isinstance(node, ast.AST):
        return node
    copy = type(node)(**{f: _fresh(getattr(node, f, None)) for f in node._fields})
    if isinstance(node, ast.stmt):
        copy.lineno = 0  # ast.unparse reads it (for type comments)
    return copy


def assert_prints_alike(node: ast.AST) -> None:
    got = statement_text(node) if isinstance(node, ast.stmt) else expression_text(node)
    assert got == reference(node), ast.dump(node)


BINOPS = [ast.Add, ast.Sub, ast.Mult, ast.MatMult, ast.Div, ast.Mod, ast.FloorDiv, ast.Pow,
          ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd]
UNARY = [ast.USub, ast.UAdd, ast.Invert, ast.Not]
COMPARE = [ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In,
           ast.NotIn]

CONSTANTS = [0, 1, -1, 2.5, -2.5, 1e300 * 10, -(1e300 * 10), float("nan"), 1e-7, 3j,
             complex(1, -2), True, False, None, ..., "s", "it's", 'say "x"', "a\nb", b"x",
             (1, 2), (1,), (), (1.5, float("inf"))]


def operators() -> list:
    """A builder of each operator node (binary, unary, comparison, and/or, if-else)."""
    out = [lambda a, b, op=op: ast.BinOp(a, op(), b) for op in BINOPS]
    out += [lambda a, b, op=op: ast.UnaryOp(op(), a) for op in UNARY]
    out += [lambda a, b, op=op: ast.Compare(a, [op()], [b]) for op in COMPARE]
    out += [lambda a, b: ast.Compare(a, [ast.Lt(), ast.LtE()], [b, name("z")])]
    out += [lambda a, b, op=op: ast.BoolOp(op(), [a, b]) for op in (ast.And, ast.Or)]
    out += [lambda a, b, op=op: ast.BoolOp(op(), [a, b, name("z")]) for op in (ast.And, ast.Or)]
    out += [lambda a, b: ast.IfExp(a, b, name("z")), lambda a, b: ast.IfExp(name("z"), a, b)]
    return out


def contexts() -> list:
    """A builder of each node that puts an expression in a context of its own."""
    return [
        lambda e: ast.Attribute(e, "T", LOAD),
        lambda e: ast.Call(e, [], []),
        lambda e: ast.Call(name("f"), [e, ast.Starred(e, LOAD)],
                           [ast.keyword("k", e), ast.keyword(None, e)]),
        lambda e: ast.Subscript(e, name("i"), LOAD),
        lambda e: ast.Subscript(name("x"), e, LOAD),
        lambda e: ast.Subscript(name("x"), ast.Tuple([e, ast.Slice(e, None, e)], LOAD), LOAD),
        lambda e: ast.Subscript(name("x"), ast.Tuple([e], LOAD), LOAD),
        lambda e: ast.Subscript(name("x"), ast.Slice(None, e, None), LOAD),
        lambda e: ast.Subscript(name("x"), ast.Slice(e, None, ast.Constant(-1)), LOAD),
        lambda e: ast.Tuple([e, e], LOAD),
        lambda e: ast.Tuple([e], LOAD),
        lambda e: ast.List([e, ast.Tuple([e], LOAD)], LOAD),
        lambda e: ast.Dict([ast.Constant("k"), None], [e, e]),
        lambda e: ast.Starred(e, LOAD),
    ]


def statements(e: ast.expr) -> list[ast.stmt]:
    target = ast.Tuple([name("a", STORE), name("b", STORE)], STORE)
    return [
        ast.Expr(e), ast.Return(e), ast.Assign([name("y", STORE)], e),
        ast.Assign([target], e), ast.Assign([name("y", STORE), target], e),
        ast.AugAssign(ast.Subscript(name("y"), e, STORE), ast.Add(), e),
        ast.AugAssign(name("y", STORE), ast.Pow(), e), ast.Raise(e, None),
        ast.Raise(e, e), ast.Assert(e, None), ast.Assert(e, e),
    ]


LEAVES = [name("x"), ast.Constant(2), ast.Constant(-2), ast.Constant(0.5),
          ast.UnaryOp(ast.USub(), ast.Constant(1.5)), ast.Tuple([], LOAD)]


def test_literals_print_as_ast_unparse_writes_them():
    for value in CONSTANTS:
        node = ast.Constant(value)
        assert_prints_alike(node)
        assert_prints_alike(ast.Attribute(node, "real", LOAD))  # 1 .real
        assert_prints_alike(ast.BinOp(node, ast.Pow(), node))
    assert_prints_alike(ast.Constant("x", kind="u"))


def test_every_operator_pair_nested_either_way_prints_as_ast_unparse():
    ops = operators()
    for outer, inner in itertools.product(ops, ops):
        for leaf in LEAVES[:2]:
            nested = inner(leaf, name("y"))
            assert_prints_alike(outer(nested, name("w")))
            assert_prints_alike(outer(name("w"), nested))


def test_every_context_of_every_operator_prints_as_ast_unparse():
    for make in operators():
        for leaf in LEAVES:
            e = make(leaf, name("y"))
            for wrap in contexts():
                assert_prints_alike(wrap(e))
                assert_prints_alike(wrap(leaf))
            for stmt in statements(e):
                assert_prints_alike(stmt)


def test_simple_statements_without_values():
    for stmt in (ast.Return(None), ast.Pass(), ast.Break(), ast.Continue(), ast.Raise(None, None)):
        assert_prints_alike(stmt)


def test_what_the_printer_does_not_know_goes_to_ast_unparse():
    lam = ast.parse("lambda q: q + 1", mode="eval").body
    for node in (ast.Assign([name("f", STORE)], ast.Call(lam, [], [])),
                 ast.parse("for i in range(3):\n    y = [t for t in x if t]").body[0],
                 ast.parse("z = f'{x!r:>3}' + x").body[0]):
        assert_prints_alike(node)
    assert expression_text(lam) == "lambda q: q + 1"


def _expressions() -> st.SearchStrategy[ast.expr]:
    leaves = st.one_of(
        st.sampled_from(["x", "y", "np"]).map(name),
        st.sampled_from(CONSTANTS).map(ast.Constant),
        st.integers(-3, 3).map(ast.Constant),
    )

    def extend(children: st.SearchStrategy[ast.expr]) -> st.SearchStrategy[ast.expr]:
        pairs = st.tuples(children, children)
        return st.one_of(
            st.tuples(st.sampled_from(operators()), pairs).map(lambda t: t[0](*t[1])),
            st.tuples(st.sampled_from(contexts()), children).map(lambda t: t[0](t[1])),
            st.tuples(children, st.lists(children, max_size=3)).map(
                lambda t: ast.Call(ast.Attribute(t[0], "sum", LOAD), t[1], [])),
        )

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_random_expression_trees_print_as_ast_unparse(e):
    assert_prints_alike(e)
    assert_prints_alike(ast.Assign([name("y", STORE)], e))
    assert_prints_alike(ast.Expr(e))


# -- what adjoint generates ---------------------------------------------------------------
def _generated_files() -> list[Path]:
    return sorted([*ROOT.glob("tests/golden/*.py"), *ROOT.glob("examples/*_grad.py"),
                   *ROOT.glob("examples/*_hvp.py")])


@pytest.mark.parametrize("path", _generated_files(), ids=lambda p: p.name)
def test_every_statement_of_the_committed_modules_prints_as_ast_unparse(path):
    tree = ast.parse(path.read_text())
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            assert_prints_alike(node)
            count += 1
        elif isinstance(node, ast.expr):
            assert_prints_alike(node)
    assert count > 0


@pytest.fixture
def checked_printer(monkeypatch):
    """The backend's printer, asserting for each statement it prints that ``ast.unparse``
    prints the same tree the same way."""
    seen = []

    def statement(node):
        text = statement_text(node)
        assert text == reference(node), ast.dump(node)
        seen.append(node)
        return text

    def expression(node):
        text = expression_text(node)
        assert text == reference(node), ast.dump(node)
        seen.append(node)
        return text

    monkeypatch.setattr(emit, "statement_text", statement)
    monkeypatch.setattr(emit, "expression_text", expression)
    monkeypatch.setattr(module, "expression_text", expression)
    return seen


def test_the_golden_modules_print_as_ast_unparse(checked_printer):
    from tests.test_golden import CASES, GOLDEN, render

    for case, (fn, args, wrt) in sorted(CASES.items()):
        _, source = render(fn, args, wrt)
        assert source == (GOLDEN / f"{case}_grad.py").read_text()
    assert len(checked_printer) > 100


def _example_commands() -> list[tuple[Path, list[str]]]:
    out = []
    for path in sorted([*ROOT.glob("examples/*_grad.py"), *ROOT.glob("examples/*_hvp.py")]):
        for line in path.read_text().splitlines():
            if line.startswith("# Regenerate with: adjoint "):
                out.append((path, shlex.split(line.removeprefix("# Regenerate with: adjoint "))))
    return out


def _body(text: str) -> str:
    """A generated module without its header (which names the output file)."""
    lines = text.splitlines()
    k = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    return "\n".join(lines[k:])


EXAMPLES = _example_commands()


@pytest.mark.parametrize("path,command", EXAMPLES, ids=[path.name for path, _ in EXAMPLES])
def test_the_examples_print_as_ast_unparse(path, command, checked_printer, tmp_path,
                                           monkeypatch):
    from click.testing import CliRunner

    from adjoint.cli import main

    monkeypatch.chdir(ROOT)
    out = tmp_path / path.name
    args = command[: command.index("-o")] + ["-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert _body(out.read_text()) == _body(path.read_text())
    assert checked_printer
