"""Generated listing pages: one per tag, and an index of all tags."""

from __future__ import annotations

import yaml

from cortex.model import KnowledgeBase
from cortex.notes.rendering import relative_link, tag_page
from cortex.text.markdown import md_text


def tag_pages(kb: KnowledgeBase, tags_dir: str) -> list[tuple[str, str]]:
    """(src_uri, Markdown) of the tag index and of each tag's page, skipping any path the
    content folder already has. A tag is the user's text: it reaches the pages as literal text,
    so no tag can change their structure."""
    notes = kb.vault.notes
    taken = {p.lower() for p in notes} | {p.lower() for p in kb.vault.attachments}
    out = []
    index = f"{tags_dir}/index.md"
    lines = [front_matter({"title": "Tags", "order": 9999, "search": {"exclude": True}}), "# Tags", ""]
    for tag, paths in kb.tags.items():
        lines.append(
            f"- [{md_text('#' + tag)}]({relative_link(index, tag_page(tag, tags_dir))}) ({len(paths)})"
        )
    if not kb.tags:
        lines.append("No note carries a tag yet.")
    out.append((index, "\n".join(lines) + "\n"))
    kept = dict(_kept)
    _kept.clear()
    for tag, paths in kb.tags.items():
        children = [
            t
            for t in kb.tags
            if t.lower().startswith(tag.lower() + "/") and t.count("/") == tag.count("/") + 1
        ]
        titles = [(path, notes[path].title) for path in paths]
        made = kept.get(tag)
        if made is None or made[0] != (tags_dir, titles, children):
            made = ((tags_dir, titles, children), _tag_page(tag, titles, children, tags_dir))
        _kept[tag] = made
        out.append((tag_page(tag, tags_dir), made[1]))
    return [(src, text) for src, text in out if src.lower() not in taken]


def _tag_page(tag: str, titles: list[tuple[str, str]], children: list[str], tags_dir: str) -> str:
    """The Markdown of a tag's page: the notes it tags ((path, title), in the tag's order),
    then the tags nested one level under it."""
    src, index = tag_page(tag, tags_dir), f"{tags_dir}/index.md"
    body = [front_matter({"title": f"#{tag}"}), f"# {md_text('#' + tag)}", ""]
    body.append(f"{len(titles)} note{'s' if len(titles) != 1 else ''} tagged {md_text('#' + tag)}.")
    body.append("")
    for path, title in sorted(titles, key=lambda item: item[1].lower()):
        body.append(f"- [{md_text(title)}]({relative_link(src, path)})")
    if children:
        body += ["", "## Nested tags", ""]
        body += [f"- [{md_text('#' + t)}]({relative_link(src, tag_page(t, tags_dir))})" for t in children]
    body += ["", f"[All tags]({relative_link(src, index)})"]
    return "\n".join(body) + "\n"


# the last build's tag pages, by tag, with what they were made from (a preview makes them on
# every rebuild; a note's edit seldom changes which notes a tag has or their titles)
_kept: dict[str, tuple[tuple[str, list[tuple[str, str]], list[str]], str]] = {}


def front_matter(meta: dict[str, object]) -> str:
    """A front matter block that reads back as ``meta``, whatever text it holds."""
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n"
