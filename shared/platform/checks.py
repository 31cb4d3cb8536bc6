"""Numbers from outside, checked before use: whole, finite and bounded.

Pure Python. RPC callers and HTTP clients can send anything JSON carries:
``1e308``, ``-1``, ``true`` (a bool is an int in Python), a float where a count
is meant. A limit or a count that is not a whole number inside its bounds is a
``ValueError`` naming the field, never a query with ``limit(10**308)``.
"""
import math


def whole_number(field, value, low, high):
    """``value`` as an int if it is a whole number in ``[low, high]``, else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and (not math.isfinite(value) or not value.is_integer())) \
            or not low <= value <= high:
        raise ValueError(f"{field} must be a whole number from {low} to {high}")
    return int(value)
