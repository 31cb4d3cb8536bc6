"""Field errors travel as codes beside the English, and the workbench says them in the
reader's language (shared/contract/field_errors.py, services/console/filters.py)."""
import re
from zoneinfo import ZoneInfo

import jinja2
import pytest
from marshmallow import ValidationError

from services.console import filters, i18n
from services.console.domain import people as domain
from services.intake.entrypoints.schemas import load_request
from shared.contract import field_errors

DISTRICTS = ("市南区", "崂山区")


def env_for(locale):
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    translations = i18n.load(locale)
    env.install_gettext_translations(translations, newstyle=True)
    filters.install(env, locale, ZoneInfo("Asia/Shanghai"), translations)
    return env


def errors_of(request):
    with pytest.raises(ValidationError) as caught:
        load_request(request, DISTRICTS)
    return caught.value.messages


def test_marshmallows_and_intakes_messages_are_coded_with_their_facts():
    coded = field_errors.coded(errors_of({"caller_phone": "12345", "district": "火星区", "title": "x"}))
    assert coded["caller_phone"] == [{"code": "phone", "params": {}}]
    assert coded["district"] == [{"code": "unknown_district", "params": {"districts": "崂山区, 市南区"}}]
    assert coded["title"] == [{"code": "length_between", "params": {"min": "2", "max": "200"}}]
    assert field_errors.coded(errors_of({}))["title"] == [{"code": "required", "params": {}}]


def test_a_message_no_sentence_makes_is_said_as_it_is():
    assert field_errors.recognised("the moon is made of cheese") == {
        "code": "said", "params": {"text": "the moon is made of cheese"}}
    assert field_errors.coded({"a": [["nested"], {"b": ["Missing data for required field."]}]}) == {
        "a": [{"code": "said", "params": {"text": "nested"}}, {"code": "required", "params": {}}]}


def test_every_sentence_is_recognised_as_itself():
    for code, template in field_errors.SENTENCES.items():
        if code == "said":
            continue
        facts = {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)", template)}
        assert field_errors.recognised(template % facts)["code"] == code, code


def test_the_workbench_says_them_in_chinese_and_keeps_the_english_in_english():
    messages = ["Missing data for required field.", field_errors.message("phone"),
                field_errors.message("unknown_district", districts="崂山区, 市南区"),
                "Length must be between 2 and 200.", "words no sentence makes"]
    chinese = env_for("zh_CN").filters["field_errors"](messages)
    assert chinese == ["此项必填。", chinese[1], "没有这个区（市）；本市有：崂山区, 市南区",
                       "长度须在 2 到 200 个字之间。", "words no sentence makes"]
    assert chinese[1].startswith("不是有效的电话号码")
    assert env_for("en").filters["field_errors"](messages) == messages


def test_the_workbench_rules_about_people_are_coded_and_roles_named():
    with pytest.raises(domain.UserInvalid) as caught:
        domain.check_new_user("X!", ["pilot"], None, ["WATER"], "")
    said = {field: env_for("zh_CN").filters["field_errors"](m) for field, m in caught.value.errors.items()}
    assert said["login"][0].startswith("2 到 32 个字符")
    assert "派单员" in said["roles"][0] and "dispatcher" not in said["roles"][0]


def test_every_sentence_has_its_chinese():
    translations = i18n.load("zh_CN")
    for code, template in field_errors.SENTENCES.items():
        if code != "said":
            assert translations.gettext(template) != template, code


@pytest.mark.parametrize("name, zh, en", [
    ("停水/水管破裂 Water outage or burst main", "停水/水管破裂", "Water outage or burst main"),
    ("公用事业 Utilities", "公用事业", "Utilities"),
    ("市能源局（供热供气）", "市能源局（供热供气）", "市能源局（供热供气）"),
    ("Potholes", "Potholes", "Potholes"),
])
def test_a_name_in_both_languages_is_read_in_the_readers(name, zh, en):
    assert filters.in_language(name, "zh_CN") == zh and filters.in_language(name, "en") == en


def test_a_services_refusal_by_field_reaches_the_page_as_errors_by_field():
    from nameko.exceptions import RemoteError

    from services.console.view import refusal_of

    followup = refusal_of(RemoteError("InvalidRequest", "working_days: at most 10 working days in all; "
                                                        "8 left for this case; reason: is required"))
    assert followup.errors == {"working_days": ["at most 10 working days in all; 8 left for this case"],
                               "reason": ["is required"]}
    intake = refusal_of(RemoteError("ValidationFailed", '{"title": ["Missing data for required field."]}'))
    assert intake.errors == {"title": ["Missing data for required field."]}
    said = env_for("zh_CN").filters["errors_said"](followup.errors)
    assert said == "工作日：延期合计最多 10 个工作日；本工单还可延 8 个工作日；理由：此项必填"
    assert refusal_of(RemoteError("TransitionRefused", "case QD-1 is closed: cannot sign for")).errors == {}


def test_a_dispatchers_refusal_is_said_with_the_unit_by_name():
    said = env_for("zh_CN").filters["field_error"]("QD-20261205-00002 is with WATER already",
                                                   {"WATER": "市水务管理局"}.get)
    assert said == "QD-20261205-00002 已在市水务管理局"
    assert env_for("zh_CN").filters["field_error"]("something routing never said") == "something routing never said"
