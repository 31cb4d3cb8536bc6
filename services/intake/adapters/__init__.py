"""Intake's I/O: the ticket repository (``tickets``), the number fence, the catalogue,
the reconciler's RPC calls, and the raw AMQP consumer of other systems' submissions."""
