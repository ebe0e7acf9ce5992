"""The HTTP layer: the aiohttp app and its routes (app), binding and signals (server),
the landing page, the status API and `/probe` (multi_target)."""
