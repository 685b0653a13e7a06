"""Citations: Pandoc citation syntax, BibTeX loaded with pybtex, references formatted, which page
cites what, bibliographies, and arXiv import."""
