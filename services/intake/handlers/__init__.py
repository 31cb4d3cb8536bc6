"""Intake's handlers: plain functions ``(deps, message...) -> result``, one per command or event.

``tickets``    taking a request in (``accept``), operators' verbs on a ticket
``status``     the status view, one function per event of the other services
``reconcile``  the reconciler's round, its repairs and findings
``numbering``  ticket numbers issued once
``lookups``    the public's lookups by proof, and the phone's rate limit
``open311``    the Open311 endpoints
``inbound``    submissions from other systems over AMQP
``keys``       API keys and the knowledge base
``search``     finding tickets (the workbench)
``privacy``    erasure of personal data
``errors``     what handlers refuse with
"""
