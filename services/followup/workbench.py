"""followup's RPC for the workbench's screens, each made as the signed-in person.

A mixin of ``FollowupService``. Who may see what is decided here, not by the
screens: department staff (a person with the ``department`` role and no
hotline role) see and act only on their own department's cases -- any other
case is ``NotYourCase`` (403) however the request is made; a department's
system with its token likewise. Calls with no person at all are other
services and the operators' CLI (which signs as ``cli:LOGIN``).

* ``case_detail``: the case, its ledger, what the citizen said, the files;
* ``case_contact``: the citizen's full contact, every read recorded;
* ``department_inbox``: a department's open cases, most urgent first;
* ``review_queue``, ``extension_requests``, ``callbacks_due``: the hotline's queues;
* ``overview``, ``search_cases``: the city at a glance, and the cases behind each number;
* ``add_attachment``, ``get_attachment``: reply files, kept in followup's MongoDB.
"""
import base64
import binascii
import logging

import eventlet

from services.followup import attachments, domain
from services.followup.domain import InvalidRequest, NotYourCase, UnknownCase
from shared.contract import events
from shared.platform.doors import People, Services, door
from shared.platform.identity import ROLES, STAFF_ROLES, NotAllowed
from shared.platform.jsonable import jsonable
from shared.platform.messaging import rpc

log = logging.getLogger(__name__)

CONTACT_ROLES = ("department", "callback", "operator", "reviewer", "supervisor")
MAX_PAGE = 100
_EXPECTED = (InvalidRequest, NotYourCase, UnknownCase, NotAllowed, attachments.AttachmentRefused)


def _page(offset, limit):
    try:
        offset, limit = int(offset or 0), int(limit or 20)
    except (TypeError, ValueError):
        raise InvalidRequest({"page": ["whole numbers"]}) from None
    return max(0, offset), max(1, min(limit, MAX_PAGE))


def _listed(cases, total):
    return {"items": jsonable(cases), "total": total}


class Workbench:

    # -- who may see a case ------------------------------------------------------

    def _scope(self, department_code=None):
        """The department a list is limited to: department staff get only their own."""
        person = self.caller.person
        if person is not None and person.is_department_only:
            if department_code and department_code != person.department:
                raise NotYourCase(f"{person.name} works for {person.department}, not {department_code}")
            return person.department
        return department_code

    def _may_see(self, case, token=None, roles=()):
        """Who asks, if they may see ``case``: ``(name, actor_id, department or None)``."""
        if token is not None:  # "" or a garbled token is refused, never read as "no token"
            department = self._department(token)
            if case["department_code"] != department:
                raise NotYourCase(f"case {case['number']} is not with {department}")
            return "", f"token:{department}", department
        person = self.caller.person
        if person is None:
            if roles:
                self.caller.require(*roles)
            return "", None, None
        if roles:
            self.caller.require(*roles)
        if person.is_department_only and case["department_code"] != person.department:
            raise NotYourCase(f"case {case['number']} is not with {person.department}")
        return person.name, person.user_id, person.department if person.is_department_only else None

    def _load(self, number):
        case = self.cases.load(number) if isinstance(number, str) else None
        if case is None:
            raise UnknownCase(f"no case {number}")
        return case

    # -- one case -----------------------------------------------------------------

    @door(People(*ROLES))
    @rpc(expected_exceptions=_EXPECTED)
    def case_detail(self, number, token=None):
        """The case with its ledger, what the citizen said (caller masked) and its files."""
        case = self._load(number)
        if token is None:
            self.caller.require()
        self._may_see(case, token)
        view = {k: v for k, v in case.items() if k not in ("outbox", "_id", "ticket")}
        view["ledger"] = (self.cases.get(number) or {}).get("ledger") or []  # its own collection
        view["ticket"] = self._ticket(case, content=True)
        view["files"] = self.cases.files_of(number)
        view["refuse_by"] = self.rules.clock.refusal_deadline(case["assigned_at"]) \
            if case["state"] in (domain.ASSIGNED, domain.SIGNED_FOR) else None
        return jsonable(view)

    @door(People(*ROLES))
    @rpc(expected_exceptions=_EXPECTED)
    def case_contact(self, number, token=None, purpose=""):
        """The citizen's name, phone and email, unmasked; the read is recorded."""
        case = self._load(number)
        name, actor_id, _department = self._may_see(case, token, () if token is not None else CONTACT_ROLES)
        try:
            with eventlet.Timeout(3):
                contact = self.intake.get_citizen_contact.call_async(number).result()
        except (Exception, eventlet.Timeout) as exc:
            log.warning("intake did not give the contact for %s (%r)", number, exc)
            raise InvalidRequest({"contact": ["intake is not answering; try again"]}) from None
        self.cases.record_contact_access({
            "number": number, "at": events.utcnow(), "actor": name, "actor_id": actor_id,
            "department_code": case["department_code"], "purpose": str(purpose or "")[:200],
            "via": "token" if token is not None else "console"})
        log.info("contact of %s read by %s", number, actor_id)
        # The citizen's own lookup code (for notify's receipt) is not the department's to see.
        return {key: contact.get(key) for key in ("name", "phone", "email")} if contact else None

    # -- queues ---------------------------------------------------------------------

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=_EXPECTED)
    def department_inbox(self, token=None, offset=0, limit=20, state=None):
        """The department's open cases, the next deadline first (sign-for, reply, callback)."""
        department = self._department_actor(token)[0]
        offset, limit = _page(offset, limit)
        query = {"department_code": department, "state": {"$in": list(domain.OPEN_STATES)}}
        if state in domain.OPEN_STATES:
            query["state"] = state
        cases, total = self.cases.page(query, [("due_at", 1)], offset, limit)
        return _listed(cases, total)

    @door(People("reviewer", "supervisor"))
    @rpc(expected_exceptions=_EXPECTED)
    def review_queue(self, offset=0, limit=10):
        """Replies waiting for review, oldest first, each with the quality gate's findings."""
        self.caller.require("reviewer", "supervisor")
        offset, limit = _page(offset, limit)
        cases, total = self.cases.page({"state": domain.REPLIED}, [("reply.replied_at", 1)], offset, limit,
                                       with_ticket=True)
        for case in cases:
            ticket = self._ticket(case)
            case["findings"] = domain.review_findings(case, ticket)
            case["ticket"] = ticket
        return _listed(cases, total)

    @door(People("reviewer", "supervisor"))
    @rpc(expected_exceptions=_EXPECTED)
    def extension_requests(self, offset=0, limit=20):
        self.caller.require("reviewer", "supervisor")
        offset, limit = _page(offset, limit)
        query = {"state": {"$in": [domain.SIGNED_FOR, domain.REPLIED]}, "extension": {"$ne": None}}
        return _listed(*self.cases.page(query, [("extension.requested_at", 1)], offset, limit))

    @door(People("callback", "supervisor"))
    @rpc(expected_exceptions=_EXPECTED)
    def callbacks_due(self, offset=0, limit=20):
        """Approved replies whose citizen is to be called back, the most overdue first."""
        self.caller.require("callback", "supervisor")
        offset, limit = _page(offset, limit)
        return _listed(*self.cases.page({"state": domain.APPROVED}, [("callback_due", 1)], offset, limit))

    # -- the city at a glance ---------------------------------------------------------

    @door(People(*STAFF_ROLES))
    @rpc(expected_exceptions=_EXPECTED)
    def overview(self):
        """Open cases by department and state, and the late ones, for supervisors."""
        self.caller.require(*STAFF_ROLES)
        now = self.clock.now()
        open_states = {"state": {"$in": list(domain.OPEN_STATES)}}
        late = {"state": {"$in": [domain.ASSIGNED, domain.SIGNED_FOR]}, "deadline": {"$lt": now}}
        sign_late = {"state": domain.ASSIGNED, "sign_for_deadline": {"$lt": now}}
        callbacks_late = {"state": domain.APPROVED, "callback_due": {"$lt": now}}
        departments = {}
        for key, count in self.cases.count_by(open_states, ["department_code", "state"]):
            row = departments.setdefault(key["department_code"], {"states": {}, "overdue": 0, "sign_for_late": 0})
            row["states"][key["state"]] = count
        for match, field in ((late, "overdue"), (sign_late, "sign_for_late")):
            for key, count in self.cases.count_by(match, ["department_code"]):
                departments.setdefault(key["department_code"], {"states": {}, "overdue": 0,
                                                                "sign_for_late": 0})[field] = count
        totals = {state: sum(r["states"].get(state, 0) for r in departments.values())
                  for state in domain.OPEN_STATES}
        return jsonable({
            "at": now, "totals": totals, "open": sum(totals.values()),
            "overdue": sum(r["overdue"] for r in departments.values()),
            "sign_for_late": sum(r["sign_for_late"] for r in departments.values()),
            "callbacks_late": self.cases.count_where(callbacks_late),
            "departments": [dict(row, code=code, name=self.directory.name(code))
                            for code, row in sorted(departments.items())]})

    @door(People(*ROLES))
    @rpc(expected_exceptions=_EXPECTED)
    def search_cases(self, filters=None, offset=0, limit=20):
        """Cases by ``department``, ``state`` (or ``open``), ``overdue``, ``numbers``; one page."""
        filters = filters if isinstance(filters, dict) else {}
        person = self.caller.require()
        offset, limit = _page(offset, limit)
        query = {}
        department = self._scope(filters.get("department") or None)
        if department:
            query["department_code"] = department
        state = filters.get("state") or "open"
        if state == "open":
            query["state"] = {"$in": list(domain.OPEN_STATES)}
        elif state in domain.STATES:
            query["state"] = state
        else:
            raise InvalidRequest({"state": [f"open or one of {', '.join(domain.STATES)}"]})
        if filters.get("overdue"):
            query.update(state={"$in": [domain.ASSIGNED, domain.SIGNED_FOR]}, deadline={"$lt": self.clock.now()})
        numbers = filters.get("numbers")
        if numbers is not None:
            if not isinstance(numbers, list) or len(numbers) > 500 or not all(isinstance(n, str) for n in numbers):
                raise InvalidRequest({"numbers": ["up to 500 ticket numbers"]})
            query["number"] = {"$in": numbers}
        if not person.has(*STAFF_ROLES) and not department:
            raise NotAllowed(f"{person.name} may not list cases")
        return _listed(*self.cases.page(query, [("due_at", 1)], offset, limit))

    @door(People("admin", "supervisor"))
    @rpc(expected_exceptions=_EXPECTED)
    def contact_accesses(self, number=None, offset=0, limit=50):
        """Who read which citizen's contact, newest first (administrators, supervisors)."""
        self.caller.require("admin", "supervisor")
        offset, limit = _page(offset, limit)
        items, total = self.cases.contact_accesses(number, offset, limit)
        return _listed(items, total)

    @door(People("admin"))
    @rpc(expected_exceptions=_EXPECTED)
    def list_department_tokens(self):
        self.caller.require("admin")
        return jsonable(self.cases.list_tokens())

    # -- reply files ------------------------------------------------------------------

    @door(Services("cli"), People("department"))  # the CLI may act with a token
    @rpc(expected_exceptions=_EXPECTED)
    def add_attachment(self, number, filename, data_base64, token=None):
        """Keep a file for the department's coming reply; returns its ``id`` for ``submit_reply``."""
        department, actor, actor_id = self._department_actor(token)
        case = self._load(number)
        if case["department_code"] != department:
            raise NotYourCase(f"case {number} is not with {department}")
        if case["state"] != domain.SIGNED_FOR:
            raise domain.TransitionRefused(f"case {number} is {case['state']}: files go with a reply")
        try:
            data = base64.b64decode(data_base64 or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise attachments.AttachmentRefused({"file": ["the file's bytes, base64-encoded"]}) from None
        name, kind = attachments.check(filename, data, self.cases.count_files(number))
        info = self.cases.add_file(number, name, kind, data, actor_id, events.utcnow())
        log.info("file %s (%s, %d bytes) added to %s by %s", info["id"], kind, len(data), number, actor_id)
        return jsonable(info)

    @door(People(*ROLES))
    @rpc(expected_exceptions=_EXPECTED)
    def get_attachment(self, number, file_id, token=None):
        """``{info, data_base64}`` of a case's file, for whoever may see the case."""
        case = self._load(number)
        if token is None:
            self.caller.require()
        self._may_see(case, token)
        found = self.cases.read_file(number, file_id)
        if found is None:
            raise UnknownCase(f"no file {file_id} in case {number}")
        info, data = found
        return {"info": jsonable(info), "data_base64": base64.b64encode(data).decode("ascii")}

    def _files_named(self, number, file_ids):
        if not file_ids:
            return []
        if not isinstance(file_ids, list) or not all(isinstance(i, str) for i in file_ids):
            raise InvalidRequest({"files": ["a list of file ids"]})
        known = {f["id"]: f for f in self.cases.files_of(number)}
        missing = [i for i in file_ids if i not in known]
        if missing:
            raise InvalidRequest({"files": [f"not files of case {number}: {', '.join(missing)}"]})
        return [known[i] for i in file_ids]
