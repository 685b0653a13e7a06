"""Helpers shared by the tests: paths, real builds, parsed HTML, fixtures."""
