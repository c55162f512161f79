"""The gallery: one page per program of ``examples/``, made from the files themselves.

Each page is the program's docstring, the program, the derivative modules adjoint
wrote for it (committed beside it), and the output it printed when committed, which
``tests/test_examples.py`` compares with a fresh run; the same tests check that the
modules are what ``adjoint grad`` writes today and that their derivatives match
finite differences.
"""

from __future__ import annotations

import ast
import re

import snippets

EXAMPLES = snippets.ROOT / "examples"

#: (program, other files it uses, derivative modules adjoint wrote for it)
GALLERY = [
    ("logistic", [], ["logistic_grad.py"]),
    ("mlp_train", ["mlp.py"], ["mlp_grad.py"]),
    ("rnn", [], ["rnn_grad.py"]),
    ("projectile", [], ["projectile_grad.py"]),
    ("newton_cg", [], ["newton_cg_grad.py", "newton_cg_hvp.py"]),
    ("gaussian_process", [], ["gaussian_process_grad.py"]),
]


def _docstring(name: str) -> tuple[str, str]:
    doc = ast.get_docstring(ast.parse((EXAMPLES / f"{name}.py").read_text())) or name
    title, _, rest = doc.partition("\n")
    # reStructuredText's "text::" before an indented block is "text:" in Markdown.
    rest = re.sub(r"::\n", ":\n", rest)
    return title.rstrip("."), rest.strip()


def _page(name: str, others: list[str], modules: list[str]) -> str:
    title, text = _docstring(name)
    out = [f"# {title}", "", text, "", "## The program", ""]
    for f in [f"{name}.py", *others]:
        out.append(snippets.fence((EXAMPLES / f).read_text(), "python", f"examples/{f}"))
    out += ["## What adjoint wrote", "",
            "Committed beside the program; `make test` runs the command in each header with",
            "`--check`, so it fails when the file is not what adjoint writes today, and",
            "compares the derivative with central finite differences.", ""]
    for f in modules:
        out.append(snippets.fence((EXAMPLES / f).read_text(), "python", f"examples/{f}"))
    out += ["## Output", "",
            f"`python examples/{name}.py` prints (the tests run it and compare):", ""]
    out.append(snippets.fence((EXAMPLES / "expected" / f"{name}.txt").read_text(), "text"))
    return "\n".join(out) + "\n"


def pages() -> dict[str, str]:
    index = ["# Examples", "",
             "Real programs, each with the derivative modules `adjoint grad` wrote for it",
             "committed beside it. They need NumPy only: the generated modules do not import",
             "adjoint. `make examples` regenerates the modules and the recorded outputs.", ""]
    out = {}
    for name, others, modules in GALLERY:
        title, _ = _docstring(name)
        out[f"examples/{name}.md"] = _page(name, others, modules)
        index.append(f"- [{title}]({name}.md): `examples/{name}.py`")
    out["examples/index.md"] = "\n".join(index) + "\n"
    return out
