"""followup: the life of a case, from sign-for to callback.

Consumes ``routing.ticket_assigned``: opens a case, or moves a refused case to
the department routing chose next (a plain redelivery changes nothing).
Departments act by RPC (and HTTP, see ``http.py``) with their token; operators
review replies, decide extensions and record callbacks by RPC (the CLI). Every
transition is checked by ``domain.py``, saved with its ledger entries and
events in one conditional update, and published afterwards (outbox).
"""
import datetime as dt
import logging

import eventlet
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider

from services.followup import api as followup_api
from services.followup import (
    callback,
    domain,
    for_intake,  # a mixin: `nameko run` would take the class for a service
    workbench,  # the module: `nameko run` would take the class for a service
)
from services.followup import http as followup_http
from services.followup.attachments import AttachmentRefused
from services.followup.domain import InvalidRequest, NotAuthorized, NotYourCase, TransitionRefused, UnknownCase
from services.followup.scorecard import scorecard
from services.followup.store import CaseBusy, CaseChanged, CaseRepository
from services.followup.timing import FollowupClock
from shared.contract import bounds, events
from shared.platform import clock as shared_clock
from shared.platform import mirror as shared_mirror
from shared.platform import ops
from shared.platform.doors import Doors, People, Public, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES, Identity, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import DeadLetters, EventDispatcher, RpcProxy, consumes, event_handler, rpc
from shared.platform.mongo import Store
from shared.platform.outbox import outboxed, publish_saved, republish_stale
from shared.platform.privacy import scrub
from shared.platform.production import ProductionChecks
from shared.platform.timer import every
from shared.timelimits import periods
from shared.timelimits.calendar import readiness

log = logging.getLogger(__name__)

INTAKE_TIMEOUT_SECONDS = 3
RETRIES = 3


EXPECTED = (TransitionRefused, InvalidRequest, UnknownCase, NotAuthorized, NotYourCase, CaseChanged,
            NotAllowed, AttachmentRefused, CaseBusy)
TICKET_CONTENT = ("title", "description", "category", "district", "street", "address", "lat", "lng",
                  "urgency", "channel", "received_at", "caller_name", "caller_phone", "media_url")


class Rules(DependencyProvider):
    """followup's time rules, over the calendar the directory mirror keeps current."""

    def setup(self):
        mirror = next(d for d in self.container.dependencies if isinstance(d, shared_mirror.Mirror))
        self.clock = FollowupClock.from_config(self.container.config, mirror.calendar)

    def get_dependency(self, worker_ctx):
        return self


def build_event(event_type, body):
    return events.new_event(events.CONTRACT[("followup", event_type)], **body)


INTERNAL = ("outbox", "_id", "ticket", "ledger_pending", "last_events")


def case_view(doc):
    return jsonable({k: v for k, v in doc.items() if k not in INTERNAL})


def local_day_range(date_from, date_to, zone, today):
    """``YYYY-MM-DD`` bounds (inclusive, local) as UTC datetimes; default the last 30 days.

    Days outside 2000..2099 and ranges over a year are refused (``shared.timelimits.periods``)."""
    errors = {}
    days = {}
    for name, value, default in (("from", date_from, today - dt.timedelta(days=29)),
                                 ("to", date_to, today)):
        try:
            days[name] = dt.date.fromisoformat(value) if value else default
        except (TypeError, ValueError):
            errors[name] = ["a date like 2026-11-26"]
    if errors:
        raise InvalidRequest(errors)
    try:
        periods.check_range(days["from"], days["to"])
    except periods.BadPeriod as exc:
        raise InvalidRequest(exc.errors) from None
    start = dt.datetime.combine(days["from"], dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(days["to"] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return (start.astimezone(dt.UTC), end.astimezone(dt.UTC),
            {"from": days["from"].isoformat(), "to": days["to"].isoformat()})


class FollowupService(ops.Operable, followup_http.FollowupHttp, workbench.Workbench,
                      for_intake.ForIntake):
    name = "followup"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    operations = ops.Operations(calendar=True)  # it computes deadlines
    openapi_info = followup_api.INFO
    openapi_schemas = followup_api.SCHEMAS

    production = ProductionChecks()
    cases = Store(CaseRepository)
    directory = shared_mirror.Mirror()   # departments and calendar, from routing
    clock = shared_clock.Clock()         # real time, or the demo clock
    caller = Identity()
    rules = Rules()
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

    @every("DIRECTORY_SYNC_INTERVAL", default=60, eager=True)
    def sync_directory(self):
        return shared_mirror.sync(self.directory, self.routing)

    # -- assignments from routing -------------------------------------------

    @event_handler("routing", "ticket_assigned", requeue_on_error=True)
    @consumes(events.TicketAssigned)
    def on_ticket_assigned(self, assignment):
        now = self.clock.now()
        case = domain.open_case(assignment, now)
        opened = events.new_event(events.CaseOpened, **domain.case_opened_body(case))
        doc = self.cases.open(case, [outboxed("case_opened", opened)])
        if doc is not None:
            publish_saved(self.cases.outbox, self.dispatch, doc["_id"])
            log.info("case %s opened for %s", case["number"], case["department_code"])
            return
        doc = self._act(assignment["number"], lambda c: domain.reassign(c, assignment, now))
        if doc is None:
            log.info("case %s is open already; redelivery ignored", assignment["number"])
        else:
            log.info("case %s moved to %s", assignment["number"], assignment["department_code"])

    @event_handler("intake", "personal_data_erased", requeue_on_error=True)
    @consumes(events.PersonalDataErased)
    def on_personal_data_erased(self, event):
        """intake erased a closed ticket's personal data: scrub this service's copy too."""
        self.cases.erase_personal_data(event["number"], scrub)

    # -- the machinery every verb goes through -------------------------------

    def _act(self, number, verb, department=None, actor_id=None):
        """Load, check with ``verb(case) -> Change | None``, apply, publish; retried on a race.

        ``actor_id`` (the signed-in person's id, or ``token:DEPT``) goes into
        every ledger entry the change appends.
        """
        for attempt in range(RETRIES):
            case = self.cases.load(number)
            if case is None:
                raise UnknownCase(f"no case {number}")
            if department is not None and case["department_code"] != department:
                raise NotYourCase(f"case {number} is not with {department}")
            change = verb(case)
            if change is None:
                return None
            if actor_id:
                for entry in change.ledger:
                    entry["actor_id"] = actor_id
            try:
                doc = self.cases.apply(case, change, build_event)
            except CaseChanged:
                if attempt == RETRIES - 1:
                    raise
                continue
            publish_saved(self.cases.outbox, self.dispatch, doc["_id"])
            return doc

    def _view_after(self, doc):
        """What a verb answers: the case as it now is, with its ledger."""
        return case_view(self.cases.get(doc["number"]))

    def _department(self, token):
        department = self.cases.department_for_token(token)
        if department is None:
            raise NotAuthorized("a valid department token is required")
        return department

    def _department_actor(self, token, actor=""):
        """``(department, actor name, actor id)``: a department's token, or its signed-in staff."""
        if token is not None:  # "" or a garbled token is a token that fails, not "no token"
            department = self._department(token)
            return department, str(actor or ""), f"token:{department}"
        person = self.caller.person
        if person is None:
            if self.caller.presented:
                self.caller.require("department")  # a forged or expired identity: NotAllowed
            raise NotAuthorized("a valid department token is required")
        if not person.has("department") or not person.department:
            raise NotAllowed(f"{person.name} is not department staff")
        return person.department, person.name, person.user_id

    def _staff(self, *roles):
        """The signed-in person holding one of ``roles``: (name, id)."""
        person = self.caller.require(*roles)
        return person.name, person.user_id

    def _ticket(self, case, content=False):
        """What the citizen said (title, description, place; the caller masked), from
        intake and kept with the case; ``None`` if intake does not answer."""
        if case.get("ticket") and (not content or "received_at" in case["ticket"]):
            return case["ticket"]
        try:
            with eventlet.Timeout(INTAKE_TIMEOUT_SECONDS):
                found = self.intake.get_ticket.call_async(case["number"]).result()
        except (Exception, eventlet.Timeout) as exc:
            log.warning("intake did not give ticket %s (%r); overlap not checked", case["number"], exc)
            return None
        if not found:
            return None
        ticket = {key: found.get(key) for key in TICKET_CONTENT}
        ticket.update(title=found.get("title") or "", description=found.get("description") or "")
        self.cases.remember_ticket(case["number"], ticket)
        return ticket

    # -- departments (with their token) ---------------------------------------

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def department_cases(self, token=None):
        """The department's open cases, soonest deadline first, with every deadline."""
        department = self._department_actor(token)[0]
        clock = self.rules.clock
        found = []
        for case in self.cases.open_cases(department):
            case["refuse_by"] = clock.refusal_deadline(case["assigned_at"]) \
                if case["state"] in (domain.ASSIGNED, domain.SIGNED_FOR) else None
            found.append(jsonable(case))
        return found

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def department_case(self, token, number):
        """The case with what the citizen said (see ``case_detail``)."""
        return self.case_detail(number, token)

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def sign_for(self, token, number, actor=""):
        department, actor, actor_id = self._department_actor(token, actor)
        now = self.clock.now()
        return self._view_after(self._act(number, lambda c: domain.sign_for(c, actor, now), department, actor_id))

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def refuse_case(self, token, number, reason, actor=""):
        department, actor, actor_id = self._department_actor(token, actor)
        now = self.clock.now()
        return self._view_after(self._act(
            number, lambda c: domain.refuse(c, actor, reason, now, self.rules.clock), department, actor_id))

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def request_extension(self, token, number, working_days, reason, actor=""):
        department, actor, actor_id = self._department_actor(token, actor)
        now = self.clock.now()
        return self._view_after(self._act(number, lambda c: domain.request_extension(
            c, actor, working_days, reason, now, self.rules.clock), department, actor_id))

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=EXPECTED)
    def submit_reply(self, token, number, text, attachments=None, actor="", file_ids=None):
        """The reply: text, links, and ``file_ids`` of files uploaded to the case (``add_attachment``)."""
        department, actor, actor_id = self._department_actor(token, actor)
        now = self.clock.now()
        files = self._files_named(number, file_ids)
        return self._view_after(self._act(
            number, lambda c: domain.submit_reply(c, actor, text, attachments, now, files),
            department, actor_id))

    # -- operators ------------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def check_reply(self, number):
        """The reply waiting for review and what the quality gate found in it."""
        case = self.cases.load(number)
        if case is None:
            raise UnknownCase(f"no case {number}")
        ticket = self._ticket(case) if case["state"] == domain.REPLIED else None
        findings = domain.review_findings(case, ticket)
        return jsonable({"number": number, "department_code": case["department_code"],
                         "reply": case["reply"], "ticket": ticket, "findings": findings,
                         "rejection_count": case.get("rejection_count", 0)})

    @door(People("reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def review_reply(self, number, reviewer, approve, reason=""):
        """Approve the reply (a callback becomes due) or send it back with a reason.

        The reviewer recorded is the signed-in person (a reviewer); the
        ``reviewer`` argument is kept for older callers and not trusted.
        """
        reviewer, actor_id = self._staff("reviewer")
        now = self.clock.now()
        clock = self.rules.clock

        def verb(case):
            ticket = self._ticket(case) if case["state"] == domain.REPLIED else None
            if approve:
                return domain.approve_reply(case, reviewer, ticket, now, clock, reason)
            return domain.reject_reply(case, reviewer, reason, ticket, now)
        return self._view_after(self._act(number, verb, actor_id=actor_id))

    @door(People("reviewer"))
    @rpc(expected_exceptions=EXPECTED)
    def decide_extension(self, number, operator, grant, reason=""):
        """Grant or deny (with a reason) an extension, as the signed-in reviewer."""
        operator, actor_id = self._staff("reviewer")
        now = self.clock.now()
        return self._view_after(self._act(number, lambda c: domain.decide_extension(
            c, operator, grant, reason, now, self.rules.clock), actor_id=actor_id))

    @door(People("callback"))
    @rpc(expected_exceptions=EXPECTED)
    def record_callback(self, number, operator, reached, resolved=None, satisfaction=None, note=""):
        """The callback (回访), recorded as the signed-in callback agent."""
        operator, actor_id = self._staff("callback")
        now = self.clock.now()
        return self._view_after(self._act(number, lambda c: callback.record_callback(
            c, operator, reached, resolved, satisfaction, note, now, self.rules.clock), actor_id=actor_id))

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def create_department_token(self, department_code, label=""):
        """A token for a department of routing's directory (one added a moment ago too)."""
        self.caller.require("admin")
        problem = bounds.text_error(label, bounds.NAME)
        if problem:
            raise InvalidRequest({"label": [problem]})
        if not isinstance(department_code, str) or not department_code.strip():
            raise InvalidRequest({"department": ["a department code, e.g. WATER"]})
        department = self.directory.department(department_code) or \
            shared_mirror.department_from_routing(self.directory, self.routing, department_code)
        if department is None:
            raise InvalidRequest({"department": [
                f"no department {department_code} in routing's directory "
                "(see hotline routing departments)"]})
        if department.get("retired"):
            raise InvalidRequest({"department": [f"{department_code} is retired"]})
        token = self.cases.create_token(department_code, label, self.clock.now())
        return {"department_code": department_code, "department_name": department["name"],
                "token": token}

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def revoke_department_tokens(self, department_code):
        self.caller.require("admin")
        return self.cases.revoke_tokens(department_code, self.clock.now())

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def list_cases(self, department_code=None, state=None):
        department_code = self._scope(department_code)
        return jsonable(self.cases.open_cases(department_code, state))

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def get_case(self, number):
        case = self.cases.get(number) if isinstance(number, str) else None  # with its ledger
        if case is not None:
            self._may_see(case)
        return case_view(case) if case else None

    @door(Services("insight"), People(*ROLES))
    @rpc(expected_exceptions=EXPECTED)
    def scorecard(self, date_from=None, date_to=None):
        """The 三率 and more per department and for the city, over local dates (inclusive)."""
        zone = self.rules.clock.zone
        now = self.clock.now()
        start, end, period = local_day_range(date_from, date_to, zone, now.astimezone(zone).date())
        return scorecard(self.cases.ledger_counts(start, end), period,
                         self.cases.period_cases(start, end, now))

    @door(People(*STAFF_ROLES))
    @rpc
    def calendar_status(self):
        """followup's calendar: city files known, readiness, deadlines over uncovered days."""
        calendar = self.directory.calendar
        today = self.clock.now().astimezone(self.rules.clock.zone).date()
        return jsonable({"service": "followup", "calendar": calendar.name,
                         "years": calendar.coverage(today.year, today.year + 1),
                         "readiness": readiness(calendar, today)})

    @door(Public())
    @rpc
    def ping(self):
        return "followup"

    @every("OUTBOX_INTERVAL", default=5)
    def republish_outbox(self):
        republish_stale(self.cases.outbox, self.dispatch)
        moved = self.cases.move_stale_ledger(events.utcnow() - dt.timedelta(seconds=5))
        if moved:
            log.warning("copied %d ledger entr(ies) a crash left in their cases", moved)
