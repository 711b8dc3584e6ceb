"""ComfyUI UI workflows -> API prompts (muselab.workflow.ui) and API prompts checked against schemas.

The real test data is ComfyUI's own template package (comfyui_workflow_templates_json):
every local template (not api_*, not the indexes) goes through the converter. Templates
are made for a much newer ComfyUI than the schema file's 0.3.64, so many use node classes
it lacks; those are read from ComfyUI's node documentation (comfyui-embedded-docs), which
is checked against each node's own values, and a node the documentation does not fit fails
with a widget_mismatch that says why. The summaries are printed (pytest -s).
"""

from __future__ import annotations

import collections
import copy
import gzip
import json

import pytest

from muselab.workflow.comfy_validate import types_match, validate_api
from muselab.workflow.docs_schemas import DYNAMIC, GROW, Docs, doc_entry, docs_dir, parse_doc
from muselab.workflow.schemas import NodeSchemas, parse_inputs, template_dir, template_files
from muselab.workflow.ui import process_dynamic_prompt, ui_to_api
from muselab.workflow.widgets import widget_values

TEMPLATES = template_dir()
DOCS = docs_dir()
needs_templates = pytest.mark.skipif(TEMPLATES is None or DOCS is None,
                                     reason="comfyui_workflow_templates_json or comfyui_embedded_docs is not installed")
needs_docs = pytest.mark.skipif(DOCS is None, reason="comfyui_embedded_docs is not installed")

# What a newer ComfyUI's /object_info says of two classes 0.3.64 lacks (comfy_extras nodes_math and
# nodes_images, V3 schema): a growable group of values a, b, c ... and a DynamicCombo whose options
# bring inputs of their own, sent as "resize_type.width".
NEWER_OBJECT_INFO = {
    "ComfyMathExpression": {
        "input": {"required": {"expression": ["STRING", {"multiline": True, "default": "a + b"}],
                               "values": ["COMFY_AUTOGROW_V3", {"template": {
                                   "input": {"required": {"value": ["FLOAT,INT,BOOLEAN", {}]}},
                                   "names": list("abcdefghijklmnopqrstuvwxyz"), "min": 1}}]}},
        "input_order": {"required": ["expression", "values"]}, "output": ["FLOAT", "INT", "BOOLEAN"],
        "output_name": ["FLOAT", "INT", "BOOL"], "name": "ComfyMathExpression", "display_name": "Math Expression (newer)",
        "output_node": False},
    "ResizeImageMaskNode": {
        "input": {"required": {
            "input": ["IMAGE,MASK", {}],
            "resize_type": ["COMFY_DYNAMICCOMBO_V3", {"options": [
                {"key": "scale dimensions", "inputs": {"required": {
                    "width": ["INT", {"default": 512, "min": 0, "max": 8192}],
                    "height": ["INT", {"default": 512, "min": 0, "max": 8192}],
                    "crop": [["disabled", "center"], {"default": "center"}]}}},
                {"key": "scale longer dimension", "inputs": {"required": {
                    "longer_size": ["INT", {"default": 512, "min": 0, "max": 8192}]}}},
                {"key": "scale total pixels", "inputs": {"required": {
                    "megapixels": ["FLOAT", {"default": 1.0, "min": 0.01, "max": 16.0}]}}}]}],
            "scale_method": [["nearest-exact", "bilinear", "area", "bicubic", "lanczos"], {"default": "area"}]}},
        "input_order": {"required": ["input", "resize_type", "scale_method"]}, "output": ["IMAGE,MASK"],
        "output_name": ["resized"], "name": "ResizeImageMaskNode", "display_name": "Resize Image/Mask",
        "output_node": False},
}


@pytest.fixture(scope="module")
def schemas() -> NodeSchemas:
    return NodeSchemas.load()


def load_template(name: str) -> dict:
    return json.loads((TEMPLATES / name).read_text(encoding="utf-8"))


def local_templates() -> list:
    out = []
    for path in template_files(TEMPLATES, local_only=True):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):  # not fuse_options.json
            out.append((path.name, data))
    return out


def newer_than_schema(error) -> bool:
    """A widget_mismatch of a class the schema file lacks: its docs (or template usage) do not fit the node."""
    return error.kind == "widget_mismatch" and "is not in the schema file" in error.message


def template_nodes(ui: dict, cls: str) -> list[dict]:
    graphs = [ui, *((ui.get("definitions") or {}).get("subgraphs") or [])]
    return [n for g in graphs for n in g.get("nodes") or [] if n.get("type") == cls]


# --- every local template ------------------------------------------------------------------------

# measured: 281 of 309 convert. The 28 others fail on a class the schema file lacks whose docs
# (or, undocumented, whose template usage) do not fit the saved values -- see the printed list --
# plus one template whose subgraph output uses a link the subgraph does not have.
CONVERTED_FLOOR = 280


@needs_templates
def test_every_local_template_converts_or_says_why(schemas):
    templates = local_templates()
    converted, failed = {}, {}
    for name, ui in templates:
        output, errors = ui_to_api(ui, schemas)
        assert (output == {}) == bool(errors), name  # nothing half-converted
        (failed if errors else converted)[name] = errors or output
    causes, unexplained = collections.Counter(), {}
    for name, errors in failed.items():
        causes.update({e.message.split(" is not in the schema file")[0] for e in errors if newer_than_schema(e)})
        for error in errors:
            if not newer_than_schema(error):
                unexplained.setdefault(name, []).append(error.line())
    print(f"\n{len(converted)} of {len(templates)} local templates convert without errors "
          f"({100 * len(converted) / len(templates):.0f}%); {len(failed)} cannot:")
    print("  classes the schema file lacks whose docs / usage do not fit the node (templates affected):")
    print("  " + ", ".join(f"{cls} {n}" for cls, n in causes.most_common()))
    for name, lines in unexplained.items():
        print(f"  {name}: " + "; ".join(lines))
    assert len(converted) >= CONVERTED_FLOOR
    # the one failure not due to a newer class: a subgraph output uses a link the subgraph does not have
    assert set(unexplained) <= {"video_ltx2_i2v_lora.json"}, unexplained
    for lines in unexplained.values():
        assert all(": bad_link: " in line for line in lines)
    # a class of the schema file always fits: only docs / usage classes fail
    for errors in failed.values():
        for error in errors:
            cls = error.message.split(" ")[0].rstrip(":")
            assert error.kind != "widget_mismatch" or schemas.source(cls) in ("docs", "usage"), error.line()


@needs_templates
def test_templates_that_use_only_known_widgets_all_convert(schemas):
    """The floor that matters: a template fails only for classes newer than the schema file."""
    known, ok = 0, 0
    for name, ui in local_templates():
        _, errors = ui_to_api(ui, schemas)
        if any(newer_than_schema(e) for e in errors):
            continue
        known += 1
        ok += not errors
    assert known >= 270 and ok / known >= 0.99, (ok, known)


@needs_templates
def test_docs_make_the_difference(schemas):
    """Without the docs (the schema file and template usage alone) far fewer templates convert."""
    bare = NodeSchemas(schemas.object_info, schemas.usage)
    plain_order = NodeSchemas(schemas.object_info, schemas.usage, Docs(DOCS), reorder_docs=False)
    counts = {}
    for label, s in (("schema + usage", bare), ("+ docs, page order only", plain_order), ("+ docs", schemas)):
        counts[label] = sum(not ui_to_api(ui, s)[1] for _, ui in local_templates())
    print("\n" + "; ".join(f"{label}: {n}" for label, n in counts.items()))
    assert counts["schema + usage"] <= 110 < counts["+ docs, page order only"] < counts["+ docs"]


# Only a schema's choices, ranges and socket types count against a converted graph. What remains
# is the templates being newer than ComfyUI 0.3.64 (new choices, inputs, outputs, a changed type or
# minimum), two templates that leave a required image unconnected, and types read from the docs.
SCHEMA_DRIFT = {("type_mismatch", "PreviewAny"), ("out_of_range", "ImageFromBatch"), ("type_mismatch", "SaveGLB"),
                ("bad_link", "SaveGLB"), ("missing_input", "ImageScaleToTotalPixels"),
                ("missing_input", "ImageFromBatch")}


@needs_templates
def test_converted_templates_validate_except_for_what_0_3_64_lacks(schemas):
    """Converted graphs pass validate_api, but for version drift and what rests on the docs."""
    clean, drift, documented = 0, [], collections.Counter()
    for name, ui in local_templates():
        output, errors = ui_to_api(ui, schemas)
        if errors:
            continue
        problems = validate_api(output, schemas)
        clean += not problems
        for p in problems:
            cls = output[p.node]["class_type"]
            assert p.kind not in ("unknown_class", "bad_format", "cycle", "no_output"), f"{name}: {p.line()}"
            if schemas.source(cls) == "docs" or "documentation" in p.message:
                documented[cls] += 1
                continue
            newer = (p.kind == "out_of_range" and "is not one of its choices" in p.message) \
                or p.kind == "unknown_input" or (p.kind == "bad_link" and "which has 0 output(s)" in p.message) \
                or (p.kind, cls) in SCHEMA_DRIFT
            assert newer, f"{name}: {p.line()}"
            drift.append(f"{name}: {p.line()}")
    print(f"\n{clean} converted templates validate clean; version drift left ({len(drift)}):\n  "
          + "\n  ".join(drift[:12]) + f"\nproblems of documented classes: {dict(documented.most_common(8))}")
    assert clean >= 125


# --- hand-checked templates ----------------------------------------------------------------------

@needs_templates
def test_sdxl_checkpoint_template(schemas):
    output, errors = ui_to_api(load_template("image_sdxl_simple.json"), schemas)
    assert errors == []
    assert output["12"] == {
        "inputs": {"seed": 812045847300606, "steps": 25, "cfg": 7, "sampler_name": "dpmpp_2m", "scheduler": "karras",
                   "denoise": 1, "model": ["15", 0], "positive": ["10", 0], "negative": ["11", 0],
                   "latent_image": ["13", 0]},
        "class_type": "KSampler", "_meta": {"title": "KSampler"}}
    assert output["15"]["inputs"] == {"ckpt_name": "sd_xl_base_1.0.safetensors"}
    assert output["14"]["_meta"]["title"] == "VAE Decode"  # no title saved: the schema's display name
    assert output["7"]["inputs"] == {"filename_prefix": "sdxl_simple", "images": ["14", 0]}
    assert "16" not in output  # the MarkdownNote
    assert list(output) == ["13", "15", "10", "11", "12", "14", "7"]  # the saved execution order
    assert validate_api(output, schemas) == []


@needs_templates
def test_wan22_i2v_subgraph(schemas):
    ui = load_template("video_wan2_2_14B_i2v.json")
    output, errors = ui_to_api(ui, schemas)
    assert errors == []
    assert schemas.source("ComfyMathExpression") == "docs"  # newer than 0.3.64: its page says "expression"
    by_class = collections.Counter(n["class_type"] for n in output.values())
    assert by_class["UNETLoader"] == 2 and by_class["LoraLoaderModelOnly"] == 2
    assert by_class["KSamplerAdvanced"] == 2 and by_class["CLIPTextEncode"] == 2
    assert not {"MarkdownNote", "Note", "Reroute"} & set(by_class)
    high = output["129:86"]["inputs"]
    assert high == {"add_noise": "enable", "noise_seed": 264244520398999, "steps": ["129:119", 0],
                    "cfg": ["129:120", 0], "sampler_name": "euler", "scheduler": "simple", "start_at_step": 0,
                    "end_at_step": ["129:125", 0], "return_with_leftover_noise": "enable",
                    "model": ["129:104", 0], "positive": ["129:98", 0], "negative": ["129:98", 1],
                    "latent_image": ["129:98", 2]}
    assert output["129:85"]["inputs"]["latent_image"] == ["129:86", 0]
    # the prompt is the subgraph instance's widget, not the inner node's own value
    assert output["129:93"]["inputs"]["text"].startswith("The white dragon warrior stands still")
    assert output["129:93"]["inputs"]["clip"] == ["129:84", 0]
    assert output["97"] == {"inputs": {"image": "video_wan2_2_14B_i2v_input_image.jpg"},
                            "class_type": "LoadImage", "_meta": {"title": "Load Image"}}
    assert output["129:98"]["inputs"]["start_image"] == ["97", 0]  # a link into the subgraph
    assert output["129:98"]["inputs"]["width"] == 640
    assert output["129:95"]["inputs"]["unet_name"] == "wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors"
    assert output["129:131"]["inputs"] == {"value": False}  # enable_turbo_mode
    assert output["129:163"]["inputs"] == {"expression": "floor (a * b + 1)", "values.a": ["129:161", 0],
                                           "values.b": ["129:162", 0]}
    assert output["108"]["inputs"]["video"] == ["129:94", 0]  # out of the subgraph again


# --- synthetic graphs: the frontend's rules one by one -----------------------------------------

def ui_node(nid, type_, widgets=None, inputs=(), outputs=(), mode=0, **extra):
    node = {"id": nid, "type": type_, "mode": mode, "order": nid,
            "inputs": [dict(zip(("name", "type", "link"), i[:3]), **({"widget": {"name": i[0]}} if len(i) > 3 else {}))
                       for i in inputs],
            "outputs": [{"name": o, "type": o, "links": []} for o in outputs], **extra}
    if widgets is not None:
        node["widgets_values"] = widgets
    return node


def sd_ui() -> dict:
    """Checkpoint -> two prompts -> KSampler -> VAEDecode -> SaveImage, in list-form links."""
    nodes = [
        ui_node(1, "CheckpointLoaderSimple", ["v1-5.safetensors"], outputs=("MODEL", "CLIP", "VAE")),
        ui_node(2, "CLIPTextEncode", ["a {red|blue} fox // a comment"], [("clip", "CLIP", 2)], ("CONDITIONING",)),
        ui_node(3, "CLIPTextEncode", ["blurry"], [("clip", "CLIP", 3)], ("CONDITIONING",)),
        ui_node(4, "EmptyLatentImage", [512, 512, 1], outputs=("LATENT",)),
        ui_node(5, "KSampler", [42, "randomize", 20, 7.5, "euler", "normal", 1.0],
                [("model", "MODEL", 1), ("positive", "CONDITIONING", 4), ("negative", "CONDITIONING", 5),
                 ("latent_image", "LATENT", 6)], ("LATENT",)),
        ui_node(6, "VAEDecode", None, [("samples", "LATENT", 7), ("vae", "VAE", 8)], ("IMAGE",)),
        ui_node(7, "SaveImage", ["out"], [("images", "IMAGE", 9)]),
        ui_node(8, "Note", ["just a note"]),
    ]
    links = [[1, 1, 0, 5, 0, "MODEL"], [2, 1, 1, 2, 0, "CLIP"], [3, 1, 1, 3, 0, "CLIP"],
             [4, 2, 0, 5, 1, "CONDITIONING"], [5, 3, 0, 5, 2, "CONDITIONING"], [6, 4, 0, 5, 3, "LATENT"],
             [7, 5, 0, 6, 0, "LATENT"], [8, 1, 2, 6, 1, "VAE"], [9, 6, 0, 7, 0, "IMAGE"]]
    return {"nodes": nodes, "links": links}


def test_plain_graph(schemas):
    output, errors = ui_to_api(sd_ui(), schemas)
    assert errors == []
    assert output["5"]["inputs"] == {"seed": 42, "steps": 20, "cfg": 7.5, "sampler_name": "euler",
                                     "scheduler": "normal", "denoise": 1.0, "model": ["1", 0],
                                     "positive": ["2", 0], "negative": ["3", 0], "latent_image": ["4", 0]}
    assert output["2"]["inputs"]["text"] == "a red fox "  # dynamic prompt: comment gone, first choice
    assert set(output) == {"1", "2", "3", "4", "5", "6", "7"}  # the Note is not sent
    assert validate_api(output, schemas) == []


def test_bypassed_node_passes_its_input_through(schemas):
    ui = sd_ui()
    ui["nodes"].append(ui_node(9, "LoraLoaderModelOnly", ["lora.safetensors", 1.0], [("model", "MODEL", 10)],
                               ("MODEL",), mode=4))
    ui["links"] = [link for link in ui["links"] if link[0] != 1]
    ui["links"] += [[10, 1, 0, 9, 0, "MODEL"], [1, 9, 0, 5, 0, "MODEL"]]
    output, errors = ui_to_api(ui, schemas)
    assert errors == [] and "9" not in output
    assert output["5"]["inputs"]["model"] == ["1", 0]


def test_muted_node_and_what_only_it_feeds_are_dropped(schemas):
    ui = sd_ui()
    ui["nodes"][5]["mode"] = 2  # VAEDecode
    output, errors = ui_to_api(ui, schemas)
    assert errors == []
    assert "6" not in output and "7" not in output  # SaveImage lost its required images
    assert "5" in output


def test_reroute_and_primitive_node(schemas):
    ui = sd_ui()
    ui["nodes"].append(ui_node(10, "Reroute", None, [("", "*", 11)], ("MODEL",)))
    ui["nodes"].append(ui_node(11, "PrimitiveNode", [33, "fixed"], outputs=("INT",)))
    ui["nodes"][4]["inputs"].append({"name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": 12})
    ui["links"] = [link for link in ui["links"] if link[0] != 1]
    ui["links"] += [[11, 1, 0, 10, 0, "MODEL"], [1, 10, 0, 5, 0, "MODEL"], [12, 11, 0, 5, 4, "INT"]]
    output, errors = ui_to_api(ui, schemas)
    assert errors == [] and "10" not in output and "11" not in output
    assert output["5"]["inputs"]["model"] == ["1", 0]
    assert output["5"]["inputs"]["steps"] == 33
    assert list(output["5"]["inputs"])[:3] == ["seed", "steps", "cfg"]  # a linked widget keeps its place


def test_load_image_upload_and_list_values(schemas):
    ui = {"nodes": [ui_node(1, "LoadImage", ["photo.png", "image"], outputs=("IMAGE", "MASK")),
                    ui_node(2, "PreviewImage", None, [("images", "IMAGE", 1)])],
          "links": [[1, 1, 0, 2, 0, "IMAGE"]]}
    output, errors = ui_to_api(ui, schemas)
    assert errors == [] and output["1"]["inputs"] == {"image": "photo.png"}


def nested_subgraph_ui() -> dict:
    """Instance 10 of A holds instance 20 of B holds EmptyLatentImage 30; A's width is a widget of 10."""
    inner_b = {"id": "B", "name": "B", "inputs": [{"name": "width", "type": "INT", "linkIds": [3]}],
               "outputs": [{"name": "LATENT", "type": "LATENT", "linkIds": [4]}],
               "nodes": [ui_node(30, "EmptyLatentImage", [512, 512, 1], [("width", "INT", 3, "widget")], ("LATENT",))],
               "links": [{"id": 3, "origin_id": -10, "origin_slot": 0, "target_id": 30, "target_slot": 0, "type": "INT"},
                         {"id": 4, "origin_id": 30, "origin_slot": 0, "target_id": -20, "target_slot": 0,
                          "type": "LATENT"}]}
    outer_a = {"id": "A", "name": "A", "inputs": [{"name": "width", "type": "INT", "linkIds": [1]}],
               "outputs": [{"name": "LATENT", "type": "LATENT", "linkIds": [2]}],
               "nodes": [ui_node(20, "B", [], [("width", "INT", 1, "widget")], ("LATENT",))],
               "links": [{"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 20, "target_slot": 0, "type": "INT"},
                         {"id": 2, "origin_id": 20, "origin_slot": 0, "target_id": -20, "target_slot": 0,
                          "type": "LATENT"}]}
    nodes = [ui_node(10, "A", [768], [("width", "INT", None, "widget")], ("LATENT",)),
             ui_node(11, "SaveLatent", ["latents/x"], [("samples", "LATENT", 5)])]
    return {"nodes": nodes, "links": [[5, 10, 0, 11, 0, "LATENT"]], "definitions": {"subgraphs": [outer_a, inner_b]}}


def test_nested_subgraphs_get_path_ids_and_the_instance_widget(schemas):
    output, errors = ui_to_api(nested_subgraph_ui(), schemas)
    assert errors == []
    assert output == {
        "10:20:30": {"inputs": {"width": 768, "height": 512, "batch_size": 1}, "class_type": "EmptyLatentImage",
                     "_meta": {"title": "Empty Latent Image"}},
        "11": {"inputs": {"filename_prefix": "latents/x", "samples": ["10:20:30", 0]}, "class_type": "SaveLatent",
               "_meta": {"title": "SaveLatent"}}}
    ui = nested_subgraph_ui()
    ui["nodes"][0]["widgets_values"] = []  # no instance value: the inner widget's own
    assert ui_to_api(ui, schemas)[0]["10:20:30"]["inputs"]["width"] == 512
    ui["nodes"][0]["mode"] = 4  # a bypassed instance is not expanded
    output, errors = ui_to_api(ui, schemas)
    assert errors == [] and output == {}  # SaveLatent had nothing to save, so it went too


# --- bad input, reported per node ---------------------------------------------------------------

def test_cycle_is_reported_per_node(schemas):
    ui = {"nodes": [ui_node(1, "VAEDecode", None, [("samples", "LATENT", 1), ("vae", "VAE", None)], ("IMAGE",)),
                    ui_node(2, "VAEEncode", None, [("pixels", "IMAGE", 2), ("vae", "VAE", None)], ("LATENT",))],
          "links": [[1, 2, 0, 1, 0, "LATENT"], [2, 1, 0, 2, 0, "IMAGE"]]}
    output, errors = ui_to_api(ui, schemas)
    assert output == {} and {(e.node, e.kind) for e in errors} == {("1", "cycle"), ("2", "cycle")}


def test_unknown_class_is_reported(schemas):
    ui = sd_ui()
    ui["nodes"].append(ui_node(9, "NoSuchNodeAnywhere", [1]))
    output, errors = ui_to_api(ui, schemas)
    assert output == {} and [(e.node, e.kind) for e in errors] == [("9", "unknown_class")]


def test_dangling_link_is_reported(schemas):
    ui = sd_ui()
    ui["links"] = [link for link in ui["links"] if link[0] != 9]  # SaveImage's images link is gone
    output, errors = ui_to_api(ui, schemas)
    assert output == {} and [(e.node, e.kind) for e in errors] == [("7", "bad_link")]
    assert "link 9" in errors[0].message


def test_widget_list_of_the_wrong_length_or_kind(schemas):
    ui = sd_ui()
    ui["nodes"][4]["widgets_values"] = [42, "randomize", 20]  # KSampler
    ui["nodes"][3]["widgets_values"] = ["big", 512, 1]  # EmptyLatentImage
    output, errors = ui_to_api(ui, schemas)
    assert output == {} and sorted((e.node, e.kind) for e in errors) == [("4", "widget_mismatch"),
                                                                          ("5", "widget_mismatch")]
    ui = sd_ui()
    ui["nodes"][4]["widgets_values"] = [42, 20, 7.5, "euler", "normal", 1.0]  # the control value is missing
    assert [e.kind for e in ui_to_api(ui, schemas)[1]] == ["widget_mismatch"]


def test_not_a_workflow():
    assert ui_to_api([], None)[1][0].kind == "bad_format"
    assert ui_to_api({"nodes": [{"type": "KSampler"}]}, None)[1][0].kind == "bad_format"


# --- validate_api ---------------------------------------------------------------------------------

def test_validate_api_checks(schemas):
    good, _ = ui_to_api(sd_ui(), schemas)
    bad = copy.deepcopy(good)
    bad["5"]["inputs"]["sampler_name"] = "no-such-sampler"
    bad["5"]["inputs"]["steps"] = 0
    bad["5"]["inputs"]["model"] = ["1", 1]  # a CLIP into a MODEL input
    del bad["6"]["inputs"]["vae"]
    bad["4"]["class_type"] = "NoSuchNode"
    kinds = {(e.node, e.kind) for e in validate_api(bad, schemas)}
    assert kinds == {("5", "out_of_range"), ("5", "type_mismatch"), ("6", "missing_input"), ("4", "unknown_class")}
    assert len([e for e in validate_api(bad, schemas) if e.node == "5" and e.kind == "out_of_range"]) == 2
    files = copy.deepcopy(good)
    files["1"]["inputs"]["ckpt_name"] = "anything.safetensors"  # no model files in the schema: any name
    files["9"] = {"class_type": "VAELoader", "inputs": {"vae_name": "ae.safetensors"}}  # choices: pixel_space
    assert validate_api(files, schemas) == []
    assert validate_api({}, schemas)[0].kind == "bad_format"


def test_type_matching():
    assert types_match("INT", "FLOAT,INT") and types_match("*", "MODEL") and types_match("MODEL", "*")
    assert types_match(["a", "b"], "COMBO")
    assert not types_match("FLOAT", "INT") and not types_match("CLIP", "MODEL")


def test_usage_schema_for_classes_nobody_documents(schemas):
    assert schemas.source("KSampler") == "schema" and schemas.source("NoSuchNodeAnywhere") is None
    if TEMPLATES is None:
        return
    assert schemas.source("AILab_QwenVL") == "usage"  # a custom pack: no page in the docs
    assert schemas.inputs("AILab_QwenVL")["seed"].widget
    assert schemas.source("GLSLShader") == "usage"  # documented, but its page has no Inputs table


def test_dynamic_prompt():
    assert process_dynamic_prompt("a {b|c} /* x */ d") == "a b  d"
    assert process_dynamic_prompt(r"keep \{this\} {x|{y|z}}") == r"keep \{this\} x"


# --- the documentation: comfyui-embedded-docs ------------------------------------------------------

def doc_page(cls: str):
    return parse_doc((DOCS / cls / "en.md").read_text(encoding="utf-8"))


@needs_docs
def test_docs_table_with_a_default_column():
    """KSampler's page: Parameter Name | ... | Default | Range/Options, and a control_after_generate row."""
    rows = {r.name: r for r in doc_page("KSampler").inputs}
    assert rows["seed"].type == "INT" and rows["seed"].default == 0 and rows["seed"].control
    assert (rows["seed"].minimum, rows["seed"].maximum) == (0, 18446744073709551615)
    assert rows["cfg"].type == "FLOAT" and rows["cfg"].default == 8.0 and rows["cfg"].maximum == 100.0
    assert rows["sampler_name"].type == "COMBO" and rows["sampler_name"].options == ()  # "Multiple algorithms"
    assert not rows["denoise"].required and "control_after_generate" not in rows
    # ImageStitch: an "Input Type" column says Required / Optional, the Default column holds the value
    rows = {r.name: r for r in doc_page("ImageStitch").inputs}
    assert not rows["image2"].required and rows["direction"].default == "right"
    assert rows["match_image_size"].default is True and rows["spacing_width"].maximum == 1024


@needs_docs
def test_docs_options_separated_by_br_and_conditions():
    """ResizeImageMaskNode: options joined by <br>, inputs shown for some options ("Required when ...")."""
    doc = doc_page("ResizeImageMaskNode")
    rows = {r.name: r for r in doc.inputs}
    assert [r.name for r in doc.inputs][:3] == ["input", "resize_type", "multiplier"]
    assert rows["input"].type == "IMAGE,MASK"  # "IMAGE or MASK"
    assert rows["resize_type"].options[:2] == ("SCALE_BY", "SCALE_DIMENSIONS") and len(rows["resize_type"].options) == 9
    assert rows["scale_method"].options == ("nearest-exact", "bilinear", "area", "bicubic", "lanczos")
    assert rows["width"].when == ("resize_type", ("SCALE_DIMENSIONS", "SCALE_WIDTH"))
    assert rows["crop"].when == ("resize_type", ("SCALE_DIMENSIONS", "MATCH_SIZE"))
    assert rows["scale_method"].when is None and rows["multiplier"].default == 1.0
    assert doc.outputs == [("resized", "IMAGE,MASK")]
    # a template names "resize_type.width": resize_type is a DynamicCombo, its inputs go inside
    entry = doc_entry("ResizeImageMaskNode", doc, dotted={"resize_type"})
    specs = parse_inputs(entry)
    assert list(s for s in specs if not specs[s].nested) == ["input", "resize_type", "scale_method"]
    branch = specs["resize_type"].branch("scale dimensions")  # the saved value; the page says SCALE_DIMENSIONS
    assert [s.name for s in branch] == ["resize_type.width", "resize_type.height", "resize_type.crop"]
    # without that evidence the conditional rows stay plain inputs
    assert not parse_inputs(doc_entry("ResizeImageMaskNode", doc))["resize_type"].choices


@needs_docs
def test_docs_sub_sections_dynamic_combos_and_growable_groups():
    doc = doc_page("SaveImageAdvanced")  # "### PNG Inputs" ... and a nested "AVIF Animated Options"
    specs = parse_inputs(doc_entry("SaveImageAdvanced", doc))
    fmt = specs["format"]
    assert [key for key, _ in fmt.choices] == ["png", "exr", "avif"]
    assert [s.name for s in fmt.branch("png")] == ["format.bit_depth", "format.input_color_space"]
    avif = {s.name: s for s in fmt.branch("avif")}
    assert [s.name for s in avif["format.save_mode"].branch("animated")] == ["format.save_mode.fps",
                                                                              "format.save_mode.loop_count"]
    math = parse_inputs(doc_entry("ComfyMathExpression", doc_page("ComfyMathExpression")))
    assert math["expression"].widget and math["expression"].type == "STRING"
    assert math["values"].grow and math["values"].type == "FLOAT,INT,BOOLEAN" and not math["values"].widget
    gen = doc_page("TextGenerate")  # "### Sampling Parameters (when `sampling_mode` is "on")"
    rows = {r.name: r for r in gen.inputs}
    assert rows["sampling_mode"].type == DYNAMIC and rows["temperature"].when == ("sampling_mode", ("on",))
    assert rows["prompt"].dynamic_prompts and rows["max_length"].default == 512
    grow = doc_page("TextEncodeQwenImage21")
    assert {r.name: r.type for r in grow.inputs}["images"] == GROW


@needs_docs
def test_a_class_in_the_schema_file_and_the_docs_uses_the_schema_file(schemas):
    assert "KSampler" in schemas.docs.classes()
    assert schemas.source("KSampler") == "schema"
    assert schemas.entry("KSampler") is schemas.object_info["KSampler"]
    # the page names its inputs "Model", "Positive", "Latent_Image"; the schema's names are used
    assert list(schemas.inputs("KSampler"))[:2] == ["model", "seed"] and "Model" not in schemas.inputs("KSampler")


@needs_docs
def test_docs_order_matches_the_schema_files_input_order(schemas):
    """Checked on the classes in both: the page lists inputs in the node's own order, nearly always."""
    same, widgets_same, widgets_total, total = 0, 0, 0, 0
    for cls, entry in schemas.object_info.items():
        doc = schemas.docs.doc(cls)
        if doc is None:
            continue
        total += 1
        specs = parse_inputs(entry)
        page = [r.name for r in doc.inputs]
        same += page == list(specs)
        widgets = [n for n, s in specs.items() if s.widget]
        if set(widgets) <= set(page):  # the page names every widget (it may spell others differently)
            widgets_total += 1
            widgets_same += [n for n in page if n in widgets] == widgets
    print(f"\n{total} classes in both: same inputs in the same order {same} ({100 * same / total:.0f}%); "
          f"widget order the same {widgets_same} of {widgets_total} ({100 * widgets_same / widgets_total:.1f}%)")
    assert total >= 400 and same / total >= 0.85 and widgets_same / widgets_total >= 0.99


@needs_templates
def test_documented_widgets_hand_checked(schemas):
    node = template_nodes(load_template("audio_stable_audio_3_medium.json"), "TextGenerate")[0]
    named, problem = widget_values(schemas, "TextGenerate", node["widgets_values"], node["inputs"])
    assert problem is None
    # the page lists sampling_mode first; its value "on" places it after max_length, its options follow
    assert named == {"prompt": "", "max_length": 256, "sampling_mode": "on", "sampling_mode.temperature": 0.7,
                     "sampling_mode.top_k": 64, "sampling_mode.top_p": 0.95, "sampling_mode.min_p": 0.05,
                     "sampling_mode.repetition_penalty": 1.05, "sampling_mode.seed": 0,
                     "sampling_mode.presence_penalty": 0, "thinking": False, "use_default_template": True}
    strict = NodeSchemas(schemas.object_info, schemas.usage, schemas.docs, reorder_docs=False)
    named, problem = widget_values(strict, "TextGenerate", node["widgets_values"], node["inputs"])
    assert named == {} and "does not fit" in problem and "sampling_mode" in problem
    output, errors = ui_to_api(load_template("Image_capybara_v0_1_image_edit.json"), schemas)
    resize = [n["inputs"] for n in output.values() if n["class_type"] == "ResizeImageMaskNode"]
    assert errors == [] and {k: v for k, v in resize[0].items() if not isinstance(v, list)} == {
        "resize_type": "scale dimensions", "resize_type.width": 1024, "resize_type.height": 1024,
        "resize_type.crop": "center", "scale_method": "lanczos"}
    node = template_nodes(load_template("3d_pixal3d_multi_views.json"), "SaveImageAdvanced")[0]
    assert widget_values(schemas, "SaveImageAdvanced", node["widgets_values"], node["inputs"]) == ({
        "filename_prefix": "front_view", "format": "png", "format.bit_depth": "8-bit",
        "format.input_color_space": "sRGB"}, None)


@needs_docs
def test_the_template_wins_over_the_docs(schemas):
    """A node the page does not fit is reported, not mapped: a widget it lacks, a value of the wrong kind."""
    math = ui_node(1, "ComfyMathExpression", ["a * 2"], [("values.a", "FLOAT,INT,BOOLEAN", None)], ("FLOAT",))
    linked = copy.deepcopy(math)
    linked["inputs"].append({"name": "precision", "type": "INT", "widget": {"name": "precision"}, "link": None})
    named, problem = widget_values(schemas, "ComfyMathExpression", ["a * 2"], linked["inputs"])
    assert named == {} and "'precision'" in problem and "documentation does not list" in problem
    named, problem = widget_values(schemas, "ComfyMathExpression", [3], math["inputs"])
    assert named == {} and "does not fit 'expression' (STRING)" in problem
    named, problem = widget_values(schemas, "ComfyMathExpression", ["a", "b"], math["inputs"])
    assert named == {} and "1 value(s) left over" in problem
    assert widget_values(schemas, "ComfyMathExpression", ["a * 2"], math["inputs"]) == ({"expression": "a * 2"}, None)


def test_a_newer_object_info_takes_precedence(schemas, tmp_path):
    ui = {"nodes": [ui_node(1, "LoadImage", ["photo.png", "image"], outputs=("IMAGE", "MASK")),
                    ui_node(2, "ResizeImageMaskNode", ["scale dimensions", 640, 480, "center", "area"],
                            [("input", "IMAGE,MASK", 1)], ("IMAGE,MASK",)),
                    ui_node(3, "SaveImage", ["out"], [("images", "IMAGE", 2)])],
          "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]]}
    path = tmp_path / "object_info.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(NEWER_OBJECT_INFO, fh)
    for newer in (NodeSchemas.load(NEWER_OBJECT_INFO), NodeSchemas.load(path)):
        assert newer.source("ResizeImageMaskNode") == "extra" and newer.source("KSampler") == "schema"
        assert newer.title("ComfyMathExpression") == "Math Expression (newer)"
        output, errors = ui_to_api(ui, newer)
        assert errors == [] and output["2"]["inputs"] == {
            "resize_type": "scale dimensions", "resize_type.width": 640, "resize_type.height": 480,
            "resize_type.crop": "center", "scale_method": "area", "input": ["1", 0]}
        assert validate_api(output, newer) == []
        bad = copy.deepcopy(output)
        bad["2"]["inputs"]["resize_type.width"] = 9000  # a newer schema's ranges count
        assert [(e.node, e.kind) for e in validate_api(bad, newer)] == [("2", "out_of_range")]
        assert newer.spec("ComfyMathExpression", "values.c").type == "FLOAT,INT,BOOLEAN"
    assert schemas.source("ResizeImageMaskNode") != "extra"  # the shared default is left alone


@needs_templates
def test_wan22_with_a_newer_object_info(schemas):
    newer = NodeSchemas.load(NEWER_OBJECT_INFO)
    output, errors = ui_to_api(load_template("video_wan2_2_14B_i2v.json"), newer)
    assert errors == [] and output["129:163"]["_meta"]["title"] == "Math Expression (newer)"
    assert output["129:163"]["inputs"] == ui_to_api(load_template("video_wan2_2_14B_i2v.json"), schemas)[0][
        "129:163"]["inputs"]
