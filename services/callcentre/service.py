"""callcentre: the phone floor.

A PBX reports its calls in the shape of Zammad's generic CTI API -- over HTTP,
``POST /cti/{token}`` (form or JSON), or from a source system's own AMQP client on
``hotline.inbound`` (``call.event``). Each event is stored once and the call's record
folded from all of its events, whatever their order (``domain/calls.py``).
callcentre publishes ``call_ringing`` and ``call_ended``, keeps the missed callers'
queue (漏接回拨), the agents' states, and the floor's figures beside insight's plan.

RPC (the workbench's): ``ringing_for``, ``get_call``, ``floor_agents``, ``set_agent_state``,
``missed_callers``, ``claim_missed_caller``, ``record_callback``, ``floor_figures``;
administrators: ``rotate_cti_token``. HTTP (``CALLCENTRE_HTTP``): ``POST /cti/<token>``.
"""
from nameko.dependency_providers import Config

from services.callcentre import bootstrap
from services.callcentre.adapters.calls import CallRepository
from services.callcentre.domain.callbacks import CannotWork
from services.callcentre.entrypoints.cti import AMQP_QUEUE
from services.callcentre.handlers import admin, callbacks, doors, queries
from services.callcentre.handlers.queries import BadQuery
from shared.platform import openapi, ops
from shared.platform.doors import Doors, People, Public, Source, door
from shared.platform.identity import STAFF_ROLES, Identity
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import republish_stale
from shared.platform.production import ProductionChecks
from shared.platform.rawqueue import consume_raw
from shared.platform.timer import every
from shared.platform.web import http

FLOOR = ("operator", "callback", "supervisor", "admin")


class CallcentreService(ops.Operable):
    name = "callcentre"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline callcentre", "version": "1",
                    "description": "The PBX's door: call events in the shape of Zammad's generic CTI API."}
    openapi_schemas = {"Health": {"type": "object", "required": ["service", "status"],
                                  "properties": {"service": {"type": "string"}, "status": {"type": "string"}}},
                       "Empty": {"type": "object"}}

    production = ProductionChecks()
    calls = Store(CallRepository)
    config = Config()
    caller = Identity()
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    insight = RpcProxy("insight")

    # -- the PBX's doors (handlers.doors) ------------------------------------------------

    @openapi.operation("A call event (Zammad's generic CTI API: newCall, answer, hangup)", tags=["cti"],
                       responses={200: "Empty"}, errors=(400, 404))
    @door(Public())  # the token in the path is the proof, checked by the handler
    @http("POST", "/cti/<string:token>")
    def http_cti_event(self, request, token):
        return doors.http_event(bootstrap.deps(self), request, token)

    @door(Source())
    @consume_raw(AMQP_QUEUE, requeue_on_error=True)
    def on_call_event(self, body, properties):
        doors.amqp_event(bootstrap.deps(self), body, properties)

    # -- the workbench (handlers.queries, handlers.callbacks) ------------------------------

    @door(People("operator", "supervisor", "admin"))
    @rpc
    def ringing_for(self, operator):
        """Calls ringing now for ``operator``, the caller's number in full (the screen pop)."""
        return queries.ringing_for(bootstrap.deps(self), operator)

    @door(People(*FLOOR))
    @rpc
    def get_call(self, call_id):
        return queries.get_call(bootstrap.deps(self), call_id)

    @door(People(*FLOOR))
    @rpc
    def floor_agents(self):
        return queries.floor_agents(bootstrap.deps(self))

    @door(People(*FLOOR))
    @rpc(expected_exceptions=BadQuery)
    def set_agent_state(self, state, agent=None):
        return queries.set_state(bootstrap.deps(self), state, agent)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def floor_figures(self, params=None):
        """``{"day"}`` or ``{"from", "to"}`` (local dates), ``{"by": "hour"|"queue"|"operator"}``."""
        return queries.floor_figures(bootstrap.deps(self), params)

    @door(People(*FLOOR))
    @rpc
    def missed_callers(self, open_only=True):
        return callbacks.missed_callers(bootstrap.deps(self), open_only)

    @door(People("callback", "operator"))
    @rpc(expected_exceptions=CannotWork)
    def claim_missed_caller(self, key):
        return callbacks.claim(bootstrap.deps(self), key)

    @door(People("callback", "operator"))
    @rpc(expected_exceptions=CannotWork)
    def record_callback(self, key, outcome, note=""):
        """``outcome``: reached, not_reached or wrong_number."""
        return callbacks.record_outcome(bootstrap.deps(self), key, outcome, note)

    # -- administration (handlers.admin) ----------------------------------------------------

    @door(People("admin"))
    @rpc
    def rotate_cti_token(self):
        """A new token for the CTI door (shown once); the old one stops working."""
        return admin.rotate_token(bootstrap.deps(self))

    @door(Public())
    @rpc
    def ping(self):
        return "callcentre"

    @every("PRIVACY_ERASE_INTERVAL", default=3600)
    def erase_numbers(self):
        """Forget the numbers of calls ended ``PERSONAL_DATA_RETENTION_DAYS`` ago."""
        return admin.erase_numbers(bootstrap.deps(self))

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.calls.outbox, self.dispatch)
