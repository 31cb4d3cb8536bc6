"""insight's handlers: learning from events (``learning``) and the reports (``reports``)."""
