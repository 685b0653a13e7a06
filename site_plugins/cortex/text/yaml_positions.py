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


class _PositionLoader(yaml.SafeLoader):
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
    """Parse ``text``; raises ``yaml.YAMLError`` (see ``yaml_error_at``) when it is not YAML."""
    loader = _PositionLoader(text)
    try:
        return LoadedYaml(loader.get_single_data(), loader.repeated_keys)
    finally:
        loader.dispose()


def yaml_error_at(exc: yaml.YAMLError) -> tuple[int, int, str]:
    """(0-based line, 0-based column, what is wrong) of a YAML error."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc).splitlines()[0]
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
