"""The web page in a real browser: Debian's chromium, driven by Playwright, against a real `muselab serve`.

The whole loop a person goes through (question -> answer -> workflow graph -> upload -> run with live
progress -> the picture beside the input), the keyboard alone, and the page's own states (errors, the
token, a workflow for ComfyUI, Markdown that must stay inert) with canned API answers. Nothing is fetched
from outside loopback: chromium runs with its background networking off and every request is checked.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SEEDS = [
    "What methods do AI models use to create images that mimic animation styles so convincingly?",
    "I mixed “photographic style” and “digital illustration” in one prompt and got an image that blended both "
    "perfectly. How does AI balance multiple styles at once—what’s happening with the weights under the hood?",
    "I enlarged a blurry illustration by 2x and it looked like crisp anime art. How do AI models enhance "
    "cartoon-style images so sharply?",
    "I typed just “portrait with soft lighting” and the result looked like a real studio photo—clean skin tones "
    "and even light across the face. How can AI get such a natural look from such a short prompt?",
]
PARTS = ["1. Task", "2. Workflow", "3. Papers and tools"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions", "--no-pings", "--disable-domain-reliability",
                 "--dns-prefetch-disable"]
ANSWER_TIMEOUT = 120_000  # ms, for a warm server (see the server fixture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(w: int = 48, h: int = 32) -> bytes:
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:h, 0:w]
    buf = io.BytesIO()
    Image.fromarray(np.stack([x * 5, y * 7, (x + y) * 3], -1).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory, template_store, cache_dir):
    """`muselab serve` on a free loopback port, with its own store, runs and models folders."""
    tmp = tmp_path_factory.mktemp("web")
    shutil.copyfile(template_store, tmp / "catalog.db")
    port = free_port()
    env = {**os.environ, "MUSELAB_DB": str(tmp / "catalog.db"), "MUSELAB_CACHE_DIR": str(cache_dir),
           "MUSELAB_RUNS_DIR": str(tmp / "runs"), "MUSELAB_MODELS_DIR": str(tmp / "models"),
           "MUSELAB_SETTINGS": str(tmp / "no-settings.toml"), "MUSELAB_PROGRESS": "false", "HF_HUB_OFFLINE": "1"}
    env.pop("MUSELAB_TOKEN", None)
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "muselab", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"muselab serve did not start:\n{(tmp / 'server.log').read_text()}")
            time.sleep(0.2)
        # the first question of a fresh store prepares the embedder and the derived indexes: do it here, so
        # the browser's waits below measure the page, not a cold start
        warm = httpx.post(f"{url}/api/ask", json={"question": SEEDS[2]}, timeout=900)
        assert warm.status_code == 200, warm.text
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page that records every request leaving loopback and every script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server,
                                  service_workers="block")
    pg = context.new_page()
    pg.outside, pg.errors = [], []
    pg.on("request", lambda r: None if r.url.startswith((server, "blob:", "data:")) else pg.outside.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()
    assert pg.outside == [], f"the page reached beyond this server: {pg.outside}"
    assert pg.errors == [], f"script errors: {pg.errors}"


def wait_for_answer(pg, timeout=ANSWER_TIMEOUT):
    pg.wait_for_function("""parts => {
        const heads = [...document.querySelectorAll('#parts h3')].map(h => h.textContent.trim());
        return parts.every(p => heads.some(h => h.startsWith(p)));
    }""", arg=PARTS, timeout=timeout)


def check_answer(page):
    """The task and its confidence, three rendered parts with working https links, model cards, papers."""
    assert "Super-resolution" in page.text_content("#task-summary")
    assert page.get_attribute("#confidence-meter", "value")
    hrefs = page.eval_on_selector_all("#parts a", "as => as.map(a => [a.getAttribute('href'), a.rel])")
    assert any(h.startswith("https://") for h, _ in hrefs), hrefs
    assert all(h.startswith(("https://", "http://")) and rel == "noopener" for h, rel in hrefs)
    assert page.locator("#parts h3").count() == 3 and page.locator("#parts strong").count() > 3
    assert "**" not in page.text_content("#parts")  # rendered, not shown as Markdown
    assert page.locator("#models .model-card").count() >= 1
    assert "runs here" in page.text_content("#models")
    assert page.locator("#papers a[href^='https://']").count() >= 1


def check_graph(page) -> list[str]:
    """Nodes left to right by dependency depth, one SVG edge per link, the named input highlighted."""
    page.wait_for_selector("#graph .node", timeout=60_000)
    classes = page.eval_on_selector_all("#graph .node .node-class", "ns => ns.map(n => n.textContent)")
    assert {"LoadImage", "Upscale", "SaveImage"} <= set(classes), classes
    assert page.locator("#graph svg path.edge").count() == len(classes) - 1
    assert page.text_content("#graph mark") == "$image"
    xs = page.eval_on_selector_all("#graph .node", "ns => ns.map(n => [n.dataset.depth, n.getBoundingClientRect().x])")
    assert [x for _, x in sorted(xs, key=lambda d: int(d[0]))] == sorted(x for _, x in xs)
    return classes


def run_upscale(page, server):
    """Upload a 48x32 PNG, ask for Lanczos in the settings, follow the progress, see the 96x64 result."""
    page.set_input_files("#input-image", files=[{"name": "small.png", "mimeType": "image/png", "buffer": png()}])
    page.click("#settings summary")
    method = page.locator("#settings-fields [data-override$='.method']")
    upscale = method.get_attribute("data-override").split(".")[0]
    method.fill("lanczos")
    assert "lanczos" in page.text_content(f"#node-{upscale} .port.changed")  # the graph shows the override
    page.click("#run-button")
    page.wait_for_selector("#run-nodes li", timeout=60_000)  # progress per node appears
    page.wait_for_function("""() => {
        const img = document.getElementById('result-image');
        return img && img.complete && img.naturalWidth > 0;
    }""", timeout=120_000)
    assert page.eval_on_selector("#result-image", "i => [i.naturalWidth, i.naturalHeight]") == [96, 64]
    assert page.eval_on_selector("#input-image-preview", "i => [i.naturalWidth, i.src.slice(0, 5)]") == [48, "blob:"]
    states = page.eval_on_selector_all("#run-nodes li", "ls => ls.map(l => l.dataset.state)")
    assert states and set(states) <= {"done", "cached"}, states
    assert page.eval_on_selector_all("#graph .node", "ns => ns.every(n => ['done', 'cached'].includes(n.dataset.state))")
    assert page.text_content("#run-status") == "Done."
    run_id = page.get_attribute("#run-live", "data-run-id")
    run = httpx.get(f"{server}/api/runs/{run_id}", timeout=10).json()
    assert run["state"] == "done" and run["overrides"] == {f"{upscale}.method": "lanczos"}


def test_question_answer_workflow_run_picture(page, server):
    page.goto("/")
    page.wait_for_function("document.getElementById('health').textContent.includes('models')")
    footer = page.text_content("#health")
    assert "muselab " in footer and "papers" in footer

    page.get_by_role("button", name=SEEDS[2]).click()
    assert page.input_value("#question") == SEEDS[2]
    wait_for_answer(page)
    check_answer(page)
    check_graph(page)
    run_upscale(page, server)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the phone-width page scrolls sideways ({width}px)"
    page.screenshot(path=str(ARTIFACTS / "web-phone.png"), full_page=True)


def test_the_keyboard_alone_gets_an_answer(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(3):
        if page.evaluate("document.activeElement.id") == "question":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type(SEEDS[0])
    page.keyboard.press("Enter")
    wait_for_answer(page)
    assert "style" in page.text_content("#task-summary").lower()
    # the workflow wants a content and a style image: one file picker each, reached by Tab
    page.wait_for_selector("#graph .node", timeout=60_000)
    named = page.eval_on_selector_all("#run-inputs input[type=file]", "is => is.map(i => i.dataset.named)")
    assert sorted(named) == ["content", "style"]
    page.focus("#input-style")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("SUMMARY", "BUTTON")


CANNED_ANSWER = {
    "question": "q", "backend": "offline",
    "task": {"id": "style-transfer", "name": "Neural style transfer and stylization", "confidence": 0.51,
             "runner_up": "super-resolution", "close": True},
    "parts": {
        "task": "## 1. Task\n\n**Style transfer** (`style-transfer`). <img src=x onerror=alert(1)>\n\n"
                "**Model fit:** the recommended model X is a super-resolution model, so it does not fit.",
        "workflow": "## 2. Workflow (input → model → output)\n\n### X\n*a model*\n\n- **Input:** a photo\n"
                    "- see [bad](javascript:alert(1)) and [good](https://example.org/a_(b))\n\n"
                    "1. first\n2. second",
        "sources": "## 3. Papers and tools\n\n1. **A paper** (paper: https://arxiv.org/abs/1234.5678), *close*.",
    },
    "notices": ["2 sentences were removed <script>alert(1)</script>"],
    "models": [{"name": "SR-X", "display_name": "X upscaler", "family": "X", "role": "model",
                "task": "super-resolution", "fits_task": False, "runs_here": False, "in_catalog": True,
                "links": ["https://github.com/x/y", "javascript:alert(1)"], "templates": []}],
    "papers": [{"title": "A paper", "relevance": "closely related", "links": ["https://arxiv.org/abs/1234.5678"]}],
    "linked": [], "not_in_catalog": ["FooNet"], "retrieval": {},
}
LOCAL_WORKFLOW = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
                  "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}},
                  "meta": {"title": "t", "inputs": {"image": "IMAGE"}, "models": [], "notes": []}}
COMFY_WORKFLOW = {"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x.safetensors"}},
                  "2": {"class_type": "KSampler", "inputs": {"model": ["1", 0], "seed": 1}},
                  "meta": {"title": "t", "inputs": {}, "models": [], "notes": []}}


def test_states_errors_token_and_safe_markdown(page):
    """Canned API answers: Markdown stays inert, the model-fit notice shows, errors read politely, the token
    is asked for once and sent, and a workflow of ComfyUI nodes is not offered to run here."""
    fake = {"answer": (200, CANNED_ANSWER), "workflow": (200, LOCAL_WORKFLOW)}
    auth_seen = []

    def reply(route, key):
        status, body = fake[key]
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def runs(route):
        auth_seen.append(route.request.headers.get("authorization"))
        if route.request.headers.get("authorization") != "Bearer s3cret":
            route.fulfill(status=401, content_type="application/json",
                          body=json.dumps({"error": "this server needs its token", "detail": []}))
        else:
            route.fulfill(status=429, content_type="application/json",
                          body=json.dumps({"error": "8 runs are already waiting", "detail": []}))

    page.route("**/api/ask", lambda r: reply(r, "answer"))
    page.route("**/api/workflows", lambda r: reply(r, "workflow"))
    page.route("**/api/runs", runs)
    page.goto("/")
    page.fill("#question", "anything")
    page.press("#question", "Enter")
    wait_for_answer(page, 10_000)

    html = page.inner_html("#answer")
    assert "<img" not in html and "<script" not in html and "javascript:" not in html
    assert page.locator("#parts a[href='https://example.org/a_(b)']").count() == 1
    assert page.locator("#parts a[href='https://arxiv.org/abs/1234.5678']").count() == 1
    assert page.locator("#parts ol li").count() == 3 and page.locator("#parts code").count() == 1
    fit = page.locator("#parts p.fit")
    assert fit.is_visible() and fit.text_content().startswith("Model fit:")
    assert "also reads partly as Super-resolution" in page.text_content("#task-summary")
    assert "removed <script>" in page.text_content("#notices blockquote")
    assert "needs a GPU / ComfyUI server" in page.text_content("#models")
    assert page.locator("#models a").count() == 1  # the javascript: link is not a link

    # the token: asked for once, kept, sent as a Bearer header; then a full queue reads politely
    page.wait_for_selector("#input-image")
    page.set_input_files("#input-image", files=[{"name": "a.png", "mimeType": "image/png", "buffer": png()}])
    page.click("#run-button")
    page.wait_for_selector("#token", state="visible")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type("s3cret")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('alert-text').textContent.includes('already waiting')")
    assert auth_seen == [None, "Bearer s3cret"]
    assert page.is_visible("#alert")

    # an error answer: shown in the alert region, not as an answer
    fake["answer"] = (503, {"error": "the catalog store is busy", "detail": []})
    fake["workflow"] = (200, COMFY_WORKFLOW)
    page.fill("#question", "again")
    page.click("#ask-button")
    page.wait_for_function("document.getElementById('alert-text').textContent.includes('store is busy')")
    assert page.is_hidden("#answer")
    page.wait_for_selector("#run-elsewhere", state="visible")
    assert "runs on a ComfyUI server" in page.text_content("#run-elsewhere")
    assert page.is_hidden("#run-form")

    # no workflow for these models: said calmly where the workflow would be
    fake["answer"] = (200, CANNED_ANSWER)
    fake["workflow"] = (400, {"error": "none of the recommended models has a workflow in the catalog", "detail": []})
    page.click("#ask-button")
    page.wait_for_function("document.getElementById('workflow-status').textContent.includes('no runnable workflow')")
    assert page.is_hidden("#alert") and page.is_hidden("#workflow-body")


def test_the_api_list_page(page):
    """/docs falls back to this page when Swagger UI's files are missing: it lists /openapi.json plainly."""
    page.goto("/static/openapi.html")
    page.wait_for_function("document.getElementById('status').textContent.includes('endpoints')")
    paths = page.eval_on_selector_all("#endpoints .path", "ps => ps.map(p => p.textContent)")
    assert "/api/ask" in paths and "/api/runs/{run_id}/events" in paths
