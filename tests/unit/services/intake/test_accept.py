"""``accept`` as a plain function over a ``Deps``: no nameko, the in-memory store.

A number taken meanwhile is a lost race: the unit of work runs the work again
with the next number, and publishes only what the winning attempt saved."""
import datetime as dt
from types import SimpleNamespace

from services.intake.adapters.tickets import TicketRepository
from services.intake.bootstrap import Deps
from services.intake.domain.reconcile import ReconcileRules
from services.intake.handlers.tickets import accept
from shared.platform import memory_store

NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.UTC)
REQUEST = {"title": "小区门口路灯不亮", "description": "三盏路灯坏了一周", "district": "崂山区",
           "caller_phone": "13853212345"}


class Fence:
    def series_on(self, moment):
        return f"QD-{moment:%Y%m%d}"

    def before_issuing(self, repository, series):
        pass


def deps_over(tickets, published):
    return Deps(tickets=tickets, keys=tickets.keys, clock=SimpleNamespace(now=lambda: NOW), config={}, city={"districts": [
        {"name": "崂山区"}]}, catalogue=SimpleNamespace(entries=lambda: []), fence=Fence(),
        reconciling=SimpleNamespace(rules=ReconcileRules.from_config({})),
        dispatch=lambda event_type, payload: published.append((event_type, payload["number"])),
        dead_letters=None, receipts=None, limits=None, caller=None, metrics=None, knowledge=tickets.knowledge)


def test_a_number_taken_meanwhile_is_skipped_and_only_the_winner_is_published():
    tickets = TicketRepository(memory_store.client()[f"accept_{id(object())}"], {})
    tickets.ensure_indexes()
    published = []
    deps = deps_over(tickets, published)
    first = accept(deps, REQUEST)
    assert first["outcome"] == "created" and first["number"] == "QD-20261127-00001"
    tickets.counters.delete_many({})  # the counter lost: its next number is taken
    again = accept(deps, dict(REQUEST, title="路灯又坏了", caller_phone="13953212345"))
    assert again["number"] == "QD-20261127-00002"
    assert published == [("ticket_created", "QD-20261127-00001"), ("ticket_created", "QD-20261127-00002")]


def test_the_same_idempotency_key_answers_the_ticket_accepted_before():
    tickets = TicketRepository(memory_store.client()[f"accept_{id(object())}"], {})
    tickets.ensure_indexes()
    published = []
    deps = deps_over(tickets, published)
    first = accept(deps, REQUEST, idempotency="rpc:k1")
    again = accept(deps, REQUEST, idempotency="rpc:k1")
    assert again["outcome"] == "existing" and again["number"] == first["number"]
    assert len(published) == 1


class Counted(TicketRepository):
    """A repository that counts the reads of a ticket's view (its history, its repeats)."""

    views = 0

    def history_of(self, ticket, *args, **kwargs):
        self.views += 1
        return super().history_of(ticket, *args, **kwargs)

    def linked_to(self, number):
        self.views += 1
        return super().linked_to(number)


def test_a_door_that_answers_a_receipt_does_not_read_the_view():
    tickets = Counted(memory_store.client()[f"accept_{id(object())}"], {})
    tickets.ensure_indexes()
    deps = deps_over(tickets, [])
    receipt = accept(deps, REQUEST, viewed=False)
    assert tickets.views == 0
    assert receipt["outcome"] == "created" and receipt["status"] == "received"
    assert receipt["number"] == receipt["received_as"] == "QD-20261127-00001" and receipt["lookup_code"]
    viewed = accept(deps, dict(REQUEST, caller_phone="13953212345", title="路灯又坏了"))
    assert tickets.views == 2 and viewed["history"] and viewed["linked"] == []
