"""What the bench scripts share: ports, waiting for a service, wrk's latency units."""

import socket
import sys
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, procs, timeout=60):
    """Until `url` answers 200; exits if one of `procs` stops meanwhile."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in procs:
            if p.poll() is not None:
                sys.exit(f"a process stopped during start-up (exit {p.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    sys.exit(f"{url} did not answer 200 within {timeout} s")


def to_ms(text):
    """wrk's `1.23ms`, `850.00us`, `1.02s` in milliseconds."""
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)
