"""How the parts connect: the graph, related notes, unlinked mentions, citable dated pages, the feed."""
