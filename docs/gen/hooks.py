"""MkDocs hooks: the pages whose content adjoint itself produces, made while the site builds.

* Every page's runnable code blocks are run (:mod:`snippets`), so what a page shows
  a function printing is what it prints today.
* ``rules.md`` is replaced by the catalog of the rule registry.
* ``reference/errors.md`` is made by running a case for every ``AdjointError``
  subclass (:mod:`errors`); the tutorial's table of the supported subset by running
  one program per construct (:mod:`subset`).
* ``examples/*.md`` show each program of ``examples/``, its committed derivative
  modules and its committed output (which the tests compare with a fresh run).

Generated modules go to a private cache folder, so a build neither reads nor fills
the user's cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["ADJOINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="adjoint-docs-cache-")

import errors  # noqa: E402
import gallery  # noqa: E402
import snippets  # noqa: E402
import subset  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

#: Pages written by these functions, by their path in the site's sources.
GENERATED = {"reference/errors.md": errors.page}
MARKERS = {"<!-- generated: supported-subset -->": subset.table}


def on_files(files, config):
    for uri, make in GENERATED.items():
        files.append(File.generated(config, uri, content=make()))
    for uri, content in gallery.pages().items():
        files.append(File.generated(config, uri, content=content))
    return files


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    if uri == "rules.md":
        from adjoint.rules.catalog import markdown as catalog

        return catalog()
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return snippets.render_page(markdown, uri)
