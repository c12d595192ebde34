"""Shared fixtures: paths to the public reference data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

# Recorded server responses, official XML schemas and reference vocabularies live in
# ../shared beside the checkout; they are public data we read but never copy in.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """Return a path inside ../shared, or skip the test with a clear reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data not available: {path} (needs ../shared beside the checkout)")
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, not yet created data folder."""
    return tmp_path / "oer-data"
