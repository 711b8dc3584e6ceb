"""What an answer is: the verdict on each given model and paper, the three parts, and how it was made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from muselab.catalog.records import Model, Task
from muselab.context import Context, Source
from muselab.search.tasks import TaskGuess

if TYPE_CHECKING:  # retrieval needs NumPy; an answer to a given prompt must not load it
    from muselab.search.ask import Retrieval


@dataclass
class ModelFit:
    source: Source
    record: Model | None
    task: Task
    fits: bool
    inferred: bool  # task read from the name prefix, not from a catalog record


@dataclass
class SourceNote:
    source: Source
    score: float
    level: str  # "closely related" | "related" | "loosely related"
    shared: list[str]
    sentences: list[str]
    mechanism: str | None = None  # the explainer (title) whose mechanism the paper is a source of
    on_task: bool = False  # filed under the asked task
    model: tuple | None = None  # (the model whose paper it is, whether the question names it)


@dataclass
class Answer:
    context: Context
    guess: TaskGuess
    fits: list[ModelFit]
    notes: list[SourceNote]
    parts: dict[str, str]
    notices: list[str] = field(default_factory=list)
    backend: str = "offline"
    text: str | None = None  # an LLM's (repaired) text; None: the composed parts
    repair: dict | None = None
    stats: dict = field(default_factory=dict)
    unavailable: str | None = None  # why the chosen backend could not answer (the offline answer stands in)
    template: dict | None = None  # the ComfyUI template the workflow part describes: id, title, model, stages, files
    explainers: list[str] = field(default_factory=list)  # ids of the mechanism explainers the answer uses

    @property
    def question(self) -> str:
        return self.context.question

    @property
    def task(self) -> Task:
        return self.guess.task

    def catalog_models(self) -> list[Model]:
        """The given models that the catalog knows, in the given order."""
        return [f.record for f in self.fits if f.record is not None]

    @property
    def markdown(self) -> str:
        """The answer as shown to a user: the three parts, then any notices."""
        body = self.text.rstrip() if self.text else "\n\n".join(self.parts[k] for k in ("task", "workflow", "sources"))
        if self.notices:
            body += "\n\n" + "\n".join(f"> {n}" for n in self.notices)
        return body + "\n"

    def to_dict(self) -> dict:
        return {
            "question": self.context.question,
            "backend": self.backend,
            "task": self.guess.to_dict(),
            "models": [
                {"name": f.source.name, "task": f.task.id, "fits_task": f.fits, "in_catalog": f.record is not None,
                 "links": f.source.links, **card(f.record)}
                for f in self.fits
            ],
            "papers": [
                {"title": n.source.name, "relevance": n.level, "score": round(n.score, 2), "links": n.source.links}
                for n in self.notes if n.source.kind == "paper"
            ],
            "parts": self.parts,
            "template": self.template,
            "explainers": self.explainers,
            "notices": self.notices,
            "repair": self.repair,
            "stats": self.stats,
            "markdown": self.markdown,
        }


def card(m: Model | None) -> dict:
    """What a page shows of a catalog model beside its name: readable name, family, part it plays, and
    whether it runs on this machine."""
    if m is None:
        return {}
    return {"display_name": m.display_name or m.name, "family": m.family, "role": m.role or "model",
            "runs_here": m.runnable, "templates": m.templates[:5]}


@dataclass
class AskResult:
    """`ask`: what retrieval found (task, models, papers) and the verified answer written from it."""

    retrieval: "Retrieval"
    answer: Answer

    @property
    def task(self) -> Task:
        return self.retrieval.guess.task

    @property
    def question(self) -> str:
        return self.retrieval.context.question

    @property
    def models(self) -> list[Model]:
        return [r.model for r in self.retrieval.models]

    def catalog_models(self) -> list[Model]:
        return self.models

    @property
    def papers(self) -> list:
        return [p for p, _ in self.retrieval.papers]

    @property
    def markdown(self) -> str:
        return self.answer.markdown

    @property
    def notices(self) -> list[str]:
        return self.retrieval.notices

    def to_dict(self) -> dict:
        """Exactly what `muselab ask --format json` prints."""
        data = self.answer.to_dict()
        data["retrieval"] = {
            "mode": self.retrieval.mode,
            "models": [{"name": r.model.name, "score": round(r.score, 3), "fits_task": r.fits}
                       for r in self.retrieval.models],
            "papers": [{"id": p.id, "title": p.title, "score": round(score, 5)} for p, score in self.retrieval.papers],
        }
        data["linked"] = [link.to_dict() for link in self.retrieval.linked]
        data["not_in_catalog"] = self.retrieval.unknown
        data["prompt"] = self.retrieval.context.to_prompt()
        return data
