"""A scripted ComfyUI server for the tests, speaking the protocol as ComfyUI's server.py sends it.

HTTP and the websocket share one port on 127.0.0.1, as in ComfyUI: a connection
whose request asks for a websocket upgrade is handed to `websockets.sync.server`
(its `process_request` hook checks the token); any other request is answered
here. A prompt is validated the way ComfyUI's `execution.validate_prompt` does
it (for the three node classes this server knows), queued, and run by a worker
thread, which sends what ComfyUI sends: execution_start, execution_cached,
executing, progress (with a binary preview frame), executed,
execution_success / execution_error / execution_interrupted, and executing
with node null once the history is written; `status` goes to every socket when
the queue changes. LoadImage -> ImageScaleBy -> SaveImage compute real pixels
(Pillow), and a node whose inputs did not change is served from the cache.

Scripted behaviours are attributes, set before a run: progress_steps,
step_delay, hold (an Event the worker waits for: prompts pile up in the queue),
drop_after_executed (close the websocket abruptly after that many `executed`
messages), hang (say nothing until interrupted), garbage (routes answered with
HTML, "ws" for a non-JSON websocket message), legacy (no execution_success,
as older ComfyUI), token (every route and the websocket want
`Authorization: Bearer <token>`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from PIL import Image
from websockets.sync.server import serve

METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]
RESAMPLE = {"nearest-exact": Image.NEAREST, "bilinear": Image.BILINEAR, "area": Image.BOX,
            "bicubic": Image.BICUBIC, "lanczos": Image.LANCZOS}
CLASSES = {  # ComfyUI's INPUT_TYPES / RETURN_TYPES / OUTPUT_NODE of the nodes this server runs
    "LoadImage": {"inputs": {"image": ("FILE",)}, "returns": ("IMAGE", "MASK")},
    "ImageScaleBy": {"inputs": {"image": ("IMAGE",), "upscale_method": (METHODS,),
                                "scale_by": ("FLOAT", {"default": 1.0, "min": 0.01, "max": 8.0})},
                     "returns": ("IMAGE",)},
    "SaveImage": {"inputs": {"images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"})},
                  "returns": (), "output": True},
    # the file choices are the server's models/upscale_models folder (FakeComfy.models), as in ComfyUI
    "UpscaleModelLoader": {"inputs": {"model_name": ("upscale_models",)}, "returns": ("UPSCALE_MODEL",)},
    "ImageUpscaleWithModel": {"inputs": {"upscale_model": ("UPSCALE_MODEL",), "image": ("IMAGE",)},
                              "returns": ("IMAGE",)},
}
HTML = b"<html><body><h1>It works!</h1></body></html>"


class Interrupted(Exception):
    pass


@dataclass
class Execution:
    number: int
    prompt_id: str
    prompt: dict
    client: str | None
    outputs: list
    values: dict = field(default_factory=dict)
    ui: dict = field(default_factory=dict)
    executed: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def ms() -> int:
    return int(time.time() * 1000)


class FakeComfy:
    def __init__(self, root: Path, token: str | None = None, port: int = 0):
        self.root, self.token, self.port = Path(root), token, port
        self.input_dir, self.output_dir = self.root / "input", self.root / "output"
        self.input_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.progress_steps, self.step_delay, self.drop_after_executed = 3, 0.0, None
        self.hang, self.legacy, self.garbage, self.history_delay = False, False, set(), 0.05
        self.hold = threading.Event()
        self.hold.set()
        self.log: list[tuple[str, str]] = []  # (method, path) of every HTTP request
        self.interrupts: list = []  # prompt ids asked to stop (None: all)
        self.deleted: list = []
        self.refused = 0  # requests without the right token
        self.history: dict[str, dict] = {}
        self.models: dict[str, list[str]] = {"upscale_models": []}  # files in the server's models folders
        self.cache: dict[str, tuple] = {}
        self.sockets: dict = {}
        self.pending: list[Execution] = []
        self.running: str | None = None
        self.number = 0
        self.cond = threading.Condition()
        self.interrupt, self.node_started, self._stop = threading.Event(), threading.Event(), threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> "FakeComfy":
        quiet = logging.getLogger("comfy_fake")  # a remote server's log is not muselab's: keep it out
        quiet.setLevel(logging.WARNING)
        self.server = serve(self._ws, "127.0.0.1", self.port, process_request=self._ws_auth, close_timeout=1,
                            ping_interval=None, logger=quiet)
        self._upgrade, self.server.handler = self.server.handler, self._dispatch
        self.port = self.server.socket.getsockname()[1]
        self._threads = [threading.Thread(target=self.server.serve_forever, daemon=True),
                         threading.Thread(target=self._work, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.hold.set()
        self.server.shutdown()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- one port for HTTP and the websocket -----------------------------------

    def _dispatch(self, sock: socket.socket, addr) -> None:
        try:
            head = _peek_head(sock)
            if head and b"upgrade: websocket" in head.lower():
                sock.settimeout(None)
                self._upgrade(sock, addr)  # websockets' own connection handler
            elif head:
                self._http(sock, head)
        except OSError:
            pass
        finally:
            sock.close()
            with self.server.lock:
                self.server.handler_threads.discard(threading.current_thread())

    def _http(self, sock: socket.socket, head: bytes) -> None:
        _recv_exact(sock, len(head))
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = _recv_exact(sock, int(headers.get("content-length") or 0))
        url = urlsplit(target)
        path = url.path[len("/api"):] if url.path.startswith("/api/") else url.path
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self.log.append((method, path))
        status, ctype, payload = self._route(method, path, query, headers, body)
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}.get(status, "Error")
        sock.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(payload)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + payload)

    def _route(self, method, path, query, headers, body):
        if self.token and headers.get("authorization") != f"Bearer {self.token}":
            self.refused += 1
            return 401, "text/plain", b"401: Unauthorized"
        if any(path.startswith(g) for g in self.garbage):
            return 200, "text/html", HTML
        if method == "GET" and path.startswith("/object_info/"):
            cls = path[len("/object_info/"):]
            return _json(200, {cls: self._object_info(cls)} if cls in CLASSES else {})
        if method == "GET" and path.startswith("/history/"):
            pid = path[len("/history/"):]
            return _json(200, {pid: self.history[pid]} if pid in self.history else {})
        routes = {("POST", "/prompt"): self._post_prompt, ("POST", "/upload/image"): self._upload,
                  ("GET", "/view"): self._view, ("POST", "/interrupt"): self._interrupt,
                  ("POST", "/queue"): self._queue}
        handler = routes.get((method, path))
        return handler(query, headers, body) if handler else (404, "text/plain", b"404: Not Found")

    # -- routes ----------------------------------------------------------------

    def _post_prompt(self, query, headers, body):
        data = json.loads(body)
        if "prompt" not in data:
            return _json(400, {"error": {"type": "no_prompt", "message": "No prompt provided",
                                         "details": "No prompt provided", "extra_info": {}}, "node_errors": {}})
        ok, error, outputs, node_errors = self.validate(data["prompt"])
        if not ok:
            return _json(400, {"error": error, "node_errors": node_errors})
        pid = str(uuid.uuid4())
        with self.cond:
            number, self.number = self.number, self.number + 1
            self.pending.append(Execution(number, pid, data["prompt"], data.get("client_id"), outputs))
            self.cond.notify_all()
        self._broadcast_status()
        return _json(200, {"prompt_id": pid, "number": number, "node_errors": node_errors})

    def _upload(self, query, headers, body):
        boundary = re.search(r'boundary="?([^";]+)"?', headers.get("content-type", ""))
        fields = _multipart(body, boundary.group(1).encode()) if boundary else {}
        if not fields.get("image", (None, b""))[0]:
            return 400, "text/plain", b"400: Bad Request"
        filename, data = fields["image"]
        subfolder = fields.get("subfolder", (None, b""))[1].decode()
        overwrite = fields.get("overwrite", (None, b""))[1].decode() in ("true", "1")
        folder = self.input_dir / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        name, stem, suffix, i = Path(filename).name, Path(filename).stem, Path(filename).suffix, 1
        while not overwrite and (folder / name).exists() and (folder / name).read_bytes() != data:
            name, i = f"{stem} ({i}){suffix}", i + 1  # ComfyUI renames rather than overwrite
        (folder / name).write_bytes(data)
        return _json(200, {"name": name, "subfolder": subfolder, "type": "input"})

    def _view(self, query, headers, body):
        name = query.get("filename", "")
        base = {"output": self.output_dir, "input": self.input_dir}.get(query.get("type", "output"))
        if not name or name[0] == "/" or ".." in name or base is None:
            return 400, "text/plain", b"400: Bad Request"
        path = base / query.get("subfolder", "") / Path(name).name
        if not path.is_file():
            return 404, "text/plain", b"404: Not Found"
        return 200, "image/png", path.read_bytes()

    def _interrupt(self, query, headers, body):
        pid = json.loads(body or b"{}").get("prompt_id")
        self.interrupts.append(pid)
        if not pid or pid == self.running:
            self.interrupt.set()
        return 200, "text/plain", b""

    def _queue(self, query, headers, body):
        wanted = json.loads(body or b"{}").get("delete") or []
        with self.cond:
            self.deleted += wanted
            self.pending = [e for e in self.pending if e.prompt_id not in wanted]
        return 200, "text/plain", b""

    def _wanted(self, kind):
        """An input's type, or for a model file its choices: the files in that models folder."""
        return list(self.models[kind]) if isinstance(kind, str) and kind in self.models else kind

    def _object_info(self, cls: str) -> dict:
        """/object_info/{cls} as ComfyUI answers it: a file input's choices are the files it has."""
        spec = CLASSES[cls]
        required = {name: [self._wanted(info[0]), *info[1:]] for name, info in spec["inputs"].items()}
        return {"input": {"required": required}, "output": list(spec["returns"]), "name": cls,
                "output_node": bool(spec.get("output"))}

    # -- validation, as execution.validate_prompt does it --------------------------

    def validate(self, prompt: dict):
        for nid, node in prompt.items():
            kind = node.get("class_type")
            if kind not in CLASSES:
                return False, {"type": "missing_node_type", "message": f"Node '{kind}' not found. The custom node "
                               "may not be installed.", "details": f"Node ID '#{nid}'",
                               "extra_info": {"node_id": nid, "class_type": kind, "node_title": kind}}, [], {}
        outputs = [nid for nid, node in prompt.items() if CLASSES[node["class_type"]].get("output")]
        if not outputs:
            return False, {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "",
                           "extra_info": {}}, [], {}
        node_errors = {nid: {"errors": reasons, "dependent_outputs": outputs, "class_type": prompt[nid]["class_type"]}
                       for nid in prompt if (reasons := self._check_inputs(prompt, nid))}
        if node_errors:
            details = "\n".join(f"{r['message']}: {r['details']}" for e in node_errors.values() for r in e["errors"])
            return False, {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                           "details": details, "extra_info": {}}, [], node_errors
        return True, None, outputs, {}

    def _check_inputs(self, prompt: dict, nid: str) -> list[dict]:
        inputs, errors = prompt[nid].get("inputs", {}), []
        for name, info in CLASSES[prompt[nid]["class_type"]]["inputs"].items():
            def error(kind, message, details, **extra):
                errors.append({"type": kind, "message": message, "details": details,
                               "extra_info": {"input_name": name, **extra}})
            value, wanted = inputs.get(name), self._wanted(info[0])
            if name not in inputs:
                error("required_input_missing", "Required input is missing", name)
            elif isinstance(value, list):
                source = prompt.get(str(value[0])) if len(value) == 2 else None
                returns = CLASSES.get((source or {}).get("class_type"), {}).get("returns", ())
                got = returns[value[1]] if source and isinstance(value[1], int) and value[1] < len(returns) else None
                if got != wanted:
                    error("return_type_mismatch", "Return type mismatch between linked nodes",
                          f"{name}, received_type({got}) mismatch input_type({wanted})", received_type=got)
            elif wanted == "FLOAT" and not isinstance(value, (int, float)):
                error("invalid_input_type", "Failed to convert an input value to a FLOAT value", f"{name}, {value}")
            elif wanted == "FLOAT" and value > info[1]["max"]:
                error("value_bigger_than_max", f"Value {value} bigger than max of {info[1]['max']}", name)
            elif wanted == "FLOAT" and value < info[1]["min"]:
                error("value_smaller_than_min", f"Value {value} smaller than min of {info[1]['min']}", name)
            elif isinstance(wanted, list) and value not in wanted:
                error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {wanted}")
            elif wanted == "FILE" and not (self.input_dir / str(value)).is_file():
                error("custom_validation_failed", "Custom validation failed for node",
                      f"{name} - Invalid image file: {value}")
        return errors

    # -- the worker ------------------------------------------------------------

    def _work(self) -> None:
        while not self._stop.is_set():
            with self.cond:
                self.cond.wait_for(lambda: self.pending and self.hold.is_set() or self._stop.is_set(), timeout=0.1)
                if not self.pending or not self.hold.is_set():
                    continue
                run = self.pending.pop(0)
                self.running = run.prompt_id
            self._broadcast_status()
            self._execute(run)
            with self.cond:
                self.running = None
            self._broadcast_status()

    def _execute(self, run: Execution) -> None:
        self.interrupt.clear()
        self._message(run, "execution_start", {"timestamp": ms()})
        signatures = {nid: self._signature(run.prompt, nid) for nid in run.prompt}
        cached = [nid for nid in run.prompt if signatures[nid] in self.cache]
        self._message(run, "execution_cached", {"nodes": cached, "timestamp": ms()})
        status = "success"
        try:
            while self.hang and not self.interrupt.is_set() and not self._stop.is_set():
                time.sleep(0.01)
            for output in run.outputs:
                self._run_node(run, output, signatures)
            if not self.legacy:
                self._message(run, "execution_success", {"timestamp": ms()})
        except Interrupted as exc:
            status = "error"
            self._message(run, "execution_interrupted", {"node_id": exc.args[0], "executed": run.executed,
                                                         "node_type": run.prompt[exc.args[0]]["class_type"]})
        except Exception as exc:  # a node failed: what ComfyUI's execution_error carries
            status, nid = "error", getattr(exc, "node_id", "?")
            self._message(run, "execution_error", {
                "node_id": nid, "node_type": run.prompt[nid]["class_type"], "executed": run.executed,
                "exception_message": f"{exc}\n", "exception_type": f"{type(exc).__module__}.{type(exc).__name__}",
                "traceback": ["  File \"nodes.py\", line 1, in load_image\n"], "current_inputs": {},
                "current_outputs": []})
        time.sleep(self.history_delay)  # ComfyUI writes the history after execution_success
        self.history[run.prompt_id] = {
            "prompt": [run.number, run.prompt_id, run.prompt, {"client_id": run.client}, run.outputs],
            "outputs": run.ui, "status": {"status_str": status, "completed": status == "success",
                                          "messages": run.messages}, "meta": {}}
        self._send(run.client, "executing", {"node": None, "prompt_id": run.prompt_id})

    def _run_node(self, run: Execution, nid: str, signatures: dict) -> None:
        if nid in run.values:
            return
        node = run.prompt[nid]
        for value in node.get("inputs", {}).values():
            if isinstance(value, list):
                self._run_node(run, str(value[0]), signatures)
        if signatures[nid] in self.cache:
            run.values[nid], ui = self.cache[signatures[nid]]
            if ui:
                run.ui[nid] = ui
            return
        if self.interrupt.is_set():
            raise Interrupted(nid)
        self._send(run.client, "executing", {"node": nid, "display_node": nid, "prompt_id": run.prompt_id})
        inputs = {k: run.values[str(v[0])][v[1]] if isinstance(v, list) else v for k, v in node["inputs"].items()}
        try:
            values, ui = getattr(self, f"_node_{node['class_type']}")(run, nid, **inputs)
        except Interrupted:
            raise
        except Exception as exc:
            exc.node_id = nid
            raise
        run.values[nid], self.cache[signatures[nid]] = values, (values, ui)
        run.executed.append(nid)
        if ui:
            run.ui[nid] = ui
            self._send(run.client, "executed", {"node": nid, "display_node": nid, "output": ui,
                                                "prompt_id": run.prompt_id})
            if self.drop_after_executed is not None and len(run.ui) >= self.drop_after_executed:
                self._drop(run.client)

    def _signature(self, prompt: dict, nid: str) -> str:
        node, parts = prompt[nid], []
        for name, value in sorted(node.get("inputs", {}).items()):
            if isinstance(value, list):
                parts.append([name, self._signature(prompt, str(value[0])), value[1]])
            else:
                parts.append([name, value])
        if node["class_type"] == "LoadImage":  # as its IS_CHANGED: the file's hash
            path = self.input_dir / str(node["inputs"].get("image"))
            parts.append(hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "")
        return hashlib.sha256(json.dumps([node["class_type"], parts]).encode()).hexdigest()

    # -- the nodes ---------------------------------------------------------------

    def _node_LoadImage(self, run, nid, image):
        with Image.open(self.input_dir / image) as img:
            pixels = np.asarray(img.convert("RGB"))
        return (pixels, np.zeros(pixels.shape[:2], np.float32)), None

    def _node_ImageScaleBy(self, run, nid, image, upscale_method, scale_by):
        self.node_started.set()
        for step in range(1, self.progress_steps + 1):
            if self.interrupt.is_set() or self._stop.is_set():
                raise Interrupted(nid)
            time.sleep(self.step_delay)
            self._send(run.client, "progress", {"value": step, "max": self.progress_steps,
                                                "prompt_id": run.prompt_id, "node": nid})
            if step == 1:  # a preview, as ComfyUI sends them: 4-byte event type, 4-byte image type, JPEG
                self._send(run.client, None, struct.pack(">II", 1, 1) + b"\xff\xd8\xff\xe0 preview")
        h, w = image.shape[:2]
        size = (round(w * scale_by), round(h * scale_by))
        return (np.asarray(Image.fromarray(image).resize(size, RESAMPLE[upscale_method])),), None

    def _node_UpscaleModelLoader(self, run, nid, model_name):
        return (int(re.match(r"(\d)x", model_name).group(1)) if re.match(r"\dx", model_name) else 2,), None

    def _node_ImageUpscaleWithModel(self, run, nid, upscale_model, image):
        h, w = image.shape[:2]  # a stand-in for the network: the model's scale, with Lanczos
        return (np.asarray(Image.fromarray(image).resize((w * upscale_model, h * upscale_model), Image.LANCZOS)),), None

    def _node_SaveImage(self, run, nid, images, filename_prefix):
        taken = [int(m.group(1)) for p in self.output_dir.glob(f"{filename_prefix}_*_.png")
                 if (m := re.fullmatch(re.escape(filename_prefix) + r"_(\d{5})_\.png", p.name))]
        name = f"{filename_prefix}_{max(taken, default=0) + 1:05}_.png"
        Image.fromarray(np.asarray(images, dtype=np.uint8)).save(self.output_dir / name)
        return (), {"images": [{"filename": name, "subfolder": "", "type": "output"}]}

    # -- the websocket -------------------------------------------------------------

    def _ws_auth(self, connection, request):
        if self.token and request.headers.get("Authorization") != f"Bearer {self.token}":
            self.refused += 1
            return connection.respond(401, "Unauthorized\n")
        return None

    def _ws(self, connection) -> None:
        sid = (parse_qs(urlsplit(connection.request.path).query).get("clientId") or [uuid.uuid4().hex])[0]
        self.sockets[sid] = connection
        try:
            connection.send(json.dumps({"type": "status", "data": {"status": self._queue_info(), "sid": sid}}))
            for _ in connection:  # ComfyUI reads (and mostly ignores) what the client sends
                pass
        except Exception:
            pass
        finally:
            if self.sockets.get(sid) is connection:
                del self.sockets[sid]

    def _queue_info(self) -> dict:
        return {"exec_info": {"queue_remaining": len(self.pending) + (self.running is not None)}}

    def _broadcast_status(self) -> None:
        for sid in list(self.sockets):
            self._send(sid, "status", {"status": self._queue_info()})

    def _message(self, run: Execution, kind: str, data: dict) -> None:
        """A message the executor also records in the history's status (ComfyUI's add_message)."""
        data = {**data, "prompt_id": run.prompt_id}
        run.messages.append([kind, data])
        if kind == "execution_start" and "ws" in self.garbage:
            return self._send(run.client, "", "<html>not json</html>")
        self._send(run.client, kind, data)

    def _send(self, sid, kind, data) -> None:
        connection = self.sockets.get(sid)
        if connection is None:
            return
        try:
            if kind is None or isinstance(data, str) and not kind:
                connection.send(data)  # binary frame (bytes) or raw text
            else:
                connection.send(json.dumps({"type": kind, "data": data}))
        except Exception:
            pass

    def _drop(self, sid) -> None:
        """Cut the client's websocket without a closing handshake, as a crashed proxy would."""
        connection = self.sockets.pop(sid, None)
        if connection is not None:
            try:
                connection.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _peek_head(sock: socket.socket) -> bytes | None:
    """The request's head, read without consuming it (the websocket handler reads it again)."""
    sock.settimeout(5)
    for _ in range(500):
        data = sock.recv(65536, socket.MSG_PEEK)
        if not data:
            return None
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            return data[: end + 4]
        time.sleep(0.01)
    return None


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = sock.recv(min(n, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _multipart(body: bytes, boundary: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body."""
    fields = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part[2:].partition(b"\r\n\r\n")
        params = dict(re.findall(r'(\w+)="([^"]*)"', head.decode("utf-8", "replace")))
        fields[params.get("name")] = (params.get("filename"), data[:-2])
    return fields


def _json(status: int, obj) -> tuple[int, str, bytes]:
    return status, "application/json; charset=utf-8", json.dumps(obj).encode()


def silent_server() -> socket.socket:
    """A socket that accepts connections (the kernel does) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
