"""`muselab ingest comfyui-templates`: ComfyUI's official workflow templates.

Reads the PyPI package `comfyui-workflow-templates-json` (the templates in
ComfyUI's UI format, with `index.json`) and, when installed,
`comfyui-workflow-templates-core` (the manifest with each file's sha256), or a
copy of the same files at PATH (a folder holding `index.json` and the
templates). Each template file lands in one transaction: a Template record
(title, tasks, inputs and outputs, the model files it needs with URL and
folder, node types, local or partner API) and a model record for each model
file it names (its role, family, URL, folder and every template that uses it).
A partner-API template names no files; its model families become records of
their own, marked as API models.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import lru_cache
from pathlib import Path

from muselab.catalog.families import aliases_for, family_of, matching, readable, sub_names
from muselab.catalog.ingest import Records
from muselab.catalog.ingest.template_parts import (FOLDER_TASKS, ROLES, model_files, node_types, role_of,
                                                   tasks_of, unknown_node_types)
from muselab.catalog.records import Model, Template
from muselab.catalog.taxonomy import builtin_task, builtin_tasks
from muselab.errors import BadInput, IngestError
from muselab.text import clean_description, slug

PACKAGE, CORE = "comfyui_workflow_templates_json", "comfyui_workflow_templates_core"
INDEX = "index.json"
MEDIA = {"LoadImage": "image", "LoadVideo": "video", "LoadAudio": "audio"}


def installed(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    return Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None


def templates_dir(path: Path) -> Path:
    """The folder holding index.json: PATH itself, or its templates/ folder (the package's layout)."""
    for folder in (path, path / "templates"):
        if (folder / INDEX).is_file():
            return folder
    raise BadInput(f"no {INDEX} in {path} or {path / 'templates'}: give the templates folder of "
                   f"comfyui-workflow-templates-json (or a copy of it)")


class Package:
    """What every template file needs from the others: the index, the manifest, who uses which file."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.index = _read_index(folder / INDEX)
        self.sha256 = _manifest(folder)
        self.families = sorted({f for m in self.index.values() for f in m.get("models", []) if f and f != "None"})
        self.users: dict[str, list[str]] = {}  # model file name -> ids of the templates that use it
        seen: dict[str, list[str]] = {}  # model file name -> how templates describe it (url, folder)
        for path in self.files():
            try:
                for f in model_files(json.loads(path.read_bytes())):
                    self.users.setdefault(f["name"], []).append(path.stem)
                    seen.setdefault(f["name"], []).append(json.dumps(f, sort_keys=True))
            except (ValueError, UnicodeDecodeError):
                continue  # that file's own transaction reports it
        # templates may point one file at different mirrors: the record takes the most common description
        self.file_info = {n: json.loads(max(sorted(set(v)), key=v.count)) for n, v in seen.items()}

    def files(self) -> list[Path]:
        """The templates the index names (the folder also holds other JSON, such as search options)."""
        return sorted(p for p in self.folder.glob("*.json") if p.stem in self.index)

    def meta(self, template_id: str) -> dict:
        return self.index.get(template_id, {})


def _read_index(path: Path) -> dict[str, dict]:
    try:
        categories = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise IngestError(path, None, f"the template index is not valid JSON ({exc})") from None
    out = {}
    for cat in categories if isinstance(categories, list) else []:
        for t in cat.get("templates", []) if isinstance(cat, dict) else []:
            if isinstance(t, dict) and t.get("name"):
                out[t["name"]] = {**t, "category": cat.get("title", ""), "type": cat.get("type", "")}
    return out


def _manifest(folder: Path) -> dict[str, str]:
    """file name -> sha256 from a manifest beside the files, or, for the installed package's own files, the
    manifest of the installed comfyui-workflow-templates-core."""
    own = installed(PACKAGE)
    core = installed(CORE) if own and folder.resolve() == (own / "templates").resolve() else None
    for candidate in (folder / "manifest.json", folder.parent / "manifest.json", (core or Path("/-")) / "manifest.json"):
        if candidate.is_file():
            data = json.loads(candidate.read_bytes())
            return {a["filename"]: a["sha256"] for t in data.get("templates", []) for a in t.get("assets", [])
                    if a.get("filename", "").endswith(".json")}
    return {}


@lru_cache(maxsize=4)
def package(folder: Path) -> Package:
    return Package(folder)


class TemplatesAdapter:
    name = "comfyui-templates"
    description = "ComfyUI's workflow templates (PyPI comfyui-workflow-templates-json, or a copy of its templates folder)"
    suffixes = (".json",)

    def default_path(self) -> Path:
        found = installed(PACKAGE)
        if found is None:
            raise BadInput("the templates come from the PyPI package comfyui-workflow-templates-json: run "
                           "scripts/setup (or pip install comfyui-workflow-templates-json), or give a PATH")
        return found / "templates"

    def files(self, path: Path) -> list[Path]:
        if path.is_file():
            return [path]
        return package(templates_dir(path)).files()

    def read(self, path: Path, progress: bool) -> Records:
        pkg = package(templates_dir(path.parent))
        raw = path.read_bytes()
        expected = pkg.sha256.get(path.name)
        if expected and hashlib.sha256(raw).hexdigest() != expected:
            raise IngestError(path, None, f"template {path.stem}: the file differs from the manifest's sha256")
        try:
            graph = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise IngestError(path, None, f"template {path.stem}: not valid JSON ({exc})") from None
        if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
            raise IngestError(path, None, f"template {path.stem}: not a ComfyUI workflow (no 'nodes' list)")
        template = template_record(path.stem, graph, pkg)
        models = file_models(template, pkg) if not template.api else api_models(template, pkg)
        template.models = [m.name for m in models if m.role in ("model", "api")] + \
            [m.name for m in models if m.role not in ("model", "api")]
        unknown = unknown_node_types(template.node_types)
        notes = [f"template {template.id} uses node types that ComfyUI 0.3.64's core does not have: "
                 f"{', '.join(unknown)}"] if unknown else []
        return Records(templates=[template], models=models, notes=notes)


def io_of(meta: dict) -> tuple[list[str], list[str]]:
    """(input media, output media) of a template, from the index's io block."""
    io = meta.get("io") or {}
    inputs = sorted({MEDIA.get(i.get("nodeType"), i.get("mediaType")) for i in io.get("inputs", [])} - {None})
    outputs = sorted({o.get("mediaType") for o in io.get("outputs", []) if o.get("mediaType")})
    return inputs or ["text"], outputs or [meta.get("type") or "image"]


def model_io(users: list[dict], task_id: str) -> tuple[list[str], list[str]]:
    """(inputs, outputs) of one model. A template's io block says what the whole graph loads and saves: a
    template that feeds an image editor's picture to a video or 3D model outputs video or 3D, not the
    editor. So the templates filed under the model's own task count (all of them when none is); among
    their outputs, the task's own kind is the model's (a video ControlNet filed under an image task keeps
    its video); and a model whose task takes a prompt takes text (io blocks list only loaded media).
    Family knowledge (data/families.toml) corrects a model that differs, at store load."""
    task = builtin_task(task_id)
    own = [u for u in users if task_id in tasks_of(u.get("tags", []), u.get("type", ""), builtin_tasks())]
    ios = [io_of(u) for u in own or users]
    takes_text = not task or "text" in task.input_modalities
    # a text-to-image template's io lists no media, which io_of reads as text: the upscaler in it takes none
    inputs = {m for i, _ in ios for m in i if m != "text" or takes_text} or set(task.input_modalities if task else [])
    if takes_text:
        inputs.add("text")
    made = {m for _, o in ios for m in o}
    kind = set(task.output_modalities if task else [])
    outputs = kind if kind and (kind <= made or not made) else made or {"image"}
    return sorted(inputs), sorted(outputs)


def template_record(template_id: str, graph: dict, pkg: Package) -> Template:
    meta = pkg.meta(template_id)
    tasks = tasks_of(meta.get("tags", []), meta.get("type", ""), builtin_tasks())
    inputs, outputs = io_of(meta)
    return Template(
        id=template_id, title=meta.get("title") or template_id.replace("_", " "),
        description=clean_description(meta.get("description"), 600), tasks=tasks,
        input_modalities=inputs, output_modalities=outputs,
        families=[f for f in meta.get("models", []) if f and f != "None"], files=model_files(graph),
        node_types=node_types(graph), api=template_id.startswith("api_") or meta.get("openSource") is False,
        tags=meta.get("tags", []), tutorial_url=meta.get("tutorialUrl"), usage=int(meta.get("usage") or 0),
        graph=graph, source="comfyui-templates")


def _users(name: str, pkg: Package) -> list[dict]:
    return [pkg.meta(t) | {"id": t} for t in sorted(set(pkg.users.get(name, [])))]


def file_models(template: Template, pkg: Package) -> list[Model]:
    """A record per model file the template names, with what all templates that use the file say of it."""
    out = []
    for f in template.files:
        f = pkg.file_info.get(f["name"], f)
        users = _users(f["name"], pkg) or [{"id": template.id}]
        tasks = [t for u in users for t in tasks_of(u.get("tags", []), u.get("type", ""), builtin_tasks())]
        own = FOLDER_TASKS.get(f.get("directory", "").strip("/"))  # a specialist's folder says its one job
        task = own or commonest(tasks) or template.tasks[0]
        published = sorted({fam for u in users for fam in u.get("models", []) if fam and fam != "None"})
        stem = f["name"].rsplit(".", 1)[0].rsplit("/", 1)[-1]
        family = family_of([stem], published)
        role = role_of(f.get("directory", ""))
        inputs, outputs = model_io(users, task)
        out.append(Model(
            name=f"{_prefix(task)}-{slug(stem)}", display_name=readable(stem, family), task=task,
            category=f"{ROLES.get(role, role)} ({f.get('directory')})" + (f" of {family}" if family else ""),
            input_modalities=inputs, output_modalities=outputs,
            summary=_summary(role, family, users), weights_url=f.get("url"), hf_url=_hf_repo(f.get("url")),
            weights_source=f"ComfyUI templates: {f['name']} into models/{f.get('directory')}",
            family=family, aliases=_aliases(stem, published, pkg.families),
            # a depth estimator in a text-to-image template is one of its stages; it does not generate images
            role=role, capabilities=[] if own else sorted(set(tasks) - {task}), files=[f],
            templates=[u["id"] for u in users],
            popularity=float(sum(int(u.get("usage") or 0) for u in users)),
            tags=sorted({t for u in users for t in u.get("tags", [])}), source="comfyui-templates"))
    return out


def api_models(template: Template, pkg: Package) -> list[Model]:
    """A partner-API template names a model family rather than files: one record per family."""
    out = []
    for family in template.families:
        users = [pkg.meta(t) | {"id": t} for t, m in pkg.index.items()
                 if family in m.get("models", []) and (t.startswith("api_") or m.get("openSource") is False)]
        best = max(users, key=lambda u: int(u.get("usage") or 0)) if users else {"description": template.description}
        tasks = [t for u in users for t in tasks_of(u.get("tags", []), u.get("type", ""), builtin_tasks())]
        task = commonest(tasks) or template.tasks[0]
        inputs, outputs = model_io(users, task)
        out.append(Model(
            name=f"{_prefix(task)}-{slug(family)}-API", display_name=family, task=task,
            category="partner API model: runs on the provider's servers through ComfyUI's API nodes, not locally",
            input_modalities=inputs, output_modalities=outputs,
            summary=clean_description(best.get("description"), 400), family=family, aliases=aliases_for([], [family]),
            role="api", capabilities=sorted(set(tasks) - {task}), templates=sorted(u["id"] for u in users),
            popularity=float(sum(int(u.get("usage") or 0) for u in users)),
            tags=sorted({t for u in users for t in u.get("tags", [])}), source="comfyui-templates"))
    return out


def _aliases(stem: str, published: list[str], every_family: list[str]) -> list[str]:
    """The family names that fit the file, and what each adds to a family it builds on ('InfiniteTalk')."""
    fits = matching([stem], published)
    return aliases_for([stem], fits + [sub for f in fits for sub in sub_names(f, every_family)])


def commonest(items: list[str]) -> str | None:
    """The most frequent item; a tie goes to the one seen first (the same answer in every run)."""
    return max(dict.fromkeys(items), key=items.count) if items else None


def _summary(role: str, family: str, users: list[dict]) -> str:
    """What the catalog can say of a file from the templates: what it is, and which templates use it (a
    template's own description is about the whole workflow, never about one of its files)."""
    titles = ", ".join(u.get("title") or u["id"] for u in users[:3])
    what = ROLES.get(role, role)
    return f"The {what}{f' of {family}' if family else ''} that ComfyUI's templates load; used by: {titles}."


def _prefix(task_id: str) -> str:
    from muselab.catalog.taxonomy import PREFIX_TASKS

    task = builtin_task(task_id)
    if task and task.prefix:
        return task.prefix
    return next((p.capitalize() for p, t in PREFIX_TASKS.items() if t == task_id), "Model")


def _hf_repo(url: str | None) -> str | None:
    """https://huggingface.co/OWNER/REPO/resolve/... -> the repository's page."""
    if not url or "huggingface.co/" not in url:
        return None
    parts = url.split("huggingface.co/", 1)[1].split("/")
    return f"https://huggingface.co/{parts[0]}/{parts[1]}" if len(parts) >= 2 else None


ingest = TemplatesAdapter()
