"""The console's handlers: one module per kind of work, one function per page.

Each takes ``deps`` (``services.console.bootstrap.Deps``) and the ``View`` of
the request (``services.console.web``), asks the other services over RPC as
the signed-in person, and answers a ``Page``, a ``Redirect`` or a ``Download``.
"""
