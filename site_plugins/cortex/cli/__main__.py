"""``python -m cortex.cli``: the ``cortex`` command."""

from cortex.cli.main import main

main()
