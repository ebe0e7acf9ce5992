"""`python -m exporter` is the same as the `statusprobe` console script."""

from exporter.cli import main

raise SystemExit(main())
