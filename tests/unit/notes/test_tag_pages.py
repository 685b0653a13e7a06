"""A tag's page lists its notes by title, and one made again after an edit is the page a
first build makes: a preview keeps the pages whose notes and titles are unchanged."""

from __future__ import annotations

from cortex.model import load
from cortex.notes import tag_pages as tag_pages_module
from cortex.notes.tag_pages import tag_pages


def pages(content) -> dict[str, str]:
    return dict(tag_pages(load(content), "tags"))


def first_build(content) -> dict[str, str]:
    """What a process that never made tag pages before makes."""
    kept = dict(tag_pages_module._kept)
    tag_pages_module._kept.clear()
    try:
        return pages(content)
    finally:
        tag_pages_module._kept.clear()
        tag_pages_module._kept.update(kept)


def test_tag_pages_made_again_are_what_a_first_build_makes(write_vault):
    content = write_vault(
        {
            "Alpha.md": "---\ntags: [gpu, ml/rl]\n---\n# Alpha\n",
            "Beta.md": "---\ntags: [gpu]\n---\n# Beta\n",
            "Gamma.md": "---\ntags: [ml]\n---\n# Gamma\n",
        }
    )
    before = pages(content)
    assert before == first_build(content)
    gpu = before["tags/gpu.md"]
    assert gpu.index("[Alpha]") < gpu.index("[Beta]") and "2 notes tagged" in gpu
    assert "[#ml/rl]" in before["tags/ml.md"]  # a nested tag under its parent

    steps = [
        ("Beta.md", "---\ntags: [gpu]\n---\n# Aardvark\n"),  # retitled: the page's order changes
        ("Gamma.md", "---\ntags: [ml, gpu]\n---\n# Gamma\n"),  # a note more under a tag
        ("Alpha.md", "---\ntags: [ml/rl]\n---\n# Alpha\n"),  # one fewer
        ("Delta.md", "---\ntags: [ml/sl]\n---\n# Delta\n"),  # a new nested tag
    ]
    for name, text in steps:
        (content / name).write_text(text, "utf-8")
        made = pages(content)
        assert made == first_build(content), name
        assert made != before, name
        before = made
    gpu = made["tags/gpu.md"]
    assert gpu.index("[Aardvark]") < gpu.index("[Gamma]") and "[Alpha]" not in gpu
    assert "[#ml/sl]" in made["tags/ml.md"]
