"""The curriculum: pillars of topics, loaded from YAML and checked against a schema.

Notes and experiments name curriculum topics in their ``topics:`` field (by id or by title,
case-insensitively). ``check_topics`` reports names that match no topic; ``progress`` (in
``curriculum.progress``) counts what each topic has.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.error import Mark

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.text.schema import SchemaChecker, type_name
from cortex.text.yaml_positions import YamlList, YamlMapping, load_yaml, yaml_error_at

RESOURCE_KINDS = ("book", "paper", "course", "docs", "site", "other")
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


# --- schema --------------------------------------------------------------------------------------

_TOP_KEYS = ("pillars", "routine")
_PILLAR_KEYS = ("id", "title", "summary", "topics")
_TOPIC_KEYS = ("id", "title", "subtopics", "resources", "projects", "evaluation")
_RESOURCE_KEYS = ("title", "url", "kind")


class _Reader:
    """Reads the parsed YAML into the model, collecting a diagnostic for every schema violation."""

    def __init__(self, path: str) -> None:
        self.check = SchemaChecker(path, Code.INVALID_CURRICULUM)
        self.diagnostics = self.check.diagnostics
        self.topic_lines: dict[str, int] = {}
        self.topic_names: dict[str, str] = {}
        self.pillar_lines: dict[str, int] = {}

    def error(self, mark: Mark, message: str) -> None:
        self.check.error(self.check.position(mark), message)

    def warning(self, code: Code, mark: Mark, message: str) -> None:
        self.check.report(code, self.check.position(mark), message)

    def mapping(self, value: object, mark: Mark, what: str) -> YamlMapping | None:
        if isinstance(value, YamlMapping):
            return value
        self.error(mark, f"{what} must be a mapping, not {type_name(value)}")
        return None

    def keys(self, data: YamlMapping, what: str, keys: tuple[str, ...], required: tuple[str, ...]) -> None:
        self.check.unknown_keys(data, keys, what)
        self.check.required_keys(data, required, what)

    def text(self, data: YamlMapping, key: str, what: str, nonempty: bool = False) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str):
            self.error(data.value_marks[key], f"'{key}' of {what} must be text, not {type_name(value)}")
            return None
        if nonempty and not value.strip():
            self.error(data.value_marks[key], f"'{key}' of {what} must not be empty")
            return None
        return value.strip()

    def items(self, data: YamlMapping, key: str, what: str) -> list[tuple[object, Mark]]:
        """The items of the list under ``key`` with their marks; [] when absent or not a list."""
        if key not in data:
            return []
        value = data[key]
        if not isinstance(value, YamlList):
            self.error(data.value_marks[key], f"'{key}' of {what} must be a list, not {type_name(value)}")
            return []
        return list(zip(value, value.item_marks, strict=True))

    def texts(self, data: YamlMapping, key: str, what: str) -> tuple[str, ...]:
        out = []
        for item, mark in self.items(data, key, what):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self.error(mark, f"items of '{key}' in {what} must be text, not {type_name(item)}")
        return tuple(out)

    def slug(self, data: YamlMapping, what: str) -> str | None:
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

    def register_topic(self, topic: YamlMapping, topic_id: str, title: str) -> bool:
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
                    Code.AMBIGUOUS_TOPIC_NAME,
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
        return Curriculum(), [
            diagnostic(Code.UNREADABLE_FILE, path, 1, 1, f"cannot read the curriculum: {exc}")
        ]
    try:
        loaded = load_yaml(text)
    except yaml.YAMLError as exc:
        line, col, problem = yaml_error_at(exc)
        return Curriculum(), [
            diagnostic(Code.INVALID_CURRICULUM, path, line + 1, col + 1, f"invalid YAML: {problem}")
        ]
    reader = _Reader(str(path))
    reader.check.repeated_keys(loaded)
    data = loaded.data
    if data is None:
        return Curriculum(), [diagnostic(Code.EMPTY_CURRICULUM, path, 1, 1, "the curriculum file is empty")]
    curriculum = reader.curriculum(data, Mark(str(path), 0, 0, 0, None, None))  # type: ignore[arg-type]  # PyYAML allows no buffer
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


def same_project(a: str, b: str) -> bool:
    """Whether two project texts name the same project: case, spacing and a final full stop aside."""
    return _project_key(a) == _project_key(b)


def _project_key(text: str) -> str:
    return " ".join(text.split()).rstrip(".").casefold()


def check_projects(
    declared: Iterable[tuple[str, list[str], str, int]], curriculum: Curriculum
) -> list[Diagnostic]:
    """An error for each declared (project, its topics, file, line) that is not a project of one
    of those topics, listing the projects they have."""
    diagnostics = []
    for project, topic_names, path, line in declared:
        topics = [t for t in (curriculum.topic(n) for n in topic_names) if t is not None]
        offered = [p for t in topics for p in t.projects]
        if any(same_project(project, p) for p in offered):
            continue
        message = f"`project` {project!r} is not a project of the experiment's topics"
        message += "; theirs: " + "; ".join(repr(p) for p in offered) if offered else " (they list none)"
        diagnostics.append(diagnostic(Code.UNKNOWN_PROJECT, path, line, 1, message))
    return diagnostics


def check_topics(declared: Iterable[tuple[object, str, int]], curriculum: Curriculum) -> list[Diagnostic]:
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
            diagnostics.append(
                diagnostic(Code.UNKNOWN_TOPIC, path, line, 1, f"a topic must be text, not {type_name(name)}")
            )
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
        diagnostics.append(diagnostic(Code.UNKNOWN_TOPIC, path, line, 1, message))
    return diagnostics
