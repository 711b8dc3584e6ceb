"""Loaded by every Python subprocess the tests start (PYTHONPATH): only loopback connections."""

import os

if os.environ.get("MUSELAB_TEST_NETGUARD") == "1":
    import netguard

    netguard.install()
