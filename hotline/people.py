"""Who the ``hotline`` CLI acts as.

The CLI is the tool of the people who run the servers: it needs the broker's
password and ``IDENTITY_SECRET``. Every call it makes carries a signed
identity ``cli:<Unix login>``, with every hotline role (no department), and
the name given with ``--by`` (or ``--reviewer``/``--operator``, else
``$HOTLINE_OPERATOR``, else the login) as the name the services record. The
ledger therefore shows both who was named and, in ``actor_id``, which login
on which tool did it. People who are not server operators use the workbench.
"""
import getpass
import os

from shared.platform.config import load_config
from shared.platform.identity import STAFF_ROLES, Person, context_for, secret_from


def login():
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return str(os.getuid())


def cli_person(by=None):
    name = (by or os.environ.get("HOTLINE_OPERATOR") or login()).strip()
    return Person(f"cli:{login()}", name, STAFF_ROLES, None, "cli")


def cli_context(by=None, config=None):
    return context_for(cli_person(by), secret_from(config or load_config(), warn=False))
