"""Routing's learned classifier, beside the domain: what it learns from and how it is measured.

* ``classifier`` -- the trained text model (``TextModel``) and its file format;
* ``training`` -- training from what routing learned, and the confidence threshold;
* ``evaluate`` -- cross-validated figures: accuracy, coverage at a precision, calibration;
* ``history`` -- reading a city's dispatch history (CSV, JSON, Excel exports);
* ``synthetic`` -- a small synthetic Chinese history, for tests and demos.

No nameko or store imports: the service (``services.routing.handlers.learning``) and the
offline commands use it alike.
"""
