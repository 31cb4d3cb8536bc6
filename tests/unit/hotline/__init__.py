"""Tests of the hotline CLI."""
