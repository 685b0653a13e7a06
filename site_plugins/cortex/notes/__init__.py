"""Notes: the vault read into a model, wikilinks resolved as Obsidian does, backlinks, checks,
rendering to the Markdown MkDocs reads, and tag pages."""
