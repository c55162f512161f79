"""Runs the code blocks of a page while the site is built, and writes what they print.

A page's Markdown marks the blocks to run in the fence's info string:

* ```` ```python run ```` shows the code, runs it, and shows what it printed.
  ``hidden`` runs it without showing it; ``raises`` expects an ``AdjointError`` and
  shows its message; ``output=python`` highlights the output as Python (generated code);
  ``file=NAME.py`` names the file the block is saved as (error messages quote it).
* ```` ```python file=NAME ```` saves the block as a file without running it
  (a program for the command-line examples to read).
* ```` ```console run ```` runs each ``$ adjoint ...`` line with the command-line
  interface and shows the lines with their output (``exit 1`` noted when it fails).
* ```` ```python include=PATH ```` shows a file of the repository.

Each page gets a fresh namespace and a fresh folder as current directory, so blocks
see what earlier blocks of the same page defined, and files they write stay there.
Each run block is saved as a real file before it runs: adjoint reads functions'
source, as it does in a user's module. A block that raises when it should not fails
the build, with the page and the block's first line: the pages cannot show output
the code no longer produces.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

FENCE = re.compile(r"^```(?P<lang>\w+) (?P<opts>[^\n]*)\n(?P<body>.*?)^```[ \t]*$",
                   re.MULTILINE | re.DOTALL)


class SnippetError(Exception):
    """A block of a page did not run as the page says it does."""


def _options(text: str) -> dict[str, str]:
    out = {}
    for word in shlex.split(text):
        key, _, value = word.partition("=")
        out[key] = value
    return out


def fence(body: str, lang: str = "text", title: str | None = None) -> str:
    ticks = "````" if "```" in body else "```"
    head = f'{ticks}{lang}' + (f' title="{title}"' if title else "")
    return f"{head}\n{body.rstrip()}\n{ticks}\n"


class Page:
    """The namespace and folder one page's blocks share."""

    def __init__(self, name: str):
        self.name = name
        self.folder = tempfile.TemporaryDirectory(prefix="adjoint-docs-")
        self.namespace: dict[str, object] = {"__name__": "__main__"}
        self.count = 0
        self.files: set[str] = set()

    @contextlib.contextmanager
    def inside(self):
        """In the page's folder, with this folder importable (``from stages import ...``)."""
        before = os.getcwd()
        os.chdir(self.folder.name)
        sys.path.insert(0, str(HERE))
        try:
            yield
        finally:
            sys.path.remove(str(HERE))
            os.chdir(before)

    def save(self, name: str, text: str) -> None:
        if name in self.files:
            raise SnippetError(f"{self.name}: two blocks are saved as {name}")
        self.files.add(name)
        Path(self.folder.name, name).write_text(text)

    def run_python(self, code: str, opts: dict[str, str]) -> str:
        self.count += 1
        name = opts.get("file") or f"snippet_{self.count}.py"
        with self.inside():
            self.save(name, code)
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    exec(compile(code, name, "exec"), self.namespace)  # noqa: S102
            except Exception as exc:  # noqa: BLE001 - reported below, or expected
                from adjoint import AdjointError

                if "raises" in opts and isinstance(exc, AdjointError):
                    return out.getvalue() + f"{type(exc).__module__.split('.')[0]}." \
                                            f"{type(exc).__name__}: {exc}\n"
                raise SnippetError(
                    f"{self.name}: the block starting {code.splitlines()[0]!r} raised\n"
                    + "".join(traceback.format_exception(exc))
                ) from exc
        if "raises" in opts:
            raise SnippetError(f"{self.name}: the block starting {code.splitlines()[0]!r} "
                               "should raise an AdjointError and did not")
        return out.getvalue()

    def run_console(self, text: str) -> str:
        from click.testing import CliRunner

        from adjoint.cli import main

        shown = []
        with self.inside():
            for line in text.splitlines():
                if not line.startswith("$ "):
                    raise SnippetError(f"{self.name}: console blocks hold '$ adjoint ...' lines")
                words = shlex.split(line[2:])
                if words[0] != "adjoint":
                    raise SnippetError(f"{self.name}: only adjoint commands run: {line}")
                result = CliRunner().invoke(main, words[1:], prog_name="adjoint")
                if result.exception is not None and not isinstance(result.exception,
                                                                   SystemExit):
                    raise SnippetError(f"{self.name}: {line} crashed") from result.exception
                shown.append(line)
                shown.append(result.output.rstrip("\n"))
                if result.exit_code:
                    shown.append(f"(exit status {result.exit_code})")
        return "\n".join(s for s in shown if s) + "\n"

    def render(self, match: re.Match) -> str:
        lang, opts_text, body = match["lang"], match["opts"], match["body"]
        opts = _options(opts_text)
        if "include" in opts:
            path = ROOT / opts["include"]
            return fence(path.read_text(), lang, opts.get("title", opts["include"]))
        if lang == "console" and "run" in opts:
            return fence(self.run_console(body), "console")
        if lang == "python" and "run" in opts:
            printed = self.run_python(body, opts)
            shown = "" if "hidden" in opts else fence(body, "python", opts.get("title"))
            if printed.strip():
                shown += "\n" + fence(printed, opts.get("output", "text"), "output")
            return shown
        if lang == "python" and "file" in opts:
            self.save(opts["file"], body)
            return fence(body, "python", opts["file"])
        return match.group(0)


def render_page(markdown: str, name: str) -> str:
    """``markdown`` with its runnable blocks run and their output written in."""
    if not FENCE.search(markdown):
        return markdown
    page = Page(name)
    try:
        return FENCE.sub(page.render, markdown)
    finally:
        page.folder.cleanup()
