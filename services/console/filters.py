"""Template filters: local times, countdowns, rates, and the names of things."""
from datetime import datetime, timezone

from markupsafe import Markup

from services.console.domain import ROLE_LABELS

# msgids for the names the services use (translated by the catalogues)
STATES = {
    "assigned": "to sign for", "signed_for": "signed for", "replied": "replied, in review",
    "approved": "approved, callback due", "closed": "closed", "refused": "refused",
    "received": "received", "awaiting_dispatch": "awaiting dispatch", "answered": "answered directly",
    "linked": "linked to another", "reply_approved": "reply approved", "reply_rejected": "reply sent back",
    "reopened": "reopened", "case_opened": "case opened", "deadline_watched": "deadline watched",
    "callback": "callback", "escalated": "supervision", "unlinked": "unlinked",
    "extension_requested": "extension asked", "extension_granted": "extension granted",
    "extension_denied": "extension denied",
}
ACTIONS = {
    "assigned": "dispatched", "signed_for": "signed for", "refused": "refused", "replied": "replied",
    "approved": "approved", "rejected": "sent back", "callback": "called back", "closed": "closed",
    "reopened": "reopened", "extension_requested": "extension asked",
    "extension_granted": "extension granted", "extension_denied": "extension denied",
    "redispatched": "re-dispatched",
}
LEVELS = {
    "sign_for_reminder": "sign-for reminder", "yellow_card": "yellow card", "red_card": "red card",
    "rejections": "too many sendbacks",
}
URGENCIES = {"emergency": "emergency", "urgent": "urgent", "normal": "normal"}
SATISFACTION = {"satisfied": "satisfied", "basically_satisfied": "basically satisfied",
                "dissatisfied": "dissatisfied"}


def as_datetime(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def install(env, locale, zone, translations):
    gettext = translations.gettext

    def local(value, fmt="%Y-%m-%d %H:%M"):
        moment = as_datetime(value)
        return moment.astimezone(zone).strftime(fmt) if moment else "-"

    def countdown(value, now=None):
        """``<span class=...>`` saying how long is left, or how late it is."""
        moment = as_datetime(value)
        if moment is None:
            return ""
        now = now or datetime.now(timezone.utc)
        seconds = (moment - now).total_seconds()
        late = seconds < 0
        seconds = abs(int(seconds))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        if days:
            span = gettext("%(d)sd %(h)sh") % {"d": days, "h": hours}
        elif hours:
            span = gettext("%(h)sh %(m)sm") % {"h": hours, "m": minutes}
        else:
            span = gettext("%(m)sm") % {"m": minutes}
        if late:
            text, css = gettext("%(span)s overdue") % {"span": span}, "late"
        else:
            text = gettext("%(span)s left") % {"span": span}
            css = "soon" if seconds < 4 * 3600 else "ok"
        return Markup('<span class="countdown {}" title="{}">{}</span>').format(css, local(moment), text)

    def pct(rate):
        return "-" if rate is None else f"{rate * 100:.1f}%"

    def role_label(role):
        names = ROLE_LABELS.get(role)
        return (names[0] if locale == "zh_CN" else names[1]) if names else role

    def named(table):
        return lambda key: gettext(table[key]) if key in table else (key or "")

    def level(code):
        if code and code.startswith("supervision_"):
            return gettext("supervision order %(n)s") % {"n": code.split("_", 1)[1]}
        return gettext(LEVELS[code]) if code in LEVELS else (code or "")

    env.filters.update(local=local, countdown=countdown, pct=pct, role_label=role_label,
                       state=named(STATES), action=named(ACTIONS), level=level,
                       urgency=named(URGENCIES), satisfaction=named(SATISFACTION))
    env.globals.update(role_label=role_label)
