"""The status board at `/`: what each upstream's status page says beside what the probes
measured, with history (docs/board.md).

The bounded rings it reads (runs per probe, polls per page) live with the state, in
exporter/history.py: the state appends to them and knows nothing of the board.

  judge.py     measured success over windows, and the divergence judgement (pure)
  view.py      state + history -> one view per upstream (pure)
  strip.py     a history strip as inline SVG (pure)
  html.py      the page: HTML and CSS, no external assets (pure)
"""
