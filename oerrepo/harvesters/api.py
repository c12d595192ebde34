"""Harvesting, as methods of :class:`oerrepo.Repository`."""

from __future__ import annotations


class HarvestMixin:
    """Harvesting methods of the Repository facade."""
