"""Recognise, describe and combine open licences.

Every licence value oerrepo reads, harvested or typed, goes through :func:`normalize`.
It maps SPDX ids, Creative Commons deed and legal-code URLs, licence titles in common
EU languages and everyday shorthand to one :class:`License`::

    >>> normalize("http://www.creativecommons.org/licenses/by-sa/4.0/deed.de").id
    'CC-BY-SA-4.0'
    >>> normalize("CC BY-NC").notes
    ('no version given: read as version 4.0',)

Decisions every caller can rely on:

* ``License.id`` is always an id from the SPDX licence list (3.27). The Public Domain
  Mark is ``CC-PDM-1.0``; SPDX lists it, so no private id is needed.
* ``License.url`` is one canonical URL per licence. Creative Commons tools use
  ``https://creativecommons.org/...`` with no ``www.``, a trailing slash and no
  ``legalcode``/``deed`` part; every other licence uses
  ``https://spdx.org/licenses/<id>.html``.
* A Creative Commons licence without a version is read as version 4.0, a bare
  "public domain" as the Public Domain Mark 1.0 (a statement about a work's status,
  not a waiver by its rights holder, which CC0 would be), a GNU licence without
  "only" or "or later" as the ``-only`` variant (as SPDX reads its deprecated
  ``GPL-3.0``), and a jurisdiction port without an SPDX id as the generic licence
  of the same version. Each such reading is recorded in ``License.notes``.
* Access statements ("info:eu-repo/semantics/openAccess") and copyright notices
  ("All rights reserved") are not licences: :func:`normalize` raises
  :class:`~oerrepo.errors.UnknownLicense` and :func:`try_normalize` returns None.
"""

from __future__ import annotations

from .attributions import attribution
from .combination import Compatibility, combine
from .policy import LicensePolicy
from .reading import MAX_LENGTH, filter_urls, normalize, try_normalize
from .statements import RightsReading, read_rights
from .table import License, known, versions_of

__all__ = [
    "MAX_LENGTH",
    "Compatibility",
    "License",
    "LicensePolicy",
    "RightsReading",
    "attribution",
    "combine",
    "filter_urls",
    "known",
    "normalize",
    "read_rights",
    "try_normalize",
    "versions_of",
]
