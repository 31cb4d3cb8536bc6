"""insight's I/O: its read model (``repository``) and followup's scorecards (``followup``)."""
