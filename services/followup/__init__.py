"""Tracks each case: sign-for, reply, review, callback.

Where things are (a rule is two hops from ``service.py``):

* ``service.py``: ``FollowupService``, its doors (RPC, HTTP, events, timers), each one
  handler call;
* ``bootstrap.py``: ``deps(service)``, the dependencies every handler takes first;
* ``handlers/``: one function per command, query or event -- load, call the domain, save;
* ``domain/``: the ``Case`` and its rules (transitions, deadlines, the quality gate, the
  scorecard), plain typed Python;
* ``adapters/``: the case repository (MongoDB) and what followup asks of intake;
* ``entrypoints/``: HTTP's translation (``http.py``) and the OpenAPI schemas (``api.py``).
"""
