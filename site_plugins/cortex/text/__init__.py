"""Text shared by the features: front matter, YAML read with positions and checked against a
schema, and where Markdown code and comments lie."""
