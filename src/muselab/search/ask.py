"""`ask`: from a free question to the seed-format Context that `answer` takes.

  1. check the question;
  2. identify the task (lexical cues + similarity to the task's examples);
  3. recommend models that fit the task and the question's specifics;
  4. retrieve papers (task mode: hybrid + the task's vocabulary, diversified);
  5. build the Context, which the composer and verifier then take as in `answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from muselab.catalog.records import Paper
from muselab.catalog.sources import model_source, paper_source
from muselab.context import Context, check_question
from muselab.errors import StoreError
from muselab.search.index import ensure_model_vectors
from muselab.search.models import Recommendation, recommend
from muselab.search.papers import PaperSearch
from muselab.search.tasks import TaskGuess, identify, task_vectors


@dataclass
class Retrieval:
    """What `ask` found for a question: the task, the models, the papers, and the Context built from them."""

    context: Context
    guess: TaskGuess
    models: list[Recommendation]
    papers: list[tuple[Paper, float]]
    mode: str = "task"
    notices: list[str] = field(default_factory=list)


def retrieve(question: str, store, settings, embedder, k_models: int, k_papers: int, mode: str = "task") -> Retrieval:
    # 1. the question
    question = check_question(question, settings.max_question_chars)
    if store.count("papers") == 0:
        raise StoreError("the catalog has no papers; add some with `muselab ingest arxiv FILE.jsonl.gz` "
                         "(or `muselab ingest diffusers diffusers_papers.json`)")
    ensure_model_vectors(store, embedder, settings)
    # 2. what it is about
    qvec = embedder.encode([question])[0]
    vectors = task_vectors(store, embedder, settings.cache_dir)
    guess = identify(question, store.tasks(), meaning=vectors.meaning(qvec))
    # 3. models for that task
    recs = recommend(store, question, guess.task, store.tasks(), qvec=qvec, space=embedder.space, k=k_models,
                     cache_dir=settings.cache_dir)
    # 4. papers
    search = PaperSearch(store, embedder, settings.cache_dir, task_vectors=vectors)
    hits = search.search(question, mode=mode, k=k_papers, guess=guess, qvec=qvec)
    papers = [(p, h.score) for h in hits if (p := store.paper(h.id))]
    # 5. the Context
    ctx = Context(question=question, models=[model_source(r.model) for r in recs],
                  papers=[paper_source(p) for p, _ in papers])
    notices = []
    if not any(r.fits for r in recs):
        notices.append(f"no model in the catalog fits {guess.task.name.lower()}; the closest ones are shown")
    return Retrieval(ctx, guess, recs, papers, mode, notices)


def identifier(store, embedder, cache_dir):
    """question -> TaskGuess, with cues and similarity to every task's examples (for search and eval)."""
    vectors = task_vectors(store, embedder, cache_dir)
    return lambda q: identify(q, store.tasks(), meaning=vectors.meaning(embedder.encode([q])[0]))
