"""`ask`: from a free question to the seed-format Context that `answer` takes.

  1. check the question;
  2. identify the task (lexical cues + similarity to the task's examples);
  3. choose the mechanisms it asks about (the project's explainers);
  4. recommend models that fit the task and the question's specifics, and the ones used for the mechanism;
  5. retrieve papers (task mode: hybrid + the task's vocabulary + the mechanism's works, diversified);
  6. build the Context, which the composer and verifier then take as in `answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from muselab.catalog.records import Paper
from muselab.catalog.sources import model_source, paper_source
from muselab.context import Context, check_question
from muselab.errors import StoreError
from muselab.search.explain import (MIN_SIMILARITY, beside_the_first, cue_scores, explainer_vectors, own_mechanism,
                                    pick, task_prior)
from muselab.search.index import ensure_model_vectors
from muselab.search.link import Link, name_index, unknown_names
from muselab.search.models import Recommendation, model_table, recommend, same_family, shown_family
from muselab.search.papers import PaperSearch
from muselab.search.tasks import TaskGuess, direction, identify, task_vectors
from muselab.search.works import model_papers

LINK_PRIOR = (1.5, 0.5)  # a named model's task counts, for itself and its family; the question's words can overrule


@dataclass
class Retrieval:
    """What `ask` found for a question: the task, the models, the papers, and the Context built from them."""

    context: Context
    guess: TaskGuess
    models: list[Recommendation]
    papers: list[tuple[Paper, float]]
    mode: str = "task"
    notices: list[str] = field(default_factory=list)
    linked: list[Link] = field(default_factory=list)  # the catalog models the question names
    unknown: list[str] = field(default_factory=list)  # names in the question the catalog does not hold
    explainers: list = field(default_factory=list)  # the mechanisms it asks about (catalog explainers)
    closeness: dict = field(default_factory=dict)  # paper id -> (cosine with the question, with its subject)
    clear: frozenset | None = None  # the explainers asked about in its words or clearly in meaning (None: all)
    model_papers: dict = field(default_factory=dict)  # paper id -> (the model it is the paper of, named or not)
    worded: frozenset | None = None  # the explainers the question names in its own words (None: all)


def retrieve(question: str, store, settings, embedder, k_models: int, k_papers: int, mode: str = "task") -> Retrieval:
    # 1. the question
    question = check_question(question, settings.max_question_chars)
    if store.count("papers") == 0:
        raise StoreError("the catalog has no papers; add some with `muselab ingest arxiv FILE.jsonl.gz` "
                         "(or `muselab ingest diffusers diffusers_papers.json`)")
    ensure_model_vectors(store, embedder, settings)
    # 2. the models it names, and what it is about
    tasks = store.tasks()
    read = read_question(question, store, embedder, settings.cache_dir)
    guess, links, qvec = read.guess, read.links, read.qvec
    # 3. the mechanisms it asks about
    explained = explaining(question, guess, qvec, store, embedder, settings.cache_dir)
    # 4. models for that task, a named one first when it can do it, then the ones used for the mechanism
    linked, names = [n for link in links for n in link.models], [link.models for link in links]
    recs = recommend(store, question, guess.task, tasks, qvec=qvec, space=embedder.space, k=k_models,
                     cache_dir=settings.cache_dir, linked=linked, favoured=favoured_for(explained), names=names)
    if guess.second is not None and k_models > 1:  # a two-part question: the best model of the other part too
        other = recommend(store, question, guess.second, tasks, qvec=qvec, space=embedder.space, k=k_models,
                          cache_dir=settings.cache_dir, linked=linked, favoured=favoured_for(explained, guess.second),
                          names=names)
        # a family already shown is the first part's (the named Wan 2.2 is not the tool that smooths its clips)
        table = model_table(store)
        apart = guess.task.id == "acceleration"  # (as recommend keeps speed LoRAs apart when speed is asked)
        shown = {shown_family(table, table.row[x.model.name.lower()], apart) for x in recs}
        extra = next((r for r in other if r.fits
                      and not same_family(shown_family(table, table.row[r.model.name.lower()], apart), shown)), None)
        recs = recs[:k_models - 1] + [extra] if extra else recs
    elif k_models > 1:  # a step beside the task, asked in its own words (the cloned voice of an avatar)
        recs = with_tool_of_step(store, question, recs, explained, guess, tasks, qvec, embedder, settings, k_models)
    # 5. the papers
    search = PaperSearch(store, embedder, settings.cache_dir, task_vectors=task_vectors(store, embedder, settings.cache_dir))
    works = model_papers(store, links, recs)
    hits = search.search(question, mode=mode, k=k_papers, guess=guess, qvec=qvec, explainers=explained,
                         named=list(works))
    papers = [(p, h.score) for h in hits if (p := store.paper(h.id))]
    close = search.closeness([p.id for p, _ in papers], qvec, guess, explained)
    clear = clearly_asked(question, explained, qvec)
    explained = [e for e, _ in explained]
    # 6. the Context
    ctx = Context(question=question, models=[model_source(r.model) for r in recs],
                  papers=[paper_source(p) for p, _ in papers])
    notices = []
    if not recs:
        notices.append(f"{guess.task.name.lower()} is not a model's job; no model is recommended")
    elif not any(r.fits for r in recs):
        notices.append(f"no model in the catalog fits {guess.task.name.lower()}; the closest ones are shown")
    unknown = unknown_names(question, links, tasks.values(), name_index(store))
    return Retrieval(ctx, guess, recs, papers, mode, notices, links, unknown, explained, close, clear,
                     model_papers={p.id: works[p.id] for p, _ in papers if p.id in works},
                     worded=frozenset(cue_scores(question)))


def clearly_asked(question: str, explained: list[tuple], qvec) -> frozenset:
    """The mechanisms the question names in its words or is clearly close to in meaning; the others were
    chosen as the task's nearest mechanism, a guess that the answer may show but not vouch for."""
    found = cue_scores(question)
    return frozenset(e.id for e, vec in explained if found.get(e.id) or float(vec @ qvec) >= MIN_SIMILARITY)


@dataclass
class Reading:
    guess: TaskGuess
    links: list[Link]
    qvec: object  # the question's vector


def read_question(question: str, store, embedder, cache_dir, tasks=None, vectors=None) -> Reading:
    """The models a question names and the task it asks about. The task is read from what the question
    asks, not from the words of the names it uses ('qwen-image-edit' says nothing about editing when the
    question asks for style transfer); a named model's own task counts as a prior."""
    links = name_index(store).find(question)
    asked = without_names(question, links)
    qvec, avec = embedder.encode([question, asked]) if asked != question else [embedder.encode([question])[0]] * 2
    # `tasks` and `vectors` stand in for the store's when a benchmark holds examples out
    meaning = (vectors or task_vectors(store, embedder, cache_dir)).meaning(avec)
    against = frozenset(direction(asked, tasks or store.tasks())[1])
    mechanism = task_prior(asked, explainer_vectors(store, embedder, cache_dir).meaning(avec), against)
    guess = identify(asked, tasks or store.tasks(), prior_tasks=linked_tasks(store, links), meaning=meaning,
                     prior_weights=LINK_PRIOR, extra_prior=mechanism)
    return Reading(guess, links, qvec)


def without_names(question: str, links: list[Link]) -> str:
    for link in links:
        question = question.replace(link.text, "the model")
    return question


def linked_tasks(store, links: list[Link]) -> list[str]:
    """The task each named family's models mostly do (a question about Wan is about video)."""
    table = model_table(store)
    out = []
    for link in links:
        found = [table.models[r].task for n in link.models if (r := table.row.get(n.lower())) is not None
                 and table.models[r].role in ("model", "api", "add-on")]
        if found:
            out.append(max(dict.fromkeys(found), key=found.count))
    return out


def with_tool_of_step(store, question, recs, explained, guess, tasks, qvec, embedder, settings, k_models):
    """The last place goes to the tool of a mechanism the question names in its own words when that
    mechanism is a step of the asked task that belongs first to another task, and none of its tools is
    recommended: a voice-cloning model beside the lip-sync models when an avatar's voice is asked about."""
    found = cue_scores(question)
    # a step filed under the asked task as well as under its own (voice cloning serves lip sync); a mechanism
    # of an unrelated task that a phrase of the question only resembles brings no tool
    step = next((e for e, _ in explained if found.get(e.id) and e.models and guess.task.id in e.tasks[1:]
                 and e.tasks[0] in tasks), None)
    if step is None:
        return recs
    table = model_table(store)
    uses = table.matching(tuple(step.models))
    if any(uses[table.row[r.model.name.lower()]] for r in recs):
        return recs
    other = recommend(store, question, tasks[step.tasks[0]], tasks, qvec=qvec, space=embedder.space, k=k_models,
                      cache_dir=settings.cache_dir, favoured=tuple(step.models))
    tool = next((r for r in other if r.fits and uses[table.row[r.model.name.lower()]]), None)
    return recs[:k_models - 1] + [tool] if tool else recs


def favoured_for(explained: list[tuple], task=None) -> tuple[str, ...]:
    """The models practitioners use for the mechanism asked about: the first explainer's, or with `task`
    (a two-part question's other part) the first explainer of that task."""
    found = [e for e, _ in explained if task is None or task.id in e.tasks][:1]
    return tuple(found[0].models) if found else ()


def explaining(question: str, guess, qvec, store, embedder, cache_dir) -> list[tuple]:
    """(Explainer, its vector) of the mechanisms the question asks about."""
    vectors, tv = explainer_vectors(store, embedder, cache_dir), task_vectors(store, embedder, cache_dir)
    meaning = vectors.meaning(qvec)
    general = lambda task: float(tv.definitions[tv.position[task.id]] @ qvec) if task.id in tv.position else None  # noqa: E731
    chosen = pick(question, guess.task, meaning, task_similarity=general(guess.task))
    if guess.second is not None:  # a two-part question: the other part's own mechanism as well
        taken = {c.id for c in chosen}
        more = [e for e in pick(question, guess.second, meaning, limit=1, task_similarity=general(guess.second))
                if e.id not in taken] or [e for e in own_mechanism(guess.second, meaning) if e.id not in taken]
        named = cue_scores(question)
        # the other part's mechanism named in the question's words leads one the first part only resembles
        # ('TeaCache' in a question filed under the ComfyUI set-up it mentions)
        if more and chosen and named.get(more[0].id) and not named.get(chosen[0].id) \
                and meaning.get(chosen[0].id, 0.0) < MIN_SIMILARITY:
            chosen = more + chosen
        else:
            chosen = chosen[:1] + more + chosen[1:]
    asked = {t.id for t in (guess.task, guess.second) if t is not None}
    # nor the mechanism of a task the question goes against ('a picture from a prompt' is not reading a prompt)
    against = set(direction(question, store.tasks())[1]) - asked
    chosen = [e for e in chosen if not (e.tasks and e.tasks[0] in against)]
    return [(e, vectors.vector(e.id)) for e in beside_the_first(chosen, meaning, asked)[:3]]


def task_query(store, embedder, cache_dir):
    """question -> the keyword arguments of PaperSearch.search in task mode, exactly as `ask` reads it."""
    def prepare(question: str) -> dict:
        read = read_question(question, store, embedder, cache_dir)
        return {"guess": read.guess, "qvec": read.qvec,
                "explainers": explaining(question, read.guess, read.qvec, store, embedder, cache_dir)}
    return prepare


def identifier(store, embedder, cache_dir):
    """question -> TaskGuess, exactly as `ask` reads a question (for search and eval)."""
    return lambda q: read_question(q, store, embedder, cache_dir).guess
