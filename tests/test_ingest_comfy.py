"""Ingesting ComfyUI's own catalogs: the workflow templates and the custom node packs, from their PyPI
packages or from a copy of the same files; each file all or nothing."""

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from muselab.catalog.ingest import ingest_path
from muselab.catalog.ingest.comfyui_nodes import ingest as nodes
from muselab.catalog.ingest.comfyui_templates import ingest as templates
from muselab.catalog.store import Store

WAN = "video_wan2_2_14B_i2v"


def package_templates() -> Path:
    return templates.default_path()


@pytest.fixture
def empty(tmp_path):
    store = Store(tmp_path / "empty.db")
    yield store
    store.close()


def copy_of(tmp_path: Path, names: list[str]) -> Path:
    """A folder holding index.json and some templates: the shape `ingest comfyui-templates PATH` takes."""
    folder = tmp_path / "templates"
    folder.mkdir()
    shutil.copy(package_templates() / "index.json", folder)
    for name in names:
        shutil.copy(package_templates() / f"{name}.json", folder)
    return folder


def test_the_installed_package_is_read_when_no_path_is_given(empty):
    reports = ingest_path(empty, templates, None, progress=False)
    assert len(reports) > 600 and not [r for r in reports if r.error]
    assert empty.count("templates") == len(reports)
    again = ingest_path(empty, templates, None, progress=False)
    assert sum(r.changed for r in again) == 0  # re-ingesting changes nothing


def test_a_template_record_and_its_model_files(empty, tmp_path):
    [report] = ingest_path(empty, templates, copy_of(tmp_path, [WAN]), progress=False)
    assert report.templates == 1 and report.models >= 5
    t = empty.template(WAN)
    assert t.title == "Wan 2.2 14B Image to Video" and t.tasks[0] == "video-generation" and not t.api
    assert t.input_modalities == ["image"] and t.output_modalities == ["video"]
    folders = {f["directory"] for f in t.files}
    assert {"diffusion_models", "vae", "text_encoders", "loras"} <= folders
    assert all(f["url"].startswith("https://huggingface.co/") for f in t.files)
    high = next(m for m in empty.models(t.models) if "high-noise" in m.name)
    assert high.family == "Wan2.2" and high.role == "model" and high.task == "video-generation"
    assert high.files[0]["directory"] == "diffusion_models" and WAN in high.templates
    vae = next(m for m in empty.models(t.models) if m.role == "vae")
    assert "VAE" in vae.summary and t.graph["nodes"]


def test_a_partner_api_template_becomes_a_family_record(empty, tmp_path):
    api = next(p.stem for p in sorted(package_templates().glob("api_*.json")) if p.stem != "api_anthropic_claude")
    [report] = ingest_path(empty, templates, copy_of(tmp_path, [api]), progress=False)
    t = empty.template(api)
    assert t.api and t.files == [] and report.models >= 1
    assert all(m.role == "api" and "not locally" in m.category for m in empty.models(t.models))


def test_a_malformed_template_is_reported_with_its_id_and_the_others_land(empty, tmp_path):
    folder = copy_of(tmp_path, [WAN, "image_z_image_turbo"])
    (folder / "image_z_image_turbo.json").write_text('{"nodes": [', encoding="utf-8")
    reports = ingest_path(empty, templates, folder, progress=False)
    bad = [r for r in reports if r.error]
    assert len(bad) == 1 and "template image_z_image_turbo: not valid JSON" in bad[0].error
    assert empty.template("image_z_image_turbo") is None and empty.template(WAN) is not None


def test_a_template_that_differs_from_the_manifest_is_refused(empty, tmp_path):
    folder = copy_of(tmp_path, [WAN])
    manifest = {"templates": [{"id": WAN, "assets": [{"filename": f"{WAN}.json", "sha256": "0" * 64}]}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    [report] = ingest_path(empty, templates, folder, progress=False)
    assert "differs from the manifest's sha256" in report.error and empty.count("templates") == 0
    good = hashlib.sha256((folder / f"{WAN}.json").read_bytes()).hexdigest()
    manifest["templates"][0]["assets"][0]["sha256"] = good
    (folder / "manifest.json").write_text(json.dumps(manifest))
    from muselab.catalog.ingest.comfyui_templates import package

    package.cache_clear()
    [report] = ingest_path(empty, templates, folder, progress=False)
    assert report.error is None and empty.count("templates") == 1


def test_node_types_newer_than_the_schema_file_are_noted(empty, tmp_path):
    [report] = ingest_path(empty, templates, copy_of(tmp_path, [WAN]), progress=False)
    assert report.notes and f"template {WAN} uses node types that ComfyUI 0.3.64's core does not have" in report.notes[0]
    assert "note:" in report.line()


def test_node_packs_from_comfyui_manager(empty):
    [report] = ingest_path(empty, nodes, None, progress=False)
    assert report.node_packs > 3000 and report.error is None
    kj = empty.node_pack("kjnodes")
    assert kj and kj.url.startswith("https://github.com/") and kj.node_types and kj.stars
    assert "kjnodes" in [p.id for p in empty.packs_for(kj.node_types[0])]
    assert ingest_path(empty, nodes, None, progress=False)[0].changed == 0


def test_a_bad_node_pack_entry_lands_nothing(empty, tmp_path):
    src = Path(importlib.util.find_spec("comfyui_manager").submodule_search_locations[0])
    data = json.loads((src / "custom-node-list.json").read_text())
    data["custom_nodes"][5] = {"author": "x"}
    (tmp_path / "custom-node-list.json").write_text(json.dumps(data, indent=1))
    [report] = ingest_path(empty, nodes, tmp_path, progress=False)
    assert "each node pack needs a title and a reference" in report.error and ":" in report.error
    assert empty.count("node_packs") == 0


def test_ingest_command_without_a_path_reads_the_package(cli):
    result = cli("--no-progress", "ingest", "comfyui-nodes", "--no-embed")
    assert result.exit_code == 0, result.stderr
    assert "node packs" in result.stdout


def test_a_model_makes_its_own_tasks_kind_not_what_a_chained_template_saves():
    from muselab.catalog.ingest.comfyui_templates import model_io

    edit = {"tags": ["Image Edit"], "type": "image", "io": {"inputs": [{"nodeType": "LoadImage"}],
                                                            "outputs": [{"mediaType": "image"}]}}
    chained = {"tags": ["Image Edit"], "type": "image", "io": {"inputs": [{"nodeType": "LoadImage"}],
                                                               "outputs": [{"mediaType": "video"}]}}
    to_video = {"tags": ["Image to Video"], "type": "video", "io": {"inputs": [{"nodeType": "LoadVideo"}],
                                                                    "outputs": [{"mediaType": "video"}]}}
    # an editor whose picture a template hands on to a video model still makes pictures, from a picture
    # and an instruction; the video loaded by a template of another task is not its input
    assert model_io([edit, chained, to_video], "image-editing") == (["image", "text"], ["image"])
    # a model filed under an image task whose every template makes video is a video model
    assert model_io([chained], "controllable-generation")[1] == ["video"]
    # an upscaler used inside a text-to-image template takes no prompt
    t2i = {"tags": ["Text to Image"], "type": "image", "io": {}}
    assert model_io([t2i], "super-resolution") == (["image"], ["image"])
