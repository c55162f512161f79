"""Every node of a gast tree, as a list: ``gast.walk``'s nodes in ``gast.walk``'s order.

``gast.walk`` (the standard library's ``ast.walk``) is a generator over generators
(``iter_child_nodes`` over ``iter_fields``) and costs several Python calls per node;
the frontend walks whole functions several times, and a long function has tens of
thousands of nodes. This walk is one loop over a growing list: breadth first, each
node's children in field order, as ``ast.walk`` yields them. The tree must not change
shape while the list is used (renaming a ``Name`` in place is fine).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gast

_AST = gast.AST


def iter_walk(node: Any) -> Iterator[Any]:
    """``walk(node)`` one node at a time, for a search that may stop early (each node's
    children are found before it is given, as ``gast.walk`` does)."""
    todo = [node]
    add = todo.append
    for n in todo:
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, _AST):
                add(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, _AST):
                        add(item)
        yield n


def walk(node: Any) -> list[Any]:
    """``node`` and every node under it, in the order ``gast.walk(node)`` gives them."""
    return list(iter_walk(node))
