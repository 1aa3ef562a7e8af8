"""Whether a Prefect API answers: asked by the project's server (server.py) and by a run's
temporary one (ephemeral.py), which both sit above it."""

from __future__ import annotations

HOST = "127.0.0.1"  # every server the product starts listens on the loopback address only


def ask(port: int, path: str, timeout: float) -> tuple[int, bytes] | None:
    """GET a path of the Prefect API on the loopback port (proxies of the environment are not
    asked): its status and body, or None when nothing answers in time."""
    import urllib.error  # here: every `ncmec` command imports this module, few ask a server
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
            return response.status, response.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None


def healthy(port: int, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers on the port."""
    answer = ask(port, "/api/health", timeout)
    return answer is not None and answer[0] == 200
