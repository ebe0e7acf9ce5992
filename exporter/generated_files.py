"""Writing generated files (the rules pack, the dashboards) into a directory."""

from __future__ import annotations

from pathlib import Path


def write(files: dict[str, str], directory: Path) -> list[Path]:
    """Write file name -> text into `directory` (created if missing); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in files.items():
        path = directory / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
