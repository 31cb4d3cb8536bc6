"""The ledger (台账) collection's one write: entries whose ids were fixed beforehand.

Cases (``cases.py``) and appeals (``appeals.py``) both append to it; an id
fixed by its aggregate makes a copy made twice one entry.
"""
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


def copy_ledger(ledger, entries):
    """Insert ``entries`` into the ``ledger`` collection; one copied before is kept as it is."""
    if not entries:
        return
    try:
        ledger.insert_many([dict(e) for e in entries], ordered=False)
    except BulkWriteError as exc:  # copied before, by a worker that did not finish
        if any(e.get("code") != DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
