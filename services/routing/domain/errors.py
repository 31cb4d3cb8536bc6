"""What routing refuses, with the reason (RPC callers see it as ``RemoteError``)."""
import json
from collections.abc import Mapping


class RoutingError(Exception):
    """A request routing refuses, with the reason."""


class Invalid(RoutingError):
    """Field errors, as JSON ``{field: [message]}``."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = dict(errors)


class DirectoryInvalid(Invalid):
    """A department to add or change, or who changes it, is not right."""


class ProposalInvalid(Invalid):
    """A decision on a proposed catalogue edit, or a listing of them, is not right."""


class CalendarInvalid(Invalid):
    """A calendar file, or a question about deadlines, is not right."""


class NumberReused(Exception):
    """intake announced a ticket under a number routing holds for another ticket."""
