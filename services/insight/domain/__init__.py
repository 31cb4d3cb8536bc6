"""insight's figures, pure and typed: the forecast and Erlang C staffing (``forecast``,
``erlang``, ``staffing``), spikes and hot spots (``spikes``, ``hotspots``), emerging terms
(``terms``) and the month's problems (``problems``), over the records of ``requests``."""
