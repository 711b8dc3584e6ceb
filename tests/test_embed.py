"""Embeddings: the ONNX MiniLM against sentence-transformers, content hashes, resumable embedding."""

import numpy as np
import pytest

from muselab.catalog.records import Paper
from muselab.search.embed import SPACE, get_embedder
from muselab.search.index import embed_missing, import_vectors, texts_for

TEXTS = ["How do AI upscalers sharpen anime art?",
         "Real-world image super-resolution with diffusion priors. We propose a one-step model ..."]


def test_onnx_int8_matches_sentence_transformers(settings):
    onnx = get_embedder("minilm-onnx-int8", settings.cache_dir, 0).encode(TEXTS)
    plain = get_embedder("minilm-st", settings.cache_dir, 0).encode(TEXTS)
    assert onnx.shape == plain.shape == (2, 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    cos = (onnx * plain).sum(1)
    assert cos.min() > 0.98  # int8 MatMul weights, per channel


def test_padding_does_not_change_vectors(settings, embedder):
    texts = ["anime", TEXTS[1] * 3, TEXTS[0]]
    fp32 = get_embedder("minilm-onnx", settings.cache_dir, 0)
    together = fp32.encode(texts, batch=3)  # one batch: the short texts are padded
    alone = np.stack([fp32.encode([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    # int8 quantises activations with one scale per run, so the embedder runs each text alone: a text's
    # vector must not depend on what else is encoded with it (else adding a record shifts the others)
    together = embedder.encode(texts, batch=3)
    alone = np.stack([embedder.encode([t])[0] for t in texts])
    assert np.array_equal(together, alone)
    assert np.array_equal(embedder.encode(texts[::-1], batch=32)[::-1], together)


def test_truncation_changes_only_long_texts(embedder):
    short = embedder.encode(TEXTS[:1], max_tokens=16)[0]
    full = embedder.encode(TEXTS[:1], max_tokens=256)[0]
    assert np.allclose(short, full, atol=1e-5)  # the question fits in 16 tokens
    long = [TEXTS[1] * 20]
    assert not np.allclose(embedder.encode(long, max_tokens=16), embedder.encode(long, max_tokens=128))


def add_papers(store, n, word="alpha"):
    with store.transaction():
        store.upsert_papers([Paper(id=f"test-{i:03d}", title=f"Paper {i} about {word}", summary="Text.")
                             for i in range(n)])


def test_unchanged_records_are_not_embedded_again(store, embedder):
    add_papers(store, 5)
    first = embed_missing(store, embedder, "papers", progress=False)
    assert first.embedded == 5  # the built-in papers already have theirs
    assert embed_missing(store, embedder, "papers", progress=False).embedded == 0
    add_papers(store, 1, word="beta")  # paper 0's title changed
    assert embed_missing(store, embedder, "papers", progress=False).embedded == 1


class Interrupting:
    """The real embedder, but Ctrl-C arrives during the second chunk."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.name, self.space, self.dim = inner.name, inner.space, inner.dim

    def encode(self, texts, **kw):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return self.inner.encode(texts, **kw)


def test_interrupted_embedding_resumes(store, embedder, monkeypatch):
    import muselab.search.index as index

    monkeypatch.setattr(index, "CHUNK", 4)
    add_papers(store, 10)
    with pytest.raises(KeyboardInterrupt):
        embed_missing(store, Interrupting(embedder), "papers", progress=False)
    done = store.vector_hashes("papers", SPACE)
    assert sum(1 for i in done if i.startswith("test-")) == 4  # the first chunk landed whole
    assert embed_missing(store, embedder, "papers", progress=False).embedded == 6


def test_precomputed_vectors_must_match_the_model(store, tmp_path):
    add_papers(store, 2)
    npy = tmp_path / "v.npy"
    np.save(npy, np.zeros((2, 384), np.float16))
    sidecar = tmp_path / "v.npy.ids.json"
    sidecar.write_text('{"ids": ["test-000", "test-001"], "model": "some-other-model", "text": "title. abstract"}')
    from muselab.errors import BadInput

    with pytest.raises(BadInput, match="was made with 'some-other-model'"):
        import_vectors(store, SPACE, npy, texts_for(store, "papers"))
    sidecar.write_text('{"ids": ["test-000", "test-001"], "model": "sentence-transformers/all-MiniLM-L6-v2", '
                       '"text": "title. abstract"}')
    assert import_vectors(store, SPACE, npy, texts_for(store, "papers")) == 2
