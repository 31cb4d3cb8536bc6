"""Start one nameko service: ``python -m hotline.serve services.intake.service``.

The same as ``nameko run --config config.yaml MODULE``, without eventlet's
deprecation banner in every log. Used by ``hotline run`` and the containers.
"""
import sys
import warnings


def main(argv=None):
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    from nameko.cli.main import main as nameko_main

    from shared.config import config_path

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["nameko", "run", "--config", str(config_path()), *args]
    nameko_main()


if __name__ == "__main__":
    main()
