"""insight's edge: what it accepts (``schemas``), its HTTP answers (``http``) and what its
OpenAPI document names (``openapi``)."""
