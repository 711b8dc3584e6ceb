"""Running a ComfyUI API graph on a ComfyUI server (muselab.workflow.remote), against the scripted
server of tests/comfy_fake.py over real loopback sockets: HTTP and the websocket as ComfyUI speaks them."""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from comfy_fake import FakeComfy, free_port, silent_server
from muselab.errors import BadInput, MuselabError
from muselab.nodes.upscale import Upscale
from muselab.workflow.graph import WorkflowInvalid
from muselab.workflow.remote import ComfyClient, check_url, rejected, run_remote, write_new

GRAPH = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
    "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "lanczos", "scale_by": 2.0}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "muselab"}},
}
TWO_OUTPUTS = {**GRAPH,  # a second branch, run after the first output is saved
               "4": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 0], "upscale_method": "bicubic",
                                                               "scale_by": 3.0}},
               "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "big"}}}
SECRET = "tok-9f3c-DO-NOT-PRINT-7e1a"


@pytest.fixture
def picture(tmp_path):
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:23, 0:37]
    pixels = np.stack([x * 6, y * 10, (x + y) * 4], -1) + rng.integers(0, 40, (23, 37, 3))
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def comfy(tmp_path):
    with FakeComfy(tmp_path / "server") as server:
        yield server


def run(comfy, out, files, graph=GRAPH, **options):
    return run_remote(comfy.url, graph, files, out, progress=False, **options)


def pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def one_line(exc) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text
    return text


# -- a run ---------------------------------------------------------------------


def test_lanczos_upscale_on_the_server_gives_the_local_upscale_pixels(comfy, picture, tmp_path):
    events = []
    report = run(comfy, tmp_path / "out", {"image": picture}, on_event=lambda kind, data: events.append((kind, data)))

    assert [p.name for p in report.saved] == ["muselab_00001_.png"]
    local = Upscale().execute(None, image=pixels(picture), method="lanczos", model="", scale=2, denoise=-1,
                              model_path="", tile=0)[0]
    assert pixels(report.saved[0]).shape == (46, 74, 3)
    assert np.array_equal(pixels(report.saved[0]), local)
    assert report.ran == ["1", "2", "3"] and report.cached == []
    assert report.prompt_id in comfy.history and report.seconds > 0
    # the placeholder became the uploaded file's name, and the file was uploaded before the prompt was queued
    assert comfy.history[report.prompt_id]["prompt"][2]["1"]["inputs"]["image"] == report.uploaded["image"] == "photo.png"
    assert comfy.log.index(("POST", "/upload/image")) < comfy.log.index(("POST", "/prompt"))
    kinds = [k for k, _ in events]
    assert kinds[:2] == ["uploaded", "queued"] and kinds[-1] == "done" and "started" in kinds
    assert [d["node"] for k, d in events if k == "node"] == ["1", "2", "3"]
    assert [(d["value"], d["max"]) for k, d in events if k == "progress"] == [(1, 3), (2, 3), (3, 3)]
    assert [Path(d["path"]) for k, d in events if k == "saved"] == report.saved
    assert json.loads(json.dumps(report.to_dict()))["saved"] == [str(report.saved[0])]


def test_a_second_run_is_served_from_the_cache_and_never_overwrites(comfy, picture, tmp_path):
    out = tmp_path / "out"
    first = run(comfy, out, {"image": picture})
    (out / "muselab_00001__1.png").write_bytes(b"mine")  # taken too: the next name is _2
    second = run(comfy, out, {"image": picture})

    assert second.ran == [] and sorted(second.cached) == ["1", "2", "3"]
    assert second.saved == [out / "muselab_00001__2.png"]  # from the history: a cached node reports nothing
    assert np.array_equal(pixels(second.saved[0]), pixels(first.saved[0]))
    assert (out / "muselab_00001__1.png").read_bytes() == b"mine"


def test_the_older_protocol_without_execution_success_ends_on_executing_null(comfy, picture, tmp_path):
    comfy.legacy = True
    report = run(comfy, tmp_path / "out", {"image": picture})
    assert report.ran == ["1", "2", "3"] and len(report.saved) == 1


def test_prompts_wait_in_the_queue_and_each_client_follows_its_own(comfy, picture, tmp_path):
    comfy.hold.clear()  # the worker waits: both prompts pile up
    results, events = {}, {0: [], 1: []}

    def client(i):
        results[i] = run(comfy, tmp_path / f"out{i}", {"image": picture}, graph={**GRAPH, "2": {
            **GRAPH["2"], "inputs": {**GRAPH["2"]["inputs"], "scale_by": 1.0 + i}}},
            on_event=lambda kind, data: events[i].append((kind, data)))

    threads = [threading.Thread(target=client, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(comfy.pending) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    comfy.hold.set()
    for t in threads:
        t.join(20)

    assert sorted(r.number for r in results.values()) == [0, 1]
    assert pixels(results[0].saved[0]).shape == (23, 37, 3) and pixels(results[1].saved[0]).shape == (46, 74, 3)
    for i in (0, 1):
        assert {"queue_remaining": 2} in [d for k, d in events[i] if k == "status"]


# -- refused and failed runs -----------------------------------------------------------


def test_a_refused_prompt_gives_muselab_errors_per_node(comfy, picture, tmp_path):
    bad = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
        "2": {"class_type": "ImageScaleBy", "inputs": {"image": ["1", 1], "upscale_method": "magic", "scale_by": 9}},
        "3": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}},
    }
    with pytest.raises(WorkflowInvalid) as caught:
        run(comfy, tmp_path / "out", {"image": picture}, graph=bad)
    found = sorted((e.node, e.kind) for e in caught.value.errors)
    assert found == [("2", "out_of_range"), ("2", "out_of_range"), ("2", "type_mismatch"), ("3", "missing_input")]
    assert any("ImageScaleBy: Value 9 bigger than max of 8.0" in e.message for e in caught.value.errors)
    assert caught.value.exit_code == 2 and comfy.history == {}

    unknown = {**GRAPH, "2": {"class_type": "UltraSharp9000", "inputs": {"image": ["1", 0]}}}
    with pytest.raises(WorkflowInvalid) as caught:
        run(comfy, tmp_path / "out", {"image": picture}, graph=unknown)
    assert [(e.node, e.kind) for e in caught.value.errors] == [("2", "unknown_class")]
    assert "UltraSharp9000" in caught.value.errors[0].message

    with pytest.raises(WorkflowInvalid) as caught:
        run(comfy, tmp_path / "out", {"image": picture}, graph={"1": GRAPH["1"], "2": GRAPH["2"]})
    assert [(e.node, e.kind, e.message) for e in caught.value.errors] == [("-", "no_output", "Prompt has no outputs")]


def test_refusals_of_every_shape_comfyui_sends_are_read():
    cycle = {"type": "dependency_cycle", "message": "Dependency cycle detected",
             "details": "4 (ImageScaleBy) -> 5 (ImageScaleBy) -> 4 (ImageScaleBy)", "extra_info": {"node_id": "4"}}
    custom = {"type": "custom_validation_failed", "message": "Custom validation failed for node",
              "details": "image - Invalid image file: a.png", "extra_info": {"input_name": "image"}}
    found = rejected({"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed",
                                "details": "...", "extra_info": {}},
                      "node_errors": {"4": {"errors": [cycle], "dependent_outputs": ["9"], "class_type": "ImageScaleBy"},
                                      "1": {"errors": [custom], "dependent_outputs": ["9"], "class_type": "LoadImage"}}})
    assert [(e.node, e.kind) for e in found] == [("4", "cycle"), ("1", "invalid_node")]
    assert found[1].message == "LoadImage: Custom validation failed for node: image - Invalid image file: a.png"
    older = rejected({"error": "no prompt", "node_errors": []})  # what older servers send
    assert [(e.node, e.kind, e.message) for e in older] == [("-", "invalid_node", "no prompt")]


def test_a_server_file_name_cannot_leave_the_output_folder(tmp_path):
    names = ["../../evil.png", "..\\..\\evil.png", "/etc/passwd", ".bashrc", "", "sub/ok.png"]
    saved = [write_new(tmp_path / "out", name, b"x") for name in names]
    assert [p.name for p in saved] == ["evil.png", "evil_1.png", "passwd", "bashrc", "output", "ok.png"]
    assert all(p.parent == tmp_path / "out" for p in saved)


def test_named_inputs_are_checked_before_anything_is_sent(comfy, picture, tmp_path):
    with pytest.raises(WorkflowInvalid) as caught:
        run(comfy, tmp_path / "out", {})
    assert [(e.node, e.kind) for e in caught.value.errors] == [("1", "missing_input")]
    with pytest.raises(BadInput, match="no input 'style'"):
        run(comfy, tmp_path / "out", {"image": picture, "style": picture})
    with pytest.raises(BadInput, match="file not found"):
        run(comfy, tmp_path / "out", {"image": tmp_path / "nope.png"})
    with pytest.raises(WorkflowInvalid, match="not valid"):
        run(comfy, tmp_path / "out", {}, graph={"1": {"inputs": {}}})
    assert comfy.log == []


def test_an_execution_error_is_one_line_naming_the_node(comfy, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"this is not a picture")
    with pytest.raises(MuselabError) as caught:
        run(comfy, tmp_path / "out", {"image": broken})
    text = one_line(caught.value)
    assert "node 1 (LoadImage) failed on the ComfyUI server" in text and "UnidentifiedImageError" in text
    assert caught.value.exit_code == 1


def test_a_dropped_websocket_keeps_and_names_the_finished_outputs(comfy, picture, tmp_path):
    comfy.drop_after_executed = 1
    with pytest.raises(MuselabError) as caught:
        run(comfy, tmp_path / "out", {"image": picture}, graph=TWO_OUTPUTS)
    text = one_line(caught.value)
    kept = tmp_path / "out" / "muselab_00001_.png"
    assert "closed the websocket mid-run" in text and f"kept 1 finished output(s): {kept}" in text
    assert caught.value.exit_code == 2 and pixels(kept).shape == (46, 74, 3)


def test_ctrl_c_interrupts_the_prompt_on_the_server(comfy, picture, tmp_path):
    comfy.progress_steps, comfy.step_delay = 500, 0.01

    def press_ctrl_c(kind, data):
        if kind == "progress":
            raise KeyboardInterrupt

    with pytest.raises(MuselabError) as caught:
        run(comfy, tmp_path / "out", {"image": picture}, on_event=press_ctrl_c)
    assert caught.value.exit_code == 130 and "interrupted: asked the ComfyUI server to stop prompt" in one_line(caught.value)
    pid = caught.value.args[0].split()[-1]
    assert comfy.interrupts == [pid] and comfy.deleted == [pid]
    deadline = time.monotonic() + 5
    while pid not in comfy.history and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [m[0] for m in comfy.history[pid]["status"]["messages"]][-1] == "execution_interrupted"


SCRIPT = """
import sys
from muselab.errors import MuselabError
from muselab.workflow.remote import run_remote
graph = {graph}
try:
    run_remote({url!r}, graph, {{"image": {picture!r}}}, {out!r}, progress=True)
except MuselabError as exc:
    print(f"error: {{exc}}", file=sys.stderr)
    sys.exit(exc.exit_code)
"""


def test_sigint_in_a_real_process_stops_the_server_run(comfy, picture, tmp_path):
    comfy.progress_steps, comfy.step_delay = 1000, 0.01
    script = SCRIPT.format(graph=json.dumps(GRAPH), url=comfy.url, picture=str(picture), out=str(tmp_path / "out"))
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    assert comfy.node_started.wait(20)
    time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "error: interrupted: asked the ComfyUI server to stop prompt" in stderr
    assert len(comfy.interrupts) == 1 and comfy.interrupts[0] is not None


# -- the connection ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/comfy", "file:///etc/passwd", "ws://127.0.0.1:8188",
                                 "127.0.0.1:8188", "localhost:8188", "http://", "javascript:alert(1)"])
def test_a_url_that_is_not_http_is_refused(url):
    with pytest.raises(BadInput) as caught:
        ComfyClient(url)
    assert "http://" in one_line(caught.value) or "no host" in str(caught.value)


def test_credentials_in_the_url_are_refused_without_repeating_them():
    with pytest.raises(BadInput) as caught:
        ComfyClient("http://admin:hunter2@127.0.0.1:8188")
    assert "hunter2" not in str(caught.value) and "token_env" in str(caught.value)
    with pytest.raises(BadInput) as caught:
        ComfyClient("ftp://admin:hunter2@127.0.0.1")
    assert "hunter2" not in str(caught.value)
    assert check_url("https://comfy.example.org/base/?x=1") == "https://comfy.example.org/base"


def test_an_unreachable_server_is_tried_again_then_named(picture, tmp_path):
    port = free_port()
    start = time.monotonic()
    with pytest.raises(MuselabError) as caught:
        run_remote(f"http://127.0.0.1:{port}", GRAPH, {"image": picture}, tmp_path, progress=False, retries=2,
                   backoff=0.05)
    text = one_line(caught.value)
    assert f"could not reach the ComfyUI server at http://127.0.0.1:{port} after 3 attempt(s)" in text
    assert caught.value.exit_code == 2 and 0.15 <= time.monotonic() - start < 5  # backoff 0.05 + 0.1


def test_a_server_that_comes_up_late_is_reached_by_retrying(picture, tmp_path):
    port = free_port()
    server = FakeComfy(tmp_path / "server", port=port)
    timer = threading.Timer(0.3, server.start)
    timer.start()
    try:
        report = run_remote(f"http://127.0.0.1:{port}", GRAPH, {"image": picture}, tmp_path / "out",
                            progress=False, retries=6, backoff=0.1)
        assert len(report.saved) == 1
    finally:
        timer.join()
        server.stop()


def test_a_server_that_never_answers_times_out(picture, tmp_path):
    sock = silent_server()
    try:
        start = time.monotonic()
        with pytest.raises(MuselabError) as caught:
            run_remote(f"http://127.0.0.1:{sock.getsockname()[1]}", GRAPH, {"image": picture}, tmp_path,
                       progress=False, connect_timeout=0.3, timeout=0.3)
        assert "opening the websocket" in one_line(caught.value) and caught.value.exit_code == 2
        assert time.monotonic() - start < 3
    finally:
        sock.close()


@pytest.mark.parametrize("route, said", [("/prompt", "did not answer with ComfyUI's JSON"),
                                         ("/upload/image", "did not answer with ComfyUI's JSON"),
                                         ("/history", "did not answer with ComfyUI's JSON"),
                                         ("ws", "websocket message that is not ComfyUI's JSON")])
def test_garbage_answers_are_one_line_errors(comfy, picture, tmp_path, route, said):
    comfy.garbage = {route}
    with pytest.raises(MuselabError) as caught:
        run(comfy, tmp_path / "out", {"image": picture})
    assert said in one_line(caught.value) and caught.value.exit_code == 2


def test_a_silent_run_hits_the_idle_timeout_and_a_long_one_the_total(comfy, picture, tmp_path):
    comfy.hang = True
    with pytest.raises(MuselabError, match=r"sent no word for 0.3 s"):
        run(comfy, tmp_path / "out", {"image": picture}, idle_timeout=0.3)
    comfy.interrupt.set()  # let the worker go on to the next prompt
    time.sleep(0.2)
    comfy.hang, comfy.progress_steps, comfy.step_delay = False, 200, 0.02
    with pytest.raises(MuselabError, match=r"took longer than 0.4 s"):
        run(comfy, tmp_path / "out", {"image": picture}, total_timeout=0.4)


# -- the token ----------------------------------------------------------------------


def test_the_token_is_sent_but_never_shown(tmp_path, picture, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("COMFY_TOKEN", SECRET)
    with FakeComfy(tmp_path / "server", token=SECRET) as comfy:
        report = run_remote(comfy.url, GRAPH, {"image": picture}, tmp_path / "out", token_env="COMFY_TOKEN",
                            progress=True)
        assert len(report.saved) == 1 and comfy.refused == 0

        with pytest.raises(MuselabError) as no_token:
            run(comfy, tmp_path / "out", {"image": picture})
        assert "refused access (HTTP 401)" in one_line(no_token.value) and "token_env" in str(no_token.value)

        monkeypatch.setenv("COMFY_TOKEN", SECRET[::-1])
        with pytest.raises(MuselabError) as wrong:
            run(comfy, tmp_path / "out", {"image": picture}, token_env="COMFY_TOKEN")
        assert "the token in COMFY_TOKEN was refused" in one_line(wrong.value)

    monkeypatch.delenv("COMFY_TOKEN")
    with pytest.raises(BadInput, match="COMFY_TOKEN") as unset:
        run(comfy, tmp_path / "out", {"image": picture}, token_env="COMFY_TOKEN")
    out, err = capsys.readouterr()
    shown = [out, err, caplog.text, json.dumps(report.to_dict()), repr(ComfyClient(comfy.url)),
             str(no_token.value), str(wrong.value), str(unset.value)]
    shown += [p.read_bytes().decode("latin-1") for p in (tmp_path / "out").iterdir()]
    for text in shown:
        assert SECRET not in text and SECRET[::-1] not in text


def test_importing_the_client_loads_no_network_library():
    code = "import sys, muselab.workflow.remote; print(sorted({'httpx', 'websockets'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
