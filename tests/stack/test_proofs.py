"""Proofs parsed strictly, tried on the running stack with a plain HTTP client."""
import requests

NO_PHONE = {"title": "路灯不亮", "description": "延吉路与南京路路口的路灯一周没亮了。",
            "district": "市北区", "channel": "web"}


def test_a_ticket_submitted_without_a_phone_is_not_proven_by_four_characters(stack):
    receipt = stack.post(NO_PHONE).json()
    url = f"{stack.url}/tickets/{receipt['number']}"
    for tail in ("%00%00%00%00", "%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90", "123", "12345", "12%0A34"):
        refused = requests.get(f"{url}?phone_last4={tail}", timeout=10)
        assert refused.status_code == 400, (tail, refused.text)
        assert set(refused.json()["errors"]) == {"phone_last4"} and "status" not in refused.json()
    refused = requests.get(url, headers={"X-Lookup-Code": "0000000x"}, timeout=10)
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"code"}
    for tail in ("0000", "1234", "9999"):
        assert requests.get(f"{url}?phone_last4={tail}", timeout=10).status_code == 404
    assert stack.lookup(receipt["number"], receipt["lookup_code"]).status_code == 200


NON_HTML = {"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
# One route of every kind on every service: JSON, CSV, XML, PNG, errors, 404s, 405s, ops.
ROUTES = {
    "intake": [("GET", "/tickets/QD-20261201-00001?code=12345678"), ("GET", "/tickets/QD-1"),
               ("POST", "/tickets"), ("GET", "/open311/v2/services.xml"), ("GET", "/open311/v2/requests.json"),
               ("DELETE", "/tickets")],
    "followup": [("GET", "/scorecard?format=csv"), ("GET", "/scorecard"), ("GET", "/cases"),
                 ("GET", "/cases/QD-1/attachments/x")],
    "insight": [("GET", "/insight/hotspots"), ("GET", "/insight/hotspots.png"), ("GET", "/insight/staffing")],
    "routing": [],
    "notify": [],
    "console": [("GET", "/static/nothing.css")],
}
OPS = [("GET", "/health"), ("GET", "/ready"), ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/no/such/route")]


def test_every_response_of_every_service_carries_the_security_headers(stack):
    for service, routes in ROUTES.items():
        for method, path in routes + OPS:
            answered = requests.request(method, stack.http_url(service) + path, timeout=20)
            for name, value in NON_HTML.items():
                assert answered.headers.get(name) == value, (service, method, path, answered.status_code, name,
                                                              answered.headers.get(name))


def test_the_workbench_s_pages_keep_their_own_csp_and_its_assets_may_be_cached(stack):
    console = stack.http_url("console")
    page = requests.get(f"{console}/signin", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cache-Control"):
        assert page.headers[name] == NON_HTML[name], name
    asset = requests.get(f"{console}/static/console.css", timeout=10)
    assert asset.status_code == 200 and asset.headers["Cache-Control"].startswith("public")
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert asset.headers[name] == NON_HTML[name], name


NOTATIONS = ["138.0532.9876", "1380 532 9876", "１３８０５３２９８７６", "138/0532/9876", "1 3 8 0 5 3 2 9 8 7 6",
             "一三八零五三二九八七六", "幺三八零五三二九八七六", "+86 138 0532 9876", "(0532) 8765 4321",
             "微信 wxid_abc123", "微信号：abc_123", "QQ 12345678", "身份证 370202 19900101 123X",
             "卡号 6222 0212 3456 7890 123"]
SECRETS = ["9876", "９８７６", "八七六", "4321", "wxid_abc123", "abc_123", "12345678", "123X", "7890"]


def test_the_public_listing_shows_no_notation_of_an_identifier_nor_a_flat(stack):
    description = "；".join(f"联系{n}" for n in NOTATIONS) + "。2026年11月27日起停水，已交2000元。"
    receipt = stack.post({"title": "楼上漏水", "description": description, "district": "崂山区", "channel": "web",
                          "address": "海尔路17号3单元502"}).json()
    listed = requests.get(f"{stack.url}/open311/v2/requests/{receipt['number']}.json", timeout=10)
    assert listed.status_code == 200
    shown = listed.json()[0]
    for secret in SECRETS:
        assert secret not in shown["description"], (secret, shown["description"])
    assert "2026年11月27日" in shown["description"] and "2000元" in shown["description"]
    assert shown["address"] == "海尔路17号"
