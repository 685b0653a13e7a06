"""The curriculum: pillars and topics as data, progress over them, and its generated pages."""
