"""Tracks each case: sign-for, reply, review, callback."""
