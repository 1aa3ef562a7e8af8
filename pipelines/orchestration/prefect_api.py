"""Whether a Prefect API answers: asked by the project's server (server.py) and by a run's
temporary one (ephemeral.py), which both sit above it."""

from __future__ import annotations

HOST = "127.0.0.1"  # every server the product starts listens on the loopback address only


def healthy(port: int, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers on the port (proxies of the environment are not asked)."""
    import urllib.error  # here: every `ncmec` command imports this module, few ask a server
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://{HOST}:{port}/api/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False
