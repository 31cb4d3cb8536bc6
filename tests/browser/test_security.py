"""Who may do what, tried as an attacker would: in the browser and with crafted
requests. A department sees only its own cases (followup refuses, not only the
screen); no session, no CSRF token or a forged identity is refused and changes
nothing; wrong passwords slow the stranger down and never lock the owner out;
administrators and supervisors sign in with a second factor; every page allows
only the console's own assets."""
import re

import pyotp
import pytest
from nameko.exceptions import RemoteError

from shared.platform.identity import Person, context_for
from shared.platform.principals import ClusterRpcProxy
from tests.browser.conftest import CSRF

WATER_TICKET = {"title": "自来水管爆裂", "description": "李沧区书院路路口自来水管爆裂，路面积水很深",
                "district": "李沧区", "caller_phone": "13905321111", "caller_name": "孙丽"}


@pytest.fixture(scope="module")
def water_case(workbench):
    number = workbench.stack.post(WATER_TICKET).json()["number"]
    workbench.wait_for_case(number, "assigned")
    workbench.user("sec.water", "department", department="WATER", name="水务甲")
    workbench.user("sec.housing", "department", department="HOUSING", name="住建乙")
    workbench.user("sec.operator", "operator", name="接线丙")
    return number


def test_a_department_cannot_see_or_act_on_another_departments_case(workbench, water_case):
    # In the browser: the other department's inbox does not list it; opening it is refused.
    housing = workbench.sign_in("sec.housing")
    assert water_case not in housing.inner_text("main")
    answer = housing.goto(f"{workbench.url}/department/cases/{water_case}")
    assert answer.status == 403
    assert "此工单不在本单位" in housing.inner_text("main")  # what it means, in the reader's language
    workbench.shot(housing, "department-refused")

    # Crafted requests with a valid session and CSRF token: followup refuses (403), nothing changes.
    crafted = workbench.http("sec.housing")
    for path in (f"/department/cases/{water_case}", f"/export/ledger/{water_case}.csv",
                 "/cases?department=WATER", f"/tickets/{water_case}"):
        assert crafted.get(workbench.url + path, timeout=10).status_code == 403, path
    for action, form in (("sign-for", {}), ("refuse", {"reason": "不是我们的"}),
                         ("reply", {"text": "已修复"}), ("contact", {})):
        answer = crafted.post(f"{workbench.url}/department/cases/{water_case}/{action}", timeout=10,
                              data=dict(form, csrf=crafted.csrf))
        assert answer.status_code == 403, action
        assert "13905321111" not in answer.text
    assert workbench.stack.rpc("followup", "get_case", water_case)["state"] == "assigned"

    # The same request from the right department works.
    water = workbench.http("sec.water")
    done = water.post(f"{workbench.url}/department/cases/{water_case}/sign-for", timeout=10,
                      data={"csrf": water.csrf})
    assert done.status_code == 200 and workbench.wait_for_case(water_case, "signed_for")


def test_without_a_session_or_its_csrf_token_nothing_happens(workbench, water_case):
    stranger = workbench.http()
    page = stranger.get(f"{workbench.url}/department", timeout=10, allow_redirects=False)
    assert page.status_code == 303 and page.headers["Location"].startswith("/signin")
    answer = stranger.post(f"{workbench.url}/department/cases/{water_case}/reply", timeout=10,
                           data={"text": "已修复", "csrf": stranger.csrf})
    assert answer.status_code == 401

    water = workbench.http("sec.water")
    for csrf in (None, "forged-token", stranger.csrf):
        data = {"text": "主管道已于今日修复"} if csrf is None else {"text": "主管道已于今日修复", "csrf": csrf}
        answer = water.post(f"{workbench.url}/department/cases/{water_case}/reply", data=data, timeout=10)
        assert answer.status_code == 403, csrf
    other_site = water.post(f"{workbench.url}/department/cases/{water_case}/reply", timeout=10,
                            data={"text": "x", "csrf": water.csrf}, headers={"Origin": "http://evil.example"})
    assert other_site.status_code == 403
    assert workbench.stack.rpc("followup", "get_case", water_case)["state"] == "signed_for"

    # Signing out ends the session on the server: the old cookie is worthless.
    cookie = water.cookies.get("hotline_session")
    water.post(f"{workbench.url}/signout", data={"csrf": water.csrf}, timeout=10)
    replay = workbench.http()
    replay.cookies.set("hotline_session", cookie)
    assert replay.get(f"{workbench.url}/department", timeout=10, allow_redirects=False).status_code == 303


def test_a_person_without_the_role_is_refused(workbench, water_case):
    operator = workbench.http("sec.operator")
    for path in ("/admin/users", "/review", "/supervisor", "/department", "/dispatch"):
        assert operator.get(workbench.url + path, timeout=10).status_code == 403, path
    answer = operator.post(f"{workbench.url}/admin/users", timeout=10,
                           data={"csrf": operator.csrf, "login": "mallory", "roles": "admin"})
    assert answer.status_code == 403
    assert "mallory" not in workbench.cli("users", "list")


def signin_token(session, workbench):
    return CSRF.search(session.get(f"{workbench.url}/signin", timeout=10).text).group(1)


def test_wrong_passwords_slow_the_stranger_and_never_lock_the_owner_out(workbench):
    workbench.user("sec.victim", "reviewer", name="受害者")
    owner = workbench.http("sec.victim")  # signed in once on this browser: it is known for the login
    owner.post(f"{workbench.url}/signout", data={"csrf": owner.csrf}, timeout=10)

    attacker = workbench.http()
    answers = [attacker.post(f"{workbench.url}/signin", timeout=10, data={
        "csrf": attacker.csrf, "login": "sec.victim", "password": f"guess-{attempt}"}) for attempt in range(7)]
    assert [a.status_code for a in answers] == [401] * 6 + [429]  # five free, then the wait
    assert 0 < int(answers[6].headers["Retry-After"]) <= 30
    # While it waits the stranger's password is not even checked: the right one is refused too.
    right = attacker.post(f"{workbench.url}/signin", timeout=10, data={
        "csrf": attacker.csrf, "login": "sec.victim", "password": workbench.passwords["sec.victim"]})
    assert right.status_code == 429 and "hotline_session" not in attacker.cookies

    # The owner, on their own browser behind the same address, signs in at once.
    back = owner.post(f"{workbench.url}/signin", timeout=10, data={
        "csrf": signin_token(owner, workbench), "login": "sec.victim", "password": workbench.passwords["sec.victim"]})
    assert back.status_code == 200 and back.url.endswith("/review") and "hotline_session" in owner.cookies
    assert re.search(r"sec\.victim .* active", workbench.cli("users", "list"))

    admin = workbench.http("admin")
    record = admin.get(f"{workbench.url}/admin/record", timeout=10).text
    assert record.count("sec.victim") >= 8 and "wrong_password" in record and "slowed" in record
    changes = admin.get(f"{workbench.url}/admin/record?tab=changes", timeout=10).text
    assert "signin_slowed" in changes and "sec.victim" in changes


def test_failures_from_a_shared_address_do_not_shut_out_its_staff(workbench):
    """Thirty-one wrong sign-ins from one address (a city office's NAT) leave its other staff,
    even on a browser never used here before, free to sign in."""
    workbench.user("sec.colleague", "operator", name="同事")
    stranger = workbench.http()
    for attempt in range(31):
        answer = stranger.post(f"{workbench.url}/signin", timeout=10, data={
            "csrf": stranger.csrf, "login": f"nobody{attempt}", "password": "guess"})
        assert answer.status_code == 401
    colleague = workbench.http("sec.colleague")
    assert colleague.get(f"{workbench.url}/operator", timeout=10).status_code == 200


def test_an_administrator_signs_in_with_a_code_and_a_supervisor_enrols_before_anything_else(workbench):
    workbench.user("sec.admin", "admin", name="管理甲")
    admin = workbench.sign_in("sec.admin")  # password changed, then sent to add a second factor
    assert admin.url.endswith("/admin/users") and "sec.admin" in workbench.secrets

    # Signing in again asks for the code: a wrong one, then the one already used, are refused.
    admin.click("form[action='/signout'] button")
    admin.fill("input[name=login]", "sec.admin")
    admin.fill("input[name=password]", workbench.passwords["sec.admin"])
    admin.click("form[action='/signin'] button")
    assert admin.url.endswith("/signin/code")
    used = pyotp.TOTP(workbench.secrets["sec.admin"]).generate_otp(workbench.used_steps["sec.admin"])
    for wrong in ("000000" if used != "000000" else "111111", used):
        admin.fill("input[name=code]", wrong)
        admin.click("form[action='/signin/code'] button")
        assert admin.url.endswith("/signin/code") and "验证码错误或已用过" in admin.inner_text("main")
    workbench.shot(admin, "signin-code-refused")
    admin.fill("input[name=code]", workbench.code("sec.admin"))
    admin.click("form[action='/signin/code'] button")
    assert admin.url.endswith("/admin/users")

    # A supervisor without a second factor reaches nothing before adding one.
    workbench.user("sec.super", "supervisor", name="督办乙")
    page = workbench.page()
    page.goto(f"{workbench.url}/signin")
    page.fill("input[name=login]", "sec.super")
    page.fill("input[name=password]", workbench.passwords["sec.super"])
    page.click("form[action='/signin'] button")
    chosen = "Super-Visor-2026-Shift!"
    page.fill("input[name=current]", workbench.passwords["sec.super"])
    page.fill("input[name=new]", chosen)
    page.fill("input[name=again]", chosen)
    page.click("form[action='/password'] button")
    workbench.passwords["sec.super"] = chosen
    assert page.url.endswith("/account/second-factor")
    page.goto(f"{workbench.url}/supervisor")
    assert page.url.endswith("/account/second-factor") and page.inner_text("#totp-secret")
    workbench.shot(page, "second-factor-enrolment")
    page.fill("input[name=code]", "000000")
    page.click("form[action='/account/second-factor'] button")
    assert page.url.endswith("/account/second-factor")
    workbench.enrol(page, "sec.super")
    assert page.url.endswith("/supervisor")

    # The administrator resets it (a lost phone): the supervisor enrols again, with a new key.
    old_key = workbench.secrets["sec.super"]
    admin.goto(f"{workbench.url}/admin/users")
    admin.click("tr[data-login='sec.super'] form[action$='/second-factor'] button")
    assert "sec.super" in workbench.flash(admin)
    again = workbench.sign_in("sec.super")
    assert again.url.endswith("/supervisor") and workbench.secrets["sec.super"] != old_key
    changes = admin.goto(f"{workbench.url}/admin/record?tab=changes") and admin.inner_text("main")
    assert "已启用第二重验证" in changes and "已重置第二重验证" in changes  # said, not coded

    # From the servers' CLI too (an administrator who lost their phone): they enrol again.
    assert re.search(r"sec\.admin .* active 2fa", workbench.cli("users", "list"))
    assert "removed" in workbench.cli("users", "reset-second-factor", "sec.admin")
    assert re.search(r"sec\.admin .* active$", workbench.cli("users", "list"), re.M)
    assert workbench.sign_in("sec.admin").url.endswith("/admin/users")


def test_a_forged_identity_over_the_broker_is_refused(workbench, water_case):
    forged = Person("mallory", "张工", ("department",), "WATER")
    for secret in ("not-the-secret", ""):
        context = context_for(forged, secret) if secret else {"hotline_identity": "garbage.token"}
        with ClusterRpcProxy({"AMQP_URI": workbench.stack.env["AMQP_URI"]}, timeout=10,
                             context_data=context) as cluster:
            with pytest.raises(RemoteError) as refused:
                cluster.followup.submit_reply(None, water_case, "伪造的回复", [], "")
            assert refused.value.exc_type == "NotAllowed"
            with pytest.raises(RemoteError):
                cluster.followup.review_reply(water_case, "张工", True, "")
    assert workbench.stack.rpc("followup", "get_case", water_case)["reply"] is None


def test_pages_load_only_the_consoles_own_assets(workbench, water_case):
    operator = workbench.http("sec.operator")
    page = operator.get(f"{workbench.url}/operator", timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)
    cookie = next(c for c in operator.cookies if c.name == "hotline_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite") == "Strict"
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", page.text):
        assert operator.get(workbench.url + asset, timeout=10).status_code == 200, asset
