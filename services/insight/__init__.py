"""Insight: hot spots, emerging problems and operator staffing from the requests."""
