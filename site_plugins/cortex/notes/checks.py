"""Every problem in a vault's notes, as diagnostics: front matter, encoding, links, embeds."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from operator import attrgetter

from cortex.diagnostics import Code, Diagnostic, LineIndex, diagnostic
from cortex.notes.kept import same_items
from cortex.notes.links import Resolution, Status, resolve_wikilink
from cortex.notes.rendering import MAX_EMBED_DEPTH, embedded_span
from cortex.notes.vault import Note, Vault, WikiLink
from cortex.text.math import find_formulas, formula_problem


def check_vault(vault: Vault, max_embed_depth: int = MAX_EMBED_DEPTH) -> list[Diagnostic]:
    found = list(vault.diagnostics)
    embeds: dict[str, list[tuple[WikiLink, Resolution]]] = {}
    kept = dict(_kept)
    _kept.clear()
    # the vault checked last is the one this one kept its resolutions from: they still hold for
    # an unchanged note whose links land on no changed note, and need not be looked up again
    last, _checked_vault[0] = _checked_vault[0], vault.generation
    for note in vault.notes.values():
        key = (note.file, note.path)
        checked = kept.get(key)
        if not (checked is not None and checked.still_holds(note.source, vault, last)):
            resolutions = [resolve_wikilink(vault, link, note) for link in note.links]
            if checked is None or not checked.holds(note.source, resolutions):
                checked = _Checked(note.source, resolutions, link_problems(note, resolutions))
            checked.embeds[:] = _embeds(vault, note, resolutions)
        _kept[key] = checked
        found += checked.problems
        if checked.embeds:
            embeds[note.path] = checked.embeds
    found += embed_problems(vault, embeds, max_embed_depth)
    found += math_problems(vault)
    return sorted(set(found), key=lambda d: (d.path, d.line, d.col, d.message))


def _embeds(vault: Vault, note: Note, resolutions: list[Resolution]) -> list[tuple[WikiLink, Resolution]]:
    """The note's embeds of other notes that its page renders, with their resolutions."""
    found = []
    for link, r in zip(note.links, resolutions, strict=True):
        rendered = r.status not in (Status.MISSING_HEADING, Status.MISSING_BLOCK)  # as the page does
        if link.embed and r.path in vault.notes and rendered:
            found.append((link, r))
    return found


def link_problems(note: Note, resolutions: list[Resolution]) -> list[Diagnostic]:
    """The problems of a note's links (``resolutions``: each link's, in order): links through
    an alias, ambiguous links, unresolved links."""
    found = []
    label = note.file
    for link, r in zip(note.links, resolutions, strict=True):
        where = f" (in property '{link.prop}')" if link.prop else ""
        if r.alias is not None and r.path is not None:
            name = posixpath.splitext(posixpath.basename(r.path))[0]  # its stem
            message = (
                f"{link.raw} resolves through the alias '{r.alias}' of '{r.path}'; Obsidian "
                f"would not: link to [[{name}]] (or [[{name}|{r.alias}]]){where}"
            )
            found.append(diagnostic(Code.ALIAS_LINK, label, link.line, link.col, message))
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
    return found


@dataclass(frozen=True, slots=True)
class _Checked:
    """A note's link problems, with the text and the resolutions they were found from."""

    source: str
    resolutions: list[Resolution]
    problems: list[Diagnostic]
    embeds: list[tuple[WikiLink, Resolution]] = field(default_factory=list)  # its rendered embeds

    def holds(self, source: str, resolutions: list[Resolution]) -> bool:
        # a vault read again keeps the resolutions that still hold: the same objects
        return source == self.source and same_items(resolutions, self.resolutions)

    def still_holds(self, source: str, vault: Vault, checked_in: int) -> bool:
        """Whether the note is unchanged and ``vault``, read after the one it was checked in
        (``checked_in``), resolves its links to the same objects (``Vault.resolves_as``)."""
        return source == self.source and vault.resolves_as(checked_in, map(_PATH, self.resolutions))


_PATH = attrgetter("path")
# the last vault's link problems, by note (a preview checks its vault again on each rebuild),
# and which reading of its folder that vault was
_kept: dict[tuple[str, str], _Checked] = {}
_checked_vault: list[int] = [0]


Region = tuple[str, int, int]  # (note, start, end): what an embed brings in


def embed_problems(
    vault: Vault, embeds: dict[str, list[tuple[WikiLink, Resolution]]], max_depth: int
) -> list[Diagnostic]:
    """An error for each embed that closes a loop (a part of a note that ends up embedding
    itself), and a warning for each embed that is cut because embeds nest deeper than
    ``max_depth`` on some page: both as the rendering of every page meets them."""
    found: dict[tuple[str, int], Diagnostic] = {}
    seen: set[tuple[Region, int]] = set()
    loops: set[frozenset[Region]] = set()

    def visit(region: Region, chain: list[Region]) -> None:
        path, start, end = region
        if (region, len(chain)) in seen:
            return
        seen.add((region, len(chain)))
        for link, resolution in embeds.get(path, []):
            if not start <= link.start < end or resolution.path is None:
                continue
            target = vault.notes[resolution.path]
            inner = (resolution.path, *embedded_span(target, resolution, link))
            key = (path, link.start)
            if inner in chain:
                cycle = chain[chain.index(inner) :]
                if frozenset(cycle) in loops:
                    continue  # the same loop, met from another of its notes
                loops.add(frozenset(cycle))
                notes = [p for p, _, _ in cycle] + [inner[0]]
                message = "embed loop: " + " → ".join(notes) + "; the embed is cut there"
                found[key] = diagnostic(Code.EMBED_LOOP, vault.notes[path].file, link.line, link.col, message)
            elif len(chain) > max_depth:
                if key not in found:
                    route = " → ".join(p for p, _, _ in chain)
                    message = (
                        f"embed of {link.raw} is cut: embeds nest deeper than {max_depth} on the page of "
                        f"{chain[0][0]} ({route}); raise max_embed_depth to show it"
                    )
                    found[key] = diagnostic(
                        Code.EMBED_TOO_DEEP, vault.notes[path].file, link.line, link.col, message
                    )
            else:
                visit(inner, [*chain, inner])

    for path in sorted(embeds):
        note = vault.notes[path]
        whole = (path, note.body_start, len(note.source))
        visit(whole, [whole])
    return list(found.values())


def math_problems(vault: Vault) -> list[Diagnostic]:
    """A warning for each formula the site cannot typeset: it is shown as its source there."""
    found = []
    for note in vault.notes.values():
        if "$" not in note.source and "\\" not in note.source:
            continue
        lines = LineIndex(note.source)
        for offset, latex, display in find_formulas(note.source, note.body_start):
            if note.regions.covers(offset):
                continue
            problem = formula_problem(latex, display)
            if problem:
                shown = latex if len(latex) <= 60 else latex[:57] + "..."
                message = f"math `{shown}` cannot be typeset: {problem}; the page shows its source"
                found.append(diagnostic(Code.BAD_MATH, note.file, *lines(offset), message))
    return found
