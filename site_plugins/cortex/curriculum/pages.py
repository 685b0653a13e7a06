"""Generated curriculum pages: ``curriculum/index.md``, a progress dashboard over the pillars,
and ``curriculum/<pillar-id>.md``, one page per pillar listing each topic's subtopics,
resources, projects, evaluation, and the notes and experiments that declare it in their
``topics:`` front matter, with the progress computed from them."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cortex.curriculum.model import Curriculum, Topic, check_projects, check_topics
from cortex.curriculum.progress import PillarProgress, ProjectProgress, TopicProgress, progress
from cortex.diagnostics import Diagnostic, line_col
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import experiment_page_path, link_from
from cortex.experiments.pages import VERDICT_STATUSES, state_badge
from cortex.experiments.store import ResultSet
from cortex.notes.vault import Note
from cortex.text.front_matter import split_front_matter
from cortex.text.markdown import md_text

OVERVIEW_PATH = "curriculum/index.md"


def pillar_page_path(pillar_id: str) -> str:
    return f"curriculum/{pillar_id}.md"


@dataclass
class TopicUses:
    """Who declares which topic: topic name as written -> note paths, -> (experiment id, state),
    and -> (project, experiment id, whether it completes the project); ``declared`` is every
    (name, file, line) for ``check_topics``, ``declared_projects`` every (project, topics, file,
    line) for ``check_projects``."""

    notes: dict[str, list[str]] = field(default_factory=dict)
    experiments: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    projects: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    declared: list[tuple[object, str, int]] = field(default_factory=list)
    declared_projects: list[tuple[str, list[str], str, int]] = field(default_factory=list)


def topic_uses(notes: Mapping[str, Note], content_root: Path, results: ResultSet) -> TopicUses:
    """The ``topics:`` of every note (``vault.notes``) and experiment declaration."""
    uses = TopicUses()
    for path, note in sorted(notes.items()):
        if note.virtual:  # an experiment declaration: counted below as an experiment
            continue
        label = note.file or str(Path(content_root) / path)
        for name, line in note_topics(note):
            uses.declared.append((name, label, line))
            if isinstance(name, str):
                uses.notes.setdefault(name, []).append(path)
    for exp_id, spec in sorted(results.specs.items()):
        state = results.state(exp_id).state
        complete = spec.status in VERDICT_STATUSES and state == "fresh"
        for name, line in experiment_topics(spec):
            uses.declared.append((name, str(spec.path), line))
            uses.experiments.setdefault(name, []).append((exp_id, state))
            if spec.project:
                uses.projects.setdefault(name, []).append((spec.project, exp_id, complete))
        if spec.project:
            uses.declared_projects.append(
                (spec.project, spec.topics, str(spec.path), spec.line_of("project"))
            )
    return uses


def note_topics(note: Note) -> list[tuple[object, int]]:
    """Each topic a note's front matter names, with the file line it is written on."""
    topics = note.meta.get("topics") if isinstance(note.meta, dict) else None
    if topics is None:
        return []
    names = topics if isinstance(topics, list) else [topics]
    fm = split_front_matter(note.source)
    first_line = line_col(note.source, fm.raw_start)[0]
    lines = _item_lines(fm.raw, len(names))
    return [(name, first_line + line) for name, line in zip(names, lines, strict=True)]


def _item_lines(raw: str, count: int) -> list[int]:
    """0-based lines, within the front matter, of the ``topics`` value's items."""
    try:
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return [0] * count
    for key, value in node.value if isinstance(node, yaml.MappingNode) else []:
        if isinstance(key, yaml.ScalarNode) and key.value == "topics":
            if isinstance(value, yaml.SequenceNode) and len(value.value) == count:
                return [item.start_mark.line for item in value.value]
            return [key.start_mark.line] * count
    return [0] * count


def experiment_topics(spec: ExperimentSpec) -> list[tuple[str, int]]:
    return [(name, spec.line_of("topics", i)) for i, name in enumerate(spec.topics)]


def curriculum_pages(
    curriculum: Curriculum, uses: TopicUses, notes: Mapping[str, Note], results: ResultSet
) -> tuple[dict[str, str], list[Diagnostic]]:
    """The overview and one page per pillar, as {site path: Markdown}, and a diagnostic for
    every topic name that names no topic."""
    diagnostics = check_topics(uses.declared, curriculum) + check_projects(uses.declared_projects, curriculum)
    done = progress(curriculum, uses.notes, uses.experiments, uses.projects)
    pages = {OVERVIEW_PATH: _overview(curriculum, done.pillars, done.completion)}
    for pillar_progress in done.pillars:
        page = pillar_page_path(pillar_progress.pillar.id)
        pages[page] = _pillar_page(page, pillar_progress, notes, results)
    return pages, diagnostics


def progress_summary(curriculum: Curriculum, uses: TopicUses, page_path: str) -> str:
    """The curriculum's overall progress and each pillar's, as a short list linking to them."""
    if not curriculum.pillars:
        return "*The curriculum defines no pillars yet.*"
    done = progress(curriculum, uses.notes, uses.experiments, uses.projects)
    base = posixpath.dirname(page_path) or "."
    overview = posixpath.relpath(OVERVIEW_PATH, base)
    lines = [f"[Curriculum]({overview}): {progress_bar(done.completion)}", ""]
    for item in done.pillars:
        link = posixpath.relpath(pillar_page_path(item.pillar.id), base)
        lines.append(f"- [{md_text(item.pillar.title)}]({link}) {progress_bar(item.completion)}")
    return "\n".join(lines)


def progress_bar(completion: float) -> str:
    percent = round(completion * 100)
    return (
        f'<span class="cortex-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
        f'aria-valuenow="{percent}" title="{percent} % complete"><span class="cortex-progress-bar" '
        f'style="width: {percent}%"></span></span> {percent} %'
    )


def _counts(item: TopicProgress | PillarProgress) -> str:
    return (
        f"{item.notes_written} note(s); {item.experiments_declared} experiment(s), "
        f"{item.experiments_run} run, {item.experiments_fresh} fresh"
    )


def _overview(curriculum: Curriculum, pillars: tuple[PillarProgress, ...], completion: float) -> str:
    parts = ["# Curriculum"]
    if not pillars:
        return parts[0] + "\n\nThe curriculum defines no pillars yet (`content/curriculum/pillars.yaml`).\n"
    parts.append(f"Overall progress: {progress_bar(completion)}")
    rows = [
        [
            f"[{md_text(p.pillar.title)}]({p.pillar.id}.md)",
            str(len(p.topics)),
            str(p.topics_studied),
            str(p.topics_done),
            str(p.notes_written),
            f"{p.experiments_run} / {p.experiments_fresh}",
            progress_bar(p.completion),
        ]
        for p in pillars
    ]
    header = (
        "| Pillar | Topics | Studied | Done | Notes | Experiments run / fresh | Progress |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n"
    )
    parts.append(header + "\n".join("| " + " | ".join(r) + " |" for r in rows))
    parts.append(
        "A topic is **studied** once a note or an experiment names it (its id or title) in its "
        "`topics:` front matter: that is half of it. It is **done** once each of its projects is "
        "complete: an experiment that names the topic, and the project in `project:`, has reached "
        "`analysed` or `reported` with a fresh result. A pillar's progress is the mean over its topics."
    )
    if curriculum.routine:
        parts.append(
            "## How to work through it\n\n" + "\n".join(f"- {md_text(r)}" for r in curriculum.routine)
        )
    return "\n\n".join(parts) + "\n"


def _pillar_page(page: str, item: PillarProgress, notes: Mapping[str, Note], results: ResultSet) -> str:
    pillar = item.pillar
    parts = [f"# {md_text(pillar.title)}"]
    if pillar.summary:
        parts.append(md_text(pillar.summary))
    parts.append(f"Progress: {progress_bar(item.completion)} ({_counts(item)}). [All pillars](index.md)")
    parts += [_topic_section(page, t, notes, results) for t in item.topics]
    return "\n\n".join(parts) + "\n"


def _topic_section(page: str, item: TopicProgress, notes: Mapping[str, Note], results: ResultSet) -> str:
    topic: Topic = item.topic
    standing = "done" if item.done else "studied" if item.studied else "not studied yet"
    parts = [
        f"## {md_text(topic.title)} {{#{topic.id}}}",
        f"{progress_bar(item.completion)} **{standing}** ({_counts(item)})",
    ]
    if topic.subtopics:
        parts.append("**Subtopics:** " + ", ".join(md_text(s) for s in topic.subtopics))
    if topic.resources:
        parts.append(
            "**Resources:**\n\n"
            + "\n".join(
                f"- [{md_text(r.title)}]({r.url}) ({r.kind})" if r.url else f"- {md_text(r.title)} ({r.kind})"
                for r in topic.resources
            )
        )
    if item.projects:
        parts.append("**Projects:**\n\n" + "\n".join(_project_line(page, p, results) for p in item.projects))
    if topic.evaluation:
        parts.append("**Evaluation:**\n\n" + "\n".join(f"- {md_text(e)}" for e in topic.evaluation))
    note_links = [
        f"- [{md_text(notes[p].title if p in notes else p)}]({link_from(page, p)})" for p in item.notes
    ]
    parts.append("**Notes:**\n\n" + "\n".join(note_links) if note_links else "**Notes:** none yet.")
    experiment_links = []
    for exp_id, _state in item.experiments:
        spec = results.specs.get(exp_id)
        title = spec.title if spec else exp_id
        badge = state_badge(results.records.get(exp_id), results.state(exp_id))
        experiment_links.append(
            f"- [{md_text(title)}]({link_from(page, experiment_page_path(exp_id))}) {badge}"
        )
    parts.append(
        "**Experiments:**\n\n" + "\n".join(experiment_links)
        if experiment_links
        else "**Experiments:** none yet."
    )
    return "\n\n".join(parts)


def _project_line(page: str, project: ProjectProgress, results: ResultSet) -> str:
    """A project, whether it is complete, and the experiments that carry it out."""
    links = []
    for exp_id, _done in project.experiments:
        spec = results.specs[exp_id]
        badge = state_badge(results.records.get(exp_id), results.state(exp_id))
        link = link_from(page, experiment_page_path(exp_id))
        links.append(f"[{md_text(spec.title)}]({link}) ({md_text(spec.status)}) {badge}")
    if project.complete:
        mark = "✓ complete"
    elif links:
        mark = "under way"
    else:
        mark = "not started"
    return f"- **{mark}**: {md_text(project.text)}" + (" — " + "; ".join(links) if links else "")
