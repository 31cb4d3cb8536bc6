"""Every HTTP route is in its service's OpenAPI document, and docs/openapi is in step."""
import json
from pathlib import Path

import pytest
import schemathesis

from operate.schemas import OPENAPI_SERVICES, openapi_files, service_class
from shared.platform import openapi, ops
from shared.platform.web import http

FOLDER = Path(__file__).resolve().parents[4] / "docs" / "openapi"
FILES = openapi_files()


@pytest.mark.parametrize("relative", sorted(FILES))
def test_the_committed_document_matches_the_code(relative):
    path = FOLDER / relative
    assert path.exists(), f"docs/openapi/{relative} is missing: run `make schemas`"
    assert path.read_text(encoding="utf-8") == FILES[relative], \
        f"docs/openapi/{relative} is out of date: run `make schemas`"


def test_no_stale_documents_are_left():
    assert {p.name for p in FOLDER.glob("*.json")} == set(FILES)


@pytest.mark.parametrize("name", sorted(OPENAPI_SERVICES))
def test_every_route_is_documented_and_the_document_is_valid_openapi(name):
    cls = service_class(name)
    doc = json.loads(FILES[f"{name}.json"])
    routes = {(entrypoint.method.lower(), openapi.path_of(entrypoint.url)[0])
              for _, entrypoint in openapi.http_entrypoints(cls)}
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    assert ("get", "/openapi.json") in documented
    schema = schemathesis.openapi.from_dict(doc)  # checks it against the OpenAPI 3 meta-schema
    assert len(list(schema.get_all_operations())) == len(routes)


def test_a_route_without_an_operation_is_refused():
    class Undocumented(ops.Operable):
        name = "undocumented"

        @http("GET", "/secret")
        def http_secret(self, request):
            return "x"

    with pytest.raises(ValueError, match="GET /secret"):
        openapi.document(Undocumented)


def test_the_door_s_answers_are_written_in_once():
    doc = openapi.document(service_class("intake"))
    post = doc["paths"]["/tickets"]["post"]["responses"]
    assert {"201", "400", "403", "409", "413", "429"} <= set(post)
    assert "Retry-After" in post["429"]["headers"]
    lookup = doc["paths"]["/tickets/{number}"]["get"]
    assert {"401", "404", "429"} <= set(lookup["responses"]) and "413" not in lookup["responses"]
    assert doc["paths"]["/open311/v2/requests.{fmt}"]["get"]["parameters"][0]["schema"]["enum"] == ["json", "xml"]
    assert "429" not in doc["paths"]["/health"]["get"]["responses"]  # /health is not rate-limited


def test_the_access_log_keeps_no_query_string():
    import logging

    from shared.platform.web import QueryStringFilter

    record = logging.LogRecord("hotline.http.access", logging.INFO, __file__, 1,
                               '127.0.0.1 - - [01/Dec/2026 21:40:14] "GET /tickets/QD-20261202-00001'
                               '?code=29133780&phone_last4=2345 HTTP/1.1" 200 301 0.004', None, None)
    QueryStringFilter().filter(record)
    assert "29133780" not in record.msg and "2345 " not in record.msg
    assert '"GET /tickets/QD-20261202-00001?… HTTP/1.1" 200' in record.msg


def test_the_access_log_keeps_no_cti_token():
    import logging

    from shared.platform.web import QueryStringFilter

    record = logging.LogRecord("hotline.http.access", logging.INFO, __file__, 1,
                               '127.0.0.1 - - [01/Dec/2026 21:40:14] "POST /cti/Zq3_secret-Token HTTP/1.1" 200 2 0.004',
                               None, None)
    QueryStringFilter().filter(record)
    assert "Zq3_secret-Token" not in record.msg and '"POST /cti/… HTTP/1.1" 200' in record.msg
