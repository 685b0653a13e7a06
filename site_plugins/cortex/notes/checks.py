"""Every problem in a vault's notes, as diagnostics: front matter, encoding, links, embeds."""

from __future__ import annotations

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.notes.links import Status, resolve_wikilink
from cortex.notes.vault import Vault, WikiLink


def check_vault(vault: Vault) -> list[Diagnostic]:
    found = list(vault.diagnostics)
    embeds: dict[str, list[tuple[str, WikiLink]]] = {}
    for note in vault.notes.values():
        label = note.file
        for link in note.links:
            r = resolve_wikilink(vault, link, note)
            where = f" (in property '{link.prop}')" if link.prop else ""
            if r.status is Status.AMBIGUOUS:
                found.append(diagnostic(Code.AMBIGUOUS_LINK, label, link.line, link.col, r.message + where))
            elif r.status is not Status.OK:
                # a property naming a note not written yet is a placeholder, as in Obsidian
                code = (
                    Code.UNRESOLVED_PROPERTY_LINK
                    if link.prop and r.status is Status.MISSING
                    else Code.UNRESOLVED_LINK
                )
                found.append(
                    diagnostic(code, label, link.line, link.col, f"unresolved {link.raw}: {r.message}{where}")
                )
            if link.embed and r.found and r.path in vault.notes:
                embeds.setdefault(note.path, []).append((r.path, link))
    found += embed_loops(vault, embeds)
    return sorted(set(found), key=lambda d: (d.path, d.line, d.col, d.message))


def embed_loops(vault: Vault, embeds: dict[str, list[tuple[str, WikiLink]]]) -> list[Diagnostic]:
    """One error per embed that closes a cycle (a note that ends up embedding itself)."""
    found = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(path: str) -> None:
        state[path] = 1
        stack.append(path)
        for target, link in embeds.get(path, []):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                found.append(
                    diagnostic(
                        Code.EMBED_LOOP,
                        vault.notes[path].file,
                        link.line,
                        link.col,
                        "embed loop: " + " → ".join(cycle) + "; the embed is cut there",
                    )
                )
            elif target not in state:
                visit(target)
        stack.pop()
        state[path] = 2

    for path in sorted(embeds):
        if path not in state:
            visit(path)
    return found
