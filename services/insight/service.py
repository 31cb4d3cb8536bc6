"""insight: hot spots, emerging problems and operator staffing.

Builds its own read model from the events -- ``intake.ticket_created`` for
arrivals (time, channel, category, district, text), ``routing.ticket_assigned``
for the department, followup's events for outcomes, refusals and closures,
``intake.ticket_rebounded`` for the closures that did not hold -- and from imports of
history (``import_history``). Reports are computed from that model alone, so
analysis never loads the operational services or their databases.

RPC: ``import_history``, ``hotspots``, ``staffing``, ``top_problems``, and the
monthly assessment (``assessment``, ``assessment_cases``, ``assessment_files``,
``assessment_reports``); a timer generates the month's report on the first
working day (``handlers.assessment``) and announces it (``assessment_published``).
HTTP (``INSIGHT_HTTP``): ``GET /insight/hotspots[.png]?from=&to=``,
``GET /insight/staffing[.png]?week=``, ``GET /insight/top-problems?month=``.

Each entrypoint hands its message to a handler (``handlers/``) with the
dependencies ``bootstrap.deps`` bundles; the figures are in ``domain/``.
"""
from nameko.dependency_providers import Config

from services.insight import bootstrap, charts
from services.insight.adapters.repository import InsightRepository
from services.insight.entrypoints import http as answers
from services.insight.entrypoints import openapi as insight_api
from services.insight.entrypoints.schemas import BadQuery, assessment_query, query
from services.insight.handlers import assessment, learning, reports
from shared.contract import events
from shared.platform import clock as shared_clock
from shared.platform import mirror as shared_mirror
from shared.platform import openapi, ops
from shared.platform.city import City
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import STAFF_ROLES
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.production import ProductionChecks
from shared.platform.timer import every
from shared.platform.web import http


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
    dispatch = EventDispatcher()  # assessment_published (it declares the topology too)
    directory = shared_mirror.Mirror()   # unit names and the working-day calendar, from routing
    clock = shared_clock.Clock()         # real time, or the demo clock
    routing = RpcProxy("routing")
    notify = RpcProxy("notify")  # the demo clock

    # -- the demo clock, routing's directory and calendar ------------------------

    @event_handler("notify", "clock_moved", requeue_on_error=True)
    @consumes(events.ClockMoved)
    def on_clock_moved(self, event):
        shared_clock.follow(self.clock, event)

    @every("CLOCK_SYNC_INTERVAL", default=30, eager=True)
    def sync_clock(self):
        return shared_clock.sync(self.clock, self.notify)

    @event_handler("routing", "department_changed", requeue_on_error=True)
    @consumes(events.DepartmentChanged)
    def on_department_changed(self, event):
        shared_mirror.learn_department(self.directory, event)

    @event_handler("routing", "calendar_year_loaded", requeue_on_error=True)
    @consumes(events.CalendarYearLoaded)
    def on_calendar_year_loaded(self, event):
        shared_mirror.learn_year(self.directory, event)

    @every("DIRECTORY_SYNC_INTERVAL", default=60, eager=True, retry=2)
    def sync_directory(self):
        return shared_mirror.sync(self.directory, self.routing)

    # -- learning from events (handlers.learning) ------------------------------

    @event_handler("intake", "ticket_created", requeue_on_error=True)
    @consumes(events.TicketCreated)
    def on_ticket_created(self, event):
        learning.ticket_created(bootstrap.deps(self), event)

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, event):
        learning.ticket_assigned(bootstrap.deps(self), event)

    @event_handler("followup", "case_signed_for", requeue_on_error=True)
    @consumes(events.CaseSignedFor)
    def on_case_signed_for(self, event):
        learning.case_signed_for(bootstrap.deps(self), event)

    @event_handler("followup", "case_refused", requeue_on_error=True)
    @consumes(events.CaseRefused)
    def on_case_refused(self, event):
        learning.case_refused(bootstrap.deps(self), event)

    @event_handler("intake", "ticket_rebounded", requeue_on_error=True)
    @consumes(events.TicketRebounded)
    def on_ticket_rebounded(self, event):
        learning.ticket_rebounded(bootstrap.deps(self), event)

    @event_handler("followup", "reply_submitted", requeue_on_error=True)
    @consumes(events.ReplySubmitted)
    def on_reply_submitted(self, event):
        learning.reply_submitted(bootstrap.deps(self), event)

    @event_handler("followup", "appeal_decided", requeue_on_error=True)
    @consumes(events.AppealDecided)
    def on_appeal_decided(self, event):
        learning.appeal_decided(bootstrap.deps(self), event)

    @event_handler("followup", "reply_rejected", requeue_on_error=True)
    @consumes(events.ReplyRejected)
    def on_reply_rejected(self, event):
        learning.reply_rejected(bootstrap.deps(self), event)

    @event_handler("followup", "reply_approved", requeue_on_error=True)
    @consumes(events.ReplyApproved)
    def on_reply_approved(self, event):
        learning.reply_approved(bootstrap.deps(self), event)

    @event_handler("followup", "callback_recorded", requeue_on_error=True)
    @consumes(events.CallbackRecorded)
    def on_callback_recorded(self, event):
        learning.callback_recorded(bootstrap.deps(self), event)

    @event_handler("followup", "case_reopened", requeue_on_error=True)
    @consumes(events.CaseReopened)
    def on_case_reopened(self, event):
        learning.case_reopened(bootstrap.deps(self), event)

    @event_handler("followup", "case_closed", requeue_on_error=True)
    @consumes(events.CaseClosed)
    def on_case_closed(self, event):
        learning.case_closed(bootstrap.deps(self), event)

    @event_handler("callcentre", "call_ended", requeue_on_error=True)
    @consumes(events.CallEnded)
    def on_call_ended(self, event):
        """A call the floor was offered: counted per hour for the forecast (channel ``call``)."""
        learning.call_ended(bootstrap.deps(self), event)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        learning.personal_data_erased(bootstrap.deps(self), event)

    # -- RPC (handlers.reports) -------------------------------------------------

    @door(People("admin", "supervisor"))
    @rpc
    def import_history(self, records):
        """Load past requests (e.g. generated history) into the read model."""
        return reports.history_imported(bootstrap.deps(self), records)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def hotspots(self, params=None):
        return reports.hotspots_of(bootstrap.deps(self), query(params))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def staffing(self, params=None):
        return reports.staffing_of(bootstrap.deps(self), query(params))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=BadQuery)
    def top_problems(self, params=None):
        return reports.top_problems_of(bootstrap.deps(self), query(params))

    @door(People(*STAFF_ROLES), Services("callcentre"))
    @rpc
    def agents_for(self, hours):
        """Erlang C for hours already seen: operators needed for each hour's calls (callcentre)."""
        return reports.agents_for(bootstrap.deps(self), hours)
    # -- the monthly assessment (handlers.assessment) ------------------------------

    @door(People("admin", "supervisor"))
    @rpc(expected_exceptions=BadQuery)
    def assessment(self, params=None):
        """A month's assessment of the units (考核): ``{month}``, default the last complete one."""
        return assessment.assessment_of(bootstrap.deps(self), assessment_query(params))

    @door(People("admin", "supervisor"))
    @rpc(expected_exceptions=BadQuery)
    def assessment_cases(self, params=None):
        """The case numbers behind a unit's figures: ``{month, unit, rate}``."""
        return assessment.assessment_cases_of(bootstrap.deps(self), assessment_query(params))

    @door(People("admin", "supervisor"), Services("notify"))
    @rpc(expected_exceptions=BadQuery)
    def assessment_files(self, params=None):
        """The month's report (通报) as files, base64: ``{month, formats: [xlsx, pdf]}``."""
        return assessment.assessment_files_of(bootstrap.deps(self), assessment_query(params))

    @door(People("admin", "supervisor"))
    @rpc
    def assessment_reports(self):
        """The months whose report the timer generated and announced."""
        return assessment.reports_generated(bootstrap.deps(self))

    @every("INSIGHT_ASSESSMENT_INTERVAL", default=300, retry=30)
    def monthly_assessment(self):
        """On the first working day of a month: the month before's report, once."""
        return assessment.monthly_tick(bootstrap.deps(self), self.publish_assessment)

    def publish_assessment(self, body):
        self.dispatch("assessment_published", events.new_event(events.AssessmentPublished, **body))

    @door(People(*STAFF_ROLES))
    @rpc
    def get_request(self, number):
        return reports.request_of(bootstrap.deps(self), number)

    @door(Public())
    @rpc
    def ping(self):
        return "insight"

    # -- HTTP (entrypoints.http: JSON, PNG, a bad query as 400) ------------------

    @openapi.operation("Hot spots, spikes and emerging problems by category and district", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.RANGE)
    @door(Public())
    @http("GET", "/insight/hotspots")
    def http_hotspots(self, request):
        return answers.answer(lambda: answers.json_response(200, self.hotspots(dict(request.args))))

    @openapi.operation("The hot spots as a chart", tags=["reports"],
                       responses={200: {"image/png": {"type": "string", "format": "binary"}}},
                       errors=(400,), query=insight_api.RANGE)
    @door(Public())
    @http("GET", "/insight/hotspots.png")
    def http_hotspots_chart(self, request):
        return answers.answer(lambda: answers.png_response(charts.hotspots_chart(
            self.hotspots(dict(request.args)), bootstrap.deps(self).district_codes())))

    @openapi.operation("Operators needed per hour for a week (Erlang C)", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.WEEK)
    @door(Public())
    @http("GET", "/insight/staffing")
    def http_staffing(self, request):
        return answers.answer(lambda: answers.json_response(200, self.staffing(dict(request.args))))

    @openapi.operation("The staffing plan as a chart", tags=["reports"],
                       responses={200: {"image/png": {"type": "string", "format": "binary"}}},
                       errors=(400,), query=insight_api.WEEK)
    @door(Public())
    @http("GET", "/insight/staffing.png")
    def http_staffing_chart(self, request):
        return answers.answer(lambda: answers.png_response(charts.staffing_chart(self.staffing(dict(request.args)))))

    @openapi.operation("The month's top problems (每月一题)", tags=["reports"],
                       responses={200: "Report"}, errors=(400,), query=insight_api.MONTH)
    @door(Public())
    @http("GET", "/insight/top-problems")
    def http_top_problems(self, request):
        return answers.answer(lambda: answers.json_response(200, self.top_problems(dict(request.args))))
