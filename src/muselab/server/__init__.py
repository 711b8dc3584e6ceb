"""`muselab serve`: the HTTP API and the web page over the same Lab as the command line."""

from __future__ import annotations

import ipaddress
import os

from muselab.errors import BadInput

TOKEN_ENV = "MUSELAB_TOKEN"


def loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(lab, host: str = "127.0.0.1", port: int = 8765, workers: int = 1) -> None:
    """Serve until interrupted. Binding beyond this machine needs a token (MUSELAB_TOKEN)."""
    token = os.environ.get(TOKEN_ENV) or None
    if not loopback(host) and token is None:
        raise BadInput(f"serving on {host} lets other machines run workflows: set {TOKEN_ENV} to a secret first "
                       "(clients send 'Authorization: Bearer <token>'), or bind to 127.0.0.1")
    import uvicorn

    from muselab.server.app import create_app

    app = create_app(lab, token=token, workers=workers)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
