"""followup: the life of a case, from sign-for to callback.

Consumes ``routing.ticket_assigned``: opens a case, or moves a refused case to
the department routing chose next (a plain redelivery changes nothing).
Departments act by RPC and HTTP with their token (or as their signed-in
staff); operators review replies, decide extensions and record callbacks as
themselves; the workbench reads its screens here.

Each entrypoint translates its door into one handler call (``handlers/``,
with the dependencies ``bootstrap.deps`` wires); the rules are the case's
(``domain/``); HTTP's translation is ``entrypoints/http.py``.
"""
from nameko.dependency_providers import Config

from services.followup.adapters.cases import CaseBusy, CaseRepository
from services.followup.bootstrap import Rules, deps
from services.followup.domain import (
    CaseChanged,
    InvalidRequest,
    NotAuthorized,
    NotYourCase,
    TransitionRefused,
    UnknownCase,
)
from services.followup.domain.attachments import AttachmentRefused
from services.followup.entrypoints import api
from services.followup.entrypoints import http as http_door
from services.followup.handlers import admin, appeals, cases, exits, files, intake, queries, ratings, tree
from shared.contract import events
from shared.platform import clock as shared_clock
from shared.platform import mirror as shared_mirror
from shared.platform import openapi, ops
from shared.platform.doors import Bearer, Doors, People, Public, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES, Identity, NotAllowed
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.privacy import scrub
from shared.platform.production import ProductionChecks
from shared.platform.timer import every
from shared.platform.web import http

EXPECTED = (TransitionRefused, InvalidRequest, UnknownCase, NotAuthorized, NotYourCase, CaseChanged,
            NotAllowed, AttachmentRefused, CaseBusy)
WORKBENCH = (InvalidRequest, NotYourCase, UnknownCase, NotAllowed, AttachmentRefused)


class FollowupService(ops.Operable):
    name = "followup"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    operations = ops.Operations(calendar=True)  # it computes deadlines
    openapi_info = api.INFO
    openapi_schemas = api.SCHEMAS

    production = ProductionChecks()
    cases = Store(CaseRepository)
    directory = shared_mirror.Mirror()   # departments and calendar, from routing
    clock = shared_clock.Clock()         # real time, or the demo clock
    caller = Identity()
    rules = Rules()                      # followup's deadlines, over the directory's calendar
    config = Config()
    intake = RpcProxy("intake")
    dispatch = EventDispatcher()
    dead_letters = DeadLetters()
    notify = RpcProxy("notify")  # the demo clock
    routing = RpcProxy("routing")  # the directory

    # -- the demo clock, kept by notify (shared.platform.clock) ------------------

    @event_handler("notify", "clock_moved", requeue_on_error=True)
    @consumes(events.ClockMoved)
    def on_clock_moved(self, event):
        shared_clock.follow(self.clock, event)

    @every("CLOCK_SYNC_INTERVAL", default=30, eager=True)
    def sync_clock(self):
        return shared_clock.sync(self.clock, self.notify)

    # -- routing's directory and calendar (shared.platform.mirror) ----------------

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

    # -- events ---------------------------------------------------------------------

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, assignment):
        cases.on_ticket_assigned(deps(self), assignment)

    @event_handler("intake", "ticket_rebounded", requeue_on_error=True)
    @consumes(events.TicketRebounded)
    def on_ticket_rebounded(self, event):
        """A request came back after a case closed as solved (防反弹): held against its unit."""
        cases.on_ticket_rebounded(deps(self), event)

    @event_handler("notify", "hold_recheck_due", requeue_on_error=True)
    @consumes(events.HoldRecheckDue)
    def on_hold_recheck_due(self, due):
        """The recheck day of a case on hold (挂账) came: back to its department."""
        exits.on_hold_recheck_due(deps(self), due)

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        cases.erase_personal_data(deps(self), event, scrub)

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        admin.republish_outbox(deps(self))

    # -- departments (with their token, or as their signed-in staff) ----------------

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def department_cases(self, token=None):
        """The department's open cases, soonest deadline first, with every deadline."""
        return queries.department_cases(deps(self), token)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def department_case(self, token, number):
        """The case with what the citizen said (see ``case_detail``)."""
        return queries.department_case(deps(self), token, number)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def sign_for(self, token, number, actor=""):
        return cases.sign_for(deps(self), token, number, actor)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def refuse_case(self, token, number, reason, actor=""):
        return cases.refuse_case(deps(self), token, number, reason, actor)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def request_extension(self, token, number, working_days, reason, actor=""):
        return cases.request_extension(deps(self), token, number, working_days, reason, actor)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def submit_reply(self, token, number, text, attachments=None, actor="", file_ids=None):
        """The reply: text, links, and ``file_ids`` of files uploaded to the case (``add_attachment``)."""
        return cases.submit_reply(deps(self), token, number, text, attachments, actor, file_ids)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def propose_unreasonable(self, token, number, reason, evidence=None, actor="", file_ids=None):
        """不合理诉求: the reason, links and ``file_ids`` of files uploaded to the case; a reviewer rules."""
        return exits.propose_unreasonable(deps(self), token, number, reason, evidence, actor, file_ids)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def propose_hold(self, token, number, reason, recheck_on, actor=""):
        """挂账 until ``recheck_on`` (YYYY-MM-DD), with the reason; a supervisor decides."""
        return exits.propose_hold(deps(self), token, number, reason, recheck_on, actor)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=WORKBENCH)
    def department_inbox(self, token=None, offset=0, limit=20, state=None):
        """The department's open cases, the next deadline first (sign-for, reply, callback)."""
        return queries.department_inbox(deps(self), token, offset, limit, state)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=WORKBENCH)
    def add_attachment(self, number, filename, data_base64, token=None, purpose="reply"):
        """Keep a file for the coming reply (or ``purpose="appeal"``); returns its ``id``."""
        return files.add_attachment(deps(self), number, filename, data_base64, token, purpose)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def file_appeal(self, token, number, entry_id, reason, links=None, file_ids=None, actor=""):
        """Appeal (考核申诉) a scored ledger entry of the case: reason, links, files of the case."""
        return appeals.file_appeal(deps(self), token, number, entry_id, reason, links, file_ids, actor)

    # -- the tree: co-handlers, passing down, refusal and reply reviews (handlers/tree.py) ---

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def pass_down(self, token, number, unit_code, note="", actor=""):
        """Hand the unit's part on to a unit under it (下派), with a note."""
        return tree.pass_down(deps(self), token, number, unit_code, note, actor)

    @door(People("dispatcher", "supervisor"))
    @rpc(expected_exceptions=EXPECTED)
    def add_co_handlers(self, number, unit_codes, note=""):
        """Add co-handling units (协办, 加派) to an open case."""
        return tree.add_co_handlers(deps(self), number, unit_codes, note)

    @door(Services("cli"), People("department", "dispatcher", "supervisor"))
    @rpc(expected_exceptions=EXPECTED)
    def review_refusal(self, number, unit_code, approve, reason="", token=None, actor=""):
        """Approve a refusal or send the part back (a dispatcher: the lead's and co-handlers'; a unit: its child's)."""
        return tree.review_refusal(deps(self), number, unit_code, approve, reason, token, actor)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def review_part_reply(self, token, number, unit_code, accept, reason="", actor=""):
        """Accept a child unit's reply (its part is done) or send it back with a reason."""
        return tree.review_assignment_reply(deps(self), token, number, unit_code, accept, reason, actor)

    @door(Services("cli"), People("department", "reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_part_extension(self, number, unit_code, grant, reason="", token=None, actor=""):
        """Grant or deny a unit's extension of its part (a unit: its child's; a reviewer: a co-handler's)."""
        return tree.decide_part_extension(deps(self), number, unit_code, grant, reason, token, actor)

    @door(Services("cli"), People("department", "dispatcher", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def refusal_queue(self, token=None, offset=0, limit=20):
        """Refusals waiting for the asker's review: the centre's, or those of the units it passed down to."""
        return tree.refusal_queue(deps(self), token, offset, limit)

    # -- operators ------------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def check_reply(self, number):
        """The reply waiting for review and what the quality gate found in it."""
        return cases.check_reply(deps(self), number)

    @door(People("reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def review_reply(self, number, reviewer, approve, reason=""):
        """Approve the reply (a callback becomes due) or send it back with a reason.

        The reviewer recorded is the signed-in person (a reviewer); the
        ``reviewer`` argument is kept for older callers and not trusted.
        """
        return cases.review_reply(deps(self), number, approve, reason)

    @door(People("reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_extension(self, number, operator, grant, reason=""):
        """Grant or deny (with a reason) an extension, as the signed-in reviewer."""
        return cases.decide_extension(deps(self), number, grant, reason)

    @door(People("callback"))
    @rpc(expected_exceptions=EXPECTED)
    def record_callback(self, number, operator, reached, resolved=None, satisfaction=None, note="", outcome=None):
        """The callback (回访) and its ``outcome``, recorded as the signed-in callback agent."""
        return cases.record_callback(deps(self), number, reached, resolved, satisfaction, note, outcome)

    @door(People("reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_unreasonable(self, number, approve, reason=""):
        """Rule on a proposed 不合理诉求: approve (closed) or reject with a reason, as the reviewer."""
        return exits.decide_unreasonable(deps(self), number, approve, reason)

    @door(People("supervisor"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_hold(self, number, approve, reason=""):
        """Approve a proposed hold (挂账) or reject it with a reason, as the signed-in supervisor."""
        return exits.decide_hold(deps(self), number, approve, reason)

    # -- the workbench's screens ----------------------------------------------------

    @door(People(*ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def case_detail(self, number, token=None):
        """The case with its ledger, what the citizen said (caller masked) and its files."""
        return queries.case_detail(deps(self), number, token)

    @door(People(*ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def case_contact(self, number, token=None, purpose=""):
        """The citizen's name, phone and email, unmasked; the read is recorded."""
        return queries.case_contact(deps(self), number, token, purpose)

    @door(People(*ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def get_attachment(self, number, file_id, token=None):
        """``{info, data_base64}`` of a case's file, for whoever may see the case."""
        return files.get_attachment(deps(self), number, file_id, token)

    @door(People("reviewer", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def review_queue(self, offset=0, limit=10):
        """Replies waiting for review, oldest first, each with the quality gate's findings."""
        return queries.review_queue(deps(self), offset, limit)

    @door(People("reviewer", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def extension_requests(self, offset=0, limit=20):
        return queries.extension_requests(deps(self), offset, limit)

    @door(People("reviewer", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def unreasonable_queue(self, offset=0, limit=20):
        """Proposed 不合理诉求 waiting for a reviewer, oldest first."""
        return exits.unreasonable_queue(deps(self), offset, limit)

    @door(People("supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def hold_queue(self, offset=0, limit=20):
        """Proposed holds (挂账) waiting for a supervisor, oldest first."""
        return exits.hold_queue(deps(self), offset, limit)

    @door(Services("cli"), People(*ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def hold_list(self, department_code=None, offset=0, limit=50, token=None):
        """The 挂账 list: cases on hold, the soonest recheck first (department staff: their own)."""
        return exits.hold_list(deps(self), department_code, offset, limit, token)

    @door(People("callback", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def callbacks_due(self, offset=0, limit=20):
        """Approved replies whose citizen is to be called back, the most overdue first."""
        return queries.callbacks_due(deps(self), offset, limit)

    @door(People("supervisor"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_appeal(self, appeal_id, accept, reason=""):
        """Accept or reject (with a reason, both) an open appeal, as the signed-in supervisor."""
        return appeals.decide_appeal(deps(self), appeal_id, accept, reason)

    @door(Services("cli"), People(*ROLES))  # the CLI may ask with a token
    @rpc(expected_exceptions=WORKBENCH)
    def list_appeals(self, state="open", offset=0, limit=20, token=None):
        """Appeals ``open`` (oldest first) or ``decided``/``accepted``/``rejected``; a unit its own."""
        return appeals.list_appeals(deps(self), token, state, offset, limit)

    @door(Services("cli"), People(*ROLES))  # the CLI may ask with a token
    @rpc(expected_exceptions=WORKBENCH)
    def get_appeal(self, appeal_id, token=None):
        return appeals.get_appeal(deps(self), appeal_id, token)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def overview(self):
        """Open cases by department and state, and the late ones, for supervisors."""
        return queries.overview(deps(self))

    @door(People(*ROLES))
    @rpc(expected_exceptions=WORKBENCH)
    def search_cases(self, filters=None, offset=0, limit=20):
        """Cases by ``department``, ``state`` (or ``open``), ``overdue``, ``numbers``; one page."""
        return queries.search_cases(deps(self), filters, offset, limit)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def list_cases(self, department_code=None, state=None):
        return queries.list_cases(deps(self), department_code, state)

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def get_case(self, number):
        return queries.get_case(deps(self), number)

    @door(People("admin", "supervisor"))
    @rpc(expected_exceptions=WORKBENCH)
    def contact_accesses(self, number=None, offset=0, limit=50):
        """Who read which citizen's contact, newest first (administrators, supervisors)."""
        return queries.contact_accesses(deps(self), number, offset, limit)

    # -- administrators, and the city's numbers ----------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def create_department_token(self, department_code, label=""):
        """A token for a department of routing's directory (one added a moment ago too)."""
        return admin.create_department_token(deps(self), department_code, label)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def revoke_department_tokens(self, department_code):
        return admin.revoke_department_tokens(deps(self), department_code)

    @door(People("admin"))
    @rpc(expected_exceptions=WORKBENCH)
    def list_department_tokens(self):
        return admin.list_department_tokens(deps(self))

    @door(Services("insight"), People(*ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def scorecard(self, date_from=None, date_to=None):
        """The 三率 and more per department and for the city, over local dates (inclusive)."""
        return admin.department_scorecard(deps(self), date_from, date_to)

    @door(People(*STAFF_ROLES))
    @rpc
    def calendar_status(self):
        """followup's calendar: city files known, readiness, deadlines over uncovered days."""
        return admin.calendar_status(deps(self))

    @door(Public())
    @rpc
    def ping(self):
        return "followup"

    # -- the citizen's own rating, by a link sent by SMS (handlers/ratings.py) -----------

    @door(Services("notify"))
    @rpc(expected_exceptions=(ValueError,))
    def register_rating_link(self, number, digest, approved_at):
        """Keep the digest of the rating link notify sends for the case's approved reply."""
        return ratings.register_link(deps(self), number, digest, approved_at)

    @door(Services("console"))
    @rpc
    def rating_form(self, link_id):
        """What the citizen's rating page shows for a link: its state, the case's number,
        category and approved reply (no personal data)."""
        return ratings.rating_form(deps(self), link_id)

    @door(Services("console"))
    @rpc(expected_exceptions=(InvalidRequest,))
    def submit_rating(self, link_id, solved, satisfaction, comment=""):
        """The citizen's answer, once per link: counted as a callback on the channel sms_link."""
        return ratings.submit_rating(deps(self), link_id, solved, satisfaction, comment)

    # -- what intake asks -------------------------------------------------------------

    @door(Services("intake"))
    @rpc
    def republish_case(self, number):
        """Publish again the event that says where the case stands (intake's reconciler asks)."""
        return intake.republish_case(deps(self), number)

    @door(Services("intake"))
    @rpc
    def case_parts(self, number):
        """The parts other units hold of the case, and which are open (the reconciler compares)."""
        return intake.case_parts(deps(self), number)

    @door(Services("intake"))
    @rpc
    def republish_part(self, number, unit_code):
        """Publish again the events that say where a unit's part stands (intake's reconciler asks)."""
        return intake.republish_part(deps(self), number, unit_code)

    @door(Services("intake"))
    @rpc
    def highest_sequence(self, series):
        """The highest ticket number of ``series`` followup has a case for; 0 if none."""
        return intake.highest_sequence(deps(self), series)

    # -- HTTP for departments (entrypoints/http.py translates) -----------------------------

    @openapi.operation("The department's open cases, soonest deadline first", tags=["cases"],
                       responses={200: {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}},
                       errors=(401, 403), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases")
    def http_department_cases(self, request):
        return http_door.answer(lambda: queries.department_cases(deps(self), http_door.department_token(request)))

    @openapi.operation("One of the department's cases, with its ledger", tags=["cases"],
                       responses={200: "Case"}, errors=(401, 403, 404), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>")
    def http_department_case(self, request, number):
        return http_door.answer(lambda: queries.department_case(deps(self), http_door.department_token(request), number))

    @openapi.operation("Sign for a case (签收)", tags=["cases"], body="SignFor", responses={200: "Case"},
                       errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/sign-for")
    def http_sign_for(self, request, number):
        def call():
            body = http_door.read_body(request)
            return cases.sign_for(deps(self), http_door.department_token(request), number, http_door.actor(body))
        return http_door.answer(call)

    @openapi.operation("Refuse a case with a reason (退单)", tags=["cases"], body="Refusal",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/refuse")
    def http_refuse(self, request, number):
        def call():
            body = http_door.read_body(request)
            return cases.refuse_case(deps(self), http_door.department_token(request), number, body.get("reason"),
                                     http_door.actor(body))
        return http_door.answer(call)

    @openapi.operation("Ask for more working days (延期) for your unit's reply", tags=["cases"], body="ExtensionRequest",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/extension")
    def http_extension(self, request, number):
        def call():
            body = http_door.read_body(request)
            return cases.request_extension(deps(self), http_door.department_token(request), number,
                                           body.get("working_days"), body.get("reason"), http_door.actor(body))
        return http_door.answer(call)

    @openapi.operation("Reply to the citizen's request (回复)", tags=["cases"], body="Reply",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/reply")
    def http_reply(self, request, number):
        def call():
            body = http_door.read_body(request)
            return cases.submit_reply(deps(self), http_door.department_token(request), number, body.get("text"),
                                      body.get("attachments"), http_door.actor(body), body.get("files"))
        return http_door.answer(call)

    @openapi.operation("Pass the case down to a unit under yours (下派)", tags=["cases"], body="PassDown",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/pass-down")
    def http_pass_down(self, request, number):
        return http_door.answer(lambda: http_door.pass_down(deps(self), request, number))

    @openapi.operation("Approve or reject the refusal of a unit you passed the case to", tags=["cases"],
                       body="RefusalReview", responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503),
                       headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/parts/<string:unit>/refusal")
    def http_review_refusal(self, request, number, unit):
        return http_door.answer(lambda: http_door.review_refusal(deps(self), request, number, unit))

    @openapi.operation("Accept the reply of a unit you passed the case to, or send it back", tags=["cases"],
                       body="PartReview", responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503),
                       headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/parts/<string:unit>/reply")
    def http_review_part_reply(self, request, number, unit):
        return http_door.answer(lambda: http_door.review_part_reply(deps(self), request, number, unit))

    @openapi.operation("Grant or deny the extension (延期) a unit you passed the case to asked for its part",
                       tags=["cases"], body="PartExtensionDecision", responses={200: "Case"},
                       errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/parts/<string:unit>/extension")
    def http_decide_part_extension(self, request, number, unit):
        return http_door.answer(lambda: http_door.decide_part_extension(deps(self), request, number, unit))

    @openapi.operation("Propose the request as unreasonable (不合理诉求), with evidence", tags=["cases"],
                       body="Unreasonable", responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503),
                       headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/unreasonable")
    def http_unreasonable(self, request, number):
        def call(body):
            return exits.propose_unreasonable(deps(self), http_door.department_token(request), number, body.get("reason"),
                                              body.get("evidence"), http_door.actor(body), body.get("files"))
        return http_door.answer(lambda: call(http_door.read_body(request)))

    @openapi.operation("Propose a hold (挂账) until a recheck day", tags=["cases"], body="Hold",
                       responses={200: "Case"}, errors=(400, 401, 403, 404, 409, 503), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/hold")
    def http_hold(self, request, number):
        def call():
            body = http_door.read_body(request)
            return exits.propose_hold(deps(self), http_door.department_token(request), number,
                                      body.get("reason"), body.get("recheck_on"), http_door.actor(body))
        return http_door.answer(call)

    @openapi.operation("The department's cases on hold (挂账清单), the soonest recheck first", tags=["cases"],
                       responses={200: {"type": "object"}}, errors=(400, 401, 403), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/holds")
    def http_holds(self, request):
        return http_door.answer(lambda: exits.hold_list(deps(self), None, 0, 200, http_door.department_token(request)))

    @openapi.operation("The citizen's full contact (every read is recorded)", tags=["cases"],
                       responses={200: {"type": "object"}}, errors=(400, 401, 403, 404), headers=("Authorization",),
                       query={"purpose": {"type": "string", "maxLength": 200}})
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>/contact")
    def http_contact(self, request, number):
        return http_door.answer(lambda: queries.case_contact(deps(self), number, http_door.department_token(request),
                                                       request.args.get("purpose", "")))

    @openapi.operation("Upload a file for the reply (at most 5 MB)", tags=["cases"],
                       body={"type": "string", "format": "binary"},
                       body_types=("application/octet-stream", "multipart/form-data"),
                       responses={201: {"type": "object", "required": ["id"]}},
                       errors=(400, 401, 403, 404, 409), headers=("Authorization",),
                       query={"filename": {"type": "string", "maxLength": 200},
                              "purpose": {"type": "string", "enum": ["reply", "appeal"],
                                          "description": "appeal: a file for an appeal, in any state"}})
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/attachments", max_body=http_door.UPLOAD_LIMIT)
    def http_add_attachment(self, request, number):
        return http_door.answer(lambda: files.add_attachment(deps(self), number, *http_door.upload(request),
                                                       http_door.department_token(request),
                                                       request.args.get("purpose") or "reply"), 201)

    @openapi.operation("Appeal a scored event of the case (考核申诉)", tags=["appeals"], body="AppealFiling",
                       responses={201: "Appeal"}, errors=(400, 401, 403, 404, 409), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("POST", "/cases/<string:number>/appeals")
    def http_file_appeal(self, request, number):
        return http_door.answer(lambda: http_door.file_appeal(request, number, appeals.file_appeal, deps(self)), 201)

    @openapi.operation("The department's appeals: open, or decided", tags=["appeals"],
                       responses={200: {"type": "object"}}, errors=(400, 401, 403), headers=("Authorization",),
                       query={"state": {"type": "string", "enum": ["open", "decided", "accepted", "rejected"]},
                              "offset": {"type": "integer", "minimum": 0},
                              "limit": {"type": "integer", "minimum": 1, "maximum": 100}})
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/appeals")
    def http_appeals(self, request):
        return http_door.answer(lambda: appeals.list_appeals(
            deps(self), http_door.department_token(request), request.args.get("state") or "open",
            request.args.get("offset"), request.args.get("limit")))

    @openapi.operation("One of the department's appeals", tags=["appeals"], responses={200: "Appeal"},
                       errors=(401, 403, 404), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/appeals/<string:appeal_id>")
    def http_appeal(self, request, appeal_id):
        return http_door.answer(lambda: appeals.get_appeal(deps(self), appeal_id,
                                                           http_door.department_token(request)))

    @openapi.operation("A file of the case", tags=["cases"],
                       responses={200: {"application/octet-stream": {"type": "string", "format": "binary"}}},
                       errors=(400, 401, 403, 404), headers=("Authorization",))
    @door(Bearer("cases.department_for_token"))
    @http("GET", "/cases/<string:number>/attachments/<string:file_id>")
    def http_get_attachment(self, request, number, file_id):
        return http_door.download(lambda: files.get_attachment(deps(self), number, file_id,
                                                         http_door.department_token(request)))

    @openapi.operation("Each unit's scorecard (三率), rolled up for units with units below, over local dates "
                       "(at most a year)", tags=["scorecard"],
                       responses={200: {"application/json": "Scorecard", "text/csv": {"type": "string"}}},
                       errors=(400,), query={"from": api.DATE, "to": api.DATE,
                                              "format": {"type": "string", "enum": ["json", "csv"]}})
    @door(Public())
    @http("GET", "/scorecard")
    def http_scorecard(self, request):
        return http_door.scorecard_answer(request, lambda *dates: admin.department_scorecard(deps(self), *dates))
