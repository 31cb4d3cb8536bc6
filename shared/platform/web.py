"""HTTP entrypoints whose door holds: ``from shared.platform.web import http``.

nameko's ``@http`` with the guards every public route needs, applied before
a worker is spent on the request:

* **a body limit** -- a ``Content-Length`` over the route's limit
  (``HTTP.max_body_bytes``, or ``max_body=`` on the route) is answered 413
  before the body is read, and the connection is closed rather than drained;
  a body streamed without a length is cut at the limit;
* **rate limits** -- each route names the limits it counts against
  (``limits=("client",)`` by default; see ``shared.platform.ratelimit``), per client
  address (``HTTP.trusted_proxies`` proxies in front may set
  ``X-Forwarded-For``, through werkzeug's ``ProxyFix``); 429 with ``Retry-After``.
  A request refused (any 4xx: invalid, unproven, too large, too many) gives
  back what it counted, so a burst of refused requests never spends the quota
  of those that would be accepted; refusals count apart, under the limit
  ``refused`` (a short window), which closes the routes to that address
  until the window ends;
* **errors as JSON, never an exception** -- an unknown route is a JSON 404, a
  wrong method a JSON 405, and an exception the handler did not expect a 500
  whose body says only that it was logged;
* **no secrets in the access log** -- query strings (lookup codes) and the CTI door's token are cut
  from the request lines the web server logs;
* **security headers on every response** -- JSON, CSV, files, errors, 404s,
  ``/health`` and ``/metrics`` alike carry ``SECURITY_HEADERS`` (a response
  that sets one itself, such as the console's page CSP or a static asset's
  ``Cache-Control``, keeps its own).

``read_json(request)`` reads a JSON body the same careful way: bytes that
are not UTF-8, JSON that does not parse and JSON nested deeper than
``HTTP.max_json_depth`` become ``BadBody`` (a 400 with the field ``_body``).

All entrypoints of one service must use this ``http`` (they share one web server).
"""
import json
import logging
import re

from nameko.exceptions import BadRequest
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Request

from shared.platform.answers import JSON_TYPE, error_body, json_body  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_MAX_DEPTH = 32
REFUSED = "refused"  # the limit on refusals (4xx) per client address: a short backstop, not a quota


class BadBody(Exception):
    """The request body cannot be read as the route needs it; ``errors`` by field."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status
        self.errors = {"_body": [message]}


def settings(config):
    section = config.get("HTTP") or {}
    return {"max_body": int(section.get("max_body_bytes") or DEFAULT_MAX_BODY),
            "max_depth": int(section.get("max_json_depth") or DEFAULT_MAX_DEPTH),
            "trusted_proxies": int(section.get("trusted_proxies") or 0)}


def depth_of(value, limit):
    """How deep ``value`` nests, counting no further than ``limit + 1`` (no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def decode_text(request):
    """The body as text: too large (413) and not UTF-8 (400) are ``BadBody``."""
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise BadBody("the body is larger than this route accepts", 413) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the body is not UTF-8 text (byte {exc.start})") from None


def read_json(request, default=None, max_depth=None):
    """The JSON body (``default`` when empty), or ``BadBody``."""
    text = decode_text(request)
    if not text.strip():
        return default
    limit = max_depth or getattr(request, "max_json_depth", DEFAULT_MAX_DEPTH)
    try:
        value = json.loads(text)
    except RecursionError:
        raise BadBody(f"the JSON nests deeper than {limit} levels") from None
    except ValueError as exc:
        raise BadBody(f"not valid JSON: {exc}") from None
    if depth_of(value, limit) > limit:
        raise BadBody(f"the JSON nests deeper than {limit} levels")
    return value


class QueryStringFilter(logging.Filter):
    """Cut query strings out of the request lines in the access log."""

    PATTERN = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')
    # A secret in the path: the token of callcentre's CTI door (POST /cti/{token}).
    SECRET_PATH = re.compile(r'("[A-Z]+ /cti/)[^ ?"/]+')

    def filter(self, record):
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = self.PATTERN.sub(r"\1?…", record.msg)
        if isinstance(record.msg, str) and "/cti/" in record.msg:
            record.msg = self.SECRET_PATH.sub(r"\1…", record.msg)
        return True


ACCESS_LOG = logging.getLogger("hotline.http.access")
ACCESS_LOG.addFilter(QueryStringFilter())


class ClosingProtocol(HttpOnlyProtocol):
    """eventlet's protocol, reachable from the request so a 413 can close the
    connection instead of reading and discarding the rest of a huge body."""

    def get_environ(self, *args, **kwargs):
        environ = super().get_environ(*args, **kwargs)
        environ["hotline.protocol"] = self
        return environ


def close_after_response(environ):
    protocol = environ.get("hotline.protocol")
    if protocol is not None:
        protocol.close_connection = 1


def _wrap_http_exception(exc, environ):
    if isinstance(exc, MethodNotAllowed):
        allowed = ", ".join(exc.valid_methods or [])
        return error_body(405, "_method", f"this route takes {allowed}", {"Allow": allowed})
    if isinstance(exc, NotFound):
        return error_body(404, "_path", "no such route")
    return error_body(exc.code or 400, "_request", exc.description or exc.name)


# Nothing this door answers is a page to render, frame or cache: any response may hold personal data.
SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)


def with_security_headers(start_response):
    """``start_response`` adding each of ``SECURITY_HEADERS`` the response does not set itself."""
    def start(status, headers, exc_info=None):
        present = {name.lower() for name, _ in headers}
        headers = list(headers) + [(name, value) for name, value in SECURITY_HEADERS
                                   if name.lower() not in present]
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
    return start


class JsonErrorsWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        start_response = with_security_headers(start_response)
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return _wrap_http_exception(exc, environ)(environ, start_response)
        request.path_values = values
        try:
            response = provider.handle_request(request)
        except Exception:
            log.exception("HTTP handler failed outside its worker")
            response = error_body(500, "_service", "internal error; it was logged")
        return response(environ, start_response)


class GuardedWebServer(WebServer):
    """nameko's web server with the door's guards (see the module docstring)."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.settings = settings(config)
        self.limiter = None
        if config.get("RATE_LIMITS"):
            from shared.platform.ratelimit import limiter_for

            self.limiter = limiter_for(config, self.container.service_name)

    def start(self):
        if self.limiter is not None and not self._starting:
            self.limiter.ensure_indexes()
        super().start()

    def get_wsgi_app(self):
        app = JsonErrorsWsgiApp(self)
        proxies = self.settings["trusted_proxies"]
        return ProxyFix(app, x_for=proxies) if proxies else app

    def get_wsgi_server(self, sock, wsgi_app, protocol=ClosingProtocol, debug=False):
        from eventlet import wsgi

        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=ACCESS_LOG)

    def refuse(self, provider, request):
        """A response refusing ``request`` at the door, or ``None`` to let it in."""
        limit = provider.max_body or self.settings["max_body"]
        request.max_content_length = limit
        request.max_json_depth = self.settings["max_depth"]
        length = request.content_length
        if length is not None and length > limit:
            close_after_response(request.environ)
            return error_body(413, "_body", f"the body is {length} bytes; this route takes at most {limit}",
                              {"Connection": "close"})
        if self.limiter is not None and provider.limits:
            client = request.remote_addr or "unknown"
            # The backstop: refusals (4xx) from this address, counted apart from its quotas.
            wait, spent = self.limiter.exhausted(REFUSED, client), []
            for name in provider.limits if not wait else ():
                spent.append(name)
                wait = self.limiter.hit(name, client)
                if wait:
                    break
            if wait:
                self.give_back(client, spent)
                return error_body(429, "_client", f"too many requests; try again in {wait} s",
                                  {"Retry-After": str(wait)})
            request.environ["hotline.spent"] = (client, spent)
        return None

    def give_back(self, client, spent):
        """A refused request spends no quota: what it counted goes back, and it counts as a refusal."""
        for name in spent:
            self.limiter.refund(name, client)
        self.limiter.hit(REFUSED, client)

    def settle(self, request, response):
        """After the handler: a request it refused (4xx) gives its quota back."""
        client, spent = request.environ.pop("hotline.spent", (None, ()))
        if client is not None and 400 <= getattr(response, "status_code", 200) < 500:
            self.give_back(client, spent)


class GuardedHttpRequestHandler(HttpRequestHandler):
    server = GuardedWebServer()

    def __init__(self, method, url, limits=("client",), max_body=None, expected_exceptions=(), **kwargs):
        self.limits = tuple(limits or ())
        self.max_body = max_body
        if not isinstance(expected_exceptions, tuple):
            expected_exceptions = (expected_exceptions,)
        super().__init__(method, url, expected_exceptions=expected_exceptions + (BadBody,), **kwargs)

    def setup(self):
        from shared.platform.doors import require_gate

        require_gate(self)
        super().setup()

    def handle_request(self, request):
        refusal = self.server.refuse(self, request)
        if refusal is not None:
            return refusal
        response = super().handle_request(request)
        self.server.settle(request, response)
        return response

    def response_from_exception(self, exc):
        if isinstance(exc, BadBody):
            return error_body(exc.status, "_body", exc.errors["_body"][0])
        if isinstance(exc, RequestEntityTooLarge):
            return error_body(413, "_body", "the body is larger than this route accepts")
        if isinstance(exc, BadRequest):
            return error_body(400, "_request", "the request does not fit this route")
        return error_body(500, "_service", "internal error; it was logged")


http = GuardedHttpRequestHandler.decorator
