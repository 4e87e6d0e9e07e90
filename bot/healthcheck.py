"""`python -m bot.healthcheck`: exit 0 when /healthz answers 200, else 1 (container HEALTHCHECK).

Standard library only and no settings parsing, so it is quick and cannot fail on config. It
asks http://127.0.0.1:$HEALTH_PORT/healthz, or $HEALTHCHECK_URL when that is set.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 5.0


def healthcheck_url(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    url = environ.get("HEALTHCHECK_URL", "").strip()
    if url:
        return url
    port = environ.get("HEALTH_PORT", "").strip()
    if not port.isdigit() or int(port) == 0:
        return None
    return f"http://127.0.0.1:{int(port)}/healthz"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else healthcheck_url()
    if url is None:
        print("healthcheck: HEALTH_PORT is not set (or 0), nothing to ask", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except (OSError, ValueError) as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
