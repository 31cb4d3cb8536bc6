"""console: the workbench, where the people who run a hotline sign in and work.

Serves server-rendered pages over HTTP (``CONSOLE_HTTP``, default :8080) and
owns the people: users, roles, sessions, sign-in history
(``adapters/people.py``). Each page acts on the other services only over RPC,
as the signed-in person (``shared.platform.identity``): the services check the
person's role and department and record their name.

Every entrypoint below is a door (``@page``: ``web.py``; ``@rpc``; ``@http``)
and one call into its handler, one module per kind of work:

* ``handlers/auth``: sign in / out, password, second factor, language, assets;
* ``handlers/operator``: new tickets while on the phone, search, the ticket page;
* ``handlers/cases``: department staff, reviewers and callback agents;
* ``handlers/assessment``: the monthly assessment (考核) and its report (通报), from insight;
* ``handlers/appeals``: appeals of scored events (考核申诉): filed by units, decided by supervisors;
* ``handlers/knowledge``: the knowledge base: units maintain their entries, the centre reviews;
* ``handlers/dispatch``: the manual dispatch queue, re-dispatch, arbitration, the review list;
* ``handlers/supervisor``: the city at a glance, drill-downs, exports;
* ``handlers/proactive``: 未诉先办, a finding of insight made a proactive case, and its chart;
* ``handlers/admin``: users, the directory, API keys, department tokens, the record.

A handler takes ``deps`` (``bootstrap.py``) and the ``View`` (the request as a
page sees it) and answers a ``Page``, ``Redirect`` or ``Download``, which
``view.answer`` turns into the response. The rules about people live in
``domain/``. The RPC methods at the end are for the ``hotline users`` command.
"""
from nameko.dependency_providers import Config

from services.console import bootstrap
from services.console.adapters.people import PeopleRepository
from services.console.adapters.workbench import Web
from services.console.domain.people import UserInvalid
from services.console.handlers import (
    admin,
    appeals,
    assessment,
    auth,
    cases,
    dispatch,
    floor,
    knowledge,
    operator,
    proactive,
    quality,
    rating,
    supervisor,
)
from services.console.handlers.cases import CASE_READERS, UPLOAD_BYTES
from services.console.handlers.operator import STAFF
from services.console.handlers.supervisor import EXPORTS, READERS, SUPERVISION
from services.console.web import page
from shared.platform import openapi, ops
from shared.platform.doors import Doors, People, Public, door
from shared.platform.identity import Identity, NotAllowed
from shared.platform.messaging import RpcProxy, rpc
from shared.platform.mongo import Store
from shared.platform.web import http

EXPECTED = (UserInvalid, NotAllowed)


class ConsoleService(ops.Operable):
    name = "console"
    doors = Doors()  # who may pass each entrypoint (shared.platform.doors)
    openapi_info = {"title": "hotline console", "version": "1",
                    "description": "The workbench's pages: HTML for signed-in staff (a session cookie, "
                                   "a CSRF token in every form); a stranger is sent to /signin."}

    people = Store(PeopleRepository)
    caller = Identity()
    web = Web()
    config = Config()
    intake = RpcProxy("intake")
    routing = RpcProxy("routing")
    followup = RpcProxy("followup")
    notify = RpcProxy("notify")
    insight = RpcProxy("insight")
    callcentre = RpcProxy("callcentre")

    # -- pages: signing in and out, the password, the second factor, the language, the assets ------

    @page("/", public=True)
    def home_page(self, deps, view):
        return view.answer(auth.home_page(deps, view))

    @page("/signin", public=True)
    def signin_form(self, deps, view):
        return view.answer(auth.signin_form(deps, view))

    @page("/signin", method="POST", public=True)
    def signin(self, deps, view):
        return view.answer(auth.signin(deps, view))

    @page("/signin/code", public=True)
    def signin_code_form(self, deps, view):
        return view.answer(auth.signin_code_form(deps, view))

    @page("/signin/code", method="POST", public=True)
    def signin_code(self, deps, view):
        return view.answer(auth.signin_code(deps, view))

    @page("/account/second-factor")
    def second_factor_form(self, deps, view):
        return view.answer(auth.second_factor_form(deps, view))

    @page("/account/second-factor", method="POST")
    def second_factor_enrol(self, deps, view):
        return view.answer(auth.second_factor_enrol(deps, view))

    @page("/signout", method="POST")
    def signout(self, deps, view):
        return view.answer(auth.signout(deps, view))

    @page("/password")
    def password_form(self, deps, view):
        return view.answer(auth.password_form(deps, view))

    @page("/password", method="POST")
    def change_password(self, deps, view):
        return view.answer(auth.change_password(deps, view))

    @page("/lang/<string:code>", public=True)
    def language(self, deps, view, code):
        return view.answer(auth.language(deps, view, code))

    # -- the citizen's own rating (一事一评): the link sent by SMS, no sign-in ---------------

    @page("/r/<string:link_id>", public=True, limits=("client",), gone=True)
    def rating_form(self, deps, view, link_id):
        """The citizen's rating page: the case's number, category and approved reply, three questions"""
        return view.answer(rating.rating_form(deps, view, link_id))

    @page("/r/<string:link_id>", method="POST", public=True, limits=("client",), gone=True, max_bytes=16 * 1024)
    def rating_submit(self, deps, view, link_id):
        """The citizen's rating, once per link: counted as the callback"""
        return view.answer(rating.rating_submit(deps, view, link_id))

    @openapi.operation("The workbench's own scripts and styles", tags=["public"], errors={
        404: {"text/plain": {"type": "string"}}}, responses={200: {kind: {"type": "string"} for kind in (
            "text/css", "application/javascript", "text/javascript", "text/plain")}})
    @door(Public())
    @http("GET", "/static/<string:name>", limits=())
    def static(self, request, name):
        return auth.static_asset(name)

    # -- pages: the operator: a new ticket on the phone, search, the ticket page -------------------

    @page("/operator", roles=("operator",))
    def operator_form(self, deps, view):
        return view.answer(operator.operator_form(deps, view))

    @page("/operator/caller", method="POST", roles=("operator", "callback"))
    def operator_caller(self, deps, view):
        return view.answer(operator.operator_caller(deps, view))

    @page("/operator/suggest", method="POST", roles=("operator",))
    def operator_suggest(self, deps, view):
        return view.answer(operator.operator_suggest(deps, view))

    @page("/operator/tickets", method="POST", roles=("operator",))
    def operator_submit(self, deps, view):
        return view.answer(operator.operator_submit(deps, view))

    @page("/operator/transfer", method="POST", roles=("operator",))
    def operator_transfer(self, deps, view):
        return view.answer(operator.operator_transfer(deps, view))

    @page("/tickets", method="POST", roles=STAFF)
    def ticket_search_start(self, deps, view):
        """Keep the criteria with the session (a phone number stays out of URLs) and list.

        A whole ticket number is a search of its own: whatever else is left in the form
        (the last caller's phone, a district) does not narrow it to nothing. Only this
        submission jumps to a single match; coming back to the list later does not.
        """
        return view.answer(operator.ticket_search_start(deps, view))

    @page("/tickets", roles=STAFF)
    def ticket_search(self, deps, view):
        return view.answer(operator.ticket_search(deps, view))

    @page("/tickets/<string:number>", roles=STAFF + ("department",))
    def ticket_page(self, deps, view, number):
        return view.answer(operator.ticket_page(deps, view, number))

    @page("/tickets/<string:number>/contact", method="POST",
          roles=("operator", "callback", "reviewer", "supervisor"))
    def ticket_contact(self, deps, view, number):
        return view.answer(operator.ticket_contact(deps, view, number))

    # -- pages: cases at work: department staff, reviewers, callback agents ------------------------

    @page("/department", roles=("department",))
    def department_inbox(self, deps, view):
        return view.answer(cases.department_inbox(deps, view))

    @page("/department/cases/<string:number>", roles=CASE_READERS)
    def department_case(self, deps, view, number):
        return view.answer(cases.department_case(deps, view, number))

    @page("/department/cases/<string:number>/contact", method="POST", roles=("department",))
    def department_contact(self, deps, view, number):
        return view.answer(cases.department_contact(deps, view, number))

    @page("/department/cases/<string:number>/sign-for", method="POST", roles=("department",))
    def department_sign_for(self, deps, view, number):
        return view.answer(cases.department_sign_for(deps, view, number))

    @page("/department/cases/<string:number>/refuse", method="POST", roles=("department",))
    def department_refuse(self, deps, view, number):
        return view.answer(cases.department_refuse(deps, view, number))

    @page("/department/cases/<string:number>/extension", method="POST", roles=("department",))
    def department_extension(self, deps, view, number):
        return view.answer(cases.department_extension(deps, view, number))

    @page("/department/cases/<string:number>/reply", method="POST", roles=("department",), max_bytes=UPLOAD_BYTES)
    def department_reply(self, deps, view, number):
        return view.answer(cases.department_reply(deps, view, number))

    @page("/department/cases/<string:number>/pass-down", method="POST", roles=("department",))
    def department_pass_down(self, deps, view, number):
        return view.answer(cases.department_pass_down(deps, view, number))

    @page("/cases/<string:number>/parts/<string:unit>/review", method="POST",
          roles=("department", "dispatcher", "supervisor"))
    def review_part(self, deps, view, number, unit):
        return view.answer(cases.department_review_part(deps, view, number, unit))

    @page("/cases/<string:number>/parts/<string:unit>/extension", method="POST", roles=("department", "reviewer"))
    def part_extension(self, deps, view, number, unit):
        return view.answer(cases.part_extension(deps, view, number, unit))

    @page("/cases/<string:number>/co-handlers", method="POST", roles=("dispatcher",))
    def add_co_handlers(self, deps, view, number):
        return view.answer(cases.add_co_handlers(deps, view, number))

    @page("/refusals", roles=("department", "dispatcher", "supervisor"))
    def refusal_queue(self, deps, view):
        return view.answer(cases.refusal_queue(deps, view))

    @page("/department/cases/<string:number>/appeals", method="POST", roles=("department",),
          max_bytes=UPLOAD_BYTES)
    def department_appeal(self, deps, view, number):
        return view.answer(appeals.department_appeal(deps, view, number))

    @page("/appeals", roles=("supervisor", "admin", "department"))
    def appeals_page(self, deps, view):
        return view.answer(appeals.appeals(deps, view))

    @page("/appeals/<string:appeal_id>", method="POST", roles=("supervisor",))
    def appeal_decide(self, deps, view, appeal_id):
        return view.answer(appeals.decide_appeal(deps, view, appeal_id))

    @page("/department/cases/<string:number>/unreasonable", method="POST", roles=("department",),
          max_bytes=UPLOAD_BYTES)
    def department_unreasonable(self, deps, view, number):
        return view.answer(cases.department_unreasonable(deps, view, number))

    @page("/department/cases/<string:number>/hold", method="POST", roles=("department",))
    def department_hold(self, deps, view, number):
        return view.answer(cases.department_hold(deps, view, number))

    @page("/cases/<string:number>/files/<string:file_id>", roles=CASE_READERS, answers=("*/*",))
    def case_file(self, deps, view, number, file_id):
        return view.answer(cases.case_file(deps, view, number, file_id))

    # -- pages: quality checking of the operators' work (质检) ------------------------------------

    @page("/quality", roles=("quality", "supervisor"))
    def quality_queue(self, deps, view):
        return view.answer(quality.quality_queue(deps, view))

    @page("/quality/results", roles=("quality", "supervisor", "operator"))
    def quality_results(self, deps, view):
        return view.answer(quality.quality_results(deps, view))

    @page("/quality/<string:number>", roles=("quality", "supervisor"))
    def quality_form(self, deps, view, number):
        return view.answer(quality.quality_form(deps, view, number))

    @page("/quality/<string:number>", method="POST", roles=("quality",))
    def quality_score(self, deps, view, number):
        return view.answer(quality.quality_score(deps, view, number))

    @page("/review", roles=("reviewer", "supervisor"))
    def review_queue(self, deps, view):
        return view.answer(cases.review_queue(deps, view))

    @page("/review/<string:number>", method="POST", roles=("reviewer",))
    def review_decide(self, deps, view, number):
        return view.answer(cases.review_decide(deps, view, number))

    @page("/review/<string:number>/extension", method="POST", roles=("reviewer",))
    def review_extension(self, deps, view, number):
        return view.answer(cases.review_extension(deps, view, number))

    @page("/review/<string:number>/unreasonable", method="POST", roles=("reviewer",))
    def review_unreasonable(self, deps, view, number):
        return view.answer(cases.review_unreasonable(deps, view, number))

    @page("/holds", roles=CASE_READERS)
    def holds(self, deps, view):
        return view.answer(cases.holds(deps, view))

    @page("/holds/<string:number>", method="POST", roles=("supervisor",))
    def hold_decide(self, deps, view, number):
        return view.answer(cases.hold_decide(deps, view, number))

    @page("/callbacks", roles=("callback", "supervisor"))
    def callbacks(self, deps, view):
        return view.answer(cases.callbacks(deps, view))

    @page("/callbacks/<string:number>", method="POST", roles=("callback",))
    def callback_record(self, deps, view, number):
        return view.answer(cases.callback_record(deps, view, number))

    # -- pages: the knowledge base (知识库): units maintain, the centre reviews, operators rate -------

    @page("/knowledge", roles=knowledge.MAINTAINERS)
    def knowledge_list(self, deps, view):
        return view.answer(knowledge.knowledge_list(deps, view))

    @page("/knowledge/<string:entry_id>", roles=knowledge.MAINTAINERS)
    def knowledge_form(self, deps, view, entry_id):
        return view.answer(knowledge.knowledge_form(deps, view, entry_id))

    @page("/knowledge/<string:entry_id>", method="POST", roles=knowledge.MAINTAINERS)
    def knowledge_save(self, deps, view, entry_id):
        return view.answer(knowledge.knowledge_save(deps, view, entry_id))

    @page("/knowledge/<string:entry_id>/decision", method="POST", roles=knowledge.APPROVERS)
    def knowledge_decide(self, deps, view, entry_id):
        return view.answer(knowledge.knowledge_decide(deps, view, entry_id))

    @page("/operator/knowledge/<string:entry_id>/feedback", method="POST", roles=("operator",))
    def knowledge_feedback(self, deps, view, entry_id):
        return view.answer(knowledge.knowledge_feedback(deps, view, entry_id))

    # -- pages: the phone floor: the screen pop, missed callers, the floor's figures ----------------

    @page("/operator/ringing", roles=("operator",))
    def operator_ringing(self, deps, view):
        """The screen pop: the call ringing for the operator, the caller's tickets, their state"""
        return view.answer(floor.ringing(deps, view))

    @page("/floor/state", method="POST", roles=("operator", "callback"))
    def floor_state(self, deps, view):
        """An agent sets their own state: ready, a break, offline"""
        return view.answer(floor.set_state(deps, view))

    @page("/missed", roles=floor.MISSED_READERS)
    def missed_callers(self, deps, view):
        """Missed callers to call back (漏接回拨)"""
        return view.answer(floor.missed(deps, view))

    @page("/missed/<string:key>/claim", method="POST", roles=floor.CALLERS_BACK)
    def missed_claim(self, deps, view, key):
        return view.answer(floor.missed_claim(deps, view, key))

    @page("/missed/<string:key>/outcome", method="POST", roles=floor.CALLERS_BACK)
    def missed_outcome(self, deps, view, key):
        return view.answer(floor.missed_outcome(deps, view, key))

    @page("/floor", roles=floor.SUPERVISION)
    def floor_page(self, deps, view):
        """The phone floor: agents now, the day's figures per hour beside the plan"""
        return view.answer(floor.floor(deps, view))

    @page("/export/floor.<string:fmt>", roles=floor.SUPERVISION, answers=EXPORTS)
    def export_floor(self, deps, view, fmt):
        return view.answer(floor.export_floor(deps, view, fmt))

    # -- pages: the dispatcher: the manual queue, arbitration, re-dispatch -------------------------

    @page("/dispatch", roles=("dispatcher", "supervisor"))
    def dispatch_queue(self, deps, view):
        return view.answer(dispatch.dispatch_queue(deps, view))

    @page("/dispatch/<string:number>/assign", method="POST", roles=("dispatcher",))
    def dispatch_assign(self, deps, view, number):
        return view.answer(dispatch.dispatch_assign(deps, view, number))

    @page("/dispatch/<string:number>/redispatch", method="POST", roles=("dispatcher",))
    def dispatch_redispatch(self, deps, view, number):
        return view.answer(dispatch.dispatch_redispatch(deps, view, number))

    @page("/dispatch/review", roles=("dispatcher", "supervisor"))
    def dispatch_review(self, deps, view):
        return view.answer(dispatch.dispatch_review(deps, view))

    @page("/dispatch/review/<string:number>", method="POST", roles=("dispatcher",))
    def dispatch_review_label(self, deps, view, number):
        return view.answer(dispatch.dispatch_review_label(deps, view, number))

    # -- pages: the supervisor: the city at a glance, the cases behind a number, exports -----------

    @page("/supervisor", roles=SUPERVISION)
    def supervisor(self, deps, view):
        return view.answer(supervisor.supervisor(deps, view))

    @page("/supervisor/proactive", method="POST", roles=proactive.MAKERS)
    def proactive_case(self, deps, view):
        """未诉先办: a finding of insight made a proactive case (主动治理), once"""
        return view.answer(proactive.make_case(deps, view))

    @page("/supervisor/finding", roles=STAFF)
    def finding_chart(self, deps, view):
        """A finding's chart: a spike's days, an emerging problem's weeks"""
        return view.answer(proactive.finding_chart(deps, view))

    @page("/assessment", roles=SUPERVISION)
    def assessment_page(self, deps, view):
        """The monthly assessment (考核): the table per group, raw and adjusted, with ranks."""
        return view.answer(assessment.assessment(deps, view))

    @page("/assessment/cases", roles=SUPERVISION)
    def assessment_cases(self, deps, view):
        return view.answer(assessment.assessment_cases(deps, view))

    @page("/assessment/report-<string:month>.<string:fmt>", roles=SUPERVISION,
          answers=assessment.ANSWERS)
    def assessment_report(self, deps, view, month, fmt):
        """The monthly report (通报) as PDF or xlsx."""
        return view.answer(assessment.assessment_file(deps, view, month, fmt))

    @page("/cases", roles=READERS)
    def cases_list(self, deps, view):
        return view.answer(supervisor.cases_list(deps, view))

    @page("/export/cases.<string:fmt>", roles=READERS, answers=EXPORTS)
    def export_cases(self, deps, view, fmt):
        return view.answer(supervisor.export_cases(deps, view, fmt))

    @page("/export/scorecard.<string:fmt>", roles=SUPERVISION, answers=EXPORTS)
    def export_scorecard(self, deps, view, fmt):
        return view.answer(supervisor.export_scorecard(deps, view, fmt))

    @page("/export/ledger/<string:number>.<string:fmt>", roles=READERS, answers=EXPORTS)
    def export_ledger(self, deps, view, number, fmt):
        return view.answer(supervisor.export_ledger(deps, view, number, fmt))

    # -- pages: the administrator: people, the directory, keys and tokens, the record --------------

    @page("/admin/users", roles=("admin",))
    def admin_users(self, deps, view):
        return view.answer(admin.admin_users(deps, view))

    @page("/admin/users", method="POST", roles=("admin",))
    def admin_create_user(self, deps, view):
        return view.answer(admin.admin_create_user(deps, view))

    @page("/admin/users/<string:login>/password", method="POST", roles=("admin",))
    def admin_reset_password(self, deps, view, login):
        return view.answer(admin.admin_reset_password(deps, view, login))

    @page("/admin/users/<string:login>/second-factor", method="POST", roles=("admin",))
    def admin_reset_second_factor(self, deps, view, login):
        return view.answer(admin.admin_reset_second_factor(deps, view, login))

    @page("/admin/users/<string:login>/state", method="POST", roles=("admin",))
    def admin_user_state(self, deps, view, login):
        return view.answer(admin.admin_user_state(deps, view, login))

    @page("/admin/departments", roles=("admin",))
    def admin_departments(self, deps, view):
        return view.answer(admin.admin_departments(deps, view))

    @page("/admin/departments/<string:code>", method="POST", roles=("admin",))
    def admin_update_department(self, deps, view, code):
        return view.answer(admin.admin_update_department(deps, view, code))

    @page("/admin/proposals", roles=("admin",))
    def admin_proposals(self, deps, view):
        return view.answer(admin.admin_proposals(deps, view))

    @page("/admin/proposals", method="POST", roles=("admin",))
    def admin_decide_proposal(self, deps, view):
        return view.answer(admin.admin_decide_proposal(deps, view))

    @page("/admin/keys", roles=("admin",))
    def admin_keys(self, deps, view):
        return view.answer(admin.admin_keys(deps, view))

    @page("/admin/keys", method="POST", roles=("admin",))
    def admin_key_action(self, deps, view):
        return view.answer(admin.admin_key_action(deps, view))

    @page("/admin/record", roles=("admin",))
    def admin_record(self, deps, view):
        return view.answer(admin.admin_record(deps, view))

    # -- RPC for `hotline users` ------------------------------------------------------------------

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, login, roles, department=None, display_name=""):
        actor = self.caller.require("admin")
        return admin.make_user(bootstrap.deps(self), actor.user_id, login, roles, department, display_name)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def list_users(self):
        self.caller.require("admin")
        return admin.list_users(bootstrap.deps(self))

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def disable_user(self, login, disabled=True):
        actor = self.caller.require("admin")
        return admin.set_disabled(bootstrap.deps(self), actor.user_id, login, disabled)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def reset_password(self, login):
        actor = self.caller.require("admin")
        return admin.new_password(bootstrap.deps(self), actor.user_id, login)

    @door(People("admin"))
    @rpc(expected_exceptions=EXPECTED)
    def reset_user_second_factor(self, login):
        actor = self.caller.require("admin")
        return admin.reset_second_factor(bootstrap.deps(self), actor.user_id, login)

    @door(Public())
    @rpc
    def ping(self):
        return "console"
