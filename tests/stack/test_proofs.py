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
