"""The muselab command line. Heavy libraries load inside the commands that need them."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import click

from muselab import __version__
from muselab.errors import BadInput, MuselabError


class Cli(click.Group):
    """Turns every expected failure into one line on stderr and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MuselabError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:
            from muselab.catalog.store import damaged

            settings = ctx.obj.settings if ctx.obj else None
            click.echo(f"error: {damaged(settings.db if settings else Path('?'), exc)}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(0)


class State:
    """Settings and the store, created on first use so `--help` stays instant."""

    def __init__(self, **overrides):
        self.overrides = overrides
        self._settings = None
        self._store = None

    @property
    def settings(self):
        if self._settings is None:
            from muselab.settings import Settings

            self._settings = Settings.load(**self.overrides)
        return self._settings

    @property
    def store(self):
        if self._store is None:
            from muselab.catalog import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def embedder(self):
        from muselab.search.embed import get_embedder

        s = self.settings
        return get_embedder(s.embedder, s.cache_dir, s.threads)

    def identifier(self):
        """question -> TaskGuess, with cues and similarity to every task's examples."""
        from muselab.search.tasks import TaskVectors, identify

        tasks = self.store.tasks()
        vectors = TaskVectors(tasks, self.embedder, self.settings.cache_dir)
        return lambda q: identify(q, tasks, meaning=vectors.meaning(self.embedder.encode([q])[0]))


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalog store (SQLite). Default: the user data dir, or $MUSELAB_DB.")
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
@click.version_option(__version__, prog_name="muselab")
@click.pass_context
def cli(ctx, db, no_progress):
    """muselab: an offline AI scientist for generative imaging.

    It identifies the task behind a question about an image effect, recommends
    models and papers from its catalog, writes a grounded three-part answer
    (task; input → model → output workflow; papers and tools with links) using
    only the sources it was given, and runs the workflow locally.

    \b
    Start with:
      muselab ask "How do AI upscalers make blurry anime art crisp?" --workflow wf.json
      muselab run wf.json --input image=small.png     run that workflow here
      muselab answer PROMPT_FILE                      answer a seed-format prompt
      muselab check PROMPT_FILE ANSWER                check any answer's grounding
    """
    ctx.obj = State(db=db, progress=False if no_progress else None)


def answer_options(command):
    """The options `answer` and `ask` share: the workflow file and the answer backend."""
    options = [
        click.option("--workflow", "workflow_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Also write the runnable workflow (JSON) for the recommended model(s) to this file."),
        click.option("--llm", "llm", default=None, help="Answer backend: offline (default), openai or local."),
        click.option("--model", "llm_model", default=None, help="LLM model name (openai) or GGUF path (local)."),
        click.option("--base-url", "base_url", default=None,
                     help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1."),
        click.option("--strict", is_flag=True, help="Refuse (exit 3) instead of repairing an LLM answer that cites "
                     "outside sources, or when the backend cannot answer."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _read_prompt(state: State, prompt_file: str | None, example: str | None):
    from muselab.answer.context import parse_prompt, read_text_file

    if example:
        from muselab.catalog.builtin import example_prompts

        found = {p.name.removesuffix(".txt"): p for p in example_prompts()}
        if example not in found:
            raise BadInput(f"no example {example!r}; examples: {', '.join(sorted(found))}")
        return parse_prompt(found[example].read_text(encoding="utf-8"), origin=f"example {example}")
    if not prompt_file:
        raise BadInput("give a PROMPT_FILE (a seed-format prompt) or --example NAME")
    if prompt_file == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise BadInput("the prompt on standard input is empty")
        return parse_prompt(text, origin="stdin")
    return parse_prompt(read_text_file(prompt_file, state.settings.max_prompt_bytes), origin=prompt_file)


@cli.command()
@click.argument("prompt_file", required=False)
@click.option("--example", metavar="NAME", help="Answer a packaged example prompt instead "
              "(animation-styles, style-mixing, anime-upscale, soft-portrait).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@answer_options
@click.pass_obj
def answer(state: State, prompt_file, example, fmt, workflow_file, llm, llm_model, base_url, strict):
    """Answer a seed-format prompt: task, workflow, papers and tools.

    PROMPT_FILE holds a user question, a '### Recommended AI Models:' list and a
    '### Related Papers:' list ('-' reads standard input). The answer uses only
    those sources and passes the grounding verifier before it is printed.
    """
    ctx = _read_prompt(state, prompt_file, example)
    result = _answer(state, ctx, None, llm, llm_model, base_url, strict)
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) if fmt == "json" else result.markdown(), nl=False)
    if workflow_file:
        models = [f.record for f in result.fits if f.record is not None]
        _write_workflow(state, workflow_file, models, ctx.question, result.guess.task)


def _answer(state: State, ctx, guess, llm, llm_model, base_url, strict):
    """The answer from the chosen backend, verified (and repaired, for an LLM)."""
    from muselab.answer.pipeline import answer_context

    s = state.settings
    backend = llm or s.llm
    overrides = {"model": llm_model}
    if backend == "openai":
        overrides["base_url"] = base_url
    elif base_url:
        raise BadInput("--base-url goes with --llm openai")
    result = answer_context(ctx, state.store, guess=guess, backend=backend, settings=s, strict=strict,
                            progress=s.progress, **overrides)
    for notice in result.notices:
        if notice.startswith("The ") and "could not answer" in notice:
            click.echo(f"note: {notice}", err=True)
    return result


def _write_workflow(state: State, path: Path, models, question: str, task) -> None:
    from muselab.workflow.build import workflow_for
    from muselab.workflow.execute import node_registry
    from muselab.workflow.graph import WorkflowInvalid, validate

    wf, notes = workflow_for(models, question, task, state.settings)
    errors = validate(wf, node_registry())
    if errors:  # muselab wrote it: a problem here is a bug, not bad input
        raise MuselabError(f"internal: the written workflow does not validate: {WorkflowInvalid(errors)}", exit_code=1)
    path.write_text(json.dumps(wf.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for note in notes:
        click.echo(f"note: {note}", err=True)
    names = " ".join(f"--input {k}=..." for k in wf.meta.get("inputs", {}))
    click.echo(f"workflow: {path} (run it: muselab run {path} {names})".rstrip() + "", err=True)


@cli.command()
@click.argument("prompt_file")
@click.argument("answer_file")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def check(state: State, prompt_file, answer_file, fmt):
    """Check any answer (from an LLM or a person) against its prompt's sources.

    Reports links, arXiv ids and model names outside the given sources, missing
    recommended models, missing parts and a missing input → model → output
    chain. Exits 1 when there is any violation. ANSWER_FILE '-' reads stdin.
    """
    from muselab.answer.context import parse_prompt, read_text_file
    from muselab.answer.verify import verify

    ctx = parse_prompt(read_text_file(prompt_file, state.settings.max_prompt_bytes), origin=prompt_file)
    if answer_file == "-":
        text = sys.stdin.read()
    else:
        text = read_text_file(answer_file, state.settings.max_prompt_bytes, what="answer")
    if not text.strip():
        raise BadInput("the answer is empty")
    violations = verify(text, ctx, state.store.model_names())
    if fmt == "json":
        click.echo(json.dumps({"ok": not violations, "violations": [v.to_dict() for v in violations]}, indent=2))
    else:
        for v in violations:
            click.echo(v.line())
        click.echo("ok: the answer uses only the given sources" if not violations
                   else f"{len(violations)} violation(s)")
    sys.exit(1 if violations else 0)


def _kinds_help() -> str:
    from muselab.plugins import available

    return ", ".join(sorted(available("muselab.ingest")))


@cli.command()
@click.argument("kind")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--vectors", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Precomputed all-MiniLM-L6-v2 paper vectors (.npy with its .ids.json sidecar) to store "
                   "instead of embedding those papers again.")
@click.option("--no-embed", is_flag=True, help="Store the records only; skip computing embeddings.")
@click.pass_obj
def ingest(state: State, kind, path, vectors, no_embed):
    """Add catalog files to the store: KIND is the file format.

    \b
    Kinds:
      prompts      seed-format prompt files (a file or a folder of them)
      markdown     link pages like seed 004 ('## Task' sections, '### Entry' headings)
      arxiv        arXiv metadata, JSON Lines, gzip or plain (daily-arXiv or Kaggle shape)
      diffusers    the diffusers docs' paper list (diffusers_papers.json)
      openmodeldb  a checkout of the Open Model Database (models/*.json)
      comfyui      ComfyUI-Manager's model-list.json
    Plugins can add more kinds (entry-point group 'muselab.ingest').

    Each file is written in one transaction: a malformed record is reported
    with its file and line and nothing from that file is stored. Re-ingesting
    a file changes nothing. Embeddings are computed afterwards, in chunks that
    each land whole: an interrupted run resumes where it stopped.
    """
    from muselab.catalog.ingest import ingest_path
    from muselab.plugins import load

    adapter = load("muselab.ingest", kind)
    if vectors and kind != "arxiv":
        raise BadInput("--vectors goes with `ingest arxiv` (paper vectors)")
    reports = ingest_path(state.store, adapter, path, progress=state.settings.progress)
    for r in reports:
        click.echo(r.line(), err=bool(r.error))
    failed = [r for r in reports if r.error]
    if failed:
        raise MuselabError(f"{len(failed)} of {len(reports)} file(s) not ingested; fix them and run the same command again")
    if vectors:
        from muselab.search.embed import SPACE
        from muselab.search.index import import_vectors, texts_for

        n = import_vectors(state.store, SPACE, vectors, texts_for(state.store, "papers"))
        click.echo(f"papers: stored {n} precomputed vectors from {vectors}")
    if not no_embed:
        _embed(state, kinds=[k for k, n in (("papers", sum(r.papers for r in reports)),
                                            ("models", sum(r.models for r in reports))) if n])
    if any(r.papers for r in reports):
        import time

        from muselab.search.bm25 import bm25_index

        t0 = time.perf_counter()
        index = bm25_index(state.store, state.settings.cache_dir)  # built now, so the first search is fast
        click.echo(f"lexical index: {len(index.ids)} papers ({time.perf_counter() - t0:.1f} s)")


def _embed(state: State, kinds: list[str]) -> None:
    from muselab.search.embed import get_embedder
    from muselab.search.index import embed_missing

    s = state.settings
    embedder = get_embedder(s.embedder, s.cache_dir, s.threads)
    for kind in kinds:
        try:
            report = embed_missing(state.store, embedder, kind, max_tokens=s.embed_max_tokens,
                                   batch=s.embed_batch, progress=s.progress)
        except KeyboardInterrupt:
            done = len(state.store.vector_hashes(kind, embedder.space))
            raise MuselabError(f"interrupted while embedding {kind} ({done} stored); run the same command "
                               "again to resume", exit_code=130) from None
        click.echo(report.line())


@cli.command()
@click.argument("question")
@click.option("--k-models", type=int, default=None, help="Models to recommend (default 3).")
@click.option("--k-papers", type=int, default=None, help="Papers to retrieve (default 5).")
@click.option("--mode", type=click.Choice(["task", "hybrid", "lexical", "dense"]), default=None,
              help="Paper retrieval (default: task = hybrid plus the identified task's vocabulary).")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--show-prompt", is_flag=True, help="Print the seed-format prompt muselab built (for any LLM) "
              "instead of the answer.")
@answer_options
@click.pass_obj
def ask(state: State, question, k_models, k_papers, mode, fmt, show_prompt, workflow_file, llm, llm_model, base_url,
        strict):
    """Answer a free QUESTION from the catalog.

    muselab identifies the task (and says so when two tasks are close),
    recommends models that fit it, retrieves papers, builds a seed-format
    prompt from them and answers it exactly as `muselab answer` does: three
    parts, only the retrieved sources, verified before it is printed.
    """
    from muselab.search.ask import ask as run_ask

    s = state.settings.model_copy(update={k: v for k, v in
                                          (("k_models", k_models), ("k_papers", k_papers), ("retrieval", mode))
                                          if v is not None})
    s = type(s).model_validate(s.model_dump())  # re-check the overridden values
    result = run_ask(question, state.store, s, state.embedder, s.k_models, s.k_papers, s.retrieval)
    if show_prompt:
        click.echo(result.context.to_prompt(), nl=False)
        return
    answer = _answer(state, result.context, result.guess, llm, llm_model, base_url, strict)
    for notice in result.notices:
        click.echo(f"note: {notice}", err=True)
    if fmt == "json":
        data = answer.to_dict()
        data["retrieval"] = {
            "mode": s.retrieval,
            "models": [{"name": r.model.name, "score": round(r.score, 3), "fits_task": r.fits} for r in result.models],
            "papers": [{"id": p.id, "title": p.title, "score": round(score, 5)} for p, score in result.papers],
        }
        data["prompt"] = result.context.to_prompt()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(answer.markdown(), nl=False)
    if workflow_file:
        _write_workflow(state, workflow_file, [r.model for r in result.models], result.context.question,
                        result.guess.task)


@cli.command()
@click.argument("kind", type=click.Choice(["papers", "models"]))
@click.argument("query")
@click.option("--k", type=int, default=10, show_default=True, help="How many results.")
@click.option("--mode", type=click.Choice(["lexical", "dense", "hybrid", "task"]), default="hybrid", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def search(state: State, kind, query, k, mode, fmt):
    """Look up papers or models directly. --mode lexical uses only SQLite FTS5 (no model is loaded)."""
    from muselab.search.ask import check_question
    from muselab.search.papers import PaperSearch, lexical

    query = check_question(query, state.settings.max_question_chars)
    if not 1 <= k <= 1000:
        raise BadInput("--k must be between 1 and 1000")
    store = state.store
    if kind == "papers":
        if mode == "lexical":
            hits = lexical(store, query, k)
        else:
            guess = state.identifier()(query) if mode == "task" else None
            search_ = PaperSearch(store, state.embedder, state.settings.cache_dir)
            hits = search_.search(query, mode=mode, k=k, guess=guess, tasks=store.tasks())
        rows = [(h.score, h.id, p.title) for h in hits if (p := store.paper(h.id))]
    else:
        rows = _search_models(state, query, k, mode)
    if fmt == "json":
        click.echo(json.dumps([{"score": round(sc, 5), "id": i, "title": t} for sc, i, t in rows], indent=2,
                              ensure_ascii=False))
        return
    if not rows:
        click.echo("no results")
    for rank, (score, ident, title) in enumerate(rows, 1):
        click.echo(f"{rank:3}. {ident:34} {title}  [{score:.4f}]")


def _search_models(state: State, query: str, k: int, mode: str):
    from muselab.search.index import load_index
    from muselab.search.papers import Hit, lexical, rrf

    store = state.store
    lex = lexical(store, query, 300, table="models") if mode != "dense" else []
    hits = lex
    if mode != "lexical":
        emb = state.embedder
        dense = [Hit(i, s) for i, s in load_index(store, "models", emb.space).top(emb.encode([query])[0], 300)]
        hits = dense if mode == "dense" else rrf([(lex, 1.0), (dense, 1.0)])
    rows = []
    for h in hits[:k]:
        m = store.model(h.id)
        if m:
            rows.append((h.score, m.name, f"{m.display_name or m.name} ({m.task})"))
    return rows


@cli.group(name="eval")
def eval_group():
    """Benchmarks: paper retrieval (nDCG@10, Recall@10/100, MRR@10) and task identification (accuracy)."""


@eval_group.command(name="papers")
@click.argument("bench_file", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["task", "hybrid", "lexical", "dense"]), default="task", show_default=True,
              help="task is what `ask` uses; the others are the plain modes, for comparison.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def eval_papers_cmd(state: State, bench_file, mode, fmt):
    """Score paper retrieval on a benchmark like ../shared/data/bench/papers_dev.json."""
    from muselab.eval.bench import eval_papers, load_bench
    from muselab.search.papers import PaperSearch

    bench = load_bench(bench_file, "queries")
    store = state.store
    embedder = state.embedder if mode != "lexical" else None
    identify_fn = state.identifier() if mode == "task" else None
    result = eval_papers(store, PaperSearch(store, embedder, state.settings.cache_dir), store.tasks(), identify_fn, bench, mode,
                         progress=state.settings.progress)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"mode {mode}: " + _metric_line(result))
    for voice, r in result["by_voice"].items():
        click.echo(f"  {voice:13} " + _metric_line(r))
    if result["relevant_missing_from_store"]:
        click.echo(f"note: {result['relevant_missing_from_store']} relevant papers are not in the store; ingest the "
                   "corpus first: muselab ingest arxiv arxiv_cv_2025.jsonl.gz --vectors arxiv_cv_2025.minilm-l6-v2.f16.npy",
                   err=True)


def _metric_line(r: dict) -> str:
    return (f"nDCG@10 {r['ndcg@10']:.3f}  Recall@10 {r['recall@10']:.3f}  Recall@100 {r['recall@100']:.3f}  "
            f"MRR@10 {r['mrr@10']:.3f}  (n={r['n']})")


@eval_group.command(name="tasks")
@click.argument("bench_file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def eval_tasks_cmd(state: State, bench_file, fmt):
    """Score task identification on a benchmark like ../shared/data/bench/tasks_dev.json."""
    from muselab.eval.bench import eval_tasks, load_bench

    bench = load_bench(bench_file, "questions")
    result = eval_tasks(state.store.tasks(), state.identifier(), bench, progress=state.settings.progress)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"accuracy {result['accuracy']:.3f}  accuracy_alt {result['accuracy_alt']:.3f}  (n={result['n']})")
    for w in result["wrong"]:
        click.echo(f"  wrong: {w['question'][:70]!r} -> {w['got']} (label: {w['label']})")


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@cli.command()
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="Fill a named input: a file path for images (image, content, style), the text for prompt.")
@click.option("--set", "sets", multiple=True, metavar="NODE.INPUT=VALUE",
              help="Override one node input; VALUE is JSON if it parses (2, 0.5, true), else text.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="Where output images are written.")
@click.option("--no-cache", is_flag=True, help="Run every node again instead of reusing cached results.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def run(state: State, workflow_file, inputs, sets, out_dir, no_cache, fmt):
    """Run a workflow (JSON in ComfyUI's API shape) locally, on the CPU.

    The whole graph is checked first: unknown nodes, missing inputs, wrong
    link types, values out of range, cycles, a missing output node, named
    inputs without a value and missing weight files are all reported together
    (exit 2) and nothing runs. Node results are cached, so a re-run only runs
    what changed. Images are saved as PNG with the workflow in their text chunks.
    """
    from muselab.workflow.execute import Executor, node_registry
    from muselab.workflow.graph import WorkflowInvalid, load_workflow

    wf = load_workflow(workflow_file)
    values = {}
    for item in inputs:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise BadInput(f"--input takes NAME=VALUE, got {item!r}")
        if name not in wf.placeholders():
            known = ", ".join(sorted(wf.placeholders())) or "none"
            raise BadInput(f"the workflow has no input {name!r}; its inputs: {known}")
        values[name] = value
    wf = wf.fill(values)
    for item in sets:
        target, sep, value = item.partition("=")
        node_id, dot, port = target.partition(".")
        if not sep or not dot:
            raise BadInput(f"--set takes NODE.INPUT=VALUE, got {item!r}")
        if node_id not in wf.nodes:
            raise BadInput(f"--set {item}: the workflow has no node {node_id!r}")
        wf.nodes[node_id].setdefault("inputs", {})[port] = _parse_value(value)
    executor = Executor(node_registry(), state.settings, progress=state.settings.progress, use_cache=not no_cache)
    try:
        report = executor.run(wf, out_dir)
    except WorkflowInvalid as exc:
        if fmt == "json":
            click.echo(json.dumps(exc.to_dict(), indent=2))
        else:
            for e in exc.errors:
                click.echo(f"error: {e.line()}", err=True)
        raise SystemExit(2) from None
    if fmt == "json":
        click.echo(json.dumps({"ok": True, "saved": [str(p) for p in report.saved], "ran": report.ran,
                               "cached": report.cached,
                               "seconds": {k: round(v, 3) for k, v in report.seconds.items()}}, indent=2))
        return
    for path in report.saved:
        click.echo(f"saved {path}")
    click.echo(f"{len(report.ran)} node(s) ran, {len(report.cached)} from cache", err=True)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def nodes(fmt):
    """List the workflow nodes with their inputs and outputs."""
    from muselab.workflow.execute import node_registry

    registry = node_registry()
    if fmt == "json":
        click.echo(json.dumps({name: {"description": cls.DESCRIPTION,
                                      "inputs": {k: p.describe() for k, p in cls.INPUTS.items()},
                                      "outputs": [f"{t} {n}" for t, n in cls.OUTPUTS], "output_node": cls.OUTPUT_NODE}
                               for name, cls in registry.items()}, indent=2))
        return
    for name, cls in registry.items():
        outs = ", ".join(f"{n}: {t}" for t, n in cls.OUTPUTS) or ("writes files" if cls.OUTPUT_NODE else "none")
        click.echo(f"{name} -> {outs}")
        click.echo(f"    {cls.DESCRIPTION}")
        for port_name, port in cls.INPUTS.items():
            req = "" if not port.required else " (required)"
            click.echo(f"    {port_name}: {port.describe()}{req}")


@cli.group()
def workflow():
    """Check and convert workflow files."""


@workflow.command(name="validate")
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def workflow_validate(workflow_file, fmt):
    """Check a workflow without running it; every problem is listed, exit 2 if any."""
    from muselab.workflow.execute import node_registry
    from muselab.workflow.graph import WorkflowInvalid, load_workflow, validate

    errors = validate(load_workflow(workflow_file), node_registry())
    if fmt == "json":
        click.echo(json.dumps(WorkflowInvalid(errors).to_dict() if errors else {"ok": True, "errors": []}, indent=2))
    else:
        for e in errors:
            click.echo(f"error: {e.line()}", err=True)
        if not errors:
            click.echo("ok: the workflow is valid")
    if errors:
        raise SystemExit(2)


@workflow.command(name="export-comfyui")
@click.argument("workflow_file", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write (default: FILE with .comfyui.json).")
def workflow_export(workflow_file, out_file):
    """Write a ComfyUI API-format file for a workflow whose nodes all have ComfyUI equivalents."""
    from muselab.workflow.comfy import export_comfyui
    from muselab.workflow.execute import node_registry
    from muselab.workflow.graph import WorkflowInvalid, load_workflow, validate

    wf = load_workflow(workflow_file)
    errors = validate(wf, node_registry())
    if errors:
        raise WorkflowInvalid(errors)
    graph, problems = export_comfyui(wf)
    if problems:
        for p in problems:
            click.echo(f"error: {p}", err=True)
        raise MuselabError(f"{len(problems)} node(s) cannot be exported to ComfyUI; nothing was written")
    out_file = out_file or workflow_file.with_suffix(".comfyui.json")
    out_file.write_text(json.dumps(graph, indent=2) + "\n", encoding="utf-8")
    click.echo(f"wrote {out_file} ({len(graph)} ComfyUI nodes)")


@eval_group.command(name="answers")
@click.argument("prompts_dir", type=click.Path(path_type=Path))
@click.option("--llm", "backends", multiple=True, help="Backend(s) to evaluate (repeat to compare): offline, openai, local.")
@click.option("--model", "llm_model", default=None, help="LLM model name (openai) or GGUF path (local).")
@click.option("--base-url", "base_url", default=None, help="OpenAI-compatible base URL.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def eval_answers_cmd(state: State, prompts_dir, backends, llm_model, base_url, fmt):
    """Run backends over a folder of seed-format prompts: leaks before and after verification, missing parts, speed."""
    from muselab.eval.answers import eval_answers

    results = eval_answers(state.store, state.settings, prompts_dir, list(backends) or [state.settings.llm],
                           model=llm_model, base_url=base_url)
    if fmt == "json":
        click.echo(json.dumps(results, indent=2))
        return
    click.echo("| backend | prompts | leaks before | leaks after | parts filled | unavailable | mean latency | tokens/s |")
    click.echo("|---|---|---|---|---|---|---|---|")
    for r in results:
        tps = f"{r['tokens_per_s']:.1f}" if r["tokens_per_s"] else "-"
        click.echo(f"| {r['backend']} | {r['prompts']} | {r['leaks_before']} | {r['leaks_after']} | "
                   f"{r['prompts_with_missing_part']} | {r['unavailable']} | {r['mean_latency_s']:.2f} s | {tps} |")


@cli.command()
@click.pass_obj
def prepare(state: State):
    """Build the files muselab derives from installed packages (the ONNX embedder), so first use is fast."""
    emb = state.embedder
    if hasattr(emb, "prepare"):
        click.echo(f"embedder: {emb.prepare()}")
    state.store  # creates the store with the built-in catalog
    click.echo(f"store: {state.settings.db}")


@cli.command()
@click.pass_obj
def info(state: State):
    """Show the store's location, contents and schema migrations."""
    store = state.store
    click.echo(f"store: {store.path}")
    for table in ("tasks", "models", "papers", "embeddings"):
        click.echo(f"{table}: {store.count(table)}")
    click.echo(f"migrations: {', '.join(store.applied_migrations())}")


@cli.command()
@click.pass_obj
def tasks(state: State):
    """List the task taxonomy: id, name and the broader task it refines."""
    for t in state.store.tasks().values():
        parent = f"  (part of {t.parent})" if t.parent else ""
        click.echo(f"{t.id:26} {t.name}{parent}")


def main() -> None:
    """Entry point: click's usage errors become one line too."""
    try:
        code = cli.main(prog_name="muselab", standalone_mode=False)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
