"""Routing's adapters: one repository per aggregate over routing's database, and the
in-memory knowledge (directory, model, calendar) each instance keeps fresh."""
