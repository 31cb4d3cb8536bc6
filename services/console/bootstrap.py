"""Wires what the console's handlers use, in one place.

A handler takes ``deps`` (a ``Deps``) as its first argument, never the
service: the people's repository, the templates and session policy, the
config, the other services' RPC proxies (each call made as the signed-in
person: ``caller.act_as``) and the clock.
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.console.adapters.people import PeopleRepository
from services.console.adapters.workbench import Web
from shared.contract.events import utcnow

SERVICES = ("intake", "routing", "followup", "notify", "insight", "callcentre")  # asked over RPC, as the person


@dataclass(frozen=True)
class Deps:
    people: PeopleRepository
    web: Web
    config: Mapping[str, Any]
    services: Mapping[str, Any]  # RPC proxies by service name
    caller: Any                  # shared.platform.identity.Caller: who is acting, act_as(person)
    clock: Callable[[], datetime] = utcnow


def deps(service: Any) -> Deps:
    """The worker's injected dependencies of ``service`` (a ``ConsoleService``) as ``Deps``."""
    return Deps(people=service.people, web=service.web, config=service.config,
                services={name: getattr(service, name) for name in SERVICES}, caller=service.caller)
