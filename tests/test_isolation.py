"""The tests' own isolation: no real home, loopback only, strict skips on CI."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REAL_HOME
from netguard import NetworkBlocked


def test_default_paths_are_not_in_the_real_home(monkeypatch):
    from muselab.settings import Settings

    for var in ("MUSELAB_DB", "MUSELAB_CACHE_DIR", "MUSELAB_MODELS_DIR", "MUSELAB_SETTINGS"):
        monkeypatch.delenv(var, raising=False)
    s = Settings.load()
    for path in (s.db, s.cache_dir, s.models_dir):
        assert not Path(path).is_relative_to(REAL_HOME), path
    assert Path.home() != REAL_HOME


def test_only_loopback_connections_in_process():
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("93.184.215.14", 80), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("pypi.org", 443)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    socket.create_connection(server.getsockname(), timeout=1).close()  # loopback is fine
    server.close()


def test_only_loopback_connections_in_subprocesses():
    code = "import socket; socket.create_connection(('10.1.2.3', 80), timeout=1)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "NetworkBlocked" in out.stderr and "loopback" in out.stderr


def test_a_skip_fails_the_run_when_every_test_must_run(tmp_path):
    """What .ci/run relies on: MUSELAB_REQUIRE_ALL=1 makes a skipped test fail the session, naming it."""
    (tmp_path / "test_x.py").write_text("import pytest\n\ndef test_skips():\n    pytest.skip('no data here')\n")
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    env = {**os.environ, "MUSELAB_REQUIRE_ALL": "1"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 test(s) were skipped" in out.stderr and "test_x.py::test_skips: Skipped: no data here" in out.stderr
    env["MUSELAB_REQUIRE_ALL"] = "0"
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0
