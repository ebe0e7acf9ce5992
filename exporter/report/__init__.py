"""`statusprobe report`: an outage report per upstream from what Prometheus recorded
(docs/report.md).

  times.py       --since / --until: RFC 3339, unix seconds, or a duration ago (pure)
  prometheus.py  range queries over HTTP; every failure one clear ReportError
  fetch.py       the raw exporter series the report reads (no recording rules needed)
  analyse.py     series -> episodes of trouble per upstream, with the page's admission (pure)
  chart.py       an episode's error ratio per region over the official status, as SVG (pure)
  render.py      Markdown, HTML and JSON (pure)
  command.py     the subcommand: fetch, analyse, write
"""
