"""intake: receives citizens' requests, stores tickets, publishes ticket_created.

Where things are (``service.py`` -> a handler -> the domain):

- ``service.py``      the nameko class: dependencies and thin entrypoints, each with its door
- ``bootstrap.py``    ``deps(service)``: what every handler works with
- ``handlers/``       one plain function per command or event (``tickets.accept`` takes every request)
- ``domain/``         the rules: the ``Ticket`` aggregate, repeats, checks, proofs (pure, typed)
- ``adapters/``       the repository (``tickets.py``) and other I/O
- ``entrypoints/``    a door's translation: HTTP, Open311, AMQP, request schemas, OpenAPI
"""
