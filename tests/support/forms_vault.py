"""A vault that writes every form of Obsidian's Markdown the site renders: math with each
delimiter (display math starting and ending inside a paragraph too), callouts of several types,
folded and nested, with a list and an embed inside, highlights, lists nested by 2 and 3 spaces
and by tabs, a mermaid diagram, audio and video embeds, and one formula that cannot be read."""

from __future__ import annotations

FORMS = """# Every form

Inline math $e^{i\\pi} + 1 = 0$ and \\(a^2 + b^2 = c^2\\) in a sentence, and a price of $5 and $10.
A display formula right after a paragraph line:
$$
\\sum_{i=1}^{n} |x_i| \\le \\frac{n(n+1)}{2}
$$
and text right after it. Inline display $$\\int_0^1 x\\,dx = \\tfrac12$$ inside a line.

A broken formula: $\\frac{a}{$ stays as source.

> [!note] A note with a *title*
> Body text with ==highlighted words== and a [[Other]] link.
> - item one
>   - nested two
> ![[Other#Section]]

> [!tip]- Folded tip
> Hidden until opened, with $\\alpha$ inside.

> [!warning]+ Open warning
> > [!faq] Nested question
> > Inside.

1. Step one
   - detail a
   - detail b
2. Step two
  1. sub one
  2. sub two
3. Step three
4. Step four

- Tab nesting
\t- child
\t\t- grandchild

```mermaid
graph LR
  A --> B
```

![[talk.mp3]]
![[demo.mp4]]
"""

OTHER = "# Other\n\n## Section\n\nEmbedded section text with $x^2$.\n"

FORMS_FILES: dict[str, str | bytes] = {
    "Every form.md": FORMS,
    "Other.md": OTHER,
    "media/talk.mp3": b"ID3\x03\x00\x00\x00\x00\x00\x00",
    "media/demo.mp4": b"\x00\x00\x00\x18ftypmp42",
}
BROKEN_FORMULA_LINE = FORMS.splitlines().index("A broken formula: $\\frac{a}{$ stays as source.") + 1
