"""Start one nameko service: ``python -m operate.serve services.intake.service``.

The same as ``nameko run --config config.yaml MODULE``, without eventlet's
deprecation banner in every log, and with the service's own HTTP address
(``INTAKE_HTTP``, ``FOLLOWUP_HTTP``, ...) so several services can serve HTTP
on one host. In production mode (``HOTLINE_ENV=production``) it refuses to start
with a default secret, an unsigned webhook or the in-memory store
(``shared.platform.production``). Used by ``hotline run`` and the containers.
"""
import os
import sys
import warnings


def service_http_address(config, args):
    """``<SERVICE>_HTTP`` from config for the service module in ``args``, if any."""
    for arg in args:
        if arg.startswith("services.") and arg.count(".") >= 1:
            return config.get(f"{arg.split('.')[1].upper()}_HTTP")
    return None


def main(argv=None):
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    from nameko.cli.main import main as nameko_main

    from shared.platform.config import config_path, load_config
    from shared.platform.production import RefusedToStart, check

    args = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get("AMQP_URI") and os.environ.get("BROKER_SPREAD", "1") != "0":
        from shared.platform.brokers import spread

        os.environ["AMQP_URI"] = spread(os.environ["AMQP_URI"])  # this process's first node
    config = load_config()
    try:
        check(config)  # each service checks again in setup(); this says it once, clearly
    except RefusedToStart as exc:
        print(f"hotline: refusing to start {' '.join(args)}: {exc}", file=sys.stderr)
        sys.exit(2)
    http_address = service_http_address(config, args)
    if str(os.environ.get("LOG_FORMAT", "")).lower() == "json":
        from shared.platform.logs import route_uncaught_to_logging

        route_uncaught_to_logging()
    if http_address:
        os.environ["WEB_SERVER_ADDRESS"] = http_address
    sys.argv = ["nameko", "run", "--config", str(config_path()), *args]
    nameko_main()


if __name__ == "__main__":
    main()
