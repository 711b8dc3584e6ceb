"""The JSON API under /api: each route is a few lines over one Lab method."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from muselab.errors import BadInput
from muselab.server.guard import locked, no_client_paths, parse_json_field
from muselab.workflow.handover import input_kinds
from muselab.version import __version__

Mode = Literal["task", "hybrid", "lexical", "dense"]


class AskBody(BaseModel):
    question: str = Field(description="The question, as for `muselab ask`.")
    k_models: int | None = Field(None, ge=1, le=20)
    k_papers: int | None = Field(None, ge=1, le=50)
    mode: Mode | None = None
    llm: str | None = Field(None, description="Answer backend: offline (default), openai or local.")
    detail: Literal["short", "full"] = Field("short", description="short (the essentials, about 350-700 words) or full.")


class AnswerBody(BaseModel):
    prompt: str = Field(description="A seed-format prompt, as `muselab answer` reads from a file.")
    llm: str | None = None
    detail: Literal["short", "full"] = "short"


class CheckBody(BaseModel):
    prompt: str
    answer: str


class WorkflowBody(BaseModel):
    question: str
    k_models: int | None = Field(None, ge=1, le=20)


def install(app) -> None:
    guard = app.state.guard

    def llm_guard(request: Request, llm: str | None) -> None:
        if (llm or "offline") != "offline":
            guard.require_token(request)  # an LLM backend costs: the token is wanted

    @app.get("/api/health", summary="The store, what the catalog holds, the version")
    def health(request: Request):
        return locked(request, lambda lab: {"ok": True, "version": __version__, **lab.info()})

    @app.get("/api/tasks", summary="The task taxonomy")
    def tasks(request: Request):
        return locked(request, lambda lab: [{"id": t.id, "name": t.name, "parent": t.parent} for t in lab.tasks()])

    @app.post("/api/ask", summary="Exactly `muselab ask --format json`")
    def ask(request: Request, body: AskBody):
        llm_guard(request, body.llm)
        return locked(request, lambda lab: lab.ask(body.question, body.k_models, body.k_papers, body.mode,
                                                   llm=body.llm, detail=body.detail).to_dict())

    @app.post("/api/answer", summary="Exactly `muselab answer --format json` for a seed-format prompt")
    def answer(request: Request, body: AnswerBody):
        llm_guard(request, body.llm)
        return locked(request, lambda lab: lab.answer(body.prompt, llm=body.llm, detail=body.detail).to_dict())

    @app.post("/api/check", summary="The grounding violations of an answer (`muselab check --format json`)")
    def check(request: Request, body: CheckBody):
        violations = locked(request, lambda lab: lab.check(body.prompt, body.answer))
        return {"ok": not violations, "violations": [v.to_dict() for v in violations]}

    search_routes(app)
    run_routes(app)


def search_routes(app) -> None:
    from muselab.server.runs import RunNotFound

    @app.get("/api/models", summary="`muselab search models`")
    def models(request: Request, q: str = Query(...), k: int = Query(10, ge=1, le=100), mode: Mode = "hybrid"):
        return locked(request, lambda lab: [h.to_dict() for h in lab.search_models(q, k, mode)])

    @app.get("/api/papers", summary="`muselab search papers`")
    def papers(request: Request, q: str = Query(...), k: int = Query(10, ge=1, le=100), mode: Mode = "hybrid"):
        return locked(request, lambda lab: [h.to_dict() for h in lab.search_papers(q, k, mode)])

    @app.get("/api/models/{name}", summary="One model record of the catalog")
    def model(request: Request, name: str):
        found = locked(request, lambda lab: lab.store.model(name))
        if found is None:
            raise RunNotFound(f"no model {name!r} in the catalog")
        return found.model_dump()

    @app.post("/api/workflows", summary="The workflow JSON exactly as `--workflow` writes it")
    def workflows(request: Request, body: WorkflowBody):
        def build(lab):
            return lab.workflow_for(lab.ask(body.question, k_models=body.k_models)).to_json()

        return locked(request, build)


def run_routes(app) -> None:
    runs, guard = app.state.runs, app.state.guard

    @app.post("/api/runs", summary="Queue a run (multipart: workflow, one file per named input, overrides)")
    async def create_run(request: Request):
        guard.require_token(request)
        form = await request.form(max_files=guard.max_inputs + 1, max_fields=8 + guard.max_inputs)
        workflow = parse_json_field(form.get("workflow"), "workflow", {})
        overrides = parse_json_field(form.get("overrides"), "overrides", {})
        files = {k: await v.read() for k, v in form.multi_items() if hasattr(v, "read")}
        texts = {k: v for k, v in form.multi_items() if isinstance(v, str) and k not in ("workflow", "overrides")}
        lab = request.app.state.lab
        wf = lab.load_workflow(workflow)
        kinds = input_kinds(wf)  # a text input (prompt) is a plain form field, a file input an upload
        wf = wf.fill({k: v for k, v in texts.items() if kinds.get(k) == "TEXT"})
        workflow = wf.to_json()
        wanted = set(wf.placeholders())
        missing = sorted(wanted - set(files))
        if missing:
            raise BadInput(f"give the workflow's input(s): {', '.join(missing)} (files as uploads, texts as fields)")
        inputs = guard.inputs(lab, files, wanted)
        no_client_paths(lab, workflow, overrides)
        lab.require_valid(wf.override(overrides))
        return {"run_id": runs.create(workflow, inputs, overrides).id}

    @app.get("/api/runs/{run_id}", summary="A run's state, nodes, errors and outputs")
    def get_run(run_id: str):
        return runs.get(run_id).to_dict()

    @app.delete("/api/runs/{run_id}", summary="Cancel a run")
    def cancel_run(request: Request, run_id: str):
        guard.require_token(request)
        return runs.cancel(run_id).to_dict()

    @app.get("/api/runs/{run_id}/events", summary="Server-sent events while the run runs")
    def events(run_id: str):
        listen = runs.listen(run_id)
        return StreamingResponse(sse(listen), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.get("/api/runs/{run_id}/outputs/{n}", summary="The n-th output image of a run (PNG)")
    def output(run_id: str, n: int):
        run = runs.get(run_id)
        if not 0 <= n < len(run.outputs):
            from muselab.server.runs import RunNotFound

            raise RunNotFound(f"run {run_id} has {len(run.outputs)} output(s); there is no output {n}")
        return FileResponse(runs.folder(run_id) / "out" / run.outputs[n], media_type="image/png")


def sse(events):
    for item in events:
        if item is None:
            yield ": keep-alive\n\n"
            continue
        kind, data = item
        yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
