"""callcentre's handlers: (deps, message) -> result, one per command, query or event."""
