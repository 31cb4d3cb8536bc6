"""Assigns each ticket to the responsible department and sets its deadline.

Where things are (service.py -> handler -> domain):

* ``service.py`` -- ``RoutingService``: the doors (events, RPC, timers), each one call into a handler;
* ``bootstrap.py`` -- ``Deps``: the repositories, knowledge, clock, caller and unit of work handlers get;
* ``handlers/`` -- ``decisions`` (a new ticket, a refusal, a dispatcher's assignment and re-dispatch,
  the queue), ``directory``, ``calendar``, ``learning`` (history, training), ``intake`` (numbers,
  decisions again), ``upkeep`` (timers);
* ``domain/`` -- the ``Decision`` aggregate and the events it causes (``decision``), the decision
  order (``rules``), the department directory (``directory``), the keyword learner (``keywords``);
* ``adapters/`` -- one repository per aggregate (``decisions``, ``directory``, ``calendar``,
  ``learning``, ``numbers``) and the in-memory ``knowledge`` each instance keeps fresh;
* ``learning/`` -- the learned classifier: train, evaluate, read history, synthesise it.
"""
