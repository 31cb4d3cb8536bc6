"""The doors' translation: HTTP (``http``), Open311 (``open311``), AMQP (``inbound``),
request validation at the edge (``schemas``) and the OpenAPI document (``openapi``).
The routes themselves are declared in ``service.py``."""
