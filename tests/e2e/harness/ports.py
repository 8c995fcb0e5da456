"""Free TCP ports on 127.0.0.1."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port that was free a moment ago; callers that can, pass 0 to the server instead."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_below_ephemeral(low: int = 20000, high: int = 32767) -> int:
    """A free port outside Linux's ephemeral range (32768-60999).

    For servers whose port must be fixed before they start (PostgreSQL: the port goes into the
    generated pgBackRest config): servers started with port 0 get ephemeral ports, so they can
    never take this one in the meantime.
    """
    import random

    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")
