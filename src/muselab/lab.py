"""The public API: one `Lab` over one store and one settings object.

The command line and the HTTP server are thin layers over these methods, the
way sqlite-utils' CLI wraps its `Database`::

    import muselab
    lab = muselab.open()
    r = lab.ask("How do AI upscalers sharpen anime art?")
    r.task.id, r.models, r.papers, r.markdown, r.to_dict()

Heavy libraries (NumPy, ONNX Runtime, torch) load inside the methods that need
them, so `import muselab` and answering a given prompt stay fast.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from muselab.context import Context, check_question, parse_prompt, read_text_file
from muselab.errors import BadInput, MuselabError
from muselab.settings import Settings


@dataclass
class ModelHit:
    name: str
    title: str
    task: str
    score: float

    def to_dict(self) -> dict:
        return {"score": round(self.score, 5), "id": self.name, "title": f"{self.title} ({self.task})"}


@dataclass
class PaperHit:
    id: str
    title: str
    score: float

    def to_dict(self) -> dict:
        return {"score": round(self.score, 5), "id": self.id, "title": self.title}


class Lab:
    """muselab over one catalog store. Create it with `muselab.open()`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store = None
        self._embedder = None

    # -- collaborators, built on first use ------------------------------------

    @property
    def store(self):
        """The catalog store (created with the built-in catalog on first use)."""
        if self._store is None:
            from muselab.catalog import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def embedder(self):
        """The sentence embedder named by the settings (loaded on first use)."""
        if self._embedder is None:
            from muselab.search.embed import get_embedder

            s = self.settings
            self._embedder = get_embedder(s.embedder, s.cache_dir, s.threads)
        return self._embedder

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- questions and answers ---------------------------------------------------

    def retrieve(self, question: str, k_models: int | None = None, k_papers: int | None = None,
                 mode: str | None = None):
        """Task, models and papers for a question, and the seed-format Context built from them."""
        from muselab.search.ask import retrieve

        s = self.settings.updated(k_models=k_models, k_papers=k_papers, retrieval=mode)
        return retrieve(question, self.store, s, self.embedder, s.k_models, s.k_papers, s.retrieval)

    def ask(self, question: str, k_models: int | None = None, k_papers: int | None = None, mode: str | None = None,
            llm: str | None = None, strict: bool = False, **llm_options):
        """Answer a free question from the catalog: an AskResult (task, models, papers, verified answer)."""
        from muselab.answer.result import AskResult

        retrieval = self.retrieve(question, k_models, k_papers, mode)
        answer = self._answer(retrieval.context, retrieval.guess, llm, strict, llm_options,
                              named=(retrieval.linked, retrieval.unknown))
        return AskResult(retrieval, answer)

    def answer(self, prompt: str | Context, llm: str | None = None, strict: bool = False, **llm_options):
        """Answer a seed-format prompt (its text, or a Context): a verified Answer."""
        ctx = prompt if isinstance(prompt, Context) else parse_prompt(prompt)
        return self._answer(ctx, None, llm, strict, llm_options)

    def _answer(self, ctx: Context, guess, llm, strict: bool, llm_options: dict, named=None):
        from muselab.answer.pipeline import answer_context

        return answer_context(ctx, self.store, self.llm_settings(llm, **llm_options), guess=guess, strict=strict,
                              named=named)

    def llm_settings(self, llm: str | None = None, model: str | None = None, base_url: str | None = None) -> Settings:
        """The settings with an answer backend chosen: `model` is the server's model name for openai and
        the GGUF file for local; `base_url` goes with openai only."""
        backend = llm or self.settings.llm
        if base_url and backend != "openai":
            raise BadInput("--base-url goes with --llm openai")
        model_key = "llm_gguf" if backend == "local" else "llm_model"
        return self.settings.updated(llm=backend, llm_base_url=base_url, **{model_key: model})

    def check(self, prompt: str | Context, answer: str) -> list:
        """The grounding violations of any answer (an LLM's, a person's) against the prompt's sources."""
        from muselab.answer.verify import verify

        ctx = prompt if isinstance(prompt, Context) else parse_prompt(prompt)
        if not answer.strip():
            raise BadInput("the answer is empty")
        return verify(answer, ctx, self.store.model_names())

    def example(self, name: str) -> Context:
        """A packaged example prompt (animation-styles, style-mixing, anime-upscale, soft-portrait)."""
        from muselab.catalog.builtin import example_prompts

        found = {p.name.removesuffix(".txt"): p for p in example_prompts()}
        if name not in found:
            raise BadInput(f"no example {name!r}; examples: {', '.join(sorted(found))}")
        return parse_prompt(found[name].read_text(encoding="utf-8"), origin=f"example {name}")

    def read_prompt(self, path: str | Path) -> Context:
        """A seed-format prompt file, with one-line errors for every bad file."""
        return parse_prompt(read_text_file(path, self.settings.max_prompt_bytes), origin=str(path))

    # -- search ---------------------------------------------------------------------

    def search_models(self, query: str, k: int = 10, mode: str = "hybrid") -> list[ModelHit]:
        """Models by name and meaning; mode lexical (FTS5 only, no model loaded), dense or hybrid."""
        from muselab.search.models import search_models

        from muselab.search.link import name_index

        query = self._query(query, k)
        embedder = self.embedder if mode != "lexical" else None
        linked = [n for link in name_index(self.store).find(query) for n in link.models]
        found = search_models(self.store, query, k, mode, embedder, self.settings.cache_dir, linked=linked)
        return [ModelHit(m.name, m.display_name or m.name, m.task, score) for m, score in found]

    def search_papers(self, query: str, k: int = 10, mode: str = "hybrid") -> list[PaperHit]:
        """Papers; mode lexical (FTS5 only, no model loaded), dense, hybrid or task (what `ask` uses)."""
        from muselab.search.papers import lexical

        query = self._query(query, k)
        if mode == "lexical":
            hits = lexical(self.store, query, k)
        else:
            guess = self.identifier()(query) if mode == "task" else None
            hits = self.paper_search().search(query, mode=mode, k=k, guess=guess)
        return [PaperHit(h.id, p.title, h.score) for h in hits if (p := self.store.paper(h.id))]

    def _query(self, query: str, k: int) -> str:
        if not 1 <= k <= 1000:
            raise BadInput("--k must be between 1 and 1000")
        return check_question(query, self.settings.max_question_chars)

    def paper_search(self):
        from muselab.search.papers import PaperSearch
        from muselab.search.tasks import task_vectors

        vectors = task_vectors(self.store, self.embedder, self.settings.cache_dir)
        return PaperSearch(self.store, self.embedder, self.settings.cache_dir, task_vectors=vectors)

    def identifier(self) -> Callable:
        """question -> TaskGuess (cues and similarity to every task's examples and definition)."""
        from muselab.search.ask import identifier

        return identifier(self.store, self.embedder, self.settings.cache_dir)

    # -- workflows --------------------------------------------------------------------

    def workflow_for(self, result):
        """The runnable workflow of an ask result or an answer's models: a Workflow, or a clear error."""
        from muselab.workflow.build import workflow_for
        from muselab.workflow.graph import WorkflowInvalid

        wf = workflow_for(result.catalog_models(), result.question, result.task, self.settings)
        errors = self.validate(wf)
        if errors:  # muselab wrote it: a problem here is a bug, not bad input
            raise MuselabError(f"internal: the written workflow does not validate: {WorkflowInvalid(errors)}",
                               exit_code=1)
        return wf

    def load_workflow(self, workflow):
        """A Workflow from a Workflow, a parsed JSON object or a file path."""
        from muselab.workflow.graph import Workflow, load_workflow, parse

        if isinstance(workflow, Workflow):
            return workflow
        return parse(workflow) if isinstance(workflow, dict) else load_workflow(workflow)

    def validate(self, workflow) -> list:
        """Every problem of a workflow, per node, without running anything."""
        from muselab.nodes.registry import node_registry
        from muselab.workflow.graph import validate

        return validate(self.load_workflow(workflow), node_registry())

    def require_valid(self, workflow) -> None:
        """Raise WorkflowInvalid (every problem, per node) unless the workflow is valid."""
        from muselab.workflow.graph import WorkflowInvalid

        errors = self.validate(workflow)
        if errors:
            raise WorkflowInvalid(errors)

    def run(self, workflow, inputs: dict | None = None, overrides: dict | None = None, out_dir: str | Path = ".",
            use_cache: bool = True, on_event: Callable | None = None, cancelled=None):
        """Run a workflow here on the CPU: named inputs filled, node inputs overridden; a RunReport.
        `on_event(kind, data)` hears each node start, finish or step; setting `cancelled` stops the run."""
        from muselab.nodes.registry import node_registry
        from muselab.workflow.execute import Executor

        wf = self.load_workflow(workflow).fill(inputs or {}).override(overrides or {})
        executor = Executor(node_registry(), self.settings, progress=self.settings.progress, use_cache=use_cache,
                            on_event=on_event, cancelled=cancelled)
        return executor.run(wf, Path(out_dir))

    def export_comfyui(self, workflow) -> dict:
        """The ComfyUI API-format graph of a workflow, or an error naming the nodes that have none."""
        from muselab.workflow.comfy import export_comfyui
        from muselab.workflow.graph import WorkflowInvalid

        wf = self.load_workflow(workflow)
        errors = self.validate(wf)
        if errors:
            raise WorkflowInvalid(errors)
        graph, problems = export_comfyui(wf)
        if problems:
            raise MuselabError(f"{len(problems)} node(s) cannot be exported to ComfyUI; nothing was written",
                               details=problems)
        return graph

    def check_image(self, path: str | Path) -> tuple[int, int]:
        """An input image's (width, height), or the one-line refusal LoadImage would give it."""
        from muselab.nodes.io import read_image

        return read_image(Path(path)).size

    def nodes(self) -> dict:
        """Node classes by name (built-ins and plugins)."""
        from muselab.nodes.registry import node_registry

        return node_registry()

    # -- the catalog -----------------------------------------------------------------------

    def ingest(self, kind: str, path: str | Path | None = None, vectors: str | Path | None = None,
               embed: bool = True, on_file: Callable | None = None):
        """Add catalog files of a kind (see `muselab ingest --help`); each file lands whole or not at all.
        `on_file(report)` sees each file's report as it lands. Returns an IngestResult."""
        from muselab.search.indexing import ingest

        embedder = (lambda: self.embedder) if embed else None
        return ingest(self.store, kind, Path(path) if path else None, Path(vectors) if vectors else None, embedder,
                      self.settings, on_file)

    def tasks(self) -> list:
        return list(self.store.tasks().values())

    def info(self) -> dict:
        store = self.store
        return {"store": str(store.path), **{t: store.count(t) for t in ("tasks", "models", "papers", "embeddings")},
                "migrations": store.applied_migrations()}

    def prepare(self) -> dict:
        """Build what muselab derives from installed packages (the ONNX embedder) and the store."""
        emb = self.embedder
        made = {"embedder": str(emb.prepare())} if hasattr(emb, "prepare") else {}
        return {**made, "store": str(self.store.path)}

    # -- benchmarks -------------------------------------------------------------------------

    def eval_papers(self, bench_file: str | Path, mode: str = "task") -> dict:
        from muselab.eval.bench import eval_papers, load_bench

        from muselab.search.papers import PaperSearch

        bench = load_bench(Path(bench_file), "queries")
        search = PaperSearch(self.store, None, self.settings.cache_dir) if mode == "lexical" else self.paper_search()
        identify = self.identifier() if mode == "task" else None
        return eval_papers(self.store, search, identify, bench, mode, progress=self.settings.progress)

    def eval_tasks(self, bench_file: str | Path) -> dict:
        from muselab.eval.bench import eval_tasks, load_bench

        bench = load_bench(Path(bench_file), "questions")
        return eval_tasks(self.store.tasks(), self.identifier(), bench, progress=self.settings.progress)

    def eval_answers(self, prompts_dir: str | Path, backends: list[str], model: str | None = None,
                     base_url: str | None = None) -> list[dict]:
        from muselab.eval.answers import eval_answers, read_prompts

        contexts = read_prompts(Path(prompts_dir), self.settings.max_prompt_bytes)

        def answer(ctx, backend):
            return self.answer(ctx, llm=backend, model=model, base_url=base_url if backend == "openai" else None)

        return eval_answers(contexts, backends or [self.settings.llm], answer, self.store.model_names())


def user_error(exc: Exception, settings: Settings | None) -> MuselabError | None:
    """An expected failure as the one-line error a user sees, or None for a bug."""
    if isinstance(exc, MuselabError):
        return exc
    if isinstance(exc, sqlite3.DatabaseError):
        from muselab.catalog.store import damaged

        return damaged(settings.db if settings else Path("the catalog store"), exc)
    return None
