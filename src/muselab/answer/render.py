"""Rendering an assessed answer as Markdown: the three parts, each from the catalog's knowledge and
the given sources only."""

from __future__ import annotations

import re

from muselab.answer.result import ModelFit, SourceNote
from muselab.catalog.records import Chain, Task
from muselab.catalog.taxonomy import cue_re, family
from muselab.context import Context, Source
from muselab.search.tasks import TaskGuess
from muselab.text import asked_scale, domains_in, normalise


def describe_goal(question: str, task: Task) -> str:
    """The user's aim in the task's plain words, with the specifics the question gives."""
    scale = asked_scale(normalise(question))
    details = ([f"{scale}x"] if scale else []) + domains_in(question)
    quoted = re.findall(r"[\"“]([^\"”]{2,60})[\"”]", question)
    goal = f"you want to {task.goal}" if task.goal else f"your question is about {task.name.lower()}"
    if details:
        goal += f" ({', '.join(dict.fromkeys(details))})"
    if quoted:
        goal += "; the phrases you used were " + " and ".join(f"“{p}”" for p in quoted)
    return goal


def task_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task],
              show_confidence: bool = False, named=None) -> str:
    t = guess.task
    parent = tasks.get(t.parent) if t.parent else None
    lines = ["## 1. Task", ""]
    where = f", part of {parent.name.lower()}" if parent else ""
    confidence = f" Identified with confidence {guess.confidence:.2f}." if show_confidence else ""
    lines.append(f"**{t.name}** (`{t.id}`{where}). {t.definition}{confidence}")
    lines.append("")
    lines.append(f"In your terms: {describe_goal(ctx.question, t)}.")
    if guess.close and guess.runner_up:
        lines += ["", f"The question also reads partly as **{guess.runner_up.name.lower()}**; "
                      f"the answer follows {t.name.lower()}, the closer match."]
    lines += named_lines(named, fits, t, tasks)
    for f in fits:
        if not f.fits:
            lines += ["", f"**Model fit:** the recommended model {f.source.name} is a {f.task.name.lower()} model, "
                          f"so it does not fit this task directly: it does not perform {t.name.lower()}. "
                          f"The task needs {t.needs}. Section 2 shows what the model can still do."]
    return "\n".join(lines)


def named_lines(named, fits: list[ModelFit], t: Task, tasks: dict[str, Task]) -> list[str]:
    """What the answer says of the models the question names: recommended first, not able to do what is
    asked, or not in the catalog at all."""
    if not named:
        return []
    links, unknown = named
    lines = []
    given = {f.source.name.lower(): f for f in fits}
    for link in links:
        hit = next((given[n.lower()] for n in link.models if n.lower() in given), None)
        if hit is not None:
            lines += ["", f"**The model you named:** {link.text} is in muselab's catalog ({link.family}); "
                          f"{hit.source.name} is recommended first, and section 2 shows how it does this."]
        elif link.models:
            lines += ["", f"**The model you named:** {link.text} is in muselab's catalog ({link.family}), but "
                          f"none of its models does {t.name.lower()}, so the models below are ones that do."]
    for name in unknown:
        lines += ["", f"**Not in the catalog:** {name} is not in muselab's catalog, so this answer cannot say how "
                      "it works; it goes on with what the catalog has."]
    return lines


def chain(wf: Chain, model_name: str) -> str:
    inner = " → ".join(wf.steps)
    return f"{wf.input} → **{model_name}** [{inner}] → {wf.output}"


def template_lines(card: dict) -> list[str]:
    """The real graph that runs the model: the ComfyUI template `--workflow` hands over."""
    where = ("it calls a partner API (a paid service) from ComfyUI" if card["api"] else
             "it runs on a ComfyUI server with a GPU (`muselab run FILE --on` and the server's address)")
    files = card["files"]
    return ["", f"**As a ComfyUI workflow:** the template *{card['title']}* (`{card['id']}`) runs it in these stages: "
                f"{' → '.join(card['stages'])}.",
            "", f"`--workflow FILE` writes this graph with its inputs to fill; it needs {len(files)} model file(s) "
                f"(`muselab workflow models FILE` lists them with their folders and download links), and {where}."]


def workflow_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task],
                  template: dict | None = None) -> str:
    qt = guess.task
    lines = ["## 2. Workflow (input → model → output)"]
    if shown_task_block(qt, fits):
        # a help topic, or a given model does not do the task: first show the chain the task itself needs
        what = "what to do" if not qt.generative else f"a {qt.name.lower()} model"
        lines += ["", f"### {qt.name}", "",
                  f"{qt.workflow.input} → **{what}** [{' → '.join(qt.workflow.steps)}] → {qt.workflow.output}",
                  "", f"**How it works.** {qt.how_it_works}"]
        for text in matching_aspects(ctx.question, qt):
            lines += ["", text]
    explained: dict[str, str] = {}  # task id -> the first model whose section explains it
    for f in fits:
        wf = (f.record.workflow if f.record else None) or f.task.workflow or qt.workflow
        title = f.record.category if f.record and f.record.category else f.task.name
        lines += ["", f"### {f.source.name}", f"*{title}*", ""]
        first = f.task.id not in explained
        if wf:
            lines.append(chain(wf, f.source.name))
            lines += ["", f"- **Input:** {wf.input}", f"- **Output:** {wf.output}"]
            if wf.settings and (first or f.record and f.record.workflow):
                lines.append(f"- **Settings that matter:** {'; '.join(wf.settings)}.")
            elif wf.settings:
                lines.append(f"- **Settings that matter:** as for {explained[f.task.id]}.")
        if first:
            explained[f.task.id] = f.source.name
            if f.task.how_it_works and not (f.task.id == qt.id and qt.id in shown_task_block(qt, fits)):
                lines += ["", f"**How it works.** {f.task.how_it_works}"]
                for text in matching_aspects(ctx.question, f.task):
                    lines += ["", text]
        if not f.fits:
            lines += ["", mismatch_text(f, qt, tasks)]
        if f.inferred:
            lines += ["", f"*{f.source.name} is not in muselab's catalog; its task was read from its name.*"]
        if template and f.record and f.record.name == template["model"]:
            lines += template_lines(template)
    return "\n".join(lines)


def shown_task_block(qt: Task, fits: list[ModelFit]) -> set[str]:
    """The question's task gets its own section when it is a help topic or a given model does not do it."""
    return {qt.id} if qt.workflow and (not qt.generative or not fits or not all(f.fits for f in fits)) else set()


def matching_aspects(question: str, task: Task, limit: int = 2) -> list[str]:
    q = normalise(question)
    scored = []
    for i, aspect in enumerate(task.aspects):
        hits = sum(1 for c in aspect.cues if cue_re(c).search(q))
        if hits:
            scored.append((-hits, i, aspect.text))
    return [text for _, _, text in sorted(scored)[:limit]]


def mismatch_text(f: ModelFit, qt: Task, tasks: dict[str, Task]) -> str:
    can = None
    for tid in [qt.id] + sorted(family(qt.id, tasks)):
        can = f.task.substitutes.get(tid)
        if can:
            break
    lines = [f"**Does it fit the question?** No. {f.source.name} is a {f.task.name.lower()} model; "
             f"the question is about {qt.name.lower()}."]
    lines.append(f"What it can still do: {can}" if can else
                 f"It cannot perform {qt.name.lower()} itself; it can only be one stage around a model that does.")
    lines.append(f"What the task needs is {qt.needs} (the chain under {qt.name} above).")
    return "\n".join(lines)


def sources_part(fits: list[ModelFit], notes: list[SourceNote], qt: Task) -> str:
    lines = ["## 3. Papers and tools", "", "Ordered by relevance to the question; only the sources given were used.", ""]
    lines.append("**Tools (recommended models)**" if fits else "**Tools:** no model was recommended.")
    for f in fits:
        links = "; ".join(_labelled_links(f.source)) or "no link given"
        summary = f.source.summary or (f.record.summary if f.record else "")
        fit = "fits the task" if f.fits else f"does not fit {qt.name.lower()} directly (see section 2)"
        lines.append(f"- **{f.source.name}** ({links}). {summary} It is the recommended model; it {fit}.".replace("  ", " "))
    papers = [n for n in notes if n.source.kind == "paper"]
    if papers:
        lines += ["", "**Papers**"]
        for i, n in enumerate(papers, 1):
            links = "; ".join(_labelled_links(n.source)) or "no link given"
            said = " ".join(n.sentences)
            lines.append(f"{i}. **{n.source.name}** ({links}), *{n.level}*. {said} {connection(n, qt)}".rstrip())
    return "\n".join(lines)


def _labelled_links(src: Source) -> list[str]:
    out = []
    if src.paper_url:
        out.append(f"paper: {src.paper_url}")
    if src.github_url:
        out.append(f"GitHub: {src.github_url}")
    out += [f"{k}: {v}" for k, v in src.fields.items() if v.startswith("http")]
    return out


def connection(n: SourceNote, qt: Task) -> str:
    shared = ", ".join(n.shared[:4])
    if n.level == "closely related":
        return f"Why it matters here: it works with the same technique ({shared})."
    if n.level == "related":
        return f"Why it matters here: it touches the same ground ({shared})."
    topic = n.source.name.split(":", 1)[-1].strip() if ":" in n.source.name else n.source.name
    overlap = f"it shares only “{'”, “'.join(n.shared[:3])}” with the question" if shared else "it shares little with the question"
    return f"Only loosely related: {overlap}, and its subject ({topic}) is not {qt.name.lower()}."
