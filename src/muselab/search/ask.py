"""`ask`: from a free question to the seed-format Context that `answer` takes.

  1. check the question;
  2. identify the task (lexical cues + similarity to the task's examples);
  3. recommend models that fit the task and the question's specifics;
  4. retrieve papers (task mode: hybrid + the task's vocabulary, diversified);
  5. build the Context, which the composer and verifier then take as in `answer`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from muselab.answer.context import Context, Source
from muselab.catalog.records import Model, Paper
from muselab.errors import BadInput, StoreError
from muselab.search.models import Recommendation, recommend
from muselab.search.papers import Hit, PaperSearch
from muselab.search.tasks import TaskGuess, TaskVectors, identify
from muselab.text import STOPWORDS


def check_question(question: str, max_chars: int) -> str:
    q = question.strip()
    if not q:
        raise BadInput("the question is empty; ask something like: muselab ask \"How do AI upscalers sharpen anime art?\"")
    if len(q) > max_chars:
        raise BadInput(f"the question is {len(q):,} characters; the limit is {max_chars:,} "
                       "(ask one question; raise the limit with MUSELAB_MAX_QUESTION_CHARS)")
    bad = next((c for c in q if unicodedata.category(c) == "Cc" and c not in "\t\n\r"), None)
    if bad is not None:
        raise BadInput(f"the question contains a control character ({bad!r} at position {q.index(bad)}); remove it")
    letters = [c for c in q if c.isalpha()]
    latin = sum(1 for c in letters if c.isascii())
    words = re.findall(r"[a-z']+", q.lower())
    english = sum(1 for w in words if w in STOPWORDS)
    if letters and (latin / len(letters) < 0.5 or (len(words) >= 6 and english / len(words) < 0.08)):
        raise BadInput("muselab's catalog, taxonomy and embeddings are English; this question does not look "
                       "English. Please ask it in English")
    return " ".join(q.split())


@dataclass
class AskResult:
    context: Context
    guess: TaskGuess
    models: list[Recommendation]
    papers: list[tuple[Paper, float]]
    notices: list[str] = field(default_factory=list)


def model_source(m: Model) -> Source:
    fields = {"Hugging Face": m.hf_url} if m.hf_url else {}
    return Source(name=m.name, kind="model", paper_url=m.paper_url, github_url=m.github_url,
                  summary=m.summary, fields=fields)


def paper_source(p: Paper) -> Source:
    url = p.url or (f"https://arxiv.org/abs/{p.id}" if not p.id.startswith("web:") else None)
    return Source(name=p.title, kind="paper", paper_url=url, github_url=p.github_url, summary=p.summary)


def ensure_model_vectors(store, embedder, settings) -> None:
    """Models are few: embed any that lack a vector (new plugins, edited records) before recommending."""
    from muselab.search.index import embed_missing

    version = f"{store.get_meta('models_version')}:{embedder.space}"
    if store.get_meta("models_embedded") != version:
        embed_missing(store, embedder, "models", max_tokens=settings.embed_max_tokens, progress=settings.progress)
        store.set_meta("models_embedded", version)


def ask(question: str, store, settings, embedder, k_models: int, k_papers: int, mode: str = "task") -> AskResult:
    question = check_question(question, settings.max_question_chars)
    if store.count("papers") == 0:
        raise StoreError("the catalog has no papers; add some with `muselab ingest arxiv FILE.jsonl.gz` "
                         "(or `muselab ingest diffusers diffusers_papers.json`)")
    tasks = store.tasks()
    ensure_model_vectors(store, embedder, settings)
    # 1. what the question is about
    qvec = embedder.encode([question])[0]
    vectors = TaskVectors(tasks, embedder, settings.cache_dir)
    guess = identify(question, tasks, meaning=vectors.meaning(qvec))
    # 2. models for that task
    recs = recommend(store, question, guess.task, tasks, qvec=qvec, space=embedder.space, k=k_models,
                     cache_dir=settings.cache_dir)
    # 3. papers
    search = PaperSearch(store, embedder, settings.cache_dir, task_vectors=vectors)
    hits: list[Hit] = search.search(question, mode=mode, k=k_papers, guess=guess, tasks=tasks, qvec=qvec)
    papers = [(p, h.score) for h in hits if (p := store.paper(h.id))]
    ctx = Context(question=question, models=[model_source(r.model) for r in recs],
                  papers=[paper_source(p) for p, _ in papers])
    notices = []
    if not any(r.fits for r in recs):
        notices.append(f"no model in the catalog fits {guess.task.name.lower()}; the closest ones are shown")
    return AskResult(ctx, guess, recs, papers, notices)
