"""The house's rules, read from the source: arrows between rooms point one way; rooms and files stay readable.

A room is a package or module directly under `storefront/` (`config`, `container`, `accounts`, …).
`create_app` in `storefront/__init__.py` wires every room together and is the one place that imports them all.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "storefront"
MAX_FILE_LINES = 400
MAX_ROOM_FILES = 12
MAX_ROOM_LINES = 2500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every storefront module this file imports, at the top, inside functions or under TYPE_CHECKING."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("storefront.")}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _room_arrows() -> dict[tuple[str, str], set[str]]:
    """(from room, to room) -> the files that make that arrow."""
    rooms = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()}
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in _sources():
        if path == PACKAGE / "__init__.py":
            continue
        source = _room(_module_name(path))
        for target in _imports(path):
            room = _room(target)
            if room and room in rooms and source and room != source:
                arrows[(source, room)].add(str(path.relative_to(PACKAGE.parent)))
    return arrows


def test_no_two_rooms_import_each_other() -> None:
    arrows = _room_arrows()
    both_ways = sorted(
        f"{a} <-> {b} ({', '.join(sorted(arrows[(a, b)]))} / {', '.join(sorted(arrows[(b, a)]))})"
        for a, b in arrows
        if a < b and (b, a) in arrows
    )
    assert both_ways == []


def test_audio_depends_on_nothing_of_ours() -> None:
    assert sorted(b for a, b in _room_arrows() if a == "audio") == []


def test_no_file_over_the_limit() -> None:
    long_files = sorted(
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in _sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    )
    assert long_files == []


def test_no_room_over_the_limit() -> None:
    too_big = []
    for folder in sorted({p.parent for p in _sources()}):
        files = sorted(folder.glob("*.py"))
        lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
        if len(files) > MAX_ROOM_FILES or lines > MAX_ROOM_LINES:
            too_big.append(f"{folder.relative_to(PACKAGE.parent)}: {len(files)} files, {lines} lines")
    assert too_big == []
