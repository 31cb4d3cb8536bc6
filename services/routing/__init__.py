"""Assigns each ticket to the responsible department and sets its deadline."""
