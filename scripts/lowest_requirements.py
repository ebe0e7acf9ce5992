"""Print the lowest version every runtime dependency in pyproject.toml allows, as pins.

    python scripts/lowest_requirements.py > /tmp/lowest.txt
    pip install -c /tmp/lowest.txt -e '.[test]'

CI installs these (`.ci/run`) and runs the suite without the end-to-end tests, so a floor
that pyproject.toml declares is a floor that was tested. A dependency without a floor
(`>=`) is left to the resolver.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_FLOOR = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:[^#]*?)>=\s*([0-9][^,;\s]*)")


def floors(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """{distribution name: lowest allowed version} of [project].dependencies with a `>=`."""
    project = tomllib.loads(pyproject.read_text())["project"]
    out = {}
    for requirement in project["dependencies"]:
        match = _FLOOR.match(requirement)
        if match:
            out[match.group(1)] = match.group(2)
    return out


def main() -> int:
    for name, version in sorted(floors().items()):
        print(f"{name}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
