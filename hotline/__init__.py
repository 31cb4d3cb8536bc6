"""The hotline command line: a client of the services' RPC and HTTP (``hotline.cli`` lists its commands)."""
import warnings

# nameko runs on eventlet, which announces its deprecation on import; the CLI's
# users need their answers, not that banner.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
