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

DETAILS = ("short", "full")  # how much an answer says: the essentials (about 350-700 words), or everything the catalog has


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
        with self.store.steady():
            return retrieve(question, self.store, s, self.embedder, s.k_models, s.k_papers, s.retrieval)

    def ask(self, question: str, k_models: int | None = None, k_papers: int | None = None, mode: str | None = None,
            llm: str | None = None, strict: bool = False, detail: str = "short", **llm_options):
        """Answer a free question from the catalog: an AskResult (task, models, papers, verified answer).
        `detail` is "short" (the essentials, about 350-700 words) or "full" (everything the catalog has on it)."""
        from muselab.answer.result import AskResult

        with self.store.steady():
            retrieval = self.retrieve(question, k_models, k_papers, mode)
            answer = self._answer(retrieval.context, retrieval.guess, llm, strict, llm_options,
                                  named=(retrieval.linked, retrieval.unknown), hints=retrieval, detail=detail)
        return AskResult(retrieval, answer)

    def answer(self, prompt: str | Context, llm: str | None = None, strict: bool = False, detail: str = "short",
               **llm_options):
        """Answer a seed-format prompt (its text, or a Context): a verified Answer."""
        ctx = prompt if isinstance(prompt, Context) else parse_prompt(prompt)
        return self._answer(ctx, None, llm, strict, llm_options, detail=detail)

    def _answer(self, ctx: Context, guess, llm, strict: bool, llm_options: dict, named=None, hints=None,
                detail: str = "short"):
        from muselab.answer.pipeline import answer_context

        if detail not in DETAILS:
            raise BadInput(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
        return answer_context(ctx, self.store, self.llm_settings(llm, **llm_options), guess=guess, strict=strict,
                              named=named, hints=hints, detail=detail)

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
            extra = self.task_query()(query) if mode == "task" else {}
            hits = self.paper_search().search(query, mode=mode, k=k, **extra)
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

    def task_query(self) -> Callable:
        """question -> what task-mode paper search takes (the task, the question's vector, the mechanisms)."""
        from muselab.search.ask import task_query

        return task_query(self.store, self.embedder, self.settings.cache_dir)

    def identifier(self) -> Callable:
        """question -> TaskGuess (cues and similarity to every task's examples and definition)."""
        from muselab.search.ask import identifier

        return identifier(self.store, self.embedder, self.settings.cache_dir)

    # -- workflows --------------------------------------------------------------------

    def workflow_for(self, result):
        """The workflow of an ask result or an answer's models: one muselab runs here, or a ComfyUI template
        of the recommended model (or the family the question names); a Workflow, or a clear error."""
        from muselab.workflow.choose import choose_workflow
        from muselab.workflow.graph import WorkflowInvalid

        linked = getattr(getattr(result, "retrieval", None), "linked", None) or []
        wf = choose_workflow(result.catalog_models(), result.question, result.task, self.store, self.settings,
                             [link.family for link in linked])
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
        """Every problem of a workflow, per node, without running anything: muselab's own against its
        nodes, a ComfyUI template's against ComfyUI's node schemas (inputs as in the template's example)."""
        from muselab.nodes.registry import node_registry
        from muselab.workflow.graph import validate
        from muselab.workflow.templates import is_comfy

        wf = self.load_workflow(workflow)
        if not is_comfy(wf):
            return validate(wf, node_registry())
        from muselab.workflow.handover import check_comfy, replace

        nodes = replace(wf.nodes, {**wf.meta.get("examples", {}), **wf.meta.get("defaults", {})})
        return check_comfy(wf, nodes, self.store)[0]

    def require_valid(self, workflow) -> None:
        """Raise WorkflowInvalid (every problem, per node) unless the workflow is valid."""
        from muselab.workflow.graph import WorkflowInvalid

        errors = self.validate(workflow)
        if errors:
            raise WorkflowInvalid(errors)

    def run(self, workflow, inputs: dict | None = None, overrides: dict | None = None, out_dir: str | Path = ".",
            use_cache: bool = True, on_event: Callable | None = None, cancelled=None, on: str | None = None,
            token_env: str | None = None):
        """Run a workflow: here on the CPU (a RunReport), or with `on` on the ComfyUI server at that URL
        (a RemoteReport). `on_event(kind, data)` hears each node start, finish or step; setting
        `cancelled` stops a local run. `token_env` names the variable holding the server's token."""
        from muselab.nodes.registry import node_registry
        from muselab.workflow.execute import Executor
        from muselab.workflow.templates import is_comfy

        wf = self.load_workflow(workflow).override(overrides or {})
        if on:
            return self._run_on(wf, inputs or {}, out_dir, on, token_env, on_event)
        if is_comfy(wf):
            raise MuselabError(f"this workflow is ComfyUI template {wf.meta.get('template')}: its nodes run on a "
                               "ComfyUI server, not on muselab's CPU nodes; run it there with "
                               "`muselab run FILE --on http://HOST:8188`", exit_code=2)
        executor = Executor(node_registry(), self.settings, progress=self.settings.progress, use_cache=use_cache,
                            on_event=on_event, cancelled=cancelled)
        return executor.run(wf.fill(inputs or {}), Path(out_dir))

    def _run_on(self, wf, inputs: dict, out_dir, url: str, token_env, on_event):
        from muselab.workflow.handover import remote_job
        from muselab.workflow.model_files import check_server, missing_lines, needed_files
        from muselab.workflow.remote import ComfyClient

        self.require_valid(wf)
        nodes, files, _ = remote_job(wf, inputs, self.store)
        client = ComfyClient(url, token_env=token_env, progress=self.settings.progress, on_event=on_event)
        missing = missing_lines(check_server(needed_files(nodes, wf.meta.get("files")), nodes, client.object_info))
        if missing:
            raise MuselabError(f"the ComfyUI server at {client.base} lacks {len(missing)} model file(s) this "
                               "workflow needs; nothing was queued", details=missing, exit_code=2)
        return client.run(nodes, files, out_dir)

    def export_comfyui(self, workflow, inputs: dict | None = None) -> dict:
        """The ComfyUI API prompt of a workflow, every input filled (`inputs`: name -> file path or text) and
        validated against ComfyUI's node schemas; its `.notes` say what to do with it. Refuses, naming what
        is missing, rather than write a file ComfyUI would reject."""
        from muselab.workflow.handover import export

        wf = self.load_workflow(workflow)
        self.require_valid(wf)
        return export(wf, inputs or {}, self.store)

    def workflow_models(self, workflow, comfyui_dir: str | Path | None = None) -> list:
        """The model files a workflow needs (NeededFile: name, folder, url, present), checked against a
        ComfyUI install's models folder when `comfyui_dir` is given, else against muselab's own paths."""
        from muselab.workflow.handover import comfy_nodes
        from muselab.workflow.model_files import check_local, needed_files
        from muselab.workflow.templates import is_comfy

        wf = self.load_workflow(workflow)
        if not is_comfy(wf) and not comfyui_dir:
            files = needed_files(wf.nodes)
            for f in files:
                f.present, f.where = Path(f.name).is_file(), f.name if Path(f.name).is_file() else None
            return files
        files = needed_files(comfy_nodes(wf, self.store), wf.meta.get("files"))
        return check_local(files, comfyui_dir) if comfyui_dir else files

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
        prepare = self.task_query() if mode == "task" else None
        return eval_papers(self.store, search, prepare, bench, mode, progress=self.settings.progress)

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
