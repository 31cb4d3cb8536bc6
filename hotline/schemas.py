"""Write the published message contract as JSON Schema files.

    python -m hotline.schemas [FOLDER]      # default docs/schemas

``events/<source>.<event_type>.schema.json`` for every event, and intake's
AMQP inbound ``ticket-submit`` and ``ticket-receipt``.
"""
import sys
from pathlib import Path

from shared.jsonschema import event_files, render, schema_of


def contract_files():
    from services.intake.schemas import InboundReceipt, InboundSubmission

    files = event_files()
    files["ticket-submit.schema.json"] = schema_of(
        InboundSubmission, title="ticket.submit", schema_id="ticket-submit.schema.json")
    files["ticket-receipt.schema.json"] = schema_of(
        InboundReceipt, title="ticket.receipt.<source_system>", schema_id="ticket-receipt.schema.json")
    return files


def write_all(folder):
    folder = Path(folder)
    for relative, schema in contract_files().items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    write_all(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
