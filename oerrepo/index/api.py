"""Full-text search, as methods of :class:`oerrepo.Repository`."""

from __future__ import annotations


class SearchMixin:
    """Full-text search methods of the Repository facade."""
