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
    for tag, paths in kb.tags.items():
        src = tag_page(tag, tags_dir)
        children = [
            t
            for t in kb.tags
            if t.lower().startswith(tag.lower() + "/") and t.count("/") == tag.count("/") + 1
        ]
        body = [front_matter({"title": f"#{tag}"}), f"# {md_text('#' + tag)}", ""]
        body.append(f"{len(paths)} note{'s' if len(paths) != 1 else ''} tagged {md_text('#' + tag)}.")
        body.append("")
        for path in sorted(paths, key=lambda p: notes[p].title.lower()):
            body.append(f"- [{md_text(notes[path].title)}]({relative_link(src, path)})")
        if children:
            body += ["", "## Nested tags", ""]
            body += [f"- [{md_text('#' + t)}]({relative_link(src, tag_page(t, tags_dir))})" for t in children]
        body += ["", f"[All tags]({relative_link(src, index)})"]
        out.append((src, "\n".join(body) + "\n"))
    return [(src, text) for src, text in out if src.lower() not in taken]


def front_matter(meta: dict[str, object]) -> str:
    """A front matter block that reads back as ``meta``, whatever text it holds."""
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n"
