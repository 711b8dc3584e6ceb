"""muselab as separate processes, as a user runs it: the disk cache across runs, a real Ctrl-C (SIGINT),
and what the progress bars print."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import run_muselab

UPSCALE = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
    "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "lanczos", "scale": 2}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "up"}},
}


def picture(path: Path, w: int, h: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def workflow(tmp_path: Path, **upscale) -> Path:
    wf = json.loads(json.dumps(UPSCALE))
    wf["2"]["inputs"].update(upscale)
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(wf))
    return path


def run_json(wf: Path, image: Path, out: Path, *extra) -> dict:
    proc = run_muselab("run", wf, "--input", f"image={image}", "--out", out, "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cache_files(settings) -> list[Path]:
    return sorted((settings.cache_dir / "workflow-cache").glob("*.npz"), key=lambda p: p.stat().st_mtime_ns)


def test_a_second_process_is_served_from_the_disk_cache(tmp_path, settings):
    wf, image, out = workflow(tmp_path), picture(tmp_path / "in.png", 60, 40), tmp_path / "out"
    assert run_json(wf, image, out)["ran"] == ["1", "2", "3"]
    again = run_json(wf, image, out)  # a new process: nothing in memory, everything from disk
    assert again["ran"] == ["3"] and again["cached"] == ["1", "2"]
    picture(image, 60, 40, seed=1)  # the input file changed: its node and everything after it run again
    edited = run_json(wf, image, out)
    assert edited["ran"] == ["1", "2", "3"]
    first, last = (np.asarray(Image.open(p)) for p in (sorted(out.glob("*.png"))[0], sorted(out.glob("*.png"))[-1]))
    assert first.shape == last.shape == (80, 120, 3) and not np.array_equal(first, last)
    assert run_json(wf, image, out, "--no-cache")["ran"] == ["1", "2", "3"]


def test_the_cache_limit_keeps_the_newest_results(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("MUSELAB_WORKFLOW_CACHE_MB", "1")  # a 400x300 input is 360 kB, its 2x result 1.4 MB
    wf, out = workflow(tmp_path, scale=1), tmp_path / "out"
    images = [picture(tmp_path / f"in{i}.png", 300, 200, seed=i) for i in range(4)]
    for image in images:
        run_json(wf, image, out)
    files = cache_files(settings)
    assert sum(p.stat().st_size for p in files) <= 1024 * 1024
    assert len(files) >= 2  # not emptied: the newest entries stay
    newest = run_json(wf, images[-1], out)
    assert newest["cached"] == ["1", "2"]  # the last run's results were kept
    oldest = run_json(wf, images[0], out)
    assert oldest["ran"] == ["1", "2", "3"]  # the first run's were dropped to stay within the limit


def start(*args, env=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "muselab", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def wait_for(condition, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"finished before it could be interrupted: {proc.communicate()}")
        if time.time() > deadline:
            proc.kill()
            pytest.fail("timed out waiting to interrupt")
        time.sleep(0.05)


def interrupt(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_during_a_run(tmp_path, settings):
    """A real SIGINT while the upscaler runs: exit 130, one line, and the same command resumes from the cache."""
    wf = workflow(tmp_path, method="realcugan", model="models-se")
    image, out = picture(tmp_path / "in.png", 720, 480), tmp_path / "out"
    before = len(cache_files(settings))
    proc = start("run", wf, "--input", f"image={image}", "--out", out)
    wait_for(lambda: len(cache_files(settings)) > before, proc)  # LoadImage is done and stored: node 2 is running
    code, stdout, stderr = interrupt(proc)
    assert code == 130, stderr
    # node 2 is running; under load the signal can still land while node 1 tidies the cache after storing
    [line] = stderr.strip().splitlines()
    assert re.fullmatch(r"error: interrupted in node (2 \(Upscale\)|1 \(LoadImage\)); the nodes that finished are "
                        r"cached, so the same command continues from there", line), line
    assert stdout == "" and not list(out.glob("*.png"))
    resumed = run_json(wf, image, out)
    assert resumed["cached"] == ["1"] and resumed["ran"] == ["2", "3"]


def corpus(path: Path, n: int) -> Path:
    words = "diffusion upscaler anime style latent video depth mask prompt sampler texture edge noise".split()
    rng = np.random.default_rng(0)
    with open(path, "w") as fh:
        for i in range(n):
            abstract = " ".join(rng.choice(words, 50))
            fh.write(json.dumps({"id": f"2913.{i:05d}", "title": f"Paper {i} on {words[i % len(words)]}",
                                 "summary": abstract}) + "\n")
    return path


def stored_vectors(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM embeddings WHERE kind = 'papers' AND id LIKE '2913.%'").fetchone()[0]


@pytest.fixture
def prepared(embedder):
    """The ONNX embedder exported before the process under test starts (its one-time note is not the point)."""
    embedder.prepare()


@pytest.mark.slow
def test_ctrl_c_during_an_ingest(tmp_path, settings, prepared):
    """A real SIGINT while embedding: exit 130, one line; the finished chunks stay and a re-run resumes."""
    data = corpus(tmp_path / "papers.jsonl", 900)
    proc = start("ingest", "arxiv", data)
    wait_for(lambda: stored_vectors(settings.db) >= 256, proc)  # the first chunk has landed
    code, stdout, stderr = interrupt(proc)
    done = stored_vectors(settings.db)
    assert code == 130, stderr
    assert re.fullmatch(r"error: interrupted while embedding papers \(\d+ stored\); run the same command again to "
                        r"resume\n", stderr), stderr
    assert 256 <= done < 900
    again = run_muselab("ingest", "arxiv", data)
    assert again.returncode == 0, again.stderr
    assert f"papers: embedded {900 - done} of " in again.stdout  # only what was missing
    assert stored_vectors(settings.db) == 900


def mask_numbers(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?", "N", text)


def test_progress_bars_go_to_stderr_and_leave_stdout_alone(tmp_path, settings, prepared):
    wf, image = workflow(tmp_path), picture(tmp_path / "in.png", 60, 40)
    quiet = run_muselab("--no-progress", "run", wf, "--input", f"image={image}", "--out", tmp_path / "a")
    loud = run_muselab("run", wf, "--input", f"image={image}", "--out", tmp_path / "b", "--no-cache",
                       env={"MUSELAB_PROGRESS": "true"})
    assert loud.returncode == quiet.returncode == 0, loud.stderr
    assert loud.stdout.replace("/b/", "/a/") == quiet.stdout  # "saved .../up_00001.png"
    assert "workflow" in loud.stderr and "node 2 Upscale" in loud.stderr and "nodes" in loud.stderr
    assert "workflow" not in quiet.stderr

    data = corpus(tmp_path / "papers.jsonl", 300)
    quiet = run_muselab("--no-progress", "--db", tmp_path / "q.db", "ingest", "arxiv", data)
    loud = run_muselab("--db", tmp_path / "l.db", "ingest", "arxiv", data, env={"MUSELAB_PROGRESS": "true"})
    assert loud.returncode == quiet.returncode == 0, loud.stderr
    assert mask_numbers(loud.stdout) == mask_numbers(quiet.stdout)
    assert re.search(r"papers: embedded 300 of \d+ in [\d.]+ s \([\d.]+ papers/s\)", loud.stdout)
    bar = loud.stderr
    assert "embedding papers" in bar and "%|" in bar  # the bar
    assert re.search(r"<\d\d:\d\d", bar)  # its ETA
    assert re.search(r"[\d.]+ papers/s", bar)  # its throughput
    assert "embedding papers" not in quiet.stderr
