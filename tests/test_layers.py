"""The layers: model → store → index / harvesters / oai / linked → Repository → cli, wsgi, web.

A module imports only from layers to its left: nothing below the facade imports it (or
the shells above it), so every part can be read, tested and reused on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "oerrepo"
# The facade and the shells over it; everything else is below the facade.
ABOVE = ("oerrepo.repository", "oerrepo.cli", "oerrepo.commands", "oerrepo.wsgi", "oerrepo.web", "oerrepo.__main__")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved (also those inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_of(path.read_text(encoding="utf-8"), package)


def _imports_of(source: str, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _below_the_facade() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if _module_name(p) != "oerrepo" and not _module_name(p).startswith(ABOVE)]


def test_no_module_below_the_facade_imports_it_or_the_shells_over_it():
    offenders = {
        _module_name(path): sorted(m for m in _imports(path) if m.startswith(ABOVE))
        for path in _below_the_facade()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_an_import_of_the_facade():
    # What loop.py imported before the parts were explicit: relative, and inside a function.
    source = "def f():\n    from ..repository import Repository\n    from .. import wsgi\n"
    found = _imports_of(source, "oerrepo.harvesters")
    assert {"oerrepo.repository", "oerrepo.wsgi"} <= found
