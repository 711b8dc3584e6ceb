"""The built wheel, installed on its own (not the editable tree): package data and entry points are in it."""

import configparser
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

SRC = ROOT / "src" / "muselab"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # built from a clean copy: a build in the work tree would leave build/ behind, and stale files there
    # could slip into the wheel and hide exactly the faults this test is for
    tree, dist = tmp_path_factory.mktemp("tree"), tmp_path_factory.mktemp("dist")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                          "-q", "-w", str(dist), str(tree)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    [found] = dist.glob("muselab-*.whl")
    return found


def shipped_files() -> set[str]:
    """What the package must carry: every module and every data file under src/muselab."""
    keep = {".py", ".toml", ".gz", ".f16", ".json", ".txt", ".html", ".css", ".js", ".svg", ".png"}
    return {str(p.relative_to(SRC.parent)) for p in SRC.rglob("*")
            if p.is_file() and p.suffix in keep and "__pycache__" not in p.parts}


def test_the_wheel_carries_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = shipped_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)[:10]}"


def test_the_wheel_declares_every_entry_point(wheel):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with zipfile.ZipFile(wheel) as z:
        text = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt"))).decode()
    parsed = configparser.ConfigParser()
    parsed.optionxform = str
    parsed.read_string(text)
    for group, entries in project["entry-points"].items():
        assert dict(parsed[group]) == entries, group
    assert dict(parsed["console_scripts"]) == project["scripts"]


def test_the_installed_wheel_runs(wheel, tmp_path, cli):
    site = tmp_path / "site"
    out = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                          str(site), str(wheel)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import muselab, muselab.plugins as p; "
            f"assert muselab.__file__.startswith({str(site)!r}), muselab.__file__; "
            "[ep.load() for g in ('muselab.ingest', 'muselab.nodes', 'muselab.backends', 'muselab.embedders') "
            "for ep in p.available(g).values()]; "
            "from muselab.cli import main; sys.argv = ['muselab', 'answer', '--example', 'anime-upscale']; main()")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == cli("answer", "--example", "anime-upscale").stdout
