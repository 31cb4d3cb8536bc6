"""Tests of operate/: backups, the management plugin."""
