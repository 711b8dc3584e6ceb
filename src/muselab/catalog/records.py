"""The three kinds of catalog record: Task, Model, Paper."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field


class Chain(BaseModel):
    """How a model of a task works, as a chain: input -> steps -> output (the `workflow` field of
    tasks and models; not to be confused with a runnable graph, muselab.workflow.graph.Workflow)."""

    input: str = Field(description="What goes in, with its type, e.g. 'text prompt (TEXT)'.")
    steps: list[str] = Field(default_factory=list, description="The stages inside the model, in order.")
    output: str = Field(description="What comes out, with its type.")
    settings: list[str] = Field(default_factory=list, description="Settings that change the result.")


class Aspect(BaseModel):
    """A paragraph of explanation shown when the question touches it."""

    cues: list[str] = Field(description="Phrases in a question that make this paragraph relevant.")
    text: str


class Task(BaseModel):
    id: str = Field(description="Stable id, e.g. 'super-resolution'.")
    name: str = Field(description="Display name.")
    parent: str | None = Field(None, description="Broader task this one refines.")
    label: str | None = Field(None, description="The matching label in the task benchmark's taxonomy.")
    prefix: str | None = Field(None, description="Model-name prefix of this task in the catalog, e.g. 'SR'.")
    definition: str = ""
    goal: str = Field("", description="What a user of this task wants, in plain words.")
    input_modalities: list[str] = Field(default_factory=list)
    output_modalities: list[str] = Field(default_factory=list)
    how_it_works: str = ""
    workflow: Chain | None = None
    aspects: list[Aspect] = Field(default_factory=list)
    needs: str = Field("", description="The kind of model the task needs, without naming one.")
    substitutes: dict[str, str] = Field(
        default_factory=dict,
        description="For a question of task X (key), what a model of this task can still do.",
    )
    vocabulary: list[str] = Field(default_factory=list, description="The field's words for this task.")
    cues: list[str] = Field(default_factory=list, description="Words users write when they mean this task.")
    requires: list[str] = Field(default_factory=list, description="What a question must say, in one of these "
                                "phrases, to be about this task: the input the task needs (colorization needs a "
                                "picture without colour). Empty: no precondition.")
    examples: list[str] = Field(default_factory=list, description="Questions users ask about this task.")
    template_tags: list[str] = Field(default_factory=list, description="Tags ComfyUI's template index gives "
                                     "workflows of this task.")
    generative: bool = Field(True, description="False for help topics (installation, which model made this).")
    source: str = "builtin"


class Model(BaseModel):
    name: str = Field(description="Unique name in the seeds' style: <TaskPrefix>-<name>.")
    display_name: str = ""
    task: str = Field(description="Task id from the taxonomy.")
    category: str = Field("", description="Detailed category, e.g. 'ESRGAN 4x, anime'.")
    input_modalities: list[str] = Field(default_factory=list)
    output_modalities: list[str] = Field(default_factory=list)
    summary: str = ""
    paper_url: str | None = None
    github_url: str | None = None
    hf_url: str | None = None
    license: str | None = None
    weights_source: str | None = Field(None, description="Where the weights come from, in words.")
    weights_url: str | None = None
    sha256: str | None = None
    runnable: bool = Field(False, description="Whether muselab can run it here (weights shipped or local).")
    runner: dict | None = Field(None, description="Workflow node and settings that run it.")
    workflow: Chain | None = Field(None, description="This model's own chain, where it differs from its task's.")
    tags: list[str] = Field(default_factory=list)
    links: dict[str, str] = Field(default_factory=dict, description="Other links: blog, demo, kaggle, ...")
    family: str = Field("", description="The model series it belongs to, e.g. 'Wan 2.2' or 'FLUX.1 Kontext'.")
    aliases: list[str] = Field(default_factory=list, description="Other names and spellings it goes by.")
    role: str = Field("", description="What it is in a workflow: 'model' (does the task), 'vae', 'text-encoder', "
                      "'lora', 'controlnet', 'image-encoder', 'add-on', 'api' (a partner service), ...")
    capabilities: list[str] = Field(default_factory=list, description="Tasks it is used for beyond its own task "
                                    "(e.g. an edit model used for style transfer in a template).")
    files: list[dict] = Field(default_factory=list, description="Weight files: {name, url, folder, size}.")
    templates: list[str] = Field(default_factory=list, description="Workflow templates that use it.")
    popularity: float | None = Field(None, description="How widely it is used: template runs, repository stars.")
    architecture: str = Field("", description="Architecture family id (see the catalog's architectures).")
    source: str = "builtin"

    def embed_text(self) -> str:
        return " ".join(f"{self.display_name or self.name}. {self.category}. {self.summary} {' '.join(self.tags)}".split())

    def scale(self) -> int | None:
        """The size factor its name, tags or category give ('4x-UltraSharp': 4; a 1x restorer: 1)."""
        from muselab.text import asked_scale

        return asked_scale(f"{' '.join(self.tags)} {self.category} {self.name}")


class Architecture(BaseModel):
    """How the networks of one architecture family are built (data/architectures.toml): written once, shown
    for every model of that family and never for another's."""

    id: str
    name: str
    about: str = ""
    chain: Chain
    papers: list[str] = Field(default_factory=list, description="arXiv ids of the papers it rests on.")
    backbone: str = Field("", description="'transformer' for a DiT: its add-ons are built differently "
                                          "(a ControlNet copies transformer blocks, not a U-Net encoder).")
    part: bool = Field(False, description="An add-on to a base model (a ControlNet, an adapter, a LoRA), not a "
                                          "network that does the task alone.")
    group: str = Field("", description="Architectures a list of recommendations shows once between them: the "
                                       "classic feed-forward style networks are one choice, not three.")


class Explainer(BaseModel):
    """A mechanism people ask about ('why do hands come out wrong'), explained by the project in its own words
    (data/explainers.toml): a plain answer first, then the mechanism, settings and failure modes."""

    id: str
    title: str
    tasks: list[str] = Field(default_factory=list)
    cues: list[str] = Field(default_factory=list, description="Phrases in a question that point at it.")
    answer: str = Field(description="The plain answer, 2-4 sentences.")
    details: str = ""
    settings: list[str] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    papers: list[str] = Field(default_factory=list, description="arXiv ids of the papers it rests on.")
    models: list[str] = Field(default_factory=list, description="Name fragments of the catalog models practitioners "
                                                                  "use for it ('openpose', 'seedvr'), matched squashed.")
    patterns: list[str] = Field(default_factory=list, description="Regular expressions for the syntax it explains, "
                                                                  "e.g. a prompt weight '(red dress:1.3)'.")
    converts: list[str] = Field(default_factory=list, description="[from, to] when it explains turning one kind "
                                                                  "into another: ['image', 'video'] for image-to-video.")
    named_only: bool = Field(False, description="Picked only when the question names it (a cue): a narrow mechanism "
                                                "whose plain answer resembles many other questions in meaning.")

    def embed_text(self) -> str:
        return f"{self.title}. {self.answer}"


class Template(BaseModel):
    """A ComfyUI workflow template: a graph a person can load and run, with the model files it needs."""

    id: str = Field(description="The template's name in ComfyUI's template index, e.g. 'video_wan2_2_14B_i2v'.")
    title: str
    description: str = ""
    tasks: list[str] = Field(default_factory=list, description="Task ids, the main one first.")
    input_modalities: list[str] = Field(default_factory=list)
    output_modalities: list[str] = Field(default_factory=list)
    families: list[str] = Field(default_factory=list, description="Model families the index names for it.")
    models: list[str] = Field(default_factory=list, description="Catalog model names of its files.")
    files: list[dict] = Field(default_factory=list, description="Model files: {name, url, folder, size}.")
    node_types: list[str] = Field(default_factory=list)
    api: bool = Field(False, description="Runs on a partner API (a paid service), not on local weights.")
    tags: list[str] = Field(default_factory=list)
    tutorial_url: str | None = None
    usage: int = 0
    graph: dict = Field(default_factory=dict, description="The workflow in ComfyUI's UI format.")
    source: str = "builtin"


class NodePack(BaseModel):
    """A custom node pack for ComfyUI (a 'tool' of the field), from ComfyUI-Manager's lists."""

    id: str = Field(description="The pack's id, e.g. 'comfyui-kjnodes'.")
    title: str
    author: str = ""
    description: str = ""
    url: str | None = Field(None, description="Its repository.")
    stars: int | None = None
    node_types: list[str] = Field(default_factory=list)
    source: str = "builtin"


class Paper(BaseModel):
    id: str = Field(description="arXiv id without version, or 'web:<slug>' for papers not on arXiv.")
    title: str
    summary: str = ""
    url: str | None = None
    pdf_url: str | None = None
    github_url: str | None = None
    categories: list[str] = Field(default_factory=list)
    published: str | None = None
    authors: list[str] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list, description="Task ids a curator filed the paper under.")
    source: str = "builtin"

    def embed_text(self) -> str:
        # the precomputed corpus vectors use exactly this text: title + ". " + abstract
        return " ".join(f"{self.title}. {self.summary}".split())


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
