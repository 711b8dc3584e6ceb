"""Rendering an assessed answer as Markdown: the task and workflow parts, each from the catalog's knowledge
and the given sources only (the sources part: answer.sources).

The answer leads with the plain answer to what was asked (a mechanism explainer's, else the task's
own explanation), then shows each model with its own chain. `detail` is "short" (the default, the
essentials: about 350-700 words, longer for two-part questions) or "full" (every setting, failure mode and aspect the catalog has).
"""

from __future__ import annotations

import re

from muselab.answer.describe import (architecture_note, chain_line, identity_line, io_line, own_chain,
                                     shown_name, what_it_is)
from muselab.answer.result import ModelFit
from muselab.catalog.records import Explainer, Task
from muselab.catalog.taxonomy import family, has_cue
from muselab.context import Context
from muselab.search.explain import cue_scores
from muselab.search.tasks import TaskGuess
from muselab.text import GENERIC, a_kind, asked_scale, domains_in, normalise, sentences, stem_seq

SHORT, FULL = "short", "full"
SHORT_STAGES = 5  # a template's stages shown in a short answer
SHORT_SENTENCES = 2  # of an explainer's mechanism, in a short answer (full: all of it)
SHORT_WORDS = 700  # a short answer longer than this is rendered again, tighter
TIGHTEST = 6  # tightness: 1 drops the asides (a task aspect, a second setting), 2 the extras, 3 the stages'
# asides, 4 what the other models are (section 2 keeps their chains; section 3 their links), 5 the other models'
# stages (what goes in and comes out stays), 6 the stages and template of a model that does not do the task (a
# named base model beside the trainers: why it does not fit, and what it can still do, stay)


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


def lead_text(question: str, task: Task) -> str:
    """Without an explainer, what answers the question best: the task's paragraph on the aspect asked about
    (mixing styles, anime upscaling), else the task's own explanation."""
    aspects = matching_aspects(question, task, 1)
    return aspects[0] if aspects else task.how_it_works


def in_short(question: str, task: Task, explainers: list[Explainer]) -> str:
    """The plain answer: the first explainer's, else the opening of the lead text."""
    if explainers:
        return explainers[0].answer.strip()
    return " ".join(sentences(lead_text(question, task))[:3])


def task_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task],
              show_confidence: bool = False, named=None, explainers: list[Explainer] = (), tight: int = 0,
              clear: frozenset | None = None) -> str:
    """`clear` (from `ask`): the explainers the question asks about in its words or clearly in meaning; a
    first explainer outside it is only the task's nearest mechanism, and the answer says so."""
    t = guess.task
    parent = tasks.get(t.parent) if t.parent else None
    where = f", part of {parent.name.lower()}" if parent else ""
    confidence = f" Identified with confidence {guess.confidence:.2f}." if show_confidence else ""
    lines = ["## 1. Task", "", f"**{t.name}** (`{t.id}`{where}). {t.definition}{confidence}"]
    if guess.second is not None:
        first, then = (guess.second, t) if guess.second_first else (t, guess.second)
        lines += ["", f"Your question asks for two things, in this order: **{first.name.lower()}** "
                      f"(`{first.id}`), then **{then.name.lower()}** (`{then.id}`). This answer follows "
                      f"{t.name.lower()}; {guess.second.name.lower()} is a second step with its own models."]
    elif guess.close and guess.runner_up:
        lines += ["", f"The question also reads partly as **{guess.runner_up.name.lower()}**; "
                      f"the answer follows {t.name.lower()}, the closer match."]
    short = in_short(ctx.question, t, explainers)
    if short and explainers and clear is not None and explainers[0].id not in clear:
        # a guess, not what was asked: said as the nearest mechanism, not as the answer
        lines += ["", f"**Nearest mechanism in the catalog** (your question may ask about another side of it, "
                      f"which the catalog does not explain): {short}"]
    elif short:
        lines += ["", f"**In short:** {short}"]
    then = next((e for e in explainers[1:] if guess.second and guess.second.id in e.tasks), None)
    if then is not None:
        lines += ["", f"**Then, {guess.second.name.lower()}:** {then.answer.strip()}"]
    extra = None if tight < 2 else 0 if then is not None else 1  # (tight: the second part's answer comes first)
    for other in also_asked(ctx.question, t, explainers, then)[:extra]:
        lines += ["", f"**{other.title}:** {other.answer.strip()}"]
    if not short:
        lines += ["", f"In your terms: {describe_goal(ctx.question, t)}."]
    lines += named_lines(named, fits, t)
    lines += fit_lines([f for f in fits if not f.fits], t)
    return "\n".join(lines)


def fit_lines(unfit: list[ModelFit], t: Task) -> list[str]:
    """One paragraph for the recommended models that do not do the task themselves (the task's needs are
    said once, not once per model)."""
    if not unfit:
        return []
    if len(unfit) == 1:
        f = unfit[0]
        what = f"{shown_name(f)} is {a_kind(f.task.name.lower())} model, so it does not perform {t.name.lower()} itself."
    else:
        each = [f"{shown_name(f)} ({f.task.name.lower()})" for f in unfit]
        what = (f"{and_list(each)} do not perform {t.name.lower()} themselves; each is a "
                "stage or stand-in around it.")
    where = "it" if len(unfit) == 1 else "each"
    return ["", f"**Model fit:** {what} The task needs {t.needs}. Section 2 shows what {where} can still do."]


def also_asked(question: str, task: Task, explainers: list[Explainer], then: Explainer | None) -> list[Explainer]:
    """The other mechanisms a question asks about in its own words ('what are seed, steps and CFG?'), each
    answered plainly beside the first; one it only resembles, or one of another task it gives as an example
    ('extra fingers' in a negative prompt), is left to the full answer."""
    found = cue_scores(question)
    return [e for e in explainers[1:] if e is not then and found.get(e.id, 0.0) > 0 and task.id in e.tasks]


def named_lines(named, fits: list[ModelFit], t: Task) -> list[str]:
    """What the answer says of the models the question names: recommended first, not able to do what is
    asked, or not in the catalog at all; several names of one kind in one paragraph, not one each."""
    if not named:
        return []
    links, unknown = named
    given = {f.source.name.lower(): f for f in fits}
    shown, unfiled = [], []
    for link in links:
        hit = next((given[n.lower()] for n in link.models if n.lower() in given), None)
        if hit is not None:
            where = "recommended first" if hit is fits[0] else "among the recommended models"
            shown.append((link, hit, where))
        elif link.models:
            unfiled.append(f"{link.text} ({link.family})")
    lines = []
    if len(shown) == 1:
        link, hit, where = shown[0]
        lines += ["", f"**The model you named:** {link.text} is in muselab's catalog ({link.family}); "
                      f"{shown_name(hit)} is {where}, and section 2 shows how it works."]
    elif shown:
        each = and_list([f"{link.text} ({shown_name(hit)}, {where})" for link, hit, where in shown])
        lines += ["", f"**The models you named:** {each} are in muselab's catalog; section 2 shows how each works."]
    if unfiled:
        one = len(unfiled) == 1
        lines += ["", f"**{'The model' if one else 'The models'} you named:** {and_list(unfiled)} "
                      f"{'is' if one else 'are'} in muselab's catalog, but the catalog files none of "
                      f"{'its' if one else 'their'} models under {t.name.lower()}, so the models below are the ones "
                      "it has for that."]
    if unknown:
        one = len(unknown) == 1
        lines += ["", f"**Not in the catalog:** {and_list(list(unknown))} {'is' if one else 'are'} not in muselab's "
                      f"catalog, so this answer cannot say how {'it works' if one else 'they work'}; it goes on with "
                      "what the catalog has."]
    return lines


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def template_lines(card: dict, full: bool = False, tight: int = 0) -> list[str]:
    """The real graph that runs the model: the ComfyUI template `--workflow` hands over."""
    where = "calls a partner API (a paid service)" if card["api"] else "runs on a ComfyUI server with a GPU"
    shown = SHORT_STAGES - 2 * bool(tight)
    stages = card["stages"] if full or len(card["stages"]) <= shown else \
        card["stages"][:shown - 1] + [f"… ({len(card['stages']) - shown + 1} more)"]
    how = (f"`--workflow FILE` writes it with its inputs to fill and its {len(card['files'])} model file(s) "
           f"listed (`muselab workflow models FILE`); it {where} (`muselab run FILE --on`).") if full else \
        f"`--workflow FILE` writes it; it {where}."
    return ["", f"**As a ComfyUI workflow:** the template *{card['title']}* (`{card['id']}`): {' → '.join(stages)}. {how}"]


def workflow_part(ctx: Context, guess: TaskGuess, fits: list[ModelFit], tasks: dict[str, Task],
                  template: dict | None = None, explainers: list[Explainer] = (), detail: str = SHORT,
                  tight: int = 0) -> str:
    qt, full = guess.task, detail == FULL
    lines = ["## 2. Workflow (input → model → output)"]
    if shown_task_block(qt, fits):
        # a help topic, or a given model does not do the task: first the chain the task itself needs
        what = "what to do" if not qt.generative else f"{a_kind(qt.name.lower())} model"
        lines += ["", f"### {qt.name}", "",
                  f"{qt.workflow.input} → **{what}** [{' → '.join(qt.workflow.steps)}] → {qt.workflow.output}"]
    first_of: dict[str, str] = {}
    for i, f in enumerate(fits):
        settings = full or (i == 0 and not explainers and tight < 2)
        lines += model_lines(f, qt, tasks, first_of, settings, full, lead=i == 0, tight=tight)
        if template and f.record and f.record.name == template["model"] and (f.fits or tight < 6 or full):
            lines += template_lines(template, full, tight)
    lines += mechanism_lines(ctx, qt, explainers, full, tight)
    return "\n".join(lines)


def model_lines(f: ModelFit, qt: Task, tasks: dict[str, Task], first_of: dict[str, str], settings: bool,
                full: bool, lead: bool = True, tight: int = 0) -> list[str]:
    """A model's section: its name and id, its own chain, what it is; the first model (or every one, in
    full detail) also its architecture and settings. `tight` 3: every chain without its stages' asides;
    4: the other models without what they are; 5: the other models with only what goes in and out; 6: so
    too a first model that does not do the task."""
    name = shown_name(f)
    lines = ["", f"### {name}", identity_line(f), ""]
    wf, arch = own_chain(f)
    if wf and not full and ((not lead and tight >= 5) or (not f.fits and tight >= 6)):  # only what goes in and out
        lines.append(chain_line(wf.model_copy(update={"steps": []}), name))
    elif wf:
        lines.append(chain_line(wf, name, brief=tight >= 3 or not (lead or full)))
    else:
        lines.append(io_line(f, name))
    about = what_it_is(f, 3 if full else 1) if (lead and (f.fits or tight < 6)) or full or (not wf and tight < 4) \
        else ""  # a chain says enough
    if about:
        lines += ["", about]
    elif not wf and tight < 4:  # nothing but its inputs and outputs: say why
        lines += ["", "*Its architecture is not in muselab's catalog, so only what goes in and comes out is shown.*"]
    if arch and (full or (lead and not about)):  # short: the chain and what it is say enough
        lines += ["", architecture_note(arch, first_of, name, full)]
    if wf and wf.settings and settings:
        lines += ["", f"- **Settings that matter:** {'; '.join(wf.settings)}."]
    if not f.fits:
        lines += ["", mismatch_text(f, qt, tasks, full, brief=tight >= 6)]
    if f.inferred:
        lines += ["", f"*{f.source.name} is not in muselab's catalog; its task was read from its name.*"]
    return lines


def mechanism_lines(ctx: Context, qt: Task, explainers: list[Explainer], full: bool, tight: int = 0) -> list[str]:
    """How it works: the explainer's mechanism, settings and failure modes, else the task's explanation;
    `tight` (a short answer over its length) drops the task's aside and keeps one setting and one failure."""
    lines = ["", "### How it works", ""]
    if not explainers:
        lead = lead_text(ctx.question, qt)
        rest = " ".join(sentences(lead)[3:])
        if lead != qt.how_it_works:  # the aspect led: the task's own explanation follows
            rest += " " + (qt.how_it_works if full else " ".join(sentences(qt.how_it_works)[:SHORT_SENTENCES]))
        for text in matching_aspects(ctx.question, qt, 2)[1:] if full else []:
            rest += "\n\n" + text
        return lines + [rest.strip()] if rest.strip() else []
    e = explainers[0]
    if full:
        lines.append(e.details.strip())
    else:  # its opening, then what of it is closest to the question's own words
        first, *rest = sentences(e.details) or [""]
        if (m := ANNOUNCES.search(first)) and rest:  # 'works in one of two ways.' is nothing without the two
            told = COUNTS.get((m.group(1) or "").lower(), 1)
            first, rest = " ".join([first, *rest[:told]]), rest[told:]
        lines.append(" ".join([first] + closest(rest, ctx.question, SHORT_SENTENCES - 1)))
    # the task's word on the specific case the question names (anime upscaling), beside the general mechanism
    if not tight:
        lines += [f"\n{text}" for text in matching_aspects(ctx.question, qt, 1) if text not in e.details]
    n = 1 if tight else 2
    if e.settings:
        lines += ["", "**Typical settings:**"] + [f"- {s}" for s in (e.settings if full else
                                                                     closest(e.settings, ctx.question, n))]
    if e.failures:
        lines += ["", "**What goes wrong, and the fix:**"] + [f"- {s}" for s in (e.failures if full else
                                                                                closest(e.failures, ctx.question, n))]
    for other in explainers[1:] if full else []:
        lines += ["", f"**{other.title}.** {other.answer.strip()}"]
    return lines


# a sentence that announces what the next one says: 'in one of two ways.', 'the steps are:'
ANNOUNCES = re.compile(r":\s*$|\b(two|three|four|several|a few)\s+(?:\w+\s+)?(?:ways|steps|parts|stages|kinds|"
                       r"routes|approaches)\.?\s*$", re.I)
COUNTS = {"two": 2, "three": 3, "four": 4}


def closest(items: list[str], question: str, n: int) -> list[str]:
    """The n items that share most words with the question ('flash' and 'camera' pick the setting about
    describing the camera), in their written order; with nothing shared, the first ones."""
    asked = set(stem_seq(question)) - GENERIC
    shared = [len(asked & set(stem_seq(item))) for item in items]
    chosen = sorted(range(len(items)), key=lambda i: (-shared[i], i))[:n]
    return [items[i] for i in sorted(chosen)]


def shown_task_block(qt: Task, fits: list[ModelFit]) -> set[str]:
    """The question's task gets its own chain when it is a help topic or a given model does not do it."""
    return {qt.id} if qt.workflow and (not qt.generative or not fits or not all(f.fits for f in fits)) else set()


def matching_aspects(question: str, task: Task, limit: int = 2) -> list[str]:
    q = normalise(question)
    scored = []
    for i, aspect in enumerate(task.aspects):
        hits = sum(1 for c in aspect.cues if has_cue(c, q) is not None)
        if hits:
            scored.append((-hits, i, aspect.text))
    return [text for _, _, text in sorted(scored)[:limit]]


def mismatch_text(f: ModelFit, qt: Task, tasks: dict[str, Task], full: bool = True, brief: bool = False) -> str:
    """Why a shown model does not do the asked task, and what it can still do; `brief`: section 1's model-fit
    note has said why, so only what it can still do."""
    can = None
    for tid in [qt.id] + sorted(family(qt.id, tasks)):
        can = f.task.substitutes.get(tid)
        if can:
            break
    still = f"What it can still do: {can}" if can else "It can only be one stage around a model that does."
    if brief:
        return f"**Does it fit the question?** No. {still}"
    lines = [f"**Does it fit the question?** No. {shown_name(f)} is {a_kind(f.task.name.lower())} model; "
             f"the question is about {qt.name.lower()}.",
             still if can else f"It cannot perform {qt.name.lower()} itself; {still[0].lower()}{still[1:]}"]
    if full:  # (a short answer has said what the task needs in section 1)
        lines.append(f"What the task needs is {qt.needs}.")
    return "\n".join(lines)
