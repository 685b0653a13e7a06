"""The curriculum: pillars of topics, loaded from YAML and checked against a schema.

Notes and experiments name curriculum topics in their ``topics:`` field (by id or by title,
case-insensitively). ``check_topics`` reports names that match no topic, and ``progress`` counts,
per topic and per pillar, the notes written and the experiments declared, run and fresh.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark

from cortex.diagnostics import Diagnostic, error, warning

RESOURCE_KINDS = ("book", "paper", "course", "docs", "site", "other")
EXPERIMENT_STATES = ("fresh", "stale", "never-run")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@dataclass(frozen=True)
class Resource:
    title: str
    kind: str
    url: str | None = None


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    pillar_id: str
    subtopics: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    projects: tuple[str, ...] = ()
    evaluation: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pillar:
    id: str
    title: str
    summary: str
    topics: tuple[Topic, ...] = ()


@dataclass(frozen=True)
class Curriculum:
    pillars: tuple[Pillar, ...] = ()
    routine: tuple[str, ...] = ()
    _by_name: dict[str, Topic] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Topic] = {}
        for topic in self.topics:
            by_name.setdefault(topic.id.casefold(), topic)
            by_name.setdefault(topic.title.casefold(), topic)
        object.__setattr__(self, "_by_name", by_name)

    @property
    def topics(self) -> tuple[Topic, ...]:
        return tuple(topic for pillar in self.pillars for topic in pillar.topics)

    def topic(self, name: str) -> Topic | None:
        """The topic whose id or title is ``name``, ignoring case and surrounding blanks."""
        return self._by_name.get(name.strip().casefold()) if isinstance(name, str) else None

    def pillar(self, pillar_id: str) -> Pillar | None:
        return next((p for p in self.pillars if p.id == pillar_id), None)


# --- YAML with positions -------------------------------------------------------------------------


class _Mapping(dict):
    """A YAML mapping that remembers where it starts and where each of its keys and values start."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.key_marks: dict[Any, Mark] = {}
        self.value_marks: dict[Any, Mark] = {}


class _Sequence(list):
    """A YAML sequence that remembers where it and each of its items start."""

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.item_marks: list[Mark] = []


class _MarkedLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings and sequences keep their nodes' start marks, and which records
    keys repeated within one mapping (PyYAML otherwise keeps the last silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated_keys: list[tuple[Any, Mark]] = []


def _construct_mapping(loader: _MarkedLoader, node: yaml.MappingNode):
    data = _Mapping(node.start_mark)
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


def _construct_sequence(loader: _MarkedLoader, node: yaml.SequenceNode):
    data = _Sequence(node.start_mark)
    yield data
    for child in node.value:
        data.append(loader.construct_object(child))
        data.item_marks.append(child.start_mark)


_MarkedLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_MarkedLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


# --- schema --------------------------------------------------------------------------------------

_TOP_KEYS = ("pillars", "routine")
_PILLAR_KEYS = ("id", "title", "summary", "topics")
_TOPIC_KEYS = ("id", "title", "subtopics", "resources", "projects", "evaluation")
_RESOURCE_KEYS = ("title", "url", "kind")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()} (quote it to make it text)"
    if isinstance(value, int | float):
        return f"the number {value} (quote it to make it text)"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


class _Reader:
    """Reads the parsed YAML into the model, collecting a diagnostic for every schema violation."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []
        self.topic_lines: dict[str, int] = {}
        self.topic_names: dict[str, str] = {}
        self.pillar_lines: dict[str, int] = {}

    def error(self, mark: Mark, message: str) -> None:
        self.diagnostics.append(error(self.path, mark.line + 1, mark.column + 1, message))

    def warning(self, mark: Mark, message: str) -> None:
        self.diagnostics.append(warning(self.path, mark.line + 1, mark.column + 1, message))

    def mapping(self, value: object, mark: Mark, what: str) -> _Mapping | None:
        if isinstance(value, _Mapping):
            return value
        self.error(mark, f"{what} must be a mapping, not {_type_name(value)}")
        return None

    def keys(self, data: _Mapping, what: str, keys: tuple[str, ...], required: tuple[str, ...]) -> None:
        for key, key_mark in data.key_marks.items():
            if key not in keys:
                self.error(key_mark, f"unknown key {key!r} in {what} (expected: {', '.join(keys)})")
        for key in required:
            if key not in data:
                self.error(data.mark, f"{what} lacks the required key '{key}'")

    def text(self, data: _Mapping, key: str, what: str, nonempty: bool = False) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str):
            self.error(data.value_marks[key], f"'{key}' of {what} must be text, not {_type_name(value)}")
            return None
        if nonempty and not value.strip():
            self.error(data.value_marks[key], f"'{key}' of {what} must not be empty")
            return None
        return value.strip()

    def items(self, data: _Mapping, key: str, what: str) -> list[tuple[object, Mark]]:
        """The items of the list under ``key`` with their marks; [] when absent or not a list."""
        if key not in data:
            return []
        value = data[key]
        if not isinstance(value, _Sequence):
            self.error(data.value_marks[key], f"'{key}' of {what} must be a list, not {_type_name(value)}")
            return []
        return list(zip(value, value.item_marks, strict=True))

    def texts(self, data: _Mapping, key: str, what: str) -> tuple[str, ...]:
        out = []
        for item, mark in self.items(data, key, what):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self.error(mark, f"items of '{key}' in {what} must be text, not {_type_name(item)}")
        return tuple(out)

    def slug(self, data: _Mapping, what: str) -> str | None:
        value = self.text(data, "id", what)
        if value is not None and not _SLUG.match(value):
            self.error(
                data.value_marks["id"],
                f"id {value!r} of {what} must be a lower-case slug like 'linear-algebra'",
            )
            return None
        return value

    def curriculum(self, data: object, mark: Mark) -> Curriculum:
        top = self.mapping(data, mark, "the curriculum")
        if top is None:
            return Curriculum()
        self.keys(top, "the curriculum", _TOP_KEYS, ("pillars",))
        pillars = [
            self.pillar(item, item_mark) for item, item_mark in self.items(top, "pillars", "the curriculum")
        ]
        routine = self.texts(top, "routine", "the curriculum")
        return Curriculum(tuple(p for p in pillars if p is not None), routine)

    def pillar(self, data: object, mark: Mark) -> Pillar | None:
        pillar = self.mapping(data, mark, "a pillar")
        if pillar is None:
            return None
        pillar_id = self.slug(pillar, "a pillar")
        what = f"pillar '{pillar_id}'" if pillar_id else "a pillar"
        self.keys(pillar, what, _PILLAR_KEYS, ("id", "title"))
        title = self.text(pillar, "title", what, nonempty=True)
        summary = self.text(pillar, "summary", what) or ""
        topics = [
            self.topic(item, item_mark, pillar_id or "")
            for item, item_mark in self.items(pillar, "topics", what)
        ]
        if pillar_id is None or title is None:
            return None
        if pillar_id in self.pillar_lines:
            self.error(
                pillar.key_marks["id"],
                f"duplicate pillar id '{pillar_id}' (first defined on line {self.pillar_lines[pillar_id]})",
            )
            return None
        self.pillar_lines[pillar_id] = pillar.key_marks["id"].line + 1
        return Pillar(pillar_id, title, summary, tuple(t for t in topics if t is not None))

    def topic(self, data: object, mark: Mark, pillar_id: str) -> Topic | None:
        topic = self.mapping(data, mark, "a topic")
        if topic is None:
            return None
        topic_id = self.slug(topic, "a topic")
        what = f"topic '{topic_id}'" if topic_id else "a topic"
        self.keys(topic, what, _TOPIC_KEYS, ("id", "title"))
        title = self.text(topic, "title", what, nonempty=True)
        resources = [
            self.resource(item, item_mark, what) for item, item_mark in self.items(topic, "resources", what)
        ]
        subtopics = self.texts(topic, "subtopics", what)
        projects = self.texts(topic, "projects", what)
        evaluation = self.texts(topic, "evaluation", what)
        if topic_id is None or title is None or not self.register_topic(topic, topic_id, title):
            return None
        resources_kept = tuple(r for r in resources if r is not None)
        return Topic(topic_id, title, pillar_id, subtopics, resources_kept, projects, evaluation)

    def register_topic(self, topic: _Mapping, topic_id: str, title: str) -> bool:
        """Records a topic's names; False (after an error) when its id is taken already."""
        id_mark = topic.key_marks["id"]
        if topic_id in self.topic_lines:
            self.error(
                id_mark,
                f"duplicate topic id '{topic_id}' (first defined on line {self.topic_lines[topic_id]})",
            )
            return False
        self.topic_lines[topic_id] = id_mark.line + 1
        for name in (topic_id, title.casefold()):
            owner = self.topic_names.setdefault(name, topic_id)
            if owner != topic_id:
                self.warning(
                    id_mark,
                    f"topic '{topic_id}' and topic '{owner}' are both named {name!r}; the name refers to '{owner}'",
                )
        return True

    def resource(self, data: object, mark: Mark, topic_what: str) -> Resource | None:
        what = f"a resource of {topic_what}"
        resource = self.mapping(data, mark, what)
        if resource is None:
            return None
        self.keys(resource, what, _RESOURCE_KEYS, ("title",))
        title = self.text(resource, "title", what, nonempty=True)
        url = self.text(resource, "url", what)
        kind = self.text(resource, "kind", what)
        kind = "other" if kind is None else kind
        if url is not None and not url.startswith(("https://", "http://")):
            self.error(resource.value_marks["url"], f"url of {what} must start with https:// or http://")
            url = None
        if kind not in RESOURCE_KINDS:
            self.error(
                resource.value_marks["kind"],
                f"kind {kind!r} of {what} must be one of: {', '.join(RESOURCE_KINDS)}",
            )
            kind = "other"
        return Resource(title, kind, url) if title is not None else None


def load_curriculum(path: Path) -> tuple[Curriculum, list[Diagnostic]]:
    """Reads the curriculum YAML. A missing file is an empty curriculum; every problem in the file
    is a diagnostic at the line and column where it occurs, and the rest of the file still loads."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Curriculum(), []
    except (OSError, UnicodeDecodeError) as exc:
        return Curriculum(), [error(path, 1, 1, f"cannot read the curriculum: {exc}")]
    loader = _MarkedLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Curriculum(), [error(path, line, col, f"invalid YAML: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return Curriculum(), [error(path, 1, 1, f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    reader = _Reader(str(path))
    for key, mark in loader.repeated_keys:
        reader.error(mark, f"key {key!r} appears twice in the same mapping; the last one wins")
    if data is None:
        return Curriculum(), [warning(path, 1, 1, "the curriculum file is empty")]
    curriculum = reader.curriculum(data, Mark(str(path), 0, 0, 0, None, None))
    return curriculum, sorted(reader.diagnostics, key=lambda d: (d.line, d.col))


def _closest(name: str, candidates: Iterable[str], cutoff: float = 0.7) -> str | None:
    """The candidate most similar to ``name``. A name of five or more characters is also compared
    with each candidate's prefix of its length, so that a shortened name ('attention') finds its topic."""
    best, best_score = None, cutoff
    for candidate in candidates:
        matcher = difflib.SequenceMatcher(None, name, candidate)
        score = matcher.ratio()
        if len(candidate) > len(name) >= 5:
            matcher.set_seq2(candidate[: len(name)])
            score = max(score, matcher.ratio())
        if score > best_score or (score == best_score and best is None):
            best, best_score = candidate, score
    return best


def check_topics(declared: Iterable[tuple[str, str, int]], curriculum: Curriculum) -> list[Diagnostic]:
    """An error for each declared (topic name, file, line) that names no topic of the curriculum.
    It suggests the topic with that exact subtopic, else the topic whose id or title is closest, else
    the topic with the closest subtopic."""
    names: dict[str, str] = {}
    subtopics: dict[str, tuple[str, str]] = {}
    for topic in curriculum.topics:
        names.setdefault(topic.id, topic.id)
        names.setdefault(topic.title.casefold(), topic.id)
        for subtopic in topic.subtopics:
            subtopics.setdefault(subtopic.casefold(), (topic.id, subtopic))
    diagnostics = []
    for name, path, line in declared:
        if not isinstance(name, str):
            diagnostics.append(error(path, line, 1, f"a topic must be text, not {_type_name(name)}"))
            continue
        if curriculum.topic(name) is not None:
            continue
        message = f"unknown topic {name!r}"
        wanted = name.strip().casefold()
        if wanted not in subtopics and (closest := _closest(wanted, names)) is not None:
            message += f"; did you mean '{names[closest]}'?"
        elif (closest := _closest(wanted, subtopics)) is not None:
            topic_id, subtopic = subtopics[closest]
            message += f"; did you mean '{topic_id}', which covers '{subtopic}'?"
        elif not names:
            message += " (the curriculum defines no topics)"
        diagnostics.append(error(path, line, 1, message))
    return diagnostics


# --- progress ------------------------------------------------------------------------------------


def _distinct(items: Iterable[Any]) -> list[Any]:
    """Items without repeats, in order; unhashable items are compared by identity."""
    seen: set[Any] = set()
    out = []
    for item in items:
        try:
            key = (True, hash(item), item)
        except TypeError:
            key = (False, id(item), None)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


class _Counts:
    """Counts over ``notes`` and ``experiments``, (experiment id, state) pairs, of a dataclass."""

    notes: tuple[Any, ...]
    experiments: tuple[tuple[str, str], ...]

    @property
    def notes_written(self) -> int:
        return len(self.notes)

    @property
    def experiments_declared(self) -> int:
        return len(self.experiments)

    @property
    def experiments_run(self) -> int:
        return sum(state != "never-run" for _, state in self.experiments)

    @property
    def experiments_fresh(self) -> int:
        return sum(state == "fresh" for _, state in self.experiments)


@dataclass(frozen=True)
class TopicProgress(_Counts):
    topic: Topic
    notes: tuple[Any, ...]
    experiments: tuple[tuple[str, str], ...]

    @property
    def completion(self) -> float:
        """Half for having been learnt, half for having been tested: 0.5 once at least one note is
        written on the topic, plus 0.5 times the share of its declared experiments whose results are
        fresh. Stale and never-run experiments add nothing, and a topic with no experiment declared
        stops at 0.5: a topic is complete when it is written up and every experiment on it is current."""
        learnt = 1.0 if self.notes else 0.0
        tested = self.experiments_fresh / self.experiments_declared if self.experiments else 0.0
        return (learnt + tested) / 2


@dataclass(frozen=True)
class PillarProgress(_Counts):
    """Counts over the pillar's distinct notes and experiments (one tagged with two of its topics
    counts once); completion is the mean completion of its topics, each topic weighing the same."""

    pillar: Pillar
    topics: tuple[TopicProgress, ...]
    notes: tuple[Any, ...]
    experiments: tuple[tuple[str, str], ...]

    @property
    def completion(self) -> float:
        return sum(t.completion for t in self.topics) / len(self.topics) if self.topics else 0.0


@dataclass(frozen=True)
class Progress:
    pillars: tuple[PillarProgress, ...]

    @property
    def completion(self) -> float:
        """The mean completion of all topics of the curriculum."""
        topics = [t for p in self.pillars for t in p.topics]
        return sum(t.completion for t in topics) / len(topics) if topics else 0.0

    def topic(self, topic_id: str) -> TopicProgress | None:
        return next((t for p in self.pillars for t in p.topics if t.topic.id == topic_id), None)

    def pillar(self, pillar_id: str) -> PillarProgress | None:
        return next((p for p in self.pillars if p.pillar.id == pillar_id), None)


def progress(
    curriculum: Curriculum,
    notes_by_topic: Mapping[str, Sequence[Any]],
    experiments_by_topic: Mapping[str, Sequence[tuple[str, str]]],
) -> Progress:
    """Per topic and per pillar: notes written, experiments declared, run (fresh or stale) and fresh.

    Keys are topic names as declared (id or title, any case); keys naming no topic are skipped
    (``check_topics`` reports them). Experiments are (experiment id, state) pairs, the state one
    of ``EXPERIMENT_STATES``; an experiment listed twice for one topic counts once.
    """
    notes: dict[str, list[Any]] = {}
    experiments: dict[str, dict[str, str]] = {}
    for name, items in notes_by_topic.items():
        if (topic := curriculum.topic(name)) is not None:
            notes.setdefault(topic.id, []).extend(items)
    for name, pairs in experiments_by_topic.items():
        if (topic := curriculum.topic(name)) is not None:
            for experiment_id, state in pairs:
                if state not in EXPERIMENT_STATES:
                    raise ValueError(f"unknown experiment state {state!r} for {experiment_id!r}")
                experiments.setdefault(topic.id, {}).setdefault(experiment_id, state)
    pillars = []
    for pillar in curriculum.pillars:
        topics = tuple(
            TopicProgress(t, tuple(_distinct(notes.get(t.id, ()))), tuple(experiments.get(t.id, {}).items()))
            for t in pillar.topics
        )
        pillar_notes = tuple(_distinct(n for t in topics for n in t.notes))
        pillar_experiments = tuple(dict(e for t in topics for e in t.experiments).items())
        pillars.append(PillarProgress(pillar, topics, pillar_notes, pillar_experiments))
    return Progress(tuple(pillars))
