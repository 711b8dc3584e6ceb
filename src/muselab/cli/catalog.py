"""Commands about the catalog and benchmarks: ingest, info, tasks, prepare, eval."""

from __future__ import annotations

from pathlib import Path

import click

from muselab.cli.base import emit, format_option, pass_lab


@click.command()
@click.argument("kind")
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--vectors", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Precomputed all-MiniLM-L6-v2 paper vectors (.npy with its .ids.json sidecar) to store "
                   "instead of embedding those papers again.")
@click.option("--no-embed", is_flag=True, help="Store the records only; skip computing embeddings.")
@pass_lab
def ingest(state, kind, path, vectors, no_embed):
    """Add catalog files to the store: KIND is the file format.

    \b
    Kinds:
      prompts            seed-format prompt files (a file or a folder of them)
      markdown           link pages like seed 004 ('## Task' sections, '### Entry' headings)
      arxiv              arXiv metadata, JSON Lines, gzip or plain (daily-arXiv or Kaggle shape)
      diffusers          the diffusers docs' paper list (diffusers_papers.json)
      openmodeldb        a checkout of the Open Model Database (models/*.json)
      comfyui            ComfyUI-Manager's model-list.json
      comfyui-templates  ComfyUI's workflow templates; no PATH: the installed PyPI package
      comfyui-nodes      ComfyUI-Manager's custom node packs; no PATH: the installed PyPI package
    Plugins can add more kinds (entry-point group 'muselab.ingest').

    Each file is written in one transaction: a malformed record is reported
    with its file and line and nothing from that file is stored. Re-ingesting
    a file changes nothing. Embeddings are computed afterwards, in chunks that
    each land whole: an interrupted run resumes where it stopped.
    """
    result = state.lab.ingest(kind, path, vectors=vectors, embed=not no_embed,
                              on_file=lambda r: click.echo(r.line(), err=bool(r.error)))
    for line in result.lines():
        click.echo(line)


@click.command()
@pass_lab
def prepare(state):
    """Build the files muselab derives from installed packages (the ONNX embedder), so first use is fast."""
    for key, value in state.lab.prepare().items():
        click.echo(f"{key}: {value}")


@click.command()
@format_option("text", "json")
@pass_lab
def info(state, fmt):
    """Show the store's location, contents and schema migrations."""
    data = state.lab.info()
    emit(fmt, data, lambda: "".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}\n" for k, v in data.items()))


@click.command()
@format_option("text", "json")
@pass_lab
def tasks(state, fmt):
    """List the task taxonomy: id, name and the broader task it refines."""
    found = state.lab.tasks()
    emit(fmt, [{"id": t.id, "name": t.name, "parent": t.parent} for t in found],
         lambda: "".join(f"{t.id:26} {t.name}" + (f"  (part of {t.parent})" if t.parent else "") + "\n"
                         for t in found))


@click.group(name="eval")
def eval_group():
    """Benchmarks: paper retrieval (nDCG@10, Recall@10/100, MRR@10), task identification (accuracy), answers."""


def _metric_line(r: dict) -> str:
    return (f"nDCG@10 {r['ndcg@10']:.3f}  Recall@10 {r['recall@10']:.3f}  Recall@100 {r['recall@100']:.3f}  "
            f"MRR@10 {r['mrr@10']:.3f}  (n={r['n']})")


@eval_group.command(name="papers")
@click.argument("bench_file", type=click.Path(path_type=Path))
@click.option("--mode", type=click.Choice(["task", "hybrid", "lexical", "dense"]), default="task", show_default=True,
              help="task is what `ask` uses; the others are the plain modes, for comparison.")
@format_option("text", "json")
@pass_lab
def eval_papers(state, bench_file, mode, fmt):
    """Score paper retrieval on a benchmark like ../shared/data/bench/papers_dev.json."""
    result = state.lab.eval_papers(bench_file, mode)
    emit(fmt, result, lambda: f"mode {mode}: {_metric_line(result)}\n" + "".join(
        f"  {voice:13} {_metric_line(r)}\n" for voice, r in result["by_voice"].items()))
    if fmt != "json" and result["relevant_missing_from_store"]:
        click.echo(f"note: {result['relevant_missing_from_store']} relevant papers are not in the store; ingest the "
                   "corpus first: muselab ingest arxiv arxiv_cv_2025.jsonl.gz --vectors "
                   "arxiv_cv_2025.minilm-l6-v2.f16.npy", err=True)


@eval_group.command(name="tasks")
@click.argument("bench_file", type=click.Path(path_type=Path))
@format_option("text", "json")
@pass_lab
def eval_tasks(state, bench_file, fmt):
    """Score task identification on a benchmark like ../shared/data/bench/tasks_dev.json."""
    r = state.lab.eval_tasks(bench_file)
    emit(fmt, r, lambda: f"accuracy {r['accuracy']:.3f}  accuracy_alt {r['accuracy_alt']:.3f}  (n={r['n']})\n"
         + "".join(f"  wrong: {w['question'][:70]!r} -> {w['got']} (label: {w['label']})\n" for w in r["wrong"]))


@eval_group.command(name="answers")
@click.argument("prompts_dir", type=click.Path(path_type=Path))
@click.option("--llm", "backends", multiple=True, help="Backend(s) to evaluate (repeat to compare): offline, openai, local.")
@click.option("--model", "llm_model", default=None, help="LLM model name (openai) or GGUF path (local).")
@click.option("--base-url", "base_url", default=None, help="OpenAI-compatible base URL.")
@format_option("text", "json")
@pass_lab
def eval_answers(state, prompts_dir, backends, llm_model, base_url, fmt):
    """Run backends over a folder of seed-format prompts: leaks before and after verification, missing parts, speed."""
    rows = state.lab.eval_answers(prompts_dir, list(backends), model=llm_model, base_url=base_url)
    head = ("| backend | prompts | leaks before | leaks after | parts filled | unavailable | mean latency | tokens/s |\n"
            "|---|---|---|---|---|---|---|---|\n")
    emit(fmt, rows, lambda: head + "".join(
        f"| {r['backend']} | {r['prompts']} | {r['leaks_before']} | {r['leaks_after']} | "
        f"{r['prompts_with_missing_part']} | {r['unavailable']} | {r['mean_latency_s']:.2f} s | "
        f"{format(r['tokens_per_s'], '.1f') if r['tokens_per_s'] else '-'} |\n" for r in rows))


COMMANDS = [ingest, prepare, info, tasks, eval_group]
