"""A ticket's request type (诉求类型) at intake: validated at every door, stored, carried on."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from services.intake.domain import Ticket
from services.intake.domain.public import status_view
from services.intake.entrypoints import open311
from services.intake.entrypoints.schemas import InboundSubmission, load_request
from shared.contract import events, request_types

DISTRICTS = ["市南区", "崂山区"]
AT = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)


def valid(**overrides):
    return {"title": "小区停水", "description": "崂山区某小区停水两天", "caller_phone": "13853212345",
            "district": "崂山区", **overrides}


@pytest.mark.parametrize("given, code", [("complaint", "complaint"), ("投诉", "complaint"),
                                         ("咨询类", "consultation"), (" Praise ", "praise"),
                                         ("举报", "report"), ("求助", "help"), ("建议", "suggestion")])
def test_the_code_or_the_chinese_word_is_taken(given, code):
    assert load_request(valid(request_type=given), DISTRICTS)["request_type"] == code


@pytest.mark.parametrize("given", [None, "", "  "])
def test_no_type_is_no_type(given):
    request = valid() if given is None else valid(request_type=given)
    assert load_request(request, DISTRICTS)["request_type"] is None


@pytest.mark.parametrize("given", ["query", "抱怨", 3, ["complaint"], "类"])
def test_any_other_type_is_a_field_error(given):
    with pytest.raises(ValidationError) as info:
        load_request(valid(request_type=given), DISTRICTS)
    assert set(info.value.messages) == {"request_type"}


def test_the_amqp_door_takes_the_type_too():
    body = valid(source_system="city-app", external_id="A-1", request_type="建议")
    assert load_request(body, DISTRICTS, schema_cls=InboundSubmission)["request_type"] == "suggestion"


def test_the_ticket_stores_the_type_and_ticket_created_carries_it():
    request = load_request(valid(request_type="投诉"), DISTRICTS)
    ticket = Ticket.receive("QD20261201-0001", request, AT)
    assert ticket.to_doc()["request_type"] == "complaint"
    event = ticket.create()
    assert event["request_type"] == "complaint"
    assert events.TicketCreated().load(event)["request_type"] == "complaint"


def test_a_ticket_created_event_without_a_type_still_loads():
    request = load_request(valid(), DISTRICTS)
    event = Ticket.receive("QD20261201-0002", request, AT).create()
    event.pop("request_type")
    assert events.TicketCreated().load(event).get("request_type") is None


def test_an_event_with_an_unknown_type_is_refused():
    event = Ticket.receive("QD20261201-0003", load_request(valid(), DISTRICTS), AT).create()
    with pytest.raises(ValidationError):
        events.TicketCreated().load(dict(event, request_type="grumble"))


def test_the_public_status_shows_the_type_and_an_old_ticket_none():
    doc = Ticket.receive("QD20261201-0004", load_request(valid(request_type="help"), DISTRICTS), AT).to_doc()
    assert status_view(doc)["request_type"] == "help"
    doc.pop("request_type")
    assert status_view(doc)["request_type"] is None


@pytest.mark.parametrize("args", [{"attribute[request_type]": "举报"},
                                  {"attribute": {"request_type": "report"}}])
def test_an_open311_attribute_names_the_type(args):
    request = open311.ticket_request({"service_code": "sanitation", "description": "垃圾乱倒",
                                      "address_string": "市南区香港中路1号", **args}, DISTRICTS)
    assert load_request(request, DISTRICTS)["request_type"] == "report"


def test_an_open311_post_without_the_attribute_has_no_type():
    request = open311.ticket_request({"service_code": "sanitation", "description": "垃圾乱倒",
                                      "address_string": "市南区香港中路1号"}, DISTRICTS)
    assert "request_type" not in request


def test_a_bad_open311_type_is_named_as_the_attribute():
    error = open311.field_errors({"request_type": ["Must be one of: consultation."]})
    assert error.errors[0]["description"].startswith("attribute[request_type]: ")


def test_every_type_has_its_chinese_word():
    assert [request_types.WORDS[c] for c in request_types.REQUEST_TYPES] == \
        ["咨询", "求助", "投诉", "举报", "建议", "表扬", "主动治理"]
    assert "proactive" not in request_types.CITIZEN_REQUEST_TYPES  # the hotline's own, no citizen's
    assert request_types.label("complaint") == "投诉 complaint"


def test_the_operators_search_filters_by_type_in_either_language():
    from services.intake.handlers.errors import ValidationFailed
    from services.intake.handlers.search import search_query

    assert search_query({"request_type": "投诉"}, dt.UTC, AT)["request_type"] == "complaint"
    assert "request_type" not in search_query({"request_type": ""}, dt.UTC, AT)
    with pytest.raises(ValidationFailed) as info:
        search_query({"request_type": "grumble"}, dt.UTC, AT)
    assert set(info.value.errors) == {"request_type"}
