"""Linked-data export, as methods of :class:`oerrepo.Repository`."""

from __future__ import annotations


class LinkedDataMixin:
    """Linked-data export methods of the Repository facade."""
