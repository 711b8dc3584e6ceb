"""Shared helpers for the benchmark scripts (not part of the product)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
OUT = ROOT / "bench" / "out"
CORPUS = DATA / "arxiv_cv_2025.jsonl.gz"
VECTORS = DATA / "arxiv_cv_2025.minilm-l6-v2.f16.npy"
PAPERS_DEV = DATA / "bench" / "papers_dev.json"
TASKS_DEV = DATA / "bench" / "tasks_dev.json"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def muselab(*args, env=None, check=True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "muselab", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return proc


def corpus_store(name: str = "corpus.db") -> Path:
    """A store holding exactly the 39k corpus (with its precomputed vectors), built once."""
    db = OUT / name
    if not db.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"building {db} from the corpus and its precomputed vectors ...", file=sys.stderr)
        muselab("--no-progress", "--db", db, "ingest", "arxiv", CORPUS, "--vectors", VECTORS, "--no-embed",
                env={"MUSELAB_BUILTIN_PAPERS": "false"})
    return db


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {1000 * statistics.median(values):.1f} ms, p95 {1000 * pct(values, 95):.1f} ms"


def write_json(name: str, data) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(data, indent=1))
    return path
