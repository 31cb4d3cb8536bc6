"""Routing's domain, pure Python (no nameko, pymongo or marshmallow; mypy strict).

* ``directory`` -- departments (职责清单) and the dispatch catalogue (派单目录);
* ``keywords`` -- a learner's suggestion, and the directory's keywords as a learner;
* ``rules`` -- the decision order: catalogue, zone, learner (with a confidence), place, person;
* ``decision`` -- the :class:`~services.routing.domain.decision.Decision` aggregate: a ticket's
  decision, refusals (退单), a dispatcher's assignment and re-dispatch, and the events they cause;
* ``errors`` -- what routing refuses, and why.

The trained text model lives beside it, in :mod:`services.routing.learning`.
"""
