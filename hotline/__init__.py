"""The hotline command line: run the stack locally, submit, query."""
