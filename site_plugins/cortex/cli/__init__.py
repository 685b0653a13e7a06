"""The ``cortex`` command."""

from cortex.cli.main import main

__all__ = ["main"]
