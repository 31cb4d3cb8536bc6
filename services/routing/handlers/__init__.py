"""Routing's handlers: plain functions ``(deps, message...) -> result``, one per command or
event; ``deps`` is :class:`services.routing.bootstrap.Deps`. Each gets what it needs, calls the
domain, saves through a repository, and the unit of work publishes after."""
