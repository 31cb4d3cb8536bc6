"""Write the published contract: JSON Schema of the messages, OpenAPI of the HTTP routes.

    python -m operate.schemas [FOLDER]      # default docs/schemas (and docs/openapi beside it)

``events/<source>.<event_type>.schema.json`` for every event, intake's AMQP
inbound ``ticket-submit`` and ``ticket-receipt``, and
``../openapi/<service>.json`` for every service with HTTP routes
(``OPENAPI_SERVICES``: a new one adds its line there).
"""
import importlib
import sys
from pathlib import Path

from shared.contract.jsonschema import event_files, render, schema_of

# Every service that serves HTTP, and so /openapi.json: name -> "module:Class".
OPENAPI_SERVICES = {
    "intake": "services.intake.service:IntakeService",
    "followup": "services.followup.service:FollowupService",
    "insight": "services.insight.service:InsightService",
    "routing": "services.routing.service:RoutingService",
    "notify": "services.notify.service:NotifyService",
    "callcentre": "services.callcentre.service:CallcentreService",
    "console": "services.console.service:ConsoleService",
}


def service_class(name):
    module, _, cls = OPENAPI_SERVICES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def openapi_files():
    """``{"<service>.json": rendered document}``."""
    from shared.platform import openapi

    return {f"{name}.json": openapi.render(openapi.document(service_class(name))) for name in OPENAPI_SERVICES}


def contract_files():
    from services.intake.entrypoints.schemas import InboundReceipt, InboundSubmission, ProgressReceipt

    files = event_files()
    files["ticket-submit.schema.json"] = schema_of(
        InboundSubmission, title="ticket.submit", schema_id="ticket-submit.schema.json")
    files["ticket-receipt.schema.json"] = schema_of(
        InboundReceipt, title="ticket.receipt.<source_system>", schema_id="ticket-receipt.schema.json")
    files["ticket-progress.schema.json"] = schema_of(
        ProgressReceipt, title="ticket.receipt.<source_system> (progress)", schema_id="ticket-progress.schema.json")
    return files


def write_all(folder):
    folder = Path(folder)
    for relative, schema in contract_files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema), encoding="utf-8")
        print(f"wrote {path}")
    apis = folder.parent / "openapi"
    apis.mkdir(parents=True, exist_ok=True)
    for relative, text in openapi_files().items():
        (apis / relative).write_text(text, encoding="utf-8")
        print(f"wrote {apis / relative}")


if __name__ == "__main__":
    write_all(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
