"""The site for people: search, resource pages, "Can I combine these?" and coordinator pages.

Server-rendered with Jinja2 (autoescaped), translated with Babel's gettext catalogues,
styled and scripted by the two static files in this package; it calls the
:class:`~oerrepo.Repository` only and never changes the catalogue.
"""

from .site import Site, wants_html

__all__ = ["Site", "wants_html"]
