"""Routing's rules, pure Python: the directory and the decision order.

The pieces live in their own modules; this is the one place to import them from:

* ``directory`` -- departments (职责清单) and the dispatch catalogue (派单目录);
* ``decide`` -- catalogue, zone, learner (with a confidence), place, person;
* ``classifier`` -- the trained text model and the keyword fallback;
* ``refusals`` -- what happens when a department refuses a ticket (退单).
"""
from services.routing.decide import DEFAULT_THRESHOLD, Decision, decide, ticket_text  # noqa: F401
from services.routing.directory import Department, Directory  # noqa: F401

__all__ = ["DEFAULT_THRESHOLD", "Decision", "Department", "Directory", "decide", "ticket_text"]
