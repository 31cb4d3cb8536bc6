"""Watches deadlines, escalates late cases, sends notifications."""
