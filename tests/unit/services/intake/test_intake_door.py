"""Intake's rules at the door: repeats, knowledge search, API keys, Open311 mapping."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from services.intake import domain
from services.intake.domain import apikeys, knowledge
from services.intake.domain.duplicates import DuplicateRules, distance_m, find_master, phone_key, shingles, similarity
from services.intake.entrypoints import open311
from shared.contract.reasons import sentence

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
WATER = {"title": "小区停水两天了", "description": "崂山区海尔路小区从前天开始停水，没有任何通知。"}
WATER_AGAIN = {"title": "海尔路小区还是停水", "description": "从前天停水到现在还没来水，也没有通知"}
WAGES = {"title": "公司拖欠工资三个月", "description": "老板欠薪不发"}


def ticket(number, text, hours_ago=1, status="assigned", **extra):
    return dict(text, number=number, status=status, received_at=NOW - dt.timedelta(hours=hours_ago), **extra)


# -- similarity --------------------------------------------------------------

def test_chinese_is_compared_by_character_bigrams_and_english_by_words():
    assert shingles("小区停水 no water") == {"小区", "区停", "停水", "water"}
    assert shingles("怎么办") == set()  # question words say nothing about the matter


def test_a_reworded_repeat_is_similar_and_another_matter_is_not():
    repeat = similarity(domain_text(WATER), domain_text(WATER_AGAIN))
    other = similarity(domain_text(WATER), domain_text(WAGES))
    assert repeat >= DuplicateRules().similarity > other
    assert similarity("Big pothole on Main Street by the school",
                      "Pothole on Main Street near the school again") > 0.6


def domain_text(request):
    return f"{request['title']} {request['description']}"


@pytest.mark.parametrize("a,b", [("13853212345", "+86 138 5321 2345"), ("0532-88886666", "053288886666"),
                                 ("138-5321-2345", "13853212345")])
def test_one_phone_number_written_differently_is_one_caller(a, b):
    assert phone_key(a) == phone_key(b)


def test_distance_is_metres_on_the_ground():
    # 0.001 degrees of latitude is about 111 m
    assert 110 < distance_m(36.0, 120.0, 36.001, 120.0) < 112


# -- repeats of open tickets ---------------------------------------------------

def test_same_caller_similar_text_within_72_hours_repeats_the_open_ticket():
    master, reason = find_master(WATER_AGAIN, NOW, [ticket("QD-1", WATER, hours_ago=70)], [], DuplicateRules())
    assert master["number"] == "QD-1"
    assert reason["code"] == "same_caller" and "same caller" in sentence(reason)


@pytest.mark.parametrize("hours_ago,status,text", [(73, "assigned", WATER), (1, "closed", WATER),
                                                   (1, "linked", WATER), (1, "assigned", WAGES)])
def test_old_finished_or_different_tickets_are_not_repeated(hours_ago, status, text):
    assert find_master(WATER_AGAIN, NOW, [ticket("QD-1", text, hours_ago, status)], [],
                       DuplicateRules()) == (None, None)


def place(lat, lng, category="water-outage"):
    return {"lat": lat, "lng": lng, "category": category}


def test_another_caller_same_category_within_100_m_and_7_days_repeats_it():
    request = dict(WATER_AGAIN, **place(36.1000, 120.4000))
    near = ticket("QD-2", WATER, hours_ago=24 * 6, **place(36.1005, 120.4000))  # ~56 m
    master, reason = find_master(request, NOW, [], [near], DuplicateRules())
    assert master["number"] == "QD-2" and reason["code"] == "same_place" and "56 m away" in sentence(reason)


@pytest.mark.parametrize("other", [place(36.1015, 120.4000),                   # ~167 m
                                   place(36.1005, 120.4000, "heating")])       # other category
def test_too_far_or_another_category_is_not_a_repeat(other):
    request = dict(WATER_AGAIN, **place(36.1000, 120.4000))
    assert find_master(request, NOW, [], [ticket("QD-2", WATER, **other)], DuplicateRules())[0] is None


def test_the_box_the_store_searches_holds_every_point_within_the_radius():
    from services.intake.domain.duplicates import bounding_box

    lat_min, lat_max, lng_min, lng_max = bounding_box(36.1, 120.4, 100)
    for lat, lng in [(36.1009, 120.4), (36.1, 120.4011), (36.0991, 120.3989)]:
        if distance_m(36.1, 120.4, lat, lng) <= 100:
            assert lat_min <= lat <= lat_max and lng_min <= lng <= lng_max
    assert distance_m(36.1, 120.4, lat_max, 120.4) > 100  # but not much more
    assert distance_m(36.1, 120.4, lat_max, 120.4) < 110


def test_the_place_rule_needs_a_week_at_most():
    request = dict(WATER_AGAIN, **place(36.1000, 120.4000))
    old = ticket("QD-2", WATER, hours_ago=24 * 8, **place(36.1000, 120.4000))
    assert find_master(request, NOW, [], [old], DuplicateRules())[0] is None


# -- knowledge base ------------------------------------------------------------

def test_the_seed_knowledge_base_answers_chinese_and_english_questions():
    entries = knowledge.load_file("seed/knowledge.yaml")
    assert knowledge.rank("公积金怎么取", entries)[0]["id"] == "KB-FUND-001"
    assert knowledge.rank("暖气什么时候来", entries)[0]["id"] == "KB-HEAT-001"
    assert knowledge.rank("欠薪怎么办", entries)[0]["id"] == "KB-WAGE-001"
    assert knowledge.rank("the taxi overcharged me", entries)[0]["id"] == "KB-EN-TAXI"
    assert knowledge.rank("我想问一下", entries) == []


def test_a_long_account_of_another_problem_gets_no_answer_for_one_shared_word():
    entries = knowledge.load_file("seed/knowledge.yaml")
    water = "小区停水两天了 崂山区海尔路小区从前天开始停水，没有任何通知，老人孩子生活很不方便。"
    assert [e["id"] for e in knowledge.rank(water, entries, min_score=0)][:1] == ["KB-HEAT-001"]  # "开始"
    assert knowledge.rank(water, entries) == []


def test_csv_rows_import_with_keywords_split_on_semicolons():
    rows = knowledge.parse("id,question,answer,keywords\nK1,垃圾分类怎么分？,分四类,垃圾分类; 厨余\n", "csv")
    entry = knowledge.entry(rows[0], 1)
    assert entry["keywords"] == ["垃圾分类", "厨余"] and entry["lang"] == "zh"
    assert "厨余" in entry["terms"]


@pytest.mark.parametrize("row,problem", [({"id": "K", "question": "q?"}, "'answer' is required"),
                                         ("text", "not a mapping")])
def test_bad_entries_say_which_and_why(row, problem):
    with pytest.raises(knowledge.BadEntry, match=problem):
        knowledge.entry(row, 3)


# -- API keys --------------------------------------------------------------------

def test_keys_are_random_and_only_their_digest_is_kept():
    first, second = apikeys.new_key(), apikeys.new_key()
    assert first != second and len(first) > 40
    assert apikeys.digest(first) == apikeys.digest(first) != apikeys.digest(second)
    assert first not in apikeys.digest(first)


@pytest.mark.parametrize("name,ok", [("city-app", True), ("police_110", True), ("a.b", False),
                                     ("", False), ("x" * 65, False), ("市民", False), (None, False)])
def test_client_names_fit_in_a_routing_key(name, ok):
    assert apikeys.valid_name(name) is ok


# -- Open311 ---------------------------------------------------------------------

def test_an_open311_post_becomes_a_ticket_request():
    request = open311.ticket_request(
        {"service_code": "heating", "description": "暖气不热\n室温十四度", "address_string": "李沧区书院路 88 号",
         "lat": "36.16", "long": "120.42", "first_name": "丽", "last_name": "孙", "phone": "13705326789"},
        ["李沧区", "市南区"])
    assert request["title"] == "暖气不热"
    assert request["district"] == "李沧区"
    assert (request["lat"], request["lng"]) == ("36.16", "120.42")
    assert request["caller_name"] == "丽 孙" and request["channel"] == "open311"


@pytest.mark.parametrize("args,message", [({"lat": 1, "long": 2}, "service_code was not provided"),
                                          ({"service_code": "heating"}, "a location is required")])
def test_an_open311_post_needs_a_service_and_a_place(args, message):
    with pytest.raises(open311.Open311Error) as info:
        open311.ticket_request(args, [])
    assert info.value.status == 400 and message in info.value.errors[0]["description"]


def test_field_errors_name_open311_arguments():
    error = open311.field_errors({"lng": ["too far"], "caller_phone": ["not a phone number"]})
    assert [e["description"] for e in error.errors] == ["phone: not a phone number", "long: too far"]
    assert all(e["code"] == 400 for e in error.errors)


@pytest.mark.parametrize("status,shown", [("received", "open"), ("assigned", "open"), ("linked", "open"),
                                          ("closed", "closed"), ("answered", "closed")])
def test_open311_knows_only_open_and_closed(status, shown):
    view = open311.service_request({"number": "QD-1", "status": status, "received_at": NOW}, ZoneInfo("Asia/Shanghai"), {})
    assert view["status"] == shown
    assert view["requested_datetime"] == "2026-11-26T16:00:00+08:00"


def test_requests_default_to_the_last_90_days():
    wanted = open311.query({}, NOW)
    assert wanted["end"] == NOW and wanted["start"] == NOW - dt.timedelta(days=90)
    assert wanted["limit"] == 1000
    assert open311.query({"service_request_id": "QD-1,QD-2"}, NOW)["start"] is None


@pytest.mark.parametrize("args", [{"start_date": "yesterday"}, {"end_date": "2026-11-26T08:00:00"},
                                  {"status": "pending"},
                                  {"start_date": "2026-11-26T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}])
def test_bad_request_filters_are_refused(args):
    with pytest.raises(open311.Open311Error):
        open311.query(args, NOW)


# -- the ticket ----------------------------------------------------------------

def test_a_direct_answer_closes_the_ticket_with_the_entry():
    ticket_ = domain.new_ticket("QD-1", {"title": "公积金怎么取", "channel": "phone", "caller_phone": "13853212345"}, NOW)
    domain.answered(ticket_, {"id": "KB-1", "question": "q", "answer": "凭身份证办理"}, "operator 7", NOW)
    view = domain.public_view(ticket_)
    assert view["status"] == "answered" and view["reply"] == "凭身份证办理"
    assert view["caller_phone"] == "138****2345"
    assert domain.contact(ticket_) == {"name": None, "phone": "13853212345", "email": None}
