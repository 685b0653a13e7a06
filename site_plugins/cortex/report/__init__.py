"""``cortex report``: one experiment as a self-contained document (PDF through Typst, Typst
source, LaTeX source or Markdown), built from the same core the site is built from, so every
number, table, figure and reference reads as it does on the experiment's page."""
