#!/usr/bin/env python3
"""HTTP load on `muselab serve` beside `Lab.ask` in-process, in the same run.

Phases (30 s each by default): `Lab.ask` called in this process (the baseline); POST /api/ask over
HTTP at concurrency 1, 4 and 16; then concurrency 4 again while upscale runs keep one run worker
busy. Reported per phase: requests/s, p50 and p99 latency, errors. Targets (issue 13): HTTP
throughput at concurrency 4 >= 0.7x in-process; p99 <= 10x p50; 0 errors; a run in progress
raises ask p50 by at most 2x.

    .venv/bin/python bench/serve.py [--seconds 30]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import write_json

QUESTIONS = [
    "How do AI upscalers make a blurry anime screenshot crisp?",
    "How can I turn a photo into a watercolor painting?",
    "What makes a video from a single image move naturally?",
    "Why do generated hands have extra fingers?",
    "How do apps remove the background around hair?",
    "How do I make a short clip loop smoothly?",
    "Which model can put readable text on a poster?",
    "How does inpainting fill the hole where I erased something?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(latencies: list[float], errors: int, seconds: float) -> dict:
    lat = sorted(latencies)
    pick = lambda q: round(1000 * lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None  # noqa: E731
    return {"requests": len(lat), "rps": round(len(lat) / seconds, 2), "p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "errors": errors}


def in_process(seconds: float) -> dict:
    import muselab

    lab = muselab.open(progress=False)
    lab.ask(QUESTIONS[0])  # warm, as the server is
    latencies, end, i = [], time.monotonic() + seconds, 0
    while time.monotonic() < end:
        start = time.perf_counter()
        lab.ask(QUESTIONS[i % len(QUESTIONS)])
        latencies.append(time.perf_counter() - start)
        i += 1
    return summary(latencies, 0, seconds)


def over_http(url: str, concurrency: int, seconds: float) -> dict:
    import httpx

    latencies, errors, lock = [], [0], threading.Lock()
    end = time.monotonic() + seconds

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            i = n
            while time.monotonic() < end:
                start = time.perf_counter()
                try:
                    ok = client.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    latencies.append(time.perf_counter() - start) if ok else None
                    errors[0] += not ok
                i += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(latencies, errors[0], seconds)


def keep_running(url: str, stop: threading.Event) -> int:
    """Queue Real-ESRGAN 4x upscales of a 384 x 384 picture back to back; how many ran."""
    import httpx
    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (384, 384, 3), dtype=np.uint8)).save(buf, "PNG")
    wf = {"1": {"class_type": "LoadImage", "inputs": {"image": "$image"}},
          "2": {"class_type": "Upscale", "inputs": {"image": ["1", 0], "method": "realesrgan",
                                                    "model": "realesrgan-x4plus", "scale": 4}},
          "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}}
    done = 0
    with httpx.Client(base_url=url, timeout=300) as client:
        while not stop.is_set():
            r = client.post("/api/runs", data={"workflow": json.dumps(wf)}, files={"image": ("a.png", buf.getvalue())})
            run_id = r.json()["run_id"]
            while client.get(f"/api/runs/{run_id}").json()["state"] in ("queued", "running"):
                time.sleep(0.2)
            done += 1
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    port, tmp = free_port(), Path(tempfile.mkdtemp(prefix="muselab-serve-bench-"))
    env = {**os.environ, "MUSELAB_RUNS_DIR": str(tmp / "runs"), "MUSELAB_PROGRESS": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "muselab", "serve", "--port", str(port)], env=env,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.post(f"{url}/api/ask", json={"question": QUESTIONS[0]}, timeout=60).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        phases = {"in-process Lab.ask": in_process(args.seconds)}
        for c in (1, 4, 16):
            phases[f"HTTP, concurrency {c}"] = over_http(url, c, args.seconds)
        stop = threading.Event()
        runner = threading.Thread(target=lambda: phases.setdefault("_runs", keep_running(url, stop)))
        runner.start()
        time.sleep(2)  # the first run is under way
        phases["HTTP, concurrency 4, during upscale runs"] = over_http(url, 4, args.seconds)
        stop.set()
        runner.join()
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)
    runs = phases.pop("_runs", 0)
    print("| phase | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|")
    for name, p in phases.items():
        print(f"| {name} | {p['rps']} | {p['p50_ms']} | {p['p99_ms']} | {p['errors']} |")
    base, c4 = phases["in-process Lab.ask"], phases["HTTP, concurrency 4"]
    busy = phases["HTTP, concurrency 4, during upscale runs"]
    checks = {"HTTP c4 throughput / in-process": round(c4["rps"] / base["rps"], 2),
              "worst p99 / p50 over HTTP": round(max(p["p99_ms"] / p["p50_ms"] for n, p in phases.items()
                                                     if n.startswith("HTTP")), 2),
              "errors": sum(p["errors"] for p in phases.values()),
              "p50 during runs / p50 idle (c4)": round(busy["p50_ms"] / c4["p50_ms"], 2),
              "upscale runs completed during the busy phase": runs}
    for k, v in checks.items():
        print(f"- {k}: {v}")
    write_json("serve.json", {"phases": phases, "checks": checks})


if __name__ == "__main__":
    main()
