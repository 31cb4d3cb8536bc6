"""Routing learns from what happens after a dispatch: approved refusals and arbitrations about
one category move the model, and the same evidence proposes a catalogue edit that would have
dispatched the history better. In-memory store, the handlers as the service calls them."""
import datetime as dt
from collections import Counter

import mongomock
import pytest

from services.routing.adapters.decisions import DecisionRepository
from services.routing.adapters.knowledge import Knowledge
from services.routing.bootstrap import Deps
from services.routing.domain import request_types
from services.routing.handlers import decisions, learning, proposals
from services.routing.learning import outcomes, training
from services.routing.learning.synthetic import generate
from shared.platform.privacy import scrub
from shared.platform.unit_of_work import UnitOfWork
from tests.people import person
from tests.typed_orders import typed_orders
from tests.unit.services.routing.test_catalogue_proposal_handlers import Caller

T0 = dt.datetime(2026, 11, 27, 1, tzinfo=dt.UTC)
MOVE = "move_category:street-vendor:URBAN_MGMT>MARKET"
VENDORS = ["农贸市场里摊贩占道收摊位费", "市场门口摊贩乱收摊位费", "早市摊贩摊位费太贵没有票据",
           "菜市场摊贩被收取高额摊位费", "市场摊贩摊位费不明码标价", "夜市摊贩反映摊位费乱涨"]


class Clock:
    def now(self):
        return T0


@pytest.fixture
def routing():
    store = DecisionRepository(mongomock.MongoClient(tz_aware=True)["hotline_routing"], {})
    store.ensure_indexes()
    knowledge = Knowledge({"ROUTING_PROPOSAL_MIN_CASES": 5, "ROUTING_MAX_REFUSALS": 1})
    published = []

    def as_(*roles, name="张管理员"):
        return Deps(decisions=store, directory=store.directory, calendar=store.calendar, learning=store.learning,
                    numbers=store.numbers, proposals=store.proposals, knowledge=knowledge, clock=Clock(),
                    caller=Caller(person(name, roles)),
                    dispatch=lambda kind, payload: published.append(kind),
                    uow=UnitOfWork(lambda kind, payload: published.append(kind)), config=knowledge.config)
    return as_


def top(deps, text):
    return deps.known().model.suggest(text, top=1)[0].department_code


def test_refusals_and_arbitrations_about_a_category_move_the_model_and_the_catalogue(routing):
    admin, dispatcher = routing("admin"), routing("dispatcher", name="王调度")
    # a history that never mentions street vendors: the directory's own words (URBAN_MGMT's
    # keywords, the street-vendor catalogue entry) are what the model knows of them
    admin.learning.add_history(generate(4, seed=3), "past")
    learning.train(admin, "first")
    assert top(admin, "摊贩乱收摊位费") == "URBAN_MGMT"

    for n, text in enumerate(VENDORS, 1):
        number = f"QD-20261127-{n:05d}"
        decisions.ticket_created(admin, {"number": number, "title": text, "category": "street-vendor",
                                         "urgency": "normal", "event_id": f"e{n}", "request_type": "complaint"})
        assert admin.decisions.get(number)["department_code"] == "URBAN_MGMT"  # the catalogue's unit
        decisions.case_refused(admin, {"number": number, "department_code": "URBAN_MGMT", "event_id": f"r{n}",
                                       "reason": "市场内摊位费归市场监管", "refusal_count": 1})
        assert admin.decisions.get(number)["rule"] == "arbitration"
        decisions.assign(dispatcher, number, "MARKET", "市场内的摊贩归市场监管")

    learning.train(admin, "outcomes")
    meta = admin.known().model.meta
    assert meta["learned_from"]["arbitrated"] == 6 and meta["learned_from"]["negative"] == 6
    assert top(admin, "摊贩乱收摊位费") == "MARKET"  # a text of the category it never saw
    # the operators called these complaints where the rules would say help: the rules' "help"
    # for such words is measured, and shown, as unsure -- (0 right + 1) / (6 seen + 2)
    suggested = decisions.suggest(admin, {"title": "摊贩乱收摊位费"})
    assert (suggested["request_type"], suggested["request_type_confidence"]) == ("help", 0.125)

    proposals.propose(admin)
    move = next(p for p in proposals.listing(admin)["items"] if p["key"] == MOVE)
    assert move["how"] == {"refused": 6, "arbitration": 6}
    before, after = move["effect"]["before"], move["effect"]["after"]
    assert after["precision"] > before["precision"]


# -- the weighting itself ----------------------------------------------------------------------

def test_signals_become_weighted_examples_and_older_labels_of_a_changed_unit_weigh_less():
    old, new = T0 - dt.timedelta(days=30), T0
    examples = [{"text": "停水三天", "department_code": "WATER", "number": "N1", "added_at": old},
                {"text": "路灯不亮", "department_code": "URBAN_MGMT", "added_at": old},
                {"text": "路灯不亮", "department_code": "ENERGY", "added_at": old}]
    signals = [outcomes.Signal("N1", "停水三天", "ENERGY", "refused", old),
               outcomes.Signal("N2", "路灯不亮", "ENERGY", "redispatched_from", new),
               outcomes.Signal("N2", "路灯不亮", "URBAN_MGMT", "redispatched_to", new),
               outcomes.Signal("N1", "停水三天", "WATER", "arbitrated", old),  # closed: N1's outcome counts
               outcomes.Signal("N3", "楼下施工噪音", "PUBLIC_SECURITY", "co_handler", new)]
    changes = [{"action": "update", "code": "URBAN_MGMT", "at": T0 - dt.timedelta(days=1),
                "before": {"keywords": ["垃圾"]}, "after": {"keywords": ["垃圾", "路灯"]}},
               {"action": "update", "code": "WATER", "at": T0, "before": {"phone": "1"}, "after": {"phone": "2"}}]
    weights = outcomes.Weights()
    made = outcomes.weighted_examples(examples, signals, outcomes.responsibility_changes(changes), weights)
    rows = list(zip(made.texts, made.labels, made.weights))
    assert rows == [("停水三天", "WATER", weights.refused),          # refused on the way
                    ("路灯不亮", "URBAN_MGMT", weights.stale),       # before URBAN_MGMT's duties changed
                    ("路灯不亮", "ENERGY", weights.negative),        # the words ENERGY gave back
                    ("路灯不亮", "URBAN_MGMT", weights.redispatched_to),
                    ("楼下施工噪音", "PUBLIC_SECURITY", weights.co_handler)]
    assert outcomes.Weights.from_config(lambda key, default: {"ROUTING_STALE_WEIGHT": "0.5"}.get(key, default)
                                        ).stale == 0.5


def test_co_handlers_proposed_are_trusted_as_often_as_dispatchers_kept_them():
    table = outcomes.co_handler_table([(0.35, True), (0.31, False), (0.38, True), (0.62, True)])
    assert outcomes.co_handler_confidence(table, 0.33) == round(3 / 5, 4)
    assert outcomes.co_handler_confidence(table, 0.65) == round(2 / 3, 4)
    assert outcomes.co_handler_confidence(table, 0.45) is None  # never decided at that confidence
    assert outcomes.request_type_confidence({"complaint": [9, 10]}, "complaint") == round(10 / 12, 4)
    assert outcomes.request_type_confidence({}, "help") is None


def test_a_unit_without_history_is_proposed_from_its_duties(directory):
    """The directory's words are weak examples: a unit nobody's history names still gets its
    matters, and every unit has enough rows for the calibration's folds."""
    priors = outcomes.prior_examples(directory)
    assert min(Counter(priors.labels).values()) >= outcomes.PRIORS_PER_UNIT
    assert "C-BDG-SHAOGUAN" not in priors.labels  # communities are never chosen
    rows = [(text, code) for text, code in generate(4, seed=3) if code != "CIVIL_AFFAIRS"]  # no history
    text = "家里困难想申请低保"
    with_priors = training.train([t for t, _ in rows], [c for _, c in rows], directory, priors=priors)
    assert with_priors.suggest(text, top=1)[0].department_code == "CIVIL_AFFAIRS"


def test_a_co_handler_a_person_added_is_a_label_and_routings_own_proposal_is_not(routing):
    admin = routing("admin")
    decisions.ticket_created(admin, {"number": "QD-20261127-00001", "title": "工地夜间施工噪音扰民",
                                     "description": "联系电话13853212345", "urgency": "normal", "event_id": "e1"})
    opened = {"number": "QD-20261127-00001", "department_code": "HOUSING", "unit_code": "PUBLIC_SECURITY",
              "role": "co", "assigned_by": "王调度"}
    decisions.co_handler_added(admin, opened)
    decisions.co_handler_added(admin, dict(opened, unit_code="URBAN_MGMT", assigned_by="routing"))
    decisions.co_handler_added(admin, dict(opened, unit_code="S-BADAGUAN", role="down"))
    decisions.co_handler_added(admin, dict(opened, number="QD-20261127-09999"))  # not routing's ticket
    assert [(s.number, s.department_code, s.kind) for s in admin.learning.outcome_signals()] == \
        [("QD-20261127-00001", "PUBLIC_SECURITY", "co_handler")]
    admin.decisions.erase_personal_data("QD-20261127-00001", scrub)  # intake erased the ticket's data
    assert "13853212345" not in admin.learning.outcome_signals()[0].text


def test_co_handlers_added_to_open_cases_propose_a_standing_co_handler(routing):
    """followup's 加派 on open cases counts for the catalogue as a dispatcher's co-handler does."""
    admin = routing("admin")
    for n in range(1, 6):
        number = f"QD-20261127-{n:05d}"
        decisions.ticket_created(admin, {"number": number, "title": "工地夜间施工噪音扰民", "urgency": "normal",
                                         "category": "construction-noise", "event_id": f"e{n}"})
        decisions.co_handler_added(admin, {"number": number, "department_code": "HOUSING", "role": "co",
                                           "unit_code": "PUBLIC_SECURITY", "assigned_by": "王调度"})
    proposals.propose(admin)
    assert "add_co_handler:construction-noise:PUBLIC_SECURITY" in {
        p["key"] for p in proposals.listing(admin)["items"]}


# -- the request type people gave ----------------------------------------------------------------

def test_the_types_people_gave_train_a_model_that_types_the_next_tickets(routing):
    """Operators typed complaints and suggestions the rules read as help; after training, a ticket
    with no type is typed by the learned model, with its probability, and a restarted instance
    loads the same model."""
    admin = routing("admin")
    admin.learning.add_history(generate(4, seed=3), "past")
    for n, (title, description, kind) in enumerate(typed_orders(120, seed=4), 1):
        decisions.ticket_created(admin, {"number": f"QD-20261127-{n:05d}", "title": title,
                                         "description": description, "urgency": "normal", "event_id": f"e{n}",
                                         "request_type": kind})
    learning.train(admin, "typed")
    figures = admin.known().model.meta["request_type_model"]
    assert figures["used"] and figures["cv_accuracy"] > figures["rules_accuracy"]

    ticket = {"title": "物业乱收停车费", "description": "物业不作为，乱收费，要求给个说法"}
    assert request_types.suggest(ticket["title"], ticket["description"]).request_type == "help"  # the rules
    suggested = decisions.suggest(admin, ticket)
    assert suggested["request_type"] == "complaint" and suggested["request_type_source"] == "suggested"
    assert suggested["request_type_reason"]["code"] == "request_type_learned"
    assert suggested["request_type_confidence"] == suggested["request_type_reason"]["params"]["confidence"] > 0.5

    decisions.ticket_created(admin, dict(ticket, number="QD-20261128-00001", urgency="normal", event_id="new"))
    record = decisions.get_decision(admin, "QD-20261128-00001")
    assert (record["request_type"], record["request_type_confidence"]) == \
        ("complaint", suggested["request_type_confidence"])  # its own probability, not the rules' agreement

    # the words that weighed are the citizen's words: intake's erasure reaches them too (a model
    # that weighed a name, as one trained on many tickets of one caller could)
    admin.decisions.decisions.update_one({"number": "QD-20261128-00001"},
                                         {"$set": {"request_type_reason.params.words": "物业经理李建国, 不作为"}})
    admin.decisions.erase_personal_data("QD-20261128-00001", lambda text: text and text.replace("李建国", "***"))
    erased = admin.decisions.get("QD-20261128-00001")["request_type_reason"]
    assert erased["code"] == "request_type_learned" and erased["params"]["words"] == "物业经理***, 不作为"

    restarted = Knowledge(admin.config)
    restarted.ready(admin.decisions)
    assert restarted.type_learner.suggest_type(ticket["title"], ticket["description"]).request_type == "complaint"
