"""The MkDocs adapter: the ``cortex`` plugin and the small pieces its events hand work to."""
