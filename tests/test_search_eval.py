"""`muselab search` and `muselab eval`."""

import json
import os
import subprocess
import sys

import pytest

from conftest import SHARED, need_shared
from muselab.eval.metrics import mean, ranking_metrics


def test_ranking_metrics_by_hand():
    m = ranking_metrics(["a", "x", "b", "y"], ["a", "b", "c"])
    assert m["mrr@10"] == 1.0
    assert m["recall@10"] == pytest.approx(2 / 3)
    dcg = 1 + 1 / 2  # ranks 1 and 3: 1/log2(2) + 1/log2(4)
    idcg = 1 + 1 / 1.5849625007211562 + 1 / 2
    assert m["ndcg@10"] == pytest.approx(dcg / idcg)
    assert mean([m, ranking_metrics(["z"], ["a"])])["mrr@10"] == 0.5


def test_search_papers_modes(cli):
    found = set()
    for mode in ("lexical", "dense", "hybrid", "task"):
        out = cli("search", "papers", "how do apps make old cartoons look sharp", "--mode", mode, "--k", "5",
                  "--format", "json")
        rows = json.loads(out.stdout)
        assert len(rows) == 5 and all({"score", "id", "title"} == set(r) for r in rows)
        assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
        found.add(tuple(r["id"] for r in rows))
    assert len(found) >= 3  # the modes rank differently


def test_search_models(cli):
    rows = json.loads(cli("search", "models", "anime upscaler 2x", "--format", "json").stdout)
    assert any(r["id"].startswith("SR-") for r in rows[:5])


def test_lexical_search_never_loads_a_model():
    code = ("import sys; from click.testing import CliRunner; from muselab.cli import cli; "
            "r = CliRunner().invoke(cli, ['search', 'papers', 'video diffusion', '--mode', 'lexical']); "
            "assert r.exit_code == 0, r.output; "
            "print([m for m in ('torch', 'onnxruntime', 'sentence_transformers', 'transformers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_eval_papers_json_keys(cli, store, tmp_path):
    ids = [r[0] for r in store.conn.execute(
        "SELECT id FROM papers WHERE title LIKE '%super-resolution%'")]
    bench = {"queries": [
        {"qid": "a", "voice": "novice", "question": "I made a small cartoon picture bigger and it looked sharp", "relevant": ids},
        {"qid": "b", "voice": "keywords", "question": "image super-resolution", "relevant": ids},
    ]}
    f = tmp_path / "bench.json"
    f.write_text(json.dumps(bench))
    for mode in ("task", "lexical", "dense", "hybrid"):
        r = json.loads(cli("eval", "papers", f, "--mode", mode, "--format", "json").stdout)
        assert {"ndcg@10", "recall@10", "recall@100", "mrr@10", "n", "by_voice"} <= set(r)
        assert r["n"] == 2 and set(r["by_voice"]) == {"novice", "keywords"}
        assert r["by_voice"]["keywords"]["ndcg@10"] > 0


def test_eval_tasks_on_the_dev_benchmark(cli):
    need_shared()
    r = json.loads(cli("eval", "tasks", SHARED / "data" / "bench" / "tasks_dev.json", "--format", "json").stdout)
    assert {"accuracy", "accuracy_alt", "n"} <= set(r) and r["n"] == 40
    assert r["accuracy"] >= 0.75 and r["accuracy_alt"] >= r["accuracy"]  # a regression floor, not the target


def test_eval_needs_a_benchmark_file(cli, tmp_path):
    f = tmp_path / "b.json"
    f.write_text("{}")
    r = cli("eval", "papers", f)
    assert r.exit_code == 2 and "has no 'queries' list" in r.stderr
