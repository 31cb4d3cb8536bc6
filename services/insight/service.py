"""insight: hot spots, emerging problems and operator staffing.

Builds its own read model from the events -- ``intake.ticket_created`` for
arrivals (time, channel, category, district, text), ``routing.ticket_assigned``
for the department, followup's events for outcomes -- and from imports of
history (``import_history``). Reports are computed from that model alone, so
analysis never loads the operational services or their databases.

RPC: ``import_history``, ``hotspots``, ``staffing``, ``top_problems``.
HTTP (``INSIGHT_HTTP``): ``GET /insight/hotspots[.png]?from=&to=``,
``GET /insight/staffing[.png]?week=``, ``GET /insight/top-problems?month=``.
"""
import json
import logging

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from werkzeug.wrappers import Response

from services.insight import api as insight_api
from services.insight import charts, reports
from services.insight.schemas import load_query
from services.insight.store import InsightRepository
from shared.contract import events
from shared.platform import openapi, ops
from shared.platform.city import City
from shared.platform.doors import Doors, People, Public, door
from shared.platform.identity import STAFF_ROLES
from shared.platform.messaging import DeadLetters, Topology, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.privacy import scrub
from shared.platform.production import ProductionChecks
from shared.platform.web import http

log = logging.getLogger(__name__)


class BadQuery(Exception):
    """A report was asked for with invalid parameters; the message is JSON
    mapping each field to its errors."""

    def __init__(self, errors):
        super().__init__(json.dumps(errors, ensure_ascii=False))
        self.errors = errors


def json_response(status, body):
    return status, {"Content-Type": "application/json; charset=utf-8"}, \
        json.dumps(body, ensure_ascii=False, default=str)


def png_response(data):
    return Response(data, status=200, mimetype="image/png")


class InsightService(ops.Operable):
    name = "insight"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = insight_api.INFO
    openapi_schemas = insight_api.SCHEMAS

    production = ProductionChecks()
    requests = Store(InsightRepository)
    config = Config()
    city = City()
    dead_letters = DeadLetters()
    topology = Topology()  # publishes no events, so declares the topology itself

    def _settings(self):
        return reports.InsightSettings.from_config(self.config)

    def _query(self, params):
        try:
            return load_query(params)
        except ValidationError as exc:
            raise BadQuery(exc.messages) from None

    # -- learning from events ------------------------------------------------

    @event_handler("intake", "ticket_created", requeue_on_error=True)
    @consumes(events.TicketCreated)
    def on_ticket_created(self, event):
        self.requests.apply(event["number"], dict(reports.arrival_document(event), source="event"))

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        # After a refusal the next attempt's department replaces the last, never the reverse.
        self.requests.apply(event["number"], {"department_code": event["department_code"]},
                            newer=("assignment_attempt", event["attempt"]))

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        self.requests.apply(event["number"], {"outcome.signed_for": True})

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        self.requests.apply(event["number"], maxima={"outcome.rejections": event["rejection_count"]})

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        self.requests.apply(event["number"], {"outcome.approved": True})

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        self.requests.apply(event["number"], {
            "outcome.reached": event["reached"], "outcome.resolved": event["resolved"],
            "outcome.satisfaction": event["satisfaction"]}, newer=("callback_at", event["recorded_at"]))

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        self.requests.apply(event["number"], maxima={"outcome.reopened": event["reopen_count"]})

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        changes = {"outcome.closed": True}
        for key in ("resolved", "satisfaction"):
            if event[key] is not None:
                changes[f"outcome.{key}"] = event[key]
        self.requests.apply(event["number"], changes)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        self.requests.erase_personal_data(event["number"], scrub)

    # -- RPC -------------------------------------------------------------------

    @door(People("admin", "supervisor"))
    @rpc
    def import_history(self, records):
        """Load past requests (e.g. generated history) into the read model."""
        result = reports.import_history(self.requests, records)
        log.info("imported %(stored)d request(s); %(duplicates)d known already", result)
        return result

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def hotspots(self, params=None):
        query = self._query(params)
        return reports.hotspot_report(self.requests, self._settings(), query["from_"], query["to"])

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def staffing(self, params=None):
        query = self._query(params)
        try:
            return reports.staffing_plan(self.requests, self._settings(), query["week"])
        except ValueError as exc:
            raise BadQuery({"week": [str(exc)]}) from None

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def top_problems(self, params=None):
        query = self._query(params)
        return reports.top_problem_report(self.requests, self._settings(), query["month"],
                                          self._followup_scorecards)

    @door(People(*STAFF_ROLES))
    @rpc
    def get_request(self, number):
        doc = self.requests.get(number)
        return json.loads(json.dumps(doc, default=str)) if doc else None

    @door(Public())
    @rpc
    def ping(self):
        return "insight"

    def _followup_scorecards(self, start, end):
        from shared.platform.principals import ClusterRpcProxy, client_config

        timeout = float((self.config.get("INSIGHT") or {}).get("scorecard_timeout", 3))
        with ClusterRpcProxy(client_config(self.config, "insight"), timeout=timeout) as cluster:
            return cluster.followup.scorecard(start, end)

    def _district_codes(self):
        return {d["name"]: d.get("code", d["name"]) for d in self.city.get("districts", [])}

    # -- HTTP ------------------------------------------------------------------

    def _http(self, render):
        try:
            return render()
        except BadQuery as exc:
            return json_response(400, {"errors": exc.errors})

    @openapi.operation("Hot spots, spikes and emerging problems by category and district", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.RANGE)
    @door(Public())
    @http("GET", "/insight/hotspots")
    def http_hotspots(self, request):
        return self._http(lambda: json_response(200, self.hotspots(dict(request.args))))

    @openapi.operation("The hot spots as a chart", tags=["reports"],
                       responses={200: {"image/png": {"type": "string", "format": "binary"}}},
                       errors=(400,), query=insight_api.RANGE)
    @door(Public())
    @http("GET", "/insight/hotspots.png")
    def http_hotspots_chart(self, request):
        return self._http(lambda: png_response(charts.hotspots_chart(
            self.hotspots(dict(request.args)), self._district_codes())))

    @openapi.operation("Operators needed per hour for a week (Erlang C)", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.WEEK)
    @door(Public())
    @http("GET", "/insight/staffing")
    def http_staffing(self, request):
        return self._http(lambda: json_response(200, self.staffing(dict(request.args))))

    @openapi.operation("The staffing plan as a chart", tags=["reports"],
                       responses={200: {"image/png": {"type": "string", "format": "binary"}}},
                       errors=(400,), query=insight_api.WEEK)
    @door(Public())
    @http("GET", "/insight/staffing.png")
    def http_staffing_chart(self, request):
        return self._http(lambda: png_response(charts.staffing_chart(self.staffing(dict(request.args)))))

    @openapi.operation("The month's top problems (每月一题)", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.MONTH)
    @door(Public())
    @http("GET", "/insight/top-problems")
    def http_top_problems(self, request):
        return self._http(lambda: json_response(200, self.top_problems(dict(request.args))))
