"""What the server lets in: the token, the size of a request, the files a run may upload.

With a token set (MUSELAB_TOKEN), every endpoint that runs a workflow or calls
an LLM wants `Authorization: Bearer TOKEN`, compared in constant time. A
request body larger than the limit is refused before it is read in full.
Uploaded inputs are checked by their content (an image format muselab reads,
a pixel count within the limit), never by their name, and a workflow may name
no file the server did not give it.
"""

from __future__ import annotations

import hmac
import json
import tempfile
from pathlib import Path

from muselab.errors import BadInput, MuselabError


class Unauthorized(MuselabError):
    pass


class TooLarge(MuselabError):
    pass


class Unsupported(MuselabError):
    pass


class Guard:
    def __init__(self, token: str | None, max_body: int, max_inputs: int):
        self.token, self.max_body, self.max_inputs = token or None, max_body, max_inputs

    def require_token(self, request) -> None:
        if self.token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), self.token.encode()):
            raise Unauthorized("this server needs its token: send 'Authorization: Bearer <MUSELAB_TOKEN>'")

    def install(self, app) -> None:
        """Refuse an oversized body early: by its declared length, and while it streams in."""
        limit = self.max_body

        @app.middleware("http")
        async def body_limit(request, call_next):
            from fastapi.responses import JSONResponse

            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                if int(declared) <= 8 * limit:  # read and drop it, so the client hears the answer, not a reset
                    while (await request.receive()).get("more_body"):
                        pass
                return JSONResponse({"error": f"the request body is larger than {limit // (1024 * 1024)} MB",
                                     "detail": []}, status_code=413)
            receive, seen = request.receive, [0]

            async def counted():
                message = await receive()
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:
                    raise TooLarge(f"the request body is larger than {limit // (1024 * 1024)} MB")
                return message

            request._receive = counted
            return await call_next(request)

    def inputs(self, lab, files: dict[str, bytes], wanted: set[str]) -> dict[str, tuple[str, bytes]]:
        """Uploaded named inputs, each checked by content: name -> (suffix, bytes)."""
        if len(files) > self.max_inputs:
            raise BadInput(f"{len(files)} input files; a run takes at most {self.max_inputs}")
        unknown = sorted(set(files) - wanted)
        if unknown:
            raise BadInput(f"the workflow has no input {unknown[0]!r}; its inputs: {', '.join(sorted(wanted)) or 'none'}")
        out = {}
        for name, data in files.items():
            out[name] = (image_suffix(lab, data), data)
        return out


def image_suffix(lab, data: bytes) -> str:
    """The file's real format, read from its bytes; anything muselab's LoadImage would refuse is refused."""
    with tempfile.NamedTemporaryFile(suffix=".upload") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            lab.check_image(tmp.name)
        except MuselabError as exc:
            raise Unsupported(str(exc).replace(tmp.name, "the uploaded file")) from None
        from PIL import Image

        with Image.open(tmp.name) as img:
            return {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp"}[img.format]


def no_client_paths(lab, workflow: dict, overrides: dict) -> None:
    """A client never names a file on the server: file inputs are uploads (named inputs) or the weights in
    muselab's own models folder, which `/api/workflows` writes."""
    registry = lab.nodes()
    models = Path(lab.settings.models_dir).resolve()
    values = [(nid, name, value) for nid, node in workflow.items() if nid != "meta" and isinstance(node, dict)
              for name, value in (node.get("inputs") or {}).items()]
    values += [(str(k).partition(".")[0], str(k).partition(".")[2], v) for k, v in overrides.items()]
    for nid, name, value in values:
        node = workflow.get(nid) if isinstance(workflow.get(nid), dict) else {}
        cls = registry.get(node.get("class_type"))
        port = cls.INPUTS.get(name) if cls else None
        if port is None or port.type != "FILE" or not isinstance(value, str) or not value or value.startswith("$"):
            continue
        if not Path(value).resolve().is_relative_to(models):
            raise BadInput(f"node {nid} input {name!r} names a file on the server; upload it as a named input")


def parse_json_field(text: str | None, what: str, default):
    if text in (None, ""):
        return default
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"the {what} field is not valid JSON ({exc.msg})") from None
    if not isinstance(value, type(default)):
        raise BadInput(f"the {what} field must be a JSON {type(default).__name__}")
    return value


def locked(request, call):
    """Call `call(lab)` holding the lab's lock: the store's connection serves one request at a time."""
    with request.app.state.lock:
        return call(request.app.state.lab)
