"""Shared test fixtures: every test gets its own store, cache and settings, offline.

Isolation: HOME points at a throw-away folder for the whole session (so no
default path can reach the real home), a guard fails any test that changes
muselab's folders in the real home anyway, and sockets reach loopback only, in
the test process and in every Python subprocess it starts.

`MUSELAB_REQUIRE_ALL=1` (set by .ci/run) turns every skip into a failure that
says what is missing: CI must not pass by skipping.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("00[0-3]_*.txt"))
CHECKER = SHARED / "tools" / "check_answer.py"
GUARD = Path(__file__).resolve().parent / "guard"
REAL_HOME = Path.home()
MUSELAB_HOME_DIRS = [REAL_HOME / ".cache" / "muselab", REAL_HOME / ".config" / "muselab",
                     REAL_HOME / ".local" / "share" / "muselab"]

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HOME"] = tempfile.mkdtemp(prefix="muselab-test-home-")
# The run's HOME goes when the run ends: left behind, one per run fills the disk.
atexit.register(shutil.rmtree, os.environ["HOME"], ignore_errors=True)
for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
    os.environ.pop(var, None)
os.environ["MUSELAB_TEST_NETGUARD"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD), os.environ.get("PYTHONPATH")]))
sys.path.insert(0, str(GUARD))
import netguard  # noqa: E402

netguard.install()
REQUIRE_ALL = os.environ.get("MUSELAB_REQUIRE_ALL") == "1"


def need_shared():
    if not SEEDS or not CHECKER.exists():
        pytest.skip("../shared (seeds, tools) is not beside the project")


def home_state() -> dict:
    """What muselab's folders in the real home hold: paths with their sizes and times."""
    state = {}
    for d in MUSELAB_HOME_DIRS:
        if d.exists():
            for p in d.rglob("*"):
                st = p.lstat()
                state[str(p)] = (st.st_size, st.st_mtime_ns)
    return state


@pytest.fixture(autouse=True)
def _real_home_untouched():
    before = home_state()
    yield
    assert home_state() == before, "this test changed muselab's folders in the real home directory"


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_ALL and _skipped:
        lines = "\n".join(f"  {s}" for s in _skipped)
        print(f"\nMUSELAB_REQUIRE_ALL: {len(_skipped)} test(s) were skipped, but every test must run here:\n{lines}",
              file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(scope="session")
def template_store(tmp_path_factory):
    """The built-in catalog loaded once; each test gets its own copy."""
    from muselab.catalog import open_store
    from muselab.settings import Settings

    path = tmp_path_factory.mktemp("template") / "catalog.db"
    store = open_store(Settings(db=path))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One cache for the session: the ONNX embedder is exported once, not per test."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, template_store, cache_dir):
    """A fresh store and settings per test; the real user dirs are never touched."""
    shutil.copyfile(template_store, tmp_path / "catalog.db")
    monkeypatch.setenv("MUSELAB_DB", str(tmp_path / "catalog.db"))
    monkeypatch.setenv("MUSELAB_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("MUSELAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MUSELAB_SETTINGS", str(tmp_path / "no-settings.toml"))
    monkeypatch.setenv("MUSELAB_PROGRESS", "false")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield tmp_path
    # pytest keeps every test's tmp_path until a later run; 400 copies of the store are 15 GB.
    for path in tmp_path.glob("catalog.db*"):
        path.unlink(missing_ok=True)


@pytest.fixture
def cli():
    """Run muselab in-process: cli('answer', path) -> click Result (stdout, stderr, exit_code)."""
    from muselab.cli import cli as group

    def run(*args, input=None):
        return CliRunner().invoke(group, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def run_muselab(*args, env=None, input=None, timeout=120) -> subprocess.CompletedProcess:
    """Run muselab as a real process, to see exactly what a user sees (exit code, stderr)."""
    return subprocess.run([sys.executable, "-m", "muselab", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, input=input, timeout=timeout)


@pytest.fixture
def settings(isolated):
    from muselab.settings import Settings

    return Settings.load()


@pytest.fixture
def embedder(settings):
    from muselab.search.embed import get_embedder

    return get_embedder(settings.embedder, settings.cache_dir, 0)


@pytest.fixture
def store(isolated):
    from muselab.catalog import open_store
    from muselab.settings import Settings

    s = open_store(Settings.load())
    yield s
    s.close()


def module_lab(tmp_path_factory, template_store, name: str):
    """A Lab over its own copy of the built-in catalog, for a module's tests to share (yields it)."""
    import muselab

    db = tmp_path_factory.mktemp(name) / "catalog.db"
    shutil.copyfile(template_store, db)
    with muselab.open(db=db, progress=False) as lab:
        yield lab
