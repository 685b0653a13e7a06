"""Generated listing pages: one per tag, and an index of all tags."""

from __future__ import annotations

from cortex.model import KnowledgeBase
from cortex.notes.rendering import relative_link, tag_page


def tag_pages(kb: KnowledgeBase, tags_dir: str) -> list[tuple[str, str]]:
    """(src_uri, Markdown) of the tag index and of each tag's page, skipping any path the
    content folder already has."""
    notes = kb.vault.notes
    taken = {p.lower() for p in notes} | {p.lower() for p in kb.vault.attachments}
    out = []
    index = f"{tags_dir}/index.md"
    lines = ["---", "title: Tags", "order: 9999", "search:", "  exclude: true", "---", "", "# Tags", ""]
    for tag, paths in kb.tags.items():
        lines.append(f"- [#{tag}]({relative_link(index, tag_page(tag, tags_dir))}) ({len(paths)})")
    if not kb.tags:
        lines.append("No note carries a tag yet.")
    out.append((index, "\n".join(lines) + "\n"))
    for tag, paths in kb.tags.items():
        src = tag_page(tag, tags_dir)
        children = [
            t
            for t in kb.tags
            if t.lower().startswith(tag.lower() + "/") and t.count("/") == tag.count("/") + 1
        ]
        body = ["---", f"title: '#{tag}'", "---", "", f"# #{tag}", ""]
        body.append(f"{len(paths)} note{'s' if len(paths) != 1 else ''} tagged `#{tag}`.")
        body.append("")
        for path in sorted(paths, key=lambda p: notes[p].title.lower()):
            title = notes[path].title.replace("[", "\\[").replace("]", "\\]")
            body.append(f"- [{title}]({relative_link(src, path)})")
        if children:
            body += ["", "## Nested tags", ""]
            body += [f"- [#{t}]({relative_link(src, tag_page(t, tags_dir))})" for t in children]
        body += ["", f"[All tags]({relative_link(src, index)})"]
        out.append((src, "\n".join(body) + "\n"))
    return [(src, text) for src, text in out if src.lower() not in taken]
