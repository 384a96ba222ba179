"""Print a new CURVE key pair, or the public key of a given secret key (Z85 text).

    python -m purezmq.curve_keygen [--json] [--secret SECRET]
    python -m purezmq curve-keygen [--json] [--secret SECRET]

``--json`` prints ``{"public": ..., "secret": ...}``; otherwise the two keys
under the headings libzmq's ``curve_keygen`` tool prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, Optional

from .error import ZMQError
from .sugar.curve import curve_keypair, curve_public


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the keys as a JSON object")
    parser.add_argument(
        "--secret",
        type=str,
        help="print the public key of this Z85 secret key instead"
        " (write --secret=KEY: a key may start with '-')",
    )


def run(args: Any, parser: argparse.ArgumentParser) -> int:
    if args.secret:
        try:
            public = curve_public(args.secret).decode("ascii")
        except (ValueError, ZMQError) as exc:
            parser.error(f"--secret: {exc}")  # exits with status 2
        secret = args.secret
    else:
        public_b, secret_b = curve_keypair()
        public, secret = public_b.decode("ascii"), secret_b.decode("ascii")
    if args.json:
        json.dump({"public": public, "secret": secret}, sys.stdout, indent=1, sort_keys=True)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(f"== CURVE PUBLIC KEY ==\n{public}\n\n== CURVE SECRET KEY ==\n{secret}\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m purezmq.curve_keygen",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv), parser)


if __name__ == "__main__":
    sys.exit(main())
