"""The Cortex: a research knowledge base that rebuilds its own results.

``cortex.load(content_dir)`` reads a content folder and the project around it (experiments,
results, references, curriculum) into one :class:`KnowledgeBase`, with every problem in the
user's files as a :class:`Diagnostic`. The MkDocs plugin, the Snakemake rules, the ``cortex``
command and the runner are adapters over it.

The names below are imported on first use, so ``import cortex`` stays cheap for the runner,
which needs neither MkDocs nor pybtex.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Diagnostic", "KnowledgeBase", "__version__", "load"]

_EXPORTS = {"load": "cortex.model", "KnowledgeBase": "cortex.model", "Diagnostic": "cortex.diagnostics"}

if TYPE_CHECKING:
    from cortex.diagnostics import Diagnostic
    from cortex.model import KnowledgeBase, load


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cortex' has no attribute {name!r}")
