"""A container healthcheck: ``python -m operate.probe http://127.0.0.1:8003/ready``.

Exits 0 when the URL answers 200 within ``--timeout`` seconds, else 1 with
the reason on stderr. Standard library only, so a probe every few seconds
costs a fraction of starting the ``hotline`` CLI.
"""
import argparse
import sys
import urllib.error
import urllib.request


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as answer:
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"{args.url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{args.url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
