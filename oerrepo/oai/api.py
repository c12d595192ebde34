"""The OAI-PMH feed and web service, as methods of :class:`oerrepo.Repository`."""

from __future__ import annotations


class FeedMixin:
    """The OAI-PMH feed and web service methods of the Repository facade."""
