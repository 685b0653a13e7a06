"""Curriculum progress: per topic and per pillar, the notes written, the experiments declared,
run and fresh, and the topics' projects carried out.

A topic is *studied* once a note or an experiment names it in `topics:`, and *done* once each of
its projects is complete: an experiment that names the topic and, in `project:`, the project has
reached `analysed` (or `reported`) with a fresh result. Its completion is half for being studied
and half for the share of its projects complete, so a tag alone never completes a topic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cortex.curriculum.model import Curriculum, Pillar, Topic, same_project

EXPERIMENT_STATES = ("fresh", "stale", "never-run")


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
class ProjectProgress:
    """One of a topic's projects and the experiments that carry it out: (experiment id, whether
    it completes the project: analysed or reported, with a fresh result)."""

    text: str
    experiments: tuple[tuple[str, bool], ...] = ()

    @property
    def complete(self) -> bool:
        return any(done for _, done in self.experiments)


@dataclass(frozen=True)
class TopicProgress(_Counts):
    topic: Topic
    notes: tuple[Any, ...]
    experiments: tuple[tuple[str, str], ...]
    projects: tuple[ProjectProgress, ...] = ()

    @property
    def studied(self) -> bool:
        """A note or an experiment names the topic."""
        return bool(self.notes or self.experiments)

    @property
    def projects_complete(self) -> int:
        return sum(p.complete for p in self.projects)

    @property
    def done(self) -> bool:
        """Studied, and every project complete (a topic that lists no project: studied)."""
        return self.studied and self.projects_complete == len(self.projects)

    @property
    def completion(self) -> float:
        """Half for being studied, half for the share of its projects complete."""
        if not self.projects:
            return 1.0 if self.studied else 0.0
        return (self.studied + self.projects_complete / len(self.projects)) / 2


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

    @property
    def topics_studied(self) -> int:
        return sum(t.studied for t in self.topics)

    @property
    def topics_done(self) -> int:
        return sum(t.done for t in self.topics)


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
    projects_by_topic: Mapping[str, Sequence[tuple[str, str, bool]]] | None = None,
) -> Progress:
    """Per topic and per pillar: notes written, experiments declared, run (fresh or stale) and
    fresh, and the projects carried out.

    Keys are topic names as declared (id or title, any case); keys naming no topic are skipped
    (``check_topics`` reports them). Experiments are (experiment id, state) pairs, the state one
    of ``EXPERIMENT_STATES``; an experiment listed twice for one topic counts once. Projects are
    (project text, experiment id, whether that experiment completes it) triples; a text that is
    none of the topic's projects is skipped (``check_projects`` reports it).
    """
    carried: dict[str, list[tuple[str, str, bool]]] = {}
    for name, triples in (projects_by_topic or {}).items():
        if (topic := curriculum.topic(name)) is not None:
            carried.setdefault(topic.id, []).extend(triples)
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
            TopicProgress(
                t,
                tuple(_distinct(notes.get(t.id, ()))),
                tuple(experiments.get(t.id, {}).items()),
                tuple(_projects(t, carried.get(t.id, ()))),
            )
            for t in pillar.topics
        )
        pillar_notes = tuple(_distinct(n for t in topics for n in t.notes))
        pillar_experiments = tuple(dict(e for t in topics for e in t.experiments).items())
        pillars.append(PillarProgress(pillar, topics, pillar_notes, pillar_experiments))
    return Progress(tuple(pillars))


def _projects(topic: Topic, carried: Sequence[tuple[str, str, bool]]) -> list[ProjectProgress]:
    """Each of the topic's projects, with the experiments that name it."""
    return [
        ProjectProgress(
            text,
            tuple({exp_id: done for project, exp_id, done in carried if same_project(project, text)}.items()),
        )
        for text in topic.projects
    ]
