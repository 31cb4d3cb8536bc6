"""Why a ticket went where it went, and what became of it: each a code with its facts, and its sentence.

Routing explains every decision. A reason is ``{"code": ..., "params": {...}}``
(``reason(code, **params)``); events and records carry the sentences in
``reasons`` (English, for logs, the CLI and any system reading the events) and
the coded reasons beside them in ``reason_codes``, so a person's screen says
them in the person's language: the workbench translates each code's sentence
through its catalogues (``services/console``, ``make translations`` extracts
them from here) and fills in the facts. A reason a person typed (an
operator's or a dispatcher's "why") is ``said`` with its text, never translated.
Intake's history entries tell what became of a ticket the same way: ``note``
(the English sentences) and ``reason_codes`` beside it (``noted``).

The sentences are ``%``-format strings with named facts; a code not known
here (an older or newer routing) is shown by its sentence.
"""
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Coded = dict[str, Any]  # {"code": ..., "params": {...}}


def N_(message: str) -> str:
    """Mark a sentence for the workbench's catalogues; it is translated where it is shown."""
    return message


SENTENCES: dict[str, str] = {
    "said": "%(text)s",
    "catalogue": N_("category %(category)s (%(category_name)s) belongs to %(department)s"),
    "recognised": N_("category %(category)s (%(category_name)s) recognised from %(words)s: "
                     "time limit %(limit_class)s"),
    "zone": N_("%(area)s is covered by %(department)s alone"),
    "confident": N_("%(department)s with confidence %(confidence).2f (threshold %(threshold).2f)"),
    "weighed": N_("words that weighed most: %(words)s"),
    "keywords": N_("keywords %(keywords)s are %(department)s's responsibility "
                   "(keyword matcher, no trained model yet: confidence not measured)"),
    "not_sure": N_("not sure: best is %(department)s at %(confidence).2f, below the threshold %(threshold).2f"),
    "local_area": N_("%(area)s is %(department)s's area (属地)"),
    "place": N_("no responsibility matched the text; %(area)s is %(department)s's area (属地)"),
    "nothing": N_("no category, no responsibility matched the text, and no place with an office"),
    "refused_before": N_("excluding %(departments)s: refused before"),
    "refused_by": N_("refused by %(department)s: %(reason)s"),
    "arbitration": N_("refused %(count)d times: a dispatcher decides (仲裁)"),
    "urgency_raised": N_("%(urgency)s: a %(limit_class)s case is at least %(urgency)s"),
    "suggestion_rank": N_("routing's suggestion no. %(rank)d"),
    "moved_from": N_("moved from %(department)s"),
    "co_handler_proposed": N_("co-handler (协办) proposed: %(department)s, ranked no. %(rank)d at "
                              "%(confidence).2f (co-handler threshold %(threshold).2f)"),
    "request_type_given": N_("request type %(request_type)s as given at intake"),
    "request_type_learned": N_("request type %(request_type)s suggested by the model learned from typed "
                               "tickets, confidence %(confidence).2f (words that weighed most: %(words)s)"),
    "request_type_words": N_("request type %(request_type)s suggested from the words %(words)s"),
    "request_type_default": N_("request type %(request_type)s: no type given and no word of another"),
    "request_type_set": N_("request type %(request_type)s set by %(person)s"),
    "raised_from": N_("raised from %(department)s after %(count)d reopenings (提级办理)"),
    "raised_to_centre": N_("no unit above it: the centre's leadership decides"),
    # what became of the ticket, as intake's history tells it (services/intake)
    "received": N_("received by %(channel)s"),
    "received_by": N_("received by %(channel)s (%(person)s)"),
    "repeats": N_("repeats open ticket %(number)s"),
    "same_caller": N_("same caller, similar text (%(similarity).2f) within %(hours)d h"),
    "same_place": N_("similar text (%(similarity).2f) in %(category)s %(metres)d m away"),
    "linked_by": N_("linked by %(person)s"),
    "rebound": N_("rebound of %(number)s, closed as solved (反弹)"),
    "rebound_same_caller": N_("same caller, same matter, within %(days)d days of %(number)s's closing"),
    "rebound_same_place": N_("%(category)s at the same place (%(metres)d m) within %(days)d days of "
                             "%(number)s's closing"),
    "answered": N_("answered directly from %(entry)s by %(person)s"),
    "transferred": N_("handed to line %(line)s by %(person)s"),
    "unlinked": N_("not a repeat of %(number)s (%(person)s)"),
    "dispatched": N_("dispatched to %(department)s by %(by)s"),
    "dispatched_automatically": N_("dispatched to %(department)s by routing"),
    "uncovered": N_("its deadlines run over days no official calendar covers (%(days)s)"),
    "waiting": N_("waiting for a dispatcher"),
    "supervision": N_("supervision: %(level)s"),
    "closed_with": N_("closed with ticket %(number)s"),
    "case_opened": N_("case opened for %(department)s"),
    "watched": N_("supervision watches the deadline %(deadline)s"),
    "signed_for": N_("signed for by %(department)s"),
    "returned": N_("%(department)s returned it: %(reason)s; to be dispatched again"),
    "extension_asked": N_("%(department)s asked for %(days)d more working days"),
    "extension_granted": N_("extension granted; reply due %(deadline)s"),
    "extension_denied": N_("extension denied; reply due %(deadline)s"),
    "replied": N_("%(department)s replied; the hotline reviews the reply"),
    "approved": N_("reply approved; the citizen will be called back"),
    "sent_back": N_("reply sent back to %(department)s: %(reason)s"),
    "not_reached": N_("citizen called back (not reached)"),
    "resolved": N_("citizen called back (resolved: yes; %(satisfaction)s)"),
    "unresolved": N_("citizen called back (resolved: no; %(satisfaction)s)"),
    "reopened": N_("reopened: %(reason)s"),
    "reopened_unresolved": N_("reopened: unresolved"),
    "closed": N_("closed"),
    # the exits (followup/domain/exits.py, callback.py)
    "called_back": N_("citizen called back (%(outcome)s; %(satisfaction)s)"),
    "closed_as": N_("closed: %(outcome)s"),
    "raised": N_("raised a level from %(department)s (提级): %(reason)s"),
    "on_hold": N_("on hold (挂账) until %(day)s: %(reason)s"),
    "hold_rechecked": N_("back from hold (挂账); reply due %(deadline)s"),
    # a part withdrawn when another unit leads the case (followup/domain/tree.py, ``rerouted``)
    "leads_now": N_("%(department)s leads the case now: its part ends"),
    "former_lead": N_("%(department)s no longer leads the case: its part ends"),
    "with_former_lead": N_("%(department)s no longer leads the case: what it passed down ends with it"),
}


def reason(code: str, **params: object) -> Coded:
    """A coded reason; ``code`` must be one of ``SENTENCES``.

    Its facts travel in events: a fraction is kept to four places (numpy's
    included), one that is not finite becomes null.
    """
    if code not in SENTENCES:
        raise ValueError(f"no reason {code!r}")
    return {"code": code, "params": {name: _plain(value) for name, value in params.items()}}


def _plain(value: object) -> bool | int | float | str | None:
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return round(float(value), 4) if math.isfinite(value) else None
    return str(value)


def said(text: str) -> Coded:
    """A reason a person gave, in their words."""
    return reason("said", text=text)


def sentence(coded: Mapping[str, Any], template: str | None = None) -> str:
    """The sentence of a coded reason (``template``: its translation, if any).

    A template that does not fit the facts (a translation gone wrong, a reason
    from another version) falls back to the English sentence, then to the code.
    """
    return fill(coded, template, SENTENCES)


def fill(coded: Mapping[str, Any], template: str | None, sentences: Mapping[str, str]) -> str:
    """``template`` (else the English of ``sentences``) filled with the code's facts,
    else the code: what reasons and field errors share."""
    params = dict(coded.get("params") or {})
    for candidate in (template, sentences.get(str(coded.get("code")))):
        if candidate:
            try:
                return candidate % params
            except (KeyError, TypeError, ValueError):
                continue
    return str(coded.get("code") or "")


def sentences(coded: Iterable[Mapping[str, Any]]) -> list[str]:
    """The English sentences of a list of coded reasons, as events carry them."""
    return [sentence(c) for c in coded]


def noted(*coded: Coded | None) -> dict[str, Any]:
    """A history entry's words: ``{"note": the English sentences, "reason_codes": coded}``."""
    kept = [c for c in coded if c]
    return {"note": "; ".join(sentences(kept)), "reason_codes": kept}


def scrubbed(coded: Iterable[object] | None, scrub: Callable[[str], object]) -> list[Coded]:
    """The coded reasons with every text fact passed through ``scrub`` (erasure of
    personal data: a person's words and the words of the citizen's text are facts too)."""
    return [dict(c, params={k: scrub(v) if isinstance(v, str) else v for k, v in (c.get("params") or {}).items()})
            for c in coded or [] if isinstance(c, dict)]
