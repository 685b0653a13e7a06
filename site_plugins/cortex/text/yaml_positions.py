"""YAML read with positions: every mapping and list remembers where it, its keys, its values
and its items were written, so a schema check can name the line and column of a problem.

One loader serves experiment declarations and the curriculum. It is PyYAML's SafeLoader
(merge keys and anchors work as usual) and it also records keys repeated within one mapping,
which PyYAML otherwise resolves silently in favour of the last.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

import yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark


class YamlMapping(dict):
    """A mapping with the start marks of itself, its keys and its values."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[object, Mark] = {}
        self.value_marks: dict[object, Mark] = {}


class YamlList(list):
    """A list with the start marks of itself and its items."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []


# libyaml parses when the wheel has it; the constructors below are Python either way
_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_VALUES = 100_000  # a document that aliases expand beyond this is refused, not built


class AliasBombError(yaml.YAMLError):
    """A document whose aliases expand to more values than anyone writes by hand."""

    def __init__(self, values: int) -> None:
        super().__init__(
            f"its aliases expand to more than {MAX_VALUES:,} values ({values:,} at least); it is not read"
        )
        self.problem = str(self)


class _PositionLoader(_Base):  # SafeLoader, or libyaml's
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated_keys: list[tuple[object, Mark]] = []


def _construct_mapping(loader: _PositionLoader, node: yaml.MappingNode) -> Iterator[YamlMapping]:
    data = YamlMapping(node.start_mark)
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
            )
        if key in data:
            loader.repeated_keys.append((key, key_node.start_mark))
        data[key] = loader.construct_object(value_node)
        data.key_marks[key] = key_node.start_mark
        data.value_marks[key] = value_node.start_mark


def _construct_sequence(loader: _PositionLoader, node: yaml.SequenceNode) -> Iterator[YamlList]:
    data = YamlList(node.start_mark)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child))
        data.item_marks.append(child.start_mark)


_PositionLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_PositionLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


@dataclass
class LoadedYaml:
    data: object
    repeated_keys: list[tuple[object, Mark]] = field(default_factory=list)  # (key, where it was repeated)


def load_yaml(text: str) -> LoadedYaml:
    """Parse ``text``; raises ``yaml.YAMLError`` (see ``yaml_error_at``) when it is not YAML, and
    ``AliasBombError`` when its aliases would expand it beyond ``MAX_VALUES`` values."""
    loader = _PositionLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LoadedYaml(None, [])
        if "*" in text:
            _check_expansion(node)
        return LoadedYaml(loader.construct_document(node), loader.repeated_keys)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """The number of values ``root`` expands to, counted once per distinct node (a DAG walk)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key not in sizes:
            sizes[key] = 1  # a node seen again while it is counted is a cycle: it adds nothing
            if isinstance(node, yaml.MappingNode):
                total = sum(size(k) + size(v) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                total = sum(size(item) for item in node.value)
            else:
                total = 0
            sizes[key] = min(1 + total, MAX_VALUES + 1)
        return sizes[key]

    if (values := size(root)) > MAX_VALUES:
        raise AliasBombError(values)


def yaml_error_at(exc: yaml.YAMLError) -> tuple[int, int, str]:
    """(0-based line, 0-based column, what is wrong) of a YAML error. A construct the text ends
    inside (an unclosed quote or bracket) is named where it starts."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
    context_mark = getattr(exc, "context_mark", None)
    if context_mark is not None and "end of stream" in str(problem):
        context = getattr(exc, "context", None) or ""
        return context_mark.line, context_mark.column, f"{problem} {context}".strip()
    mark = getattr(exc, "problem_mark", None) or context_mark
    return (mark.line, mark.column, str(problem)) if mark else (0, 0, str(problem))


def key_mark(container: object, key: object) -> Mark | None:
    """Where a mapping's key or a list's item (by index) was written; None when unknown."""
    if isinstance(container, YamlMapping):
        return container.key_marks.get(key)
    if isinstance(container, YamlList) and isinstance(key, int) and 0 <= key < len(container.item_marks):
        return container.item_marks[key]
    return None


def value_mark(container: object, key: object) -> Mark | None:
    """Where a mapping's value or a list's item was written; None when unknown."""
    if isinstance(container, YamlMapping):
        return container.value_marks.get(key)
    return key_mark(container, key)
