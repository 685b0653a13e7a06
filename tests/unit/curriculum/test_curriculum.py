from pathlib import Path
from textwrap import dedent

import pytest
from support.paths import REPO

from cortex.curriculum.model import RESOURCE_KINDS, Curriculum, Pillar, Topic, check_topics, load_curriculum
from cortex.curriculum.progress import progress

SHIPPED = REPO / "content" / "curriculum" / "pillars.yaml"


@pytest.fixture(scope="module")
def shipped() -> Curriculum:
    curriculum, diagnostics = load_curriculum(SHIPPED)
    assert [str(d) for d in diagnostics] == []
    return curriculum


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "pillars.yaml"
    path.write_text(dedent(text).lstrip("\n"), encoding="utf-8")
    curriculum, diagnostics = load_curriculum(path)
    return curriculum, [(d.line, d.col, d.level.value, d.message) for d in diagnostics]


# --- the shipped curriculum ----------------------------------------------------------------------


def test_shipped_curriculum_has_eleven_pillars_with_complete_topics(shipped):
    assert len(shipped.pillars) == 11
    assert shipped.pillar("nlp-llm") is not None and len(shipped.pillar("nlp-llm").topics) == 10
    for pillar in shipped.pillars:
        assert pillar.title and pillar.summary and pillar.topics, pillar.id
        for topic in pillar.topics:
            assert topic.pillar_id == pillar.id
            assert topic.subtopics and topic.resources and topic.projects and topic.evaluation, topic.id
            for resource in topic.resources:
                assert resource.kind in RESOURCE_KINDS
                assert resource.url is None or resource.url.startswith(("https://", "http://"))
    assert shipped.routine


def test_shipped_ids_are_unique(shipped):
    pillar_ids = [p.id for p in shipped.pillars]
    topic_ids = [t.id for t in shipped.topics]
    assert len(set(pillar_ids)) == len(pillar_ids) == 11
    assert len(set(topic_ids)) == len(topic_ids)
    titles = [t.title.casefold() for t in shipped.topics]
    assert len(set(titles)) == len(titles)


@pytest.mark.parametrize(
    ("topic_id", "pillar_id"),
    [
        ("attention-mechanisms", "deep-learning"),
        ("optimization-techniques", "deep-learning"),
        ("high-performance-computing", "programming-and-tools"),
        ("hardware-acceleration", "ai-systems"),
        ("model-optimization", "ai-systems"),
    ],
)
def test_shipped_topics_cover_the_projects_own_work(shipped, topic_id, pillar_id):
    topic = shipped.topic(topic_id)
    assert topic is not None and topic.pillar_id == pillar_id


# --- schema diagnostics --------------------------------------------------------------------------


def test_unknown_keys_are_reported_at_the_key(tmp_path):
    curriculum, diagnostics = load_text(
        tmp_path,
        """
        pillars:
          - id: maths
            title: Maths
            colour: blue
            topics:
              - id: algebra
                title: Algebra
                subtopic: [Groups]
                resources:
                  - {title: A book, kind: book, pages: 300}
        extra: 1
        """,
    )
    assert [d[:3] for d in diagnostics] == [
        (4, 5, "error"),
        (8, 9, "error"),
        (10, 41, "error"),
        (11, 1, "error"),
    ]
    assert "unknown key `colour` in pillar 'maths'" in diagnostics[0][3]
    assert "unknown key `subtopic` in topic 'algebra'" in diagnostics[1][3]
    assert "`pages`" in diagnostics[2][3]
    assert "`extra` in the curriculum" in diagnostics[3][3]
    # the rest still loads
    assert curriculum.topic("algebra").resources[0].title == "A book"


def test_wrong_types_are_reported_at_the_value(tmp_path):
    curriculum, diagnostics = load_text(
        tmp_path,
        """
        routine: Study daily
        pillars:
          - id: maths
            title: Maths
            topics:
              - id: algebra
                title: 42
              - id: geometry
                title: Geometry
                subtopics: [Points, yes, Lines]
                projects: Draw a triangle
                resources:
                  - just a title
                  - {title: Euclid, kind: scroll, url: "ftp://example.org"}
          - not a pillar
        """,
    )
    assert [d[:2] for d in diagnostics] == [
        (1, 10),
        (7, 16),
        (10, 29),
        (11, 19),
        (13, 13),
        (14, 35),
        (14, 48),
        (15, 5),
    ]
    messages = [d[3] for d in diagnostics]
    assert "'routine' of the curriculum must be a list, not text" in messages[0]
    assert "'title' of topic 'algebra' must be text, not the number 42" in messages[1]
    assert "must be text, not the boolean true (quote it" in messages[2]
    assert "'projects' of topic 'geometry' must be a list" in messages[3]
    assert "a resource of topic 'geometry' must be a mapping" in messages[4]
    assert "kind 'scroll'" in messages[5]
    assert "url of a resource" in messages[6]
    assert "a pillar must be a mapping" in messages[7]
    # the bad topic is dropped, the bad items are dropped, the rest stays
    assert curriculum.topic("algebra") is None
    geometry = curriculum.topic("geometry")
    assert geometry.subtopics == ("Points", "Lines")
    assert geometry.projects == ()
    assert [(r.title, r.kind, r.url) for r in geometry.resources] == [("Euclid", "other", None)]


def test_duplicate_ids_point_at_the_second_id_key(tmp_path):
    curriculum, diagnostics = load_text(
        tmp_path,
        """
        pillars:
          - id: maths
            title: Maths
            topics:
              - id: algebra
                title: Algebra
              - title: Algebra again
                id: algebra
          - id: physics
            title: Physics
            topics:
              - {id: algebra, title: Physics algebra}
              - {id: optics, title: Optics}
          - id: maths
            title: Maths again
        """,
    )
    assert diagnostics == [
        (8, 9, "error", "duplicate topic id 'algebra' (first defined on line 5)"),
        (12, 10, "error", "duplicate topic id 'algebra' (first defined on line 5)"),
        (14, 5, "error", "duplicate pillar id 'maths' (first defined on line 2)"),
    ]
    assert [t.id for t in curriculum.topics] == ["algebra", "optics"]
    assert curriculum.topic("algebra").title == "Algebra"


def test_repeated_key_missing_key_and_bad_slug(tmp_path):
    _, diagnostics = load_text(
        tmp_path,
        """
        pillars:
          - id: maths
            title: Maths
            title: Mathematics
            topics:
              - title: No id
              - id: Linear Algebra
                title: Linear algebra
        """,
    )
    assert [d[:2] for d in diagnostics] == [(4, 5), (6, 9), (7, 13)]
    assert "key `title` appears twice" in diagnostics[0][3]
    assert "a topic is missing `id`" in diagnostics[1][3]
    assert "must be a lower-case slug" in diagnostics[2][3]


def test_yaml_syntax_error_gives_empty_curriculum_and_one_diagnostic(tmp_path):
    curriculum, diagnostics = load_text(
        tmp_path,
        """
        pillars:
          - id: maths
            title: [unclosed
          - id: physics
        """,
    )
    assert curriculum.pillars == ()
    assert len(diagnostics) == 1
    line, _, level, message = diagnostics[0]
    assert level == "error" and message.startswith("invalid YAML") and line >= 3


def test_missing_empty_and_non_mapping_files(tmp_path):
    assert load_curriculum(tmp_path / "absent.yaml") == (Curriculum(), [])
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    curriculum, diagnostics = load_curriculum(empty)
    assert curriculum.pillars == () and [d.level.value for d in diagnostics] == ["warning"]
    _, diagnostics = load_text(tmp_path, "- a\n- b\n")
    assert diagnostics == [(1, 1, "error", "the curriculum must be a mapping, not a list")]


def test_diagnostic_renders_with_path_line_and_column(tmp_path):
    path = tmp_path / "pillars.yaml"
    path.write_text("pillars: []\nextra: 1\n", encoding="utf-8")
    _, diagnostics = load_curriculum(path)
    assert str(diagnostics[0]).endswith(
        "pillars.yaml:2:1: error: unknown key `extra` in the curriculum (allowed: pillars, routine)"
    )


# --- lookup and topic checks ---------------------------------------------------------------------


def test_topic_lookup_by_id_or_title_ignoring_case(shipped):
    by_id = shipped.topic("attention-mechanisms")
    assert by_id is not None and by_id.title == "Attention Mechanisms"
    assert shipped.topic("  attention MECHANISMS ") is by_id
    assert shipped.topic("Attention-Mechanisms") is by_id
    assert shipped.topic("attention") is None
    assert Curriculum().topic("anything") is None


def test_check_topics_accepts_known_names(shipped):
    declared = [("linear-algebra", "notes/a.md", 3), ("Optimization Techniques", "experiments/b.md", 5)]
    assert check_topics(declared, shipped) == []


def test_check_topics_reports_unknown_names_with_suggestions(shipped):
    declared = [
        ("atention-mechanisms", "notes/a.md", 4),
        ("Adam", "experiments/sum.md", 7),
        ("quantum gravity", "notes/b.md", 2),
        (3, "notes/c.md", 9),
    ]
    diagnostics = check_topics(declared, shipped)
    assert [(d.path, d.line, d.level.value) for d in diagnostics] == [
        ("notes/a.md", 4, "error"),
        ("experiments/sum.md", 7, "error"),
        ("notes/b.md", 2, "error"),
        ("notes/c.md", 9, "error"),
    ]
    assert (
        diagnostics[0].message == "unknown topic 'atention-mechanisms'; did you mean 'attention-mechanisms'?"
    )
    assert (
        diagnostics[1].message
        == "unknown topic 'Adam'; did you mean 'optimization-techniques', which covers 'Adam'?"
    )
    assert diagnostics[2].message == "unknown topic 'quantum gravity'"
    assert "must be text" in diagnostics[3].message
    assert str(diagnostics[0]) == "notes/a.md:4:1: error: " + diagnostics[0].message


def test_check_topics_against_an_empty_curriculum():
    [diagnostic] = check_topics([("algebra", "notes/a.md", 1)], Curriculum())
    assert diagnostic.message == "unknown topic 'algebra' (the curriculum defines no topics)"


# --- progress ------------------------------------------------------------------------------------


@pytest.fixture
def small() -> Curriculum:
    algebra = Topic("algebra", "Algebra", "maths", projects=("Solve a system.", "Invert a matrix."))
    geometry = Topic("geometry", "Geometry", "maths", projects=("Draw a circle.",))
    maths = Pillar("maths", "Maths", "", (algebra, geometry))
    physics = Pillar("physics", "Physics", "", (Topic("optics", "Optics", "physics"),))
    return Curriculum((maths, physics))


def test_progress_counts_per_topic_and_pillar(small):
    notes = {"algebra": ["n1", "n2"], "ALGEBRA": ["n1"], "Geometry": ["n2"], "unknown": ["n9"]}
    experiments = {
        "algebra": [("e1", "fresh"), ("e2", "stale"), ("e3", "never-run")],
        "geometry": [("e1", "fresh")],
        "optics": [("e4", "stale"), ("e4", "stale")],
    }
    projects = {
        "algebra": [("solve a system", "e1", True), ("Invert a matrix.", "e2", False), ("Fly.", "e3", True)],
        "geometry": [("Draw a circle.", "e1", True)],
    }
    result = progress(small, notes, experiments, projects)

    algebra = result.topic("algebra")
    assert (
        algebra.notes_written,
        algebra.experiments_declared,
        algebra.experiments_run,
        algebra.experiments_fresh,
    ) == (
        2,
        3,
        2,
        1,
    )
    # studied, and one of its two projects complete ("Fly." is none of its projects)
    assert [(p.text, p.complete) for p in algebra.projects] == [
        ("Solve a system.", True),
        ("Invert a matrix.", False),
    ]
    assert algebra.studied and not algebra.done
    assert algebra.completion == pytest.approx((1 + 1 / 2) / 2)
    geometry = result.topic("geometry")
    assert (geometry.notes_written, geometry.experiments_fresh, geometry.completion) == (1, 1, 1.0)
    assert geometry.done
    optics = result.topic("optics")  # named by an experiment: studied; it lists no project
    assert (optics.notes_written, optics.experiments_declared, optics.experiments_run, optics.completion) == (
        0,
        1,
        1,
        1.0,
    )
    assert optics.done

    maths = result.pillar("maths")
    # n2 and e1 belong to two topics of the pillar and count once
    assert (
        maths.notes_written,
        maths.experiments_declared,
        maths.experiments_run,
        maths.experiments_fresh,
    ) == (
        2,
        3,
        2,
        1,
    )
    assert maths.completion == pytest.approx(((1 + 1 / 2) / 2 + 1.0) / 2)
    assert (maths.topics_studied, maths.topics_done) == (2, 1)
    assert result.pillar("physics").completion == 1.0  # optics lists no project: studied is all it asks
    assert result.completion == pytest.approx(((1 + 1 / 2) / 2 + 1.0 + 1.0) / 3)


def test_progress_completion_edges(small):
    result = progress(small, {"algebra": ["note"]}, {"geometry": [("e1", "never-run")]})
    assert result.topic("algebra").completion == 0.5  # a tag alone: studied, not done
    assert result.topic("geometry").completion == 0.5  # named by an experiment that has not run
    assert result.topic("optics").completion == 0.0  # nothing names it
    stale = progress(
        small, {}, {"geometry": [("e1", "stale")]}, {"geometry": [("Draw a circle.", "e1", False)]}
    )
    assert stale.topic("geometry").completion == 0.5 and not stale.topic("geometry").projects[0].complete
    empty = progress(Curriculum(), {}, {})
    assert empty.pillars == () and empty.completion == 0.0


def test_progress_counts_unhashable_notes_by_identity(small):
    shared = {"title": "shared note"}
    twin = {"title": "shared note"}
    result = progress(small, {"algebra": [shared, twin], "geometry": [shared]}, {})
    assert result.topic("algebra").notes_written == 2
    assert result.pillar("maths").notes_written == 2


def test_progress_rejects_an_unknown_experiment_state(small):
    with pytest.raises(ValueError, match="unknown experiment state 'done'"):
        progress(small, {}, {"algebra": [("e1", "done")]})
