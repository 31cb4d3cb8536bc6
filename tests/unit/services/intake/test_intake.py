"""Intake's rules at the door: validation, numbering and privacy."""
import datetime as dt

import pytest
from marshmallow import ValidationError

from services.intake import domain
from services.intake.entrypoints.schemas import load_request

DISTRICTS = ["市南区", "崂山区"]


def valid(**overrides):
    request = {"title": "小区停水", "description": "崂山区某小区停水两天", "caller_name": "王芳",
               "caller_phone": "13853212345", "district": "崂山区"}
    request.update(overrides)
    return request


def errors_of(request):
    with pytest.raises(ValidationError) as info:
        load_request(request, DISTRICTS)
    return info.value.messages


def test_a_valid_request_gets_defaults():
    request = load_request(valid(), DISTRICTS)
    assert request["urgency"] == "normal"
    assert request["channel"] == "phone"


@pytest.mark.parametrize("phone", ["13853212345", "0532-88886666", "053288886666",
                                   "+86 138 5321 2345", "+14155550123", "138-5321-2345",
                                   "(0532)88886666", "0532-88886666-123", "010-12345678"])
def test_accepted_phone_formats(phone):
    assert load_request(valid(caller_phone=phone), DISTRICTS)["caller_phone"] == phone


@pytest.mark.parametrize("phone", ["12853212345", "1385321234", "88886666", "call me", "+1",
                                   "12345", "00000000000", "11111111111", "0532-8888666",
                                   "95555", "400-123-4567", "0014155550123"])
def test_rejected_phone_formats(phone):
    assert "caller_phone" in errors_of(valid(caller_phone=phone))


def test_errors_name_each_field():
    errors = errors_of(valid(title="", district="朝阳区", urgency="asap", channel="fax",
                             lat=91, lng=0, description="x" * 4001))
    assert set(errors) == {"title", "district", "urgency", "channel", "lat", "description"}
    assert "unknown district" in errors["district"][0]


def test_coordinates_come_in_pairs():
    assert "lng" in errors_of(valid(lat=36.06))


def test_not_an_object():
    assert errors_of(["a list"]) == {"_schema": ["the request must be a JSON object"]}


def test_ticket_number_is_readable():
    assert domain.format_number("QD", dt.date(2026, 11, 26), 42) == "QD-20261126-00042"


@pytest.mark.parametrize("phone,masked", [("13853212345", "138****2345"),
                                          ("0532-88886666", "053*****6666"), ("12345", "*****")])
def test_phone_masking(phone, masked):
    assert domain.mask_phone(phone) == masked


def test_name_masking():
    assert domain.mask_name("王芳") == "王*"
    assert domain.mask_name("John Miller") == "J*** M*****"


def test_ticket_created_carries_the_caller_masked():
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    ticket = domain.new_ticket("QD-1", load_request(valid(), DISTRICTS), now)
    body = domain.ticket_created_body(ticket)
    assert body["caller_phone"] == "138****2345"
    assert body["caller_name"] == "王*"
    assert ticket["caller"]["phone"] == "13853212345"  # kept in intake's own store only


@pytest.mark.parametrize("title", ["   ", "\t\n", " a "])
def test_a_blank_title_is_refused(title):
    assert "title" in errors_of(valid(title=title))


def test_text_is_trimmed_and_a_description_of_spaces_is_refused():
    request = load_request(valid(title="  停水两天了 ", address="  "), DISTRICTS)
    assert request["title"] == "停水两天了" and request["address"] is None
    assert load_request(valid(description=""), DISTRICTS)["description"] == ""
    assert "description" in errors_of(valid(description="    "))


def test_text_that_did_not_decode_is_refused():
    gbk_read_as_utf8 = "小区停水".encode("gbk").decode("utf-8", errors="replace")
    assert "\ufffd" in gbk_read_as_utf8
    assert "title" in errors_of(valid(title=gbk_read_as_utf8))
    assert "description" in errors_of(valid(description="ok \x00 not"))


def test_http_submissions_default_to_web_and_never_claim_a_phone_call():
    from services.intake.entrypoints.schemas import HttpTicketRequest

    assert load_request(valid(), DISTRICTS, schema_cls=HttpTicketRequest)["channel"] == "web"
    with pytest.raises(ValidationError) as refused:
        load_request(valid(channel="phone"), DISTRICTS, schema_cls=HttpTicketRequest)
    assert "operators" in refused.value.messages["channel"][0]
    assert load_request(valid(channel="wechat"), DISTRICTS, schema_cls=HttpTicketRequest)["channel"] == "wechat"


def test_a_number_dialled_with_00_is_told_to_use_plus():
    assert "+" in errors_of(valid(caller_phone="0014155550123"))["caller_phone"][0]
    assert "not a phone number" in errors_of(valid(caller_phone="00000000000"))["caller_phone"][0]
