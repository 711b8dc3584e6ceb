"""`muselab ingest openmodeldb`: a checkout of the Open Model Database.

PATH is the checkout (or its data/ folder, or its models/ folder, or one model
file). Every models/*.json becomes a Model record: upscalers ('SR-' names,
task super-resolution), 1x restoration models ('Restore-'), colorizers and
video frame interpolators, with architecture, scale, tags (anime, photo, ...),
licence, weight URLs and sha256. The whole database lands in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from muselab.catalog.families import aliases_for, family_part
from muselab.catalog.ingest import Records
from muselab.catalog.ingest.jsonfile import line_of, load_json
from muselab.catalog.records import Model
from muselab.errors import IngestError
from muselab.text import clean_description, slug

VIDEO_ARCHS = {"rife", "cain", "cain-yuv"}


def task_of(d: dict) -> tuple[str, str]:
    tags = set(d.get("tags") or [])
    if d.get("architecture") in VIDEO_ARCHS:
        return "frame-interpolation", "Interp"
    if "colorization" in tags:
        return "colorization", "Color"
    if "inpainting" in tags:
        return "inpainting", "Inpaint"
    if int(d.get("scale") or 1) == 1:
        return ("face-restoration", "FaceRestore") if "faces" in tags else ("image-restoration", "Restore")
    return "super-resolution", "SR"


def model_from(d: dict, file_id: str, archs: dict) -> Model:
    for key in ("name", "scale", "architecture"):
        if key not in d:
            raise ValueError(f"missing '{key}'")
    task, prefix = task_of(d)
    scale = int(d["scale"])
    arch = archs.get(d["architecture"], {}).get("name", d["architecture"])
    tags = list(d.get("tags") or [])
    resource = next(iter(d.get("resources") or []), {})
    urls = resource.get("urls") or []
    github = next((u for u in urls if "github.com" in u), None)
    hf = next((u for u in urls if "huggingface.co" in u), None)
    filename = urls[0].rsplit("/", 1)[-1].split("?")[0] if urls else f"{file_id}.pth"
    return Model(
        name=f"{prefix}-{slug(d['name'])}",
        display_name=d["name"],
        task=task,
        category=f"{arch}, {scale}x, " + ", ".join(t for t in tags if t not in ("research",))[:120],
        input_modalities=["video"] if task == "frame-interpolation" else ["image"],
        output_modalities=["video"] if task == "frame-interpolation" else ["image"],
        summary=clean_description(d.get("description"), 700),
        github_url="/".join(github.split("/")[:5]) if github else None,
        hf_url=hf,
        license=d.get("license") or None,
        weights_source=f"Open Model Database entry {file_id} by {d.get('author', 'unknown')}: "
                       f"{resource.get('type', 'pth')} file {filename}",
        weights_url=urls[0] if urls else None,
        sha256=resource.get("sha256"),
        runnable=False,
        runner={"node": "Upscale", "settings": {"method": "spandrel", "scale": scale}, "weights_file": filename}
        if task in ("super-resolution", "image-restoration", "face-restoration") else None,
        tags=tags + [f"{scale}x", f"arch:{d['architecture']}"],
        links={"openmodeldb": f"https://openmodeldb.info/models/{file_id}"},
        family=family_part(d["name"]) or d["name"], aliases=aliases_for([d["name"]]),
        role="model", architecture=str(d["architecture"]).lower(),
        files=[{"name": filename, "url": urls[0] if urls else None, "directory": "upscale_models"}] if filename else [],
        source="openmodeldb",
    )


def _models_dir(path: Path) -> Path:
    for candidate in (path, path / "models", path / "data" / "models"):
        if candidate.is_dir() and any(candidate.glob("*.json")) and candidate.name == "models":
            return candidate
    raise IngestError(path, None, "no models/ folder of Open Model Database JSON files found")


class OpenModelDBAdapter:
    name = "openmodeldb"
    description = "a checkout of the Open Model Database (models/*.json)"
    suffixes = (".json",)
    takes_folder = True

    def read(self, path: Path, progress: bool) -> Records:
        files = [path] if path.is_file() else sorted(_models_dir(path).glob("*.json"))
        arch_file = (files[0].parent.parent / "architectures.json")
        archs = load_json(arch_file)[0] if arch_file.is_file() else {}
        models, seen = [], {}
        for f in files:
            d, text = load_json(f)
            if not isinstance(d, dict):
                raise IngestError(f, 1, "a model file must hold one JSON object")
            try:
                m = model_from(d, f.stem, archs)
            except (ValueError, TypeError) as exc:
                key = str(exc).split("'")[1] if "'" in str(exc) else None
                raise IngestError(f, line_of(text, text.find(f'"{key}"')) if key and f'"{key}"' in text else 1,
                                  f"bad model record: {exc}") from None
            if m.name.lower() in seen:  # two entries with one display name: keep both, told apart by file id
                m = m.model_copy(update={"name": f"{m.name.split('-', 1)[0]}-{slug(f.stem)}"})
            seen[m.name.lower()] = f
            models.append(m)
        return Records(models=models)


ingest = OpenModelDBAdapter()
