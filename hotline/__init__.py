"""The hotline command line: run the stack locally, submit, query."""
import warnings

# nameko runs on eventlet, which announces its deprecation on import; the CLI's
# users need their answers, not that banner.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
