"""The operator's screens: a new ticket while on the phone, search, the ticket page.

Handlers of the pages in ``service.py``. The new-ticket form is typed in the order of
the call (phone, name, what happened, where, how urgent) and works from the
keyboard alone: as the phone number is typed the caller's earlier tickets
appear (来电弹屏); as the problem is typed, the knowledge base's answers (to
close the ticket on the call, 直接答复), routing's suggested department with
its confidence and reasons, and the open tickets this may repeat (to link
to). Personal data travels in POST bodies only, never in a URL (which logs keep).
"""
import math
import re

from services.console import timeline
from services.console.bootstrap import Deps
from services.console.handlers import floor
from services.console.i18n import N_
from services.console.view import Redirect, Refused, View, show
from shared.contract import bounds
from shared.platform.city import load_city

STAFF = ("operator", "dispatcher", "reviewer", "callback", "supervisor", "admin", "quality")
PAGE = 20
FULL_NUMBER = re.compile(r"[A-Za-z]+-\d{8}-\d{5}")
SEARCH_FIELDS = ("number", "phone", "text", "address", "district", "status", "request_type", "date_from",
                 "date_to")
FIELDS = ("caller_phone", "caller_name", "title", "description", "district", "street", "address",
          "urgency", "request_type", "category", "call_id", "recording_url")
# What a screen pop may put in the new ticket's URL: the call, never the caller (a phone
# number stays out of URLs; the form looks the caller up once the number is typed).
FROM_THE_CALL = ("call_id", "recording_url")


def typed(form):
    """The ticket as typed so far (empty fields left out)."""
    request = {k: (form.get(k) or "").strip() for k in FIELDS}
    request = {k: v for k, v in request.items() if v}
    request["channel"] = "phone"
    return request


def city_places(deps: Deps):
    city = load_city(deps.config)
    return [d["name"] for d in city.get("districts", [])]


def catalogue(deps: Deps, view: View):
    return view.optional("routing", "get_catalogue") or []


# -- the new ticket --------------------------------------------------------

def operator_form(deps: Deps, view: View):
    """The empty form; a screen pop opens it as ``/operator?call_id=...``: the caller's number
    and the call's recording are looked up here by the call's id (callcentre's ``get_call``),
    and the caller's earlier tickets shown at once."""
    form = {name: view.arg(name)[:2048] for name in FROM_THE_CALL if view.arg(name)}
    caller = None
    call = floor.call_for_form(view, form.get("call_id"))
    if call:
        form.setdefault("recording_url", call.get("recording_url") or "")
        phone = call.get("caller_phone") or ""
        if floor.a_number(phone):
            form["caller_phone"] = phone
            caller = view.optional("intake", "caller_tickets", phone, 8)
    return show("operator.html", form=form, errors={}, districts=city_places(deps),
                catalogue=catalogue(deps, view), lines=transfer_lines(view), caller=caller)


def with_recording(view: View, request):
    """The call's recording, when the PBX attached it after the form was opened (at hangup)."""
    if request.get("call_id") and not request.get("recording_url"):
        call = floor.call_for_form(view, request["call_id"])
        if call and call.get("recording_url"):
            request["recording_url"] = call["recording_url"]
    return request


def operator_caller(deps: Deps, view: View):
    phone = (view.form.get("caller_phone") or "").strip()
    found = view.call("intake", "caller_tickets", phone, 8) if len(phone) >= 7 else {"items": [], "total": 0}
    return show("_caller.html", tickets=found["items"], total=found["total"], phone=phone)


def operator_suggest(deps: Deps, view: View):
    request = typed(view.form)
    text = f"{request.get('title', '')} {request.get('description', '')}".strip()
    if len(text) < 2:
        return show("_suggest.html", answers=[], routing=None, repeats=[], empty=True)
    answers, routing, repeats = view.gather(
        ("intake", "search_knowledge", (text, 3)),
        ("routing", "suggest", (request,)),
        ("intake", "repeat_candidates", (request, 5)))
    emergency = view.optional("intake", "emergency_words", text[:8000])
    return show("_suggest.html", answers=answers, routing=routing, repeats=repeats,
                emergency=emergency if emergency and emergency.get("line") else None, empty=False)


def transfer_lines(view: View):
    return view.optional("intake", "transfer_lines") or []


def said(request):
    return f"{request.get('title', '')} {request.get('description', '')}".strip()


def _form_again(deps: Deps, view: View, status=200, errors=None, emergency=None):
    return show("operator.html", status=status, form=view.form, errors=errors or {},
                districts=city_places(deps), catalogue=catalogue(deps, view), lines=transfer_lines(view),
                emergency=emergency)


def _one_click_match(deps: Deps, view: View, request, entry_id, link_to):
    """The answer or open ticket clicked, looked up again: (what, match, score, threshold)."""
    thresholds = deps.web.thresholds
    if entry_id:
        text = f"{request.get('title', '')} {request.get('description', '')}".strip()
        found = view.call("intake", "search_knowledge", text, 20) if text else []
        match = next((a for a in found if a.get("id") == entry_id), None)
        return "answer", match, (match or {}).get("score", 0.0), thresholds["answer"]
    found = view.call("intake", "repeat_candidates", request, 20)
    match = next((t for t in found if t.get("number") == link_to), None)
    return "link", match, (match or {}).get("similarity", 0.0), thresholds["link"]


def operator_submit(deps: Deps, view: View):
    request = typed(view.form)
    link_to = (view.form.get("link_to") or "").strip() or None
    entry_id = (view.form.get("entry_id") or "").strip() or None
    if view.form.get("back"):  # from the confirmation, back to the form as typed
        return _form_again(deps, view)
    if len(view.form.get("description") or "") > bounds.TEXT:  # said here, in the form's words
        return _form_again(deps, view, 400, {"description": [view._(
            "%(n)s characters: at most %(m)s fit. Nothing was recorded; shorten the text.",
            n=len(view.form["description"]), m=bounds.TEXT)]})
    if not (entry_id or link_to or view.form.get("not_emergency")):
        # Words that sound like an emergency: ask once whether to hand the caller over.
        emergency = view.optional("intake", "emergency_words", said(request)[:8000])
        if emergency and emergency.get("line"):
            return _form_again(deps, view, emergency=emergency)
    if entry_id or link_to:
        # Closing or linking on one click is only as good as the match: above the city's
        # threshold, say what it is and ask again on a page of its own (no script needed).
        kind, match, score, needed = _one_click_match(deps, view, request, entry_id, link_to)
        allowed = match is not None and score >= needed
        if not (allowed and view.form.get("confirmed")):
            return show("operator_confirm.html", status=200 if allowed else 409, form=view.form,
                        kind=kind, match=match, score=score, needed=needed, allowed=allowed,
                        fields=FIELDS)
    request = with_recording(view, request)
    try:
        if entry_id:
            ticket = view.call("intake", "answer_ticket", request, entry_id)
        else:
            ticket = view.call("intake", "submit_ticket", request, view.form.get("idempotency"), link_to)
    except Refused as exc:
        if exc.status != 400:
            raise
        return _form_again(deps, view, 400, exc.errors or {"_": [exc.detail]})
    number = ticket["received_as"]
    messages = {
        "created": view._("Ticket %(n)s recorded: read the number to the caller.", n=number),
        "linked": view._("Recorded as %(n)s and linked to the open ticket %(m)s.", n=number, m=ticket["number"]),
        "answered": view._("Ticket %(n)s answered on the call and closed.", n=number),
        "existing": view._("This request was recorded before as %(n)s.", n=number),
    }
    return Redirect(f"/operator?done={number}", flash=messages.get(ticket["outcome"], number))


def operator_transfer(deps: Deps, view: View):
    """The caller handed to another line (110/119/120/122 ...): recorded, closed at once.

    Without a reason typed, the emergency words found say why (the prompt's button)."""
    request = typed(view.form)
    line = (view.form.get("line") or view.form.get("transfer_line") or "").strip()  # the prompt's, or chosen
    reason = (view.form.get("transfer_reason") or "").strip()
    reference = (view.form.get("transfer_reference") or "").strip() or None
    if not reason:
        found = view.optional("intake", "emergency_words", said(request)[:8000]) or {}
        words = [hit["word"] for hit in found.get("words") or [] if hit["line"] == line]
        reason = view._("Emergency words: %(words)s", words="、".join(words)) if words else ""
    request = with_recording(view, request)
    try:
        ticket = view.call("intake", "transfer_ticket", request, line, reason, reference,
                           view.form.get("idempotency"))
    except Refused as exc:
        if exc.status != 400:
            raise
        errors = dict(exc.errors or {"_": [exc.detail]})
        if "reason" in errors:
            errors["transfer_reason"] = errors.pop("reason")
        if "reference" in errors:
            errors["transfer_reference"] = errors.pop("reference")
        return _form_again(deps, view, 400, errors)
    number = ticket["received_as"]
    if ticket["outcome"] == "existing":
        return Redirect(f"/operator?done={number}",
                        flash=view._("This request was recorded before as %(n)s.", n=number))
    return Redirect(f"/operator?done={number}",
                    flash=view._("Ticket %(n)s recorded: the caller was handed to %(line)s.", n=number, line=line))


# -- finding tickets ---------------------------------------------------------

def ticket_search_start(deps: Deps, view: View):
    """Keep the criteria with the session (a phone number stays out of URLs) and list.

    A whole ticket number is a search of its own: whatever else is left in the form
    (the last caller's phone, a district) does not narrow it to nothing. Only this
    submission jumps to a single match; coming back to the list later does not.
    """
    if view.form.get("clear"):
        deps.people.set_search(view.token, {})
        return Redirect("/tickets")
    criteria = {k: (view.form.get(k) or "").strip()[:100] for k in SEARCH_FIELDS}
    if FULL_NUMBER.fullmatch(criteria["number"]):
        criteria = {"number": criteria["number"]}
    deps.people.set_search(view.token, {k: v for k, v in criteria.items() if v})
    return Redirect("/tickets?page=1&jump=1")


def ticket_search(deps: Deps, view: View):
    criteria = dict(view.session.get("search") or {})
    if view.arg("number"):
        criteria = {"number": view.arg("number")}
    page_no = view.page_number()
    found, error = None, None
    if criteria:
        try:
            found = view.call("intake", "search_tickets", criteria, (page_no - 1) * PAGE, PAGE)
        except Refused as exc:
            if exc.status != 400:
                raise
            error = view.env.filters["errors_said"](exc.errors) if exc.errors else exc.detail
    if found and found["total"] == 1 and criteria.get("number") and page_no == 1 and view.arg("jump"):
        return Redirect(f"/tickets/{found['items'][0]['number']}")
    return show("tickets.html", criteria=criteria, found=found, error=error, page=page_no,
                size=PAGE, base="/tickets?", districts=city_places(deps),
                pages=math.ceil((found or {}).get("total", 0) / PAGE))


def ticket_page(deps: Deps, view: View, number):
    if view.person.is_department_only:  # departments see cases, by followup's rules
        return Redirect(f"/department/cases/{number}")
    ticket, case = view.gather(("intake", "get_ticket", (number,)),
                               ("followup", "get_case", (number,)))
    if ticket is None:
        raise Refused(404, N_("Not found"), view._("No ticket %(n)s.", n=number))
    departments = view.optional("routing", "list_departments") if view.can("dispatcher") else None
    return show("ticket.html", ticket=ticket, case=case, departments=departments or [],
                events=timeline.merged(ticket, case))


def ticket_contact(deps: Deps, view: View, number):
    contact = view.call("followup", "case_contact", number, None, view.form.get("purpose") or "")
    deps.people.record_audit({"at": view.now, "actor": view.person.user_id, "action": "contact_viewed",
                              "subject": number, "address": view.address})
    return show("_contact.html", contact=contact, number=number)
