"""A department's token: what one looks like (the repository keeps only its hash)."""
import re

# What ``create_token`` hands out: ``secrets.token_urlsafe(24)``, 32 URL-safe characters.
TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{32}")


def well_formed_token(token: object) -> bool:
    """Whether ``token`` has the form of a department token (it may still be unknown)."""
    return isinstance(token, str) and TOKEN_FORMAT.fullmatch(token) is not None
