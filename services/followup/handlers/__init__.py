"""followup's handlers: plain functions ``(deps, message...) -> result``, one per command,
query or event. ``deps`` is ``bootstrap.Deps``; the rules they call are in ``domain/``.

* ``cases.py``: assignments from routing and every transition of a case;
* ``queries.py``: what the workbench and the departments read;
* ``files.py``: reply files; ``admin.py``: tokens, the scorecard, the calendar;
* ``intake.py``: what intake asks; ``access.py``: who asks, and what they may see.
"""
