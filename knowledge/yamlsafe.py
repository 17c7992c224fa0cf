"""Reading one knowledge item's YAML without letting a small text become a huge value.

An editor's draft is read each time the knowledge list opens: a 400-byte text whose aliases nest nine levels deep
(`b: [*a, *a, …]`, "billion laughs") would become hundreds of megabytes once expanded (the page, pydantic,
JSON). So, before any value is made:

- the text may have at most `MAX_ITEM_BYTES` (an item of the demo base has ~10 KB);
- the document is composed into nodes (an alias is then a second reference to one node, nothing is expanded),
  the references to already-seen nodes are counted (at most `MAX_ALIASES`) and so is the size the document would
  have with every alias written out (at most `MAX_NODES` nodes) — linear in the document, not in its expansion;
- only then are the Python values made.

libyaml refuses documents nested deeper than its own limit (1000 levels).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ITEM_BYTES = 256 * 1024
MAX_ALIASES = 8
MAX_NODES = 50_000


class YamlRefused(ValueError):
    """The text is not read (too large, too many aliases); `problem` and `fix` are for staff and developers."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def load(text: str, loader: type[Any]) -> Any:
    """The YAML value of `text` with `loader` (a PyYAML Loader class), within the limits above; YamlRefused or
    yaml.YAMLError otherwise."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_ITEM_BYTES:
        raise YamlRefused(f"the item's YAML has {size // 1024} KB, more than {MAX_ITEM_BYTES // 1024} KB",
                          "shorten it: one service item needs far less (long texts belong on the department's site)")
    reader = loader(text)
    try:
        node = reader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return reader.construct_document(node)
    finally:
        reader.dispose()


def check_expansion(root: yaml.Node) -> None:
    """Count alias references and the expanded size of the node graph, each node visited once, depth-first in
    document order (an alias refers to an earlier node, whose size is known by then)."""
    sizes: dict[int, int] = {}  # id(node) -> nodes it stands for, aliases written out
    seen = {id(root)}
    open_nodes: set[int] = set()  # entered, not yet left: an alias to one of these is recursive
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        kids = _children(node)
        if not leaving:
            open_nodes.add(id(node))
            stack.append((node, True))
            fresh = []
            for kid in kids:
                if id(kid) in seen:
                    aliases += 1
                    if id(kid) in open_nodes:
                        raise YamlRefused("the YAML refers to itself (a recursive alias)", "write each value out")
                else:
                    seen.add(id(kid))
                    fresh.append(kid)
            if aliases > MAX_ALIASES:
                raise YamlRefused(f"the YAML uses more than {MAX_ALIASES} aliases (*name)",
                                  "write each value out: a knowledge item needs no anchors (&name) or aliases")
            stack.extend((kid, False) for kid in reversed(fresh))
            continue
        open_nodes.discard(id(node))
        total = 1 + sum(sizes.get(id(kid), MAX_NODES) for kid in kids)
        if total > MAX_NODES:
            raise YamlRefused(f"the YAML's aliases expand it to more than {MAX_NODES} values",
                              "write each value out: a knowledge item needs no anchors (&name) or aliases")
        sizes[id(node)] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
