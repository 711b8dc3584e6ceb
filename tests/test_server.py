"""`muselab serve` over HTTP: a real uvicorn process on a free loopback port, the same answers as the CLI,
runs in a bounded queue, the token, the limits, and errors that are JSON with the right status."""

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from conftest import SEEDS, need_shared, run_muselab

QUESTION = "I enlarged a blurry illustration by 2x and it looked like crisp anime art. How?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, env: dict, workers: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runs = tmp / "runs"
        env = {**os.environ, "MUSELAB_RUNS_DIR": str(self.runs), "MUSELAB_PROGRESS": "false", **env}
        self.log = open(tmp / "server.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "muselab", "serve", "--port", str(self.port),
                                      "--workers", str(workers)], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=self.url, timeout=60)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if self.client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                if self.proc.poll() is not None:
                    raise RuntimeError((tmp / "server.log").read_text())
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def stop(self):
        self.client.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def start(tmp_path_factory, template_store, env=None, workers=1) -> Server:
    import shutil

    tmp = tmp_path_factory.mktemp("serve")
    shutil.copyfile(template_store, tmp / "catalog.db")
    return Server(tmp, {"MUSELAB_DB": str(tmp / "catalog.db"), **(env or {})}, workers)


@pytest.fixture(scope="module")
def server(tmp_path_factory, template_store, cache_dir):
    s = start(tmp_path_factory, template_store, {"MUSELAB_CACHE_DIR": str(cache_dir)})
    yield s
    s.stop()


def png(w=48, h=32) -> bytes:
    buf = io.BytesIO()
    y, x = np.mgrid[0:h, 0:w]
    Image.fromarray(np.stack([x * 5, y * 7, (x + y) * 3], -1).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def wait_done(server: Server, run_id: str, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = server.client.get(f"/api/runs/{run_id}").json()
        if state["state"] in ("done", "failed", "cancelled"):
            return state
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def test_health_and_tasks(server):
    health = server.client.get("/api/health").json()
    assert health["ok"] and health["models"] > 1000 and health["papers"] > 1000
    tasks = server.client.get("/api/tasks").json()
    assert {"id": "super-resolution", "name": "Super-resolution and upscaling", "parent": None} in tasks


def test_ask_is_exactly_the_cli_json(server, cli):
    over_http = server.client.post("/api/ask", json={"question": QUESTION}).json()
    assert over_http == json.loads(cli("ask", QUESTION, "--format", "json").stdout)
    assert over_http["task"]["id"] == "super-resolution"


def test_answer_and_check(server, cli):
    need_shared()
    prompt = SEEDS[2].read_text(encoding="utf-8")
    answer = server.client.post("/api/answer", json={"prompt": prompt}).json()
    assert answer == json.loads(cli("answer", SEEDS[2], "--format", "json").stdout)
    ok = server.client.post("/api/check", json={"prompt": prompt, "answer": answer["markdown"]}).json()
    assert ok == {"ok": True, "violations": []}
    bad = server.client.post("/api/check", json={"prompt": prompt, "answer": answer["markdown"] + " github.com/x/y"})
    assert bad.json()["ok"] is False and bad.json()["violations"][0]["rule"] == "links"


def test_search_and_model_records(server):
    models = server.client.get("/api/models", params={"q": "Real-ESRGAN", "k": 3}).json()
    assert len(models) == 3 and set(models[0]) == {"score", "id", "title"}
    papers = server.client.get("/api/papers", params={"q": "real-world super-resolution", "k": 2}).json()
    assert len(papers) == 2
    record = server.client.get(f"/api/models/{models[0]['id']}").json()
    assert record["name"] == models[0]["id"]
    missing = server.client.get("/api/models/No-Such-Model")
    assert missing.status_code == 404 and missing.json()["error"] == "no model 'No-Such-Model' in the catalog"


def test_the_workflow_is_exactly_what_ask_writes(server, cli, tmp_path):
    over_http = server.client.post("/api/workflows", json={"question": QUESTION}).json()
    cli("ask", QUESTION, "--workflow", tmp_path / "wf.json")
    assert over_http == json.loads((tmp_path / "wf.json").read_text())


def test_a_run_from_upload_to_picture(server):
    wf = server.client.post("/api/workflows", json={"question": QUESTION}).json()
    upscale = next(n for n, node in wf.items() if n != "meta" and node["class_type"] == "Upscale")
    created = server.client.post("/api/runs", data={"workflow": json.dumps(wf),
                                                    "overrides": json.dumps({f"{upscale}.method": "lanczos"})},
                                 files={"image": ("whatever.bin", png(), "application/octet-stream")})
    assert created.status_code == 200, created.text
    run_id = created.json()["run_id"]
    with server.client.stream("GET", f"/api/runs/{run_id}/events") as events:
        kinds = [line.split(": ", 1)[1] for line in events.iter_lines() if line.startswith("event: ")]
    assert kinds[0] == "queued" and "started" in kinds and "saved" in kinds and kinds[-1] == "done"
    state = wait_done(server, run_id)
    assert state["state"] == "done" and [n["state"] for n in state["nodes"]] == ["done", "done", "done"]
    assert state["inputs"] == {"image": "image.png"}  # named by its content, not by the client's file name
    out = server.client.get(f"/api/runs/{run_id}/outputs/0")
    assert out.headers["content-type"] == "image/png" and Image.open(io.BytesIO(out.content)).size == (96, 64)
    assert "/" not in json.dumps(state["outputs"])  # no server path reaches a client
    assert server.client.get(f"/api/runs/{run_id}/outputs/1").status_code == 404


def test_a_text_input_is_a_plain_form_field(server):
    wf = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
          "2": {"class_type": "Text", "inputs": {"text": "$prompt"}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}},
          "meta": {"inputs": {"image": "IMAGE", "prompt": "TEXT"}}}
    created = server.client.post("/api/runs", data={"workflow": json.dumps(wf), "prompt": "a lighthouse at dusk"},
                                 files={"image": ("a.png", png(), "image/png")})
    assert created.status_code == 200, created.text
    assert wait_done(server, created.json()["run_id"])["state"] == "done"
    out = server.client.get(f"/api/runs/{created.json()['run_id']}/outputs/0")
    saved = json.loads(Image.open(io.BytesIO(out.content)).text["workflow"])
    assert saved["2"]["inputs"]["text"] == "a lighthouse at dusk"


@pytest.mark.parametrize("fields, files, status, fragment", [
    ({"workflow": "{not json"}, {}, 400, "the workflow field is not valid JSON"),
    ({"workflow": json.dumps({"1": {"class_type": "LoadImage", "inputs": {"image": "/etc/passwd"}},
                              "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})}, {}, 400,
     "names a file on the server"),
    ({"workflow": json.dumps({"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
                              "2": {"class_type": "Blur", "inputs": {"images": ["1", 0]}}})},
     {"image": ("a.png", png(), "image/png")}, 422, "the workflow is not valid"),
    ({"workflow": json.dumps({"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
                              "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})},
     {"image": ("a.png", b"GIF89a not really", "image/png")}, 415, "cannot read image the uploaded file"),
    ({"workflow": json.dumps({"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
                              "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}})},
     {}, 400, "give the workflow's input(s): image"),
])
def test_bad_runs_are_refused_with_json(server, fields, files, status, fragment):
    r = server.client.post("/api/runs", data=fields, files=files or None)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"] and "Traceback" not in r.text


def test_bad_requests_are_json_errors(server):
    long = server.client.post("/api/ask", json={"question": "x" * 5000})
    assert long.status_code == 400 and "the limit is 4,000" in long.json()["error"]
    invalid = server.client.post("/api/ask", json={"k_models": 3})
    assert invalid.status_code == 422 and invalid.json()["error"].startswith("body.question")
    assert server.client.get("/api/runs/nope").status_code == 404
    assert server.client.get("/api/runs/nope").json() == {"error": "no run 'nope'", "detail": []}


def test_the_page_and_the_api_docs_are_served_from_the_package(server):
    page = server.client.get("/")
    assert page.status_code == 200 and "muselab" in page.text
    assert "http://" not in page.text.replace("http://127.0.0.1", "") and "https://cdn" not in page.text
    docs = server.client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert server.client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert "/api/ask" in server.client.get("/openapi.json").json()["paths"]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, template_store, cache_dir):
    s = start(tmp_path_factory, template_store, {"MUSELAB_CACHE_DIR": str(cache_dir), "MUSELAB_TOKEN": "s3cret",
                                                  "MUSELAB_SERVE_MAX_BODY_MB": "1", "MUSELAB_SERVE_QUEUE": "1"})
    yield s
    s.stop()


def slow_run(server: Server, headers: dict) -> httpx.Response:
    """A run that takes a few seconds: Real-CUGAN on the CPU."""
    wf = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
          "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "realcugan", "model": "models-se"}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}}
    return server.client.post("/api/runs", data={"workflow": json.dumps(wf)}, headers=headers,
                              files={"image": ("a.png", png(720, 480), "image/png")})


def test_the_token_guards_runs_and_llms_only(guarded):
    assert slow_run(guarded, {}).status_code == 401
    assert slow_run(guarded, {"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.client.post("/api/ask", json={"question": QUESTION}).status_code == 200  # offline: no token
    llm = guarded.client.post("/api/ask", json={"question": QUESTION, "llm": "openai"})
    assert llm.status_code == 401 and "MUSELAB_TOKEN" in llm.json()["error"]


def test_queue_limit_cancel_and_body_limit(guarded):
    auth = {"Authorization": "Bearer s3cret"}
    first = slow_run(guarded, auth).json()["run_id"]  # running
    second = slow_run(guarded, auth).json()["run_id"]  # waiting: the queue holds one
    full = slow_run(guarded, auth)
    assert full.status_code == 429 and "already waiting" in full.json()["error"]
    assert guarded.client.delete(f"/api/runs/{second}", headers=auth).json()["state"] == "cancelled"
    guarded.client.delete(f"/api/runs/{first}", headers=auth)
    assert wait_done(guarded, first)["state"] in ("cancelled", "done")
    huge = guarded.client.post("/api/runs", headers=auth, data={"workflow": "{}"},
                               files={"image": ("a.png", b"0" * (2 * 1024 * 1024), "image/png")})
    assert huge.status_code == 413 and "larger than 1 MB" in huge.json()["error"]


def test_a_restart_marks_unfinished_runs_failed(tmp_path_factory, template_store, cache_dir):
    s = start(tmp_path_factory, template_store, {"MUSELAB_CACHE_DIR": str(cache_dir)})
    folder = s.runs / "abandoned"
    s.stop()
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"run_id": "abandoned", "state": "running", "created": time.time(),
                                                 "nodes": [], "errors": [], "outputs": [], "inputs": {},
                                                 "overrides": {}}))
    s2 = Server(s.runs.parent, {"MUSELAB_DB": str(s.runs.parent / "catalog.db"), "MUSELAB_CACHE_DIR": str(cache_dir)})
    try:
        state = s2.client.get("/api/runs/abandoned").json()
        assert state["state"] == "failed" and "stopped before this run finished" in state["errors"][0]["message"]
    finally:
        s2.stop()


def test_binding_beyond_loopback_needs_a_token():
    proc = run_muselab("serve", "--host", "0.0.0.0", "--port", str(free_port()), env={"MUSELAB_TOKEN": ""})
    assert proc.returncode == 2 and proc.stderr.count("\n") <= 2 and "set MUSELAB_TOKEN" in proc.stderr
