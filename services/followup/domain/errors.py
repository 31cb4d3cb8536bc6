"""What followup refuses, by kind: each an RPC's expected exception, each an HTTP status."""


class TransitionRefused(Exception):
    """The case is not in a state where this makes sense."""


class InvalidRequest(Exception):
    """The request itself is wrong; ``errors`` maps each field to its errors."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class UnknownCase(Exception):
    """No case has this number."""


class NotAuthorized(Exception):
    """No valid department token."""


class NotYourCase(Exception):
    """The case belongs to another department."""


class NumberReused(Exception):
    """An assignment names a case's number but another ticket (received at another time)."""


class CaseChanged(Exception):
    """The case changed between reading and writing it, again and again; read it again and retry.

    What a caller hears when the unit of work lost its race every time it tried
    (``shared.platform.unit_of_work.LostRace``)."""
