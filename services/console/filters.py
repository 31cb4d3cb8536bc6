"""Template filters: local times, countdowns, rates, and the names of things."""
from datetime import UTC, datetime

from markupsafe import Markup

from services.console.domain import people
from services.console.i18n import N_
from shared.contract import field_errors
from shared.contract import reasons as coded_reasons
from shared.contract.names import in_language

# msgids for the names the services use (translated by the catalogues)
STATES = {
    "assigned": N_("to sign for"), "signed_for": N_("signed for"), "replied": N_("replied, in review"),
    "approved": N_("approved, callback due"), "closed": N_("closed"), "refused": N_("refused"),
    "received": N_("received"), "awaiting_dispatch": N_("awaiting dispatch"), "answered": N_("answered directly"),
    "transferred": N_("transferred to another line"),
    "linked": N_("linked to another"), "reply_approved": N_("reply approved"), "reply_rejected": N_("reply sent back"),
    "reopened": N_("reopened"), "case_opened": N_("case opened"), "deadline_watched": N_("deadline watched"),
    "callback": N_("callback"), "escalated": N_("supervision"), "unlinked": N_("unlinked"),
    "extension_requested": N_("extension asked"), "extension_granted": N_("extension granted"),
    "extension_denied": N_("extension denied"),
    "refusal_review": N_("refusal in review"), "done": N_("done"), "withdrawn": N_("withdrawn"),
    "unreasonable_proposed": N_("unreasonable request proposed"), "hold_proposed": N_("hold proposed"),
    "on_hold": N_("on hold (挂账)"), "raised": N_("raised a level (提级)"), "hold_rechecked": N_("back from hold"),
    "rebound": N_("rebound (反弹)"),
}
OUTCOMES = {  # how a case ended (services/followup/domain/states.py)
    "resolved": N_("resolved (已解决)"), "partly_resolved": N_("partly resolved (部分解决)"),
    "unresolved": N_("unresolved (未解决)"), "untrue": N_("not true (不属实)"),
    "unreasonable": N_("unreasonable request (不合理诉求)"),
}
ACTIONS = {
    "assigned": N_("dispatched"), "signed_for": N_("signed for"), "refused": N_("refused"), "replied": N_("replied"),
    "approved": N_("approved"), "rejected": N_("sent back"), "callback": N_("called back"), "closed": N_("closed"),
    "reopened": N_("reopened"), "extension_requested": N_("extension asked"),
    "extension_granted": N_("extension granted"), "extension_denied": N_("extension denied"),
    "redispatched": N_("re-dispatched"),
    "co_assigned": N_("co-handler added"), "passed_down": N_("passed down"), "part_withdrawn": N_("part withdrawn"),
    "refusal_approved": N_("refusal approved"), "refusal_rejected": N_("refusal rejected"),
    "reply_accepted": N_("reply accepted"), "reply_sent_back": N_("reply sent back"),
    "appeal_filed": N_("appeal filed"), "appeal_accepted": N_("appeal accepted"),
    "appeal_rejected": N_("appeal rejected"),
    "unreasonable_proposed": N_("unreasonable request proposed"),
    "unreasonable_approved": N_("ruled unreasonable"), "unreasonable_rejected": N_("unreasonable request rejected"),
    "hold_proposed": N_("hold proposed"), "hold_approved": N_("hold approved"), "hold_rejected": N_("hold rejected"),
    "hold_rechecked": N_("back from hold"), "raised": N_("raised a level (提级)"),
    "rebounded": N_("rebounded: a request came back (反弹)"),
}
SCORED = {  # what a ledger entry counts against its unit (services/followup/domain/appeal.py)
    "late_sign_for": N_("late sign-for"), "late_reply": N_("late reply"), "reply_rejected": N_("reply sent back"),
    "callback_unsatisfied": N_("unresolved or dissatisfied callback"),
}
APPEAL_STATES = {"open": N_("appeal under review"), "accepted": N_("appeal accepted"),
                 "rejected": N_("appeal rejected")}
LEVELS = {
    "sign_for_reminder": N_("sign-for reminder"), "yellow_card": N_("yellow card"), "red_card": N_("red card"),
    "rejections": N_("too many sendbacks"),
}
FINDINGS = {  # the quality gate's finding codes (services/followup/domain/quality.py)
    "empty": N_("the reply is empty"),
    "too_short": N_("the reply is very short"),
    "boilerplate": N_("stock phrases with no specifics: say what was done, where and when"),
    "off_topic": N_("the reply shares no words with what the citizen asked about"),
    "undated_promise": N_("promises action without a date or time limit"),
    "overlap_not_checked": N_("the ticket's text was not available; compare it by hand"),
}
RULES = {  # the rule that decided (services/routing/domain/rules.py, service.py)
    "catalogue": N_("catalogue"), "zone": N_("exclusive zone"), "classifier": N_("model"),
    "keywords": N_("keywords"), "place": N_("place (属地)"), "manual": N_("a person decides"),
    "operator": N_("dispatcher"), "redispatch": N_("re-dispatched"), "arbitration": N_("arbitration"),
    "raised": N_("raised a level (提级)"),
}
LIMIT_CLASSES = {"emergency": N_("emergency-class"), "utilities": N_("utilities-class"),  # shared/timelimits/deadlines.py
                 "general": N_("general-class"), "complex": N_("complex-class")}
URGENCIES = {"emergency": N_("emergency"), "urgent": N_("urgent"), "normal": N_("normal")}
REQUEST_TYPES = {  # shared/contract/request_types.py, in the national work order's order
    "consultation": N_("consultation"), "help": N_("request for help"), "complaint": N_("complaint"),
    "report": N_("report of wrongdoing"), "suggestion": N_("suggestion"), "praise": N_("praise"),
    "proactive": N_("proactive case (主动治理)"),  # the hotline's own: never a citizen's, no form offers it
}
CITIZEN_REQUEST_TYPES = tuple(t for t in REQUEST_TYPES if t != "proactive")
ACTORS = {"routing": N_("routing (automatic)")}  # who acted when no person did (decided_by)
CHANNELS = {"phone": N_("phone"), "web": N_("web"), "wechat": N_("WeChat"), "app": N_("app"),  # shared/contract/events.py
            "email": N_("e-mail"), "open311": N_("Open311"), "system": N_("another system"),
            "proactive": N_("found by the hotline (未诉先办)")}
AUDIT = {  # what the record keeps (services/console: sign-ins and changes to people)
    "signed_in": N_("signed in"), "signed_out": N_("signed out"), "wrong_password": N_("wrong password"),
    "locked": N_("locked"), "unknown_user": N_("unknown user"), "disabled": N_("disabled"),
    "throttled": N_("too many attempts"), "password_changed": N_("password changed"),
    "user_created": N_("user created"), "user_disabled": N_("user disabled"), "user_enabled": N_("user enabled"),
    "password_reset": N_("password reset"), "contact_viewed": N_("contact read"),
    "create_key": N_("API key issued"), "revoke_key": N_("API key revoked"),
    "create_token": N_("department token issued"), "revoke_token": N_("department tokens revoked"),
    "wrong_code": N_("wrong code"), "slowed": N_("slowed down"), "password_accepted": N_("password accepted, code asked"),
    "second_factor_enrolled": N_("second factor enrolled"), "second_factor_reset": N_("second factor reset"),
    "signin_slowed": N_("sign-in slowed"), "address_throttled": N_("address throttled"),
    "signin_slowdown_ended": N_("slow-down ended"),
}
FIELDS = {  # the fields the services name in their errors (intake, followup, routing, the workbench)
    "title": N_("Title"), "description": N_("What the caller says"), "caller_phone": N_("Caller's phone"),
    "caller_name": N_("Caller's name"), "district": N_("District"), "street": N_("Street"), "address": N_("Address"),
    "urgency": N_("Urgency"), "category": N_("Category"), "reason": N_("Reason"), "text": N_("Reply"),
    "working_days": N_("Working days"), "login": N_("Login"), "roles": N_("Roles"), "department": N_("Department"),
    "display_name": N_("Name the ledger shows"), "password": N_("Password"), "from": N_("From"), "to": N_("To"),
    "date_from": N_("From"), "date_to": N_("To"), "number": N_("Number"), "link_to": N_("Repeats"),
    "entry_id": N_("Knowledge base"), "files": N_("Files"), "phone": N_("Phone"), "name": N_("Name"),
    "state": N_("State"), "note": N_("Note"), "satisfaction": N_("Satisfaction"),
    "parent": N_("Parent unit"), "duties": N_("Duties (职责清单)"),
    "request_type": N_("Request type"),
    "outcome": N_("Outcome"), "evidence": N_("Evidence"), "recheck_on": N_("Recheck on"), "approve": N_("Decision"),
}
KINDS = {"municipal": N_("municipal bureau"), "district": N_("district office"),  # services/routing/domain/directory.py
         "street": N_("street office"), "community": N_("community"), "zone": N_("zone office")}
DIRECTORY_CHANGES = {"seed": N_("seeded"), "add": N_("added"), "update": N_("changed"), "retire": N_("retired"),
                     "catalogue": N_("catalogue entry changed")}
PLACES = {"unknown": N_("place unknown")}  # insight's cell of tickets without a district
VIA = {"console": N_("workbench"), "token": N_("department's system")}  # services/followup/handlers/queries.py
SATISFACTION = {"satisfied": N_("satisfied"), "basically_satisfied": N_("basically satisfied"),
                "dissatisfied": N_("dissatisfied"), "no rating": N_("no rating")}


def as_datetime(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def install(env, locale, zone, translations):
    _ = translations.gettext

    def local(value, fmt="%Y-%m-%d %H:%M"):
        moment = as_datetime(value)
        return moment.astimezone(zone).strftime(fmt) if moment else "-"

    def countdown(value, now=None):
        """``<span class=...>`` saying how long is left, or how late it is."""
        moment = as_datetime(value)
        if moment is None:
            return ""
        now = now or datetime.now(UTC)
        seconds = (moment - now).total_seconds()
        late = seconds < 0
        seconds = abs(int(seconds))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            span = _("%(d)sd %(h)sh") % {"d": days, "h": hours}
        elif hours:
            span = _("%(h)sh %(m)sm") % {"h": hours, "m": minutes}
        else:
            span = _("%(m)sm") % {"m": minutes}
        if late:
            text, css = _("%(span)s overdue") % {"span": span}, "late"
        else:
            text = _("%(span)s left") % {"span": span}
            css = "soon" if seconds < 4 * 3600 else "ok"
        return Markup('<span class="countdown {}" title="{}">{}</span>').format(css, local(moment), text)

    def pct(rate):
        return "-" if rate is None else f"{rate * 100:.1f}%"

    def role_label(role):
        return people.role_label(role, locale)

    def line_name(line):
        """Another centre's line (110, 119 ...) by its number and its name in the reader's language."""
        line = line or {}
        name = line.get("name") if locale == "zh_CN" else (line.get("name_en") or line.get("name"))
        return f"{line.get('code') or ''} {name or ''}".strip()

    def field_error(text, unit=None):
        """A service's English message about a field, in the reader's language (``shared.contract.field_errors``);
        ``unit``: names a department by its code."""
        error = field_errors.recognised(text)
        if error["code"] == "said":
            return error["params"]["text"]
        facts = dict(error["params"])
        if unit and facts.get("department"):
            facts["department"] = unit(facts["department"])
        if facts.get("roles"):
            facts["roles"] = "、".join(role_label(r) for r in facts["roles"].split(", ")) \
                if locale == "zh_CN" else facts["roles"]
        template = field_errors.SENTENCES[error["code"]]
        return field_errors.sentence(dict(error, params=facts), _(template))

    def field_errors_of(messages):
        return [field_error(m) for m in messages or []]

    def errors_said(errors):
        """Errors by field as one line in the reader's language: "field: what is wrong; ..."."""
        colon, semicolon = ("：", "；") if locale == "zh_CN" else (": ", "; ")
        said = [f"{_(FIELDS[k]) if k in FIELDS else k}{colon}{' '.join(field_errors_of(v))}" if k != "_"
                else " ".join(field_errors_of(v)) for k, v in (errors or {}).items()]
        return semicolon.join(said)

    def named(table):
        return lambda key: _(table[key]) if key in table else (key or "")

    def level(code):
        if code and code.startswith("supervision_"):
            return _("supervision order %(n)s") % {"n": code.split("_", 1)[1]}
        return _(LEVELS[code]) if code in LEVELS else (code or "")

    def finding(item):
        code = item.get("code")
        return _(FINDINGS[code]) if code in FINDINGS else item.get("message", "")

    def reasons(item):
        """Why routing decided, or what became of a ticket (intake's history), in the reader's
        language: each coded reason's sentence translated and filled in; the English sentences
        where none were coded."""
        coded = (item or {}).get("reason_codes")
        if not coded:
            return list((item or {}).get("reasons") or [])
        said, english = [], list((item or {}).get("reasons") or [])
        for n, c in enumerate(coded):
            if not isinstance(c, dict):
                continue
            if c.get("code") not in coded_reasons.SENTENCES:  # from a newer routing: its English
                said.append(english[n] if n < len(english) else str(c.get("code") or ""))
                continue
            facts = dict(c.get("params") or {})
            for name, table in (("urgency", URGENCIES), ("limit_class", LIMIT_CLASSES), ("channel", CHANNELS),
                                ("satisfaction", SATISFACTION), ("request_type", REQUEST_TYPES),
                                ("outcome", OUTCOMES)):
                if facts.get(name) in table:
                    facts[name] = _(table[facts[name]])
            if facts.get("level"):
                facts["level"] = level(facts["level"])
            if facts.get("deadline"):  # a moment, in the city's time
                facts["deadline"] = local(facts["deadline"])
            if facts.get("category_name"):  # the catalogue names a category in both languages
                facts["category_name"] = in_language(facts["category_name"], locale)
            template = coded_reasons.SENTENCES[c.get("code")]
            said.append(coded_reasons.sentence(dict(c, params=facts), _(template)))
        return said

    def english_or_translated(item):  # a ledger entry's reason: coded ones translated, a person's words as said
        return "; ".join(reasons(item)) if (item or {}).get("reason_codes") else (item or {}).get("reason") or ""

    env.filters.update(finding=finding, reasons=reasons, local=local, countdown=countdown, pct=pct, role_label=role_label,
                       field_error=field_error, field_errors=field_errors_of, errors_said=errors_said,
                       reason_said=english_or_translated, audit=named(AUDIT), kind=named(KINDS),
                       directory_change=named(DIRECTORY_CHANGES), via=named(VIA),
                       place=lambda name: _(PLACES[name]) if name in PLACES else (name or ""),
                       state=named(STATES), action=named(ACTIONS), level=level,
                       urgency=named(URGENCIES), satisfaction=named(SATISFACTION), rule=named(RULES),
                       channel=named(CHANNELS), actor=named(ACTORS), scored=named(SCORED),
                       appeal_state=named(APPEAL_STATES), request_type=named(REQUEST_TYPES),
                       outcome=named(OUTCOMES))
    env.globals.update(request_types=CITIZEN_REQUEST_TYPES, all_request_types=tuple(REQUEST_TYPES))
    env.globals.update(role_label=role_label)
    env.filters.update(line_name=line_name)
