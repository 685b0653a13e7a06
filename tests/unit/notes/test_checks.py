"""What `cortex check` says about a vault's notes: embeds that loop or nest too deep, a note
embedding another part of itself, and properties of the wrong type or written twice."""

from __future__ import annotations

from pathlib import Path

from cortex.model import load
from cortex.notes.rendering import RenderOptions, render_note


def diagnostics(vault: Path, **options) -> list[tuple[str, int, str, str]]:
    kb = load(vault, **options)
    return [(Path(d.path).name, d.line, d.code.value, d.message) for d in kb.diagnostics]


def test_embedding_another_section_of_the_same_note_is_no_loop(write_vault):
    vault = write_vault({"Self.md": "# Self\n\n## One\n\n![[Self#Two]]\n\n## Two\n\nThe second part.\n"})
    assert diagnostics(vault) == []
    kb = load(vault)
    html = render_note(kb.vault, kb.notes["Self.md"])
    assert html.count("The second part.") == 2  # transcluded under One, and in its own place
    assert "embed loop" not in html


def test_a_section_that_embeds_itself_is_a_loop(write_vault):
    vault = write_vault({"Self.md": "# Self\n\n## One\n\n![[Self#One]]\n"})
    (found,) = diagnostics(vault)
    assert found[:3] == ("Self.md", 5, "embed-loop")


def test_an_embed_cut_by_the_depth_limit_is_reported_where_it_is_written(write_vault):
    vault = write_vault(
        {f"N{i}.md": f"# N{i}\n\n![[N{i + 1}]]\n" for i in range(4)} | {"N4.md": "# N4\n\nEnd.\n"}
    )
    assert diagnostics(vault, max_embed_depth=4) == []
    (cut,) = diagnostics(vault, max_embed_depth=3)
    assert cut[:3] == ("N3.md", 3, "embed-too-deep")
    assert "on the page of N0.md (N0.md → N1.md → N2.md → N3.md)" in cut[3]
    kb = load(vault, max_embed_depth=3)
    page = render_note(kb.vault, kb.notes["N0.md"], options=RenderOptions(max_embed_depth=3))
    assert "embeds nested deeper than 3" in page


def test_properties_of_the_wrong_type_or_written_twice_are_warnings(write_vault):
    vault = write_vault(
        {
            "P.md": "---\ntitle: [a, b]\naliases: {}\ntags: [ok, 5, {nested: map}]\ndescription: 3\ncite: x\ncite: y\n---\n# P\n"
        }
    )
    found = {(line, code) for _, line, code, _ in diagnostics(vault)}
    assert {(2, "property-type"), (3, "property-type"), (4, "property-type"), (5, "property-type")} <= found
    assert (7, "duplicate-property") in found
    kb = load(vault)
    note = kb.notes["P.md"]
    assert (note.title, note.aliases, note.tags) == ("P", [], ["ok"])


def test_an_alias_bomb_is_refused_not_expanded(write_vault):
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"{k}: &{k} [{', '.join([f'*{p}'] * 10)}]" for p, k in zip("abcde", "bcdef", strict=True)]
    vault = write_vault({"Bomb.md": "---\n" + "\n".join(rows) + "\n---\n# Bomb\n"})
    ((name, _, code, message),) = diagnostics(vault)
    assert (name, code) == ("Bomb.md", "invalid-front-matter") and "more than 100,000 values" in message


def test_a_vault_checked_again_reports_what_a_first_check_does(write_vault):
    """A preview checks its vault on each rebuild and keeps each note's link problems while its
    text and its links' resolutions hold: after each edit the report equals a first check's."""
    from cortex.notes import checks

    vault = write_vault(
        {
            "A.md": "# A\n\n## Part\n\nSee [[B#Part]], [[Gone]] and [[Alias B]].\n",
            "B.md": "---\naliases: [Alias B]\n---\n# B\n\n## Part\n\nSee [[A#Part]].\n",
            "C.md": "# C\n\nNothing yet.\n",
        }
    )

    def first_check() -> list:
        checks._kept.clear()
        return diagnostics(vault)

    edits = [
        ("B.md", "## Part", "## Whole"),  # A's link to B's heading breaks; A's text is unchanged
        ("C.md", "Nothing yet.", "Now [[A#Part]] and [[Gone]]."),
        ("B.md", "## Whole", "## Part"),  # and mends
        ("A.md", "[[Gone]]", "[[C]]"),
    ]
    report = diagnostics(vault)
    assert report == first_check()
    for name, old, new in edits:
        diagnostics(vault)  # the check before the edit, which the next one keeps from
        path = vault / name
        path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
        again = diagnostics(vault)
        assert again == first_check(), (name, new)
        assert again != report  # each edit changes what is reported
        report = again


def test_a_check_keeps_nothing_across_a_reading_it_did_not_check(write_vault):
    """A vault read but not checked in between (its resolutions kept by the next reading) does
    not let the next check take the link problems it kept from the one before."""
    from cortex.notes.vault import load_vault

    vault = write_vault({"A.md": "# A\n\nSee [[B#Part]].\n", "B.md": "# B\n\n## Part\n"})
    assert diagnostics(vault) == []
    (vault / "B.md").write_text("# B\n\n## Whole\n", "utf-8")
    load_vault(vault)  # read, not checked: B changed since the check
    broken = diagnostics(vault)  # this reading changed nothing since the one before
    assert [(name, code) for name, _, code, _ in broken] == [("A.md", "unresolved-link")]  # no heading Part
