"""Run a ComfyUI API-format graph on a ComfyUI server.

The protocol, as ComfyUI's server.py, execution.py and main.py speak it:
  POST /upload/image  multipart `image` (+ `overwrite`, `type`, `subfolder`) -> {"name", "subfolder", "type"}
  POST /prompt        {"prompt", "client_id"} -> {"prompt_id", "number", "node_errors"}, or HTTP 400
                      {"error": {type, message, details, extra_info}, "node_errors": {node: {"errors", "class_type"}}}
  GET  /ws?clientId=  JSON text frames {"type", "data"}; binary frames are previews (ignored)
  GET  /history/{id}  {id: {"outputs": {node: {"images": [{filename, subfolder, type}]}}, "status": {...}}}
  GET  /view?filename=&subfolder=&type=   the file
  POST /interrupt {"prompt_id"} (older servers ignore the body), POST /queue {"delete": [id]}
The websocket opens before the prompt is queued, so no message is missed. Outputs are downloaded as soon
as their node reports them (`executed`): a run that breaks later keeps what finished. `on_event(kind, data)`
sees uploaded, queued, status, started, cached, node, progress, saved and done. The token
(`token_env` names the environment variable holding it) goes into the Authorization header only.
"""

from __future__ import annotations

import itertools
import json
import logging
import mimetypes
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

from muselab.errors import BadInput, MuselabError
from muselab.nodes.base import is_placeholder
from muselab.progress import bar
from muselab.workflow.graph import NodeError, WorkflowInvalid

# ComfyUI's validation error types -> muselab's NodeError kinds (anything else: invalid_node)
KINDS = {"required_input_missing": "missing_input", "bad_linked_input": "bad_link", "dependency_cycle": "cycle",
         "return_type_mismatch": "type_mismatch", "invalid_input_type": "type_mismatch",
         "value_smaller_than_min": "out_of_range", "value_bigger_than_max": "out_of_range",
         "value_not_in_list": "out_of_range", "missing_node_type": "unknown_class", "prompt_no_outputs": "no_output"}


@dataclass
class RemoteReport:
    prompt_id: str = ""
    number: float | None = None
    saved: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    uploaded: dict[str, str] = field(default_factory=dict)  # input name -> its name on the server
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"ok": True, **asdict(self), "saved": [str(p) for p in self.saved], "seconds": round(self.seconds, 3)}


class RemoteError(MuselabError):
    """A remote run that failed (exit code 2 unless said otherwise)."""


@dataclass
class _Run:
    nodes: dict
    report: RemoteReport
    out_dir: Path
    bars: tuple = ()
    fetched: set = field(default_factory=set)
    started: bool = False
    done: bool = False  # the server has finished the prompt
    current: str | None = None


def check_url(url: str) -> str:
    """The server's base URL (http or https, no credentials, no trailing slash), or a clear refusal."""
    text = str(url).strip()
    parts, shown = urlsplit(text), text.split("@")[-1]  # never repeat a password written in the URL
    if parts.scheme not in ("http", "https"):
        hint = f"; did you mean http://{shown}?" if not parts.scheme or parts.path[:1].isdigit() else ""
        raise BadInput(f"the ComfyUI server URL must start with http:// or https://, not {shown!r}{hint}")
    if not parts.hostname:
        raise BadInput(f"the ComfyUI server URL {shown!r} names no host")
    if parts.username or parts.password:
        raise BadInput("the ComfyUI server URL holds credentials: put the token in an environment variable "
                       "and name it with token_env instead")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def prepare(graph: dict, files: dict) -> tuple[dict, dict[str, Path]]:
    """The graph's nodes (a muselab "meta" block dropped) and the files of its "$name" inputs, checked
    before anything is sent."""
    if not isinstance(graph, dict):
        raise WorkflowInvalid([NodeError("-", "bad_format", "a ComfyUI API graph is a JSON object of nodes")])
    nodes = {str(k): v for k, v in graph.items() if k != "meta"}
    errors = [NodeError(nid, "bad_format", 'a node is {"class_type": ..., "inputs": {...}}') for nid, node in
              nodes.items() if not (isinstance(node, dict) and isinstance(node.get("class_type"), str)
                                    and isinstance(node.get("inputs", {}), dict))]
    if errors or not nodes:
        raise WorkflowInvalid(errors or [NodeError("-", "no_output", "the graph has no nodes")])
    paths = {str(name).lstrip("$"): Path(path).expanduser() for name, path in (files or {}).items()}
    used = [(value[1:], nid, port) for nid, node in nodes.items() for port, value in node.get("inputs", {}).items()
            if is_placeholder(value)]
    missing = [NodeError(nid, "missing_input", f"input {port!r} is the workflow input {name!r}, which has no file: "
                                               f"give {name}=PATH") for name, nid, port in used if name not in paths]
    if missing:
        raise WorkflowInvalid(missing)
    names = sorted({name for name, _, _ in used})
    for name, path in paths.items():
        if name not in names:
            raise BadInput(f"the graph has no input {name!r}; its inputs: {', '.join(names) or 'none'}")
        if not path.is_file():
            raise BadInput(f"input {name}: file not found: {path}")
    return nodes, paths


def fill(nodes: dict, names: dict[str, str]) -> dict:
    """A copy of the nodes with each "$name" input that has a value replaced by it (a file's name on the
    server, a prompt's text)."""
    out = json.loads(json.dumps(nodes))
    for node in out.values():
        inputs = node.get("inputs", {})
        inputs.update({port: names[v[1:]] for port, v in inputs.items() if is_placeholder(v) and v[1:] in names})
    return out


def rejected(data: dict) -> list[NodeError]:
    """A refused prompt's `node_errors` (or its one `error`) as muselab's per-node errors."""
    node_errors = data.get("node_errors") if isinstance(data.get("node_errors"), dict) else {}
    errors = [NodeError(str(nid), KINDS.get(reason.get("type"), "invalid_node"),
                        f"{entry.get('class_type') or '?'}: {_reason(reason)}")
              for nid, entry in node_errors.items() if isinstance(entry, dict)
              for reason in entry.get("errors") or [] if isinstance(reason, dict)]
    top = data.get("error")
    if not errors and isinstance(top, dict):
        extra = top.get("extra_info") if isinstance(top.get("extra_info"), dict) else {}
        return [NodeError(str(extra.get("node_id") or "-"), KINDS.get(top.get("type"), "invalid_node"), _reason(top))]
    return errors or [NodeError("-", "invalid_node", _line(top or "the server refused the graph without a reason"))]


def _reason(reason: dict) -> str:
    message, details = _line(reason.get("message") or ""), _line(reason.get("details") or "")
    return f"{message}: {details}" if message and details else message or details or str(reason.get("type"))


def _line(text, limit: int = 300) -> str:
    """The first non-empty line of a server's text, whitespace folded, at most `limit` characters."""
    first = next((" ".join(line.split()) for line in str(text).splitlines() if line.strip()), "")
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _kept(saved: list[Path]) -> str:
    return f"; kept {len(saved)} finished output(s): {', '.join(map(str, saved))}" if saved else ""


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` to folder/name, or name_1, name_2, ...: an existing file is never overwritten. The
    server's name is reduced to a plain one (no folders, no '..', no hidden file)."""
    name = Path(str(name).replace("\\", "/")).name.lstrip(".") or "output"
    folder.mkdir(parents=True, exist_ok=True)
    for n in itertools.count():
        path = folder / (name if n == 0 else f"{Path(name).stem}_{n}{Path(name).suffix}")
        try:
            with open(path, "xb") as fh:
                fh.write(data)
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise RemoteError(f"cannot write {path}: {exc}") from None
    raise AssertionError("unreachable")


class ComfyClient:
    """Runs graphs on one ComfyUI server, one at a time; see the module docstring for the protocol."""

    def __init__(self, url: str, *, token_env: str | None = None, connect_timeout: float = 10.0,
                 timeout: float = 60.0, idle_timeout: float = 300.0, total_timeout: float | None = None,
                 retries: int = 3, backoff: float = 0.5, progress: bool = True,
                 on_event: Callable[[str, dict], None] | None = None):
        self.base = check_url(url)
        self.ws_base = "ws" + self.base[len("http"):]
        self.token_env, self._headers, self._token = token_env, {}, ""
        if token_env:
            self._token = token = os.environ.get(token_env, "").strip()
            if not token:
                raise BadInput(f"the environment variable {token_env}, named for the ComfyUI server's token, "
                               "is not set")
            self._headers["Authorization"] = token if " " in token else f"Bearer {token}"  # "Basic ..." as given
        self.connect_timeout, self.timeout, self.idle_timeout = connect_timeout, timeout, idle_timeout
        self.total_timeout, self.retries, self.backoff = total_timeout, max(0, retries), backoff
        self.progress, self.on_event = progress, on_event or (lambda kind, data: None)
        self.client_id, self._client = uuid.uuid4().hex, None

    def _scrub(self, exc) -> str:
        text = _line(f"{type(exc).__name__}: {exc}")
        return text.replace(self._token, "***") if self._token else text

    def _retry(self, call, what: str, again: tuple, attempts: int):
        """call(), tried again with exponential backoff while it raises one of `again`."""
        for attempt in range(attempts):
            try:
                return call()
            except again as exc:
                last = exc
            if attempt + 1 < attempts:
                time.sleep(self.backoff * 2**attempt)
        raise RemoteError(f"{what}: could not reach the ComfyUI server at {self.base} after {attempts} "
                          f"attempt(s) ({self._scrub(last)})")

    def request(self, method: str, route: str, what: str, retry_reads: bool = False, retries=None, **kw):
        """One HTTP call, tried again on connection errors (broken answers too if retry_reads)."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(headers=self._headers,
                                        timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout))
        again = (httpx.ConnectError, httpx.ConnectTimeout) + ((httpx.ReadError, httpx.RemoteProtocolError)
                                                              if retry_reads else ())
        try:
            return self._retry(lambda: self._client.request(method, self.base + route, **kw), what, again,
                               1 + (self.retries if retries is None else retries))
        except httpx.TimeoutException:
            raise RemoteError(f"{what}: the ComfyUI server at {self.base} did not answer within "
                              f"{self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise RemoteError(f"{what}: {self._scrub(exc)}") from None

    def _check(self, response, what: str, json_body: bool = True, refusal: bool = False):
        """The answer's JSON object (the response itself if not json_body), or a one-line error. With
        `refusal`, an HTTP 400 is an answer too (a refused prompt says why)."""
        code = response.status_code
        if code in (401, 403):
            hint = (f"the token in {self.token_env} was refused" if self._headers else
                    "it wants a token: put it in an environment variable and name it with token_env")
            raise RemoteError(f"{what}: the ComfyUI server at {self.base} refused access (HTTP {code}); {hint}")
        if not 200 <= code < 300 and not (refusal and code == 400):
            raise RemoteError(f"{what}: the ComfyUI server at {self.base} answered HTTP {code}")
        try:
            data = response.json() if json_body else response
        except ValueError:
            data = None
        if json_body and not isinstance(data, dict):
            raise RemoteError(f"{what}: the server at {self.base} did not answer with ComfyUI's JSON "
                              f"(HTTP {code}); is it a ComfyUI server?")
        return data

    def upload(self, path: Path) -> str:
        """Upload an input file; its name on the server (ComfyUI renames rather than overwrite)."""
        path, what = Path(path), f"uploading {Path(path).name}"
        image = (path.name, path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        data = self._check(self.request("POST", "/upload/image", what, files={"image": image},
                                        data={"type": "input", "overwrite": "false"}), what)
        name, subfolder = data.get("name"), data.get("subfolder") or ""
        if not isinstance(name, str) or not name or not isinstance(subfolder, str):
            raise RemoteError(f"{what}: the server's answer names no file; is {self.base} a ComfyUI server?")
        return f"{subfolder}/{name}" if subfolder else name

    def queue(self, nodes: dict) -> tuple[str, float | None]:
        """Queue the graph: (prompt id, queue number); a refused graph raises WorkflowInvalid."""
        what = "queueing the workflow"
        response = self.request("POST", "/prompt", what, json={"prompt": nodes, "client_id": self.client_id})
        data = self._check(response, what, refusal=True)
        if response.status_code == 400:
            raise WorkflowInvalid(rejected(data))
        if not isinstance(data.get("prompt_id"), str) or not data["prompt_id"]:
            raise RemoteError(f"{what}: the server's answer has no prompt_id; is {self.base} a ComfyUI server?")
        return data["prompt_id"], data.get("number")

    def object_info(self, cls: str) -> dict | None:
        """The server's schema of one node class (a loader's choices list its files); None if unknown."""
        response = self.request("GET", f"/object_info/{cls}", f"asking for {cls}", retry_reads=True)
        return None if response.status_code == 404 else self._check(response, f"asking for {cls}")

    def cancel(self, prompt_id: str, running: bool) -> None:
        """Interrupt the prompt if it runs (older servers stop whatever runs) and unqueue it; best effort."""
        calls = [("/interrupt", {"prompt_id": prompt_id})] if running else []
        for route, body in calls + [("/queue", {"delete": [prompt_id]})]:
            try:
                self.request("POST", route, "cancelling", retries=0, json=body, timeout=min(self.timeout, 5.0))
            except (MuselabError, KeyboardInterrupt):
                pass

    def history(self, prompt_id: str) -> dict:
        """The prompt's history entry, polled briefly: ComfyUI announces success before writing it."""
        what = "reading the run's history"
        for _ in range(200):  # 10 s
            data = self._check(self.request("GET", f"/history/{prompt_id}", what, retry_reads=True), what)
            if isinstance(data.get(prompt_id), dict):
                return data[prompt_id]
            time.sleep(0.05)
        raise RemoteError(f"{what}: the ComfyUI server has no history of prompt {prompt_id}")

    def run(self, graph: dict, files: dict | None = None, out_dir: str | Path = ".") -> RemoteReport:
        """Upload the files, queue the graph, follow it, download its outputs into out_dir."""
        start, self.client_id = time.monotonic(), uuid.uuid4().hex  # ComfyUI keeps one socket per client id
        nodes, paths = prepare(graph, files or {})
        st = _Run(nodes, RemoteReport(), Path(out_dir))
        try:
            with self._connect() as ws:  # before queueing: no message is missed
                for name, path in paths.items():
                    st.report.uploaded[name] = self.upload(path)
                    self.on_event("uploaded", {"input": name, "name": st.report.uploaded[name]})
                st.report.prompt_id, st.report.number = self.queue(fill(nodes, st.report.uploaded))
                self.on_event("queued", {"prompt_id": st.report.prompt_id, "number": st.report.number})
                self._follow(ws, st, start)
                st.done = True
            outputs = self.history(st.report.prompt_id).get("outputs")
            for node, output in (outputs.items() if isinstance(outputs, dict) else ()):
                self._fetch_outputs(st, str(node), output)  # those the server's cache served: not reported
        except KeyboardInterrupt:
            pid = st.report.prompt_id
            if pid and not st.done:
                self.cancel(pid, st.started)
            what = f"asked the ComfyUI server to stop prompt {pid}" if pid else "nothing was queued on the server"
            raise MuselabError(f"interrupted: {what}{_kept(st.report.saved)}", exit_code=130) from None
        except MuselabError as exc:
            if not st.report.saved or isinstance(exc, WorkflowInvalid):
                raise
            raise RemoteError(f"{exc}{_kept(st.report.saved)}", exit_code=exc.exit_code) from None
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None
        st.report.seconds = time.monotonic() - start
        self.on_event("done", st.report.to_dict())
        return st.report

    def _connect(self):
        from websockets.exceptions import InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect

        url, what = f"{self.ws_base}/ws?clientId={self.client_id}", "opening the websocket"
        quiet = logging.getLogger(__name__ + ".websocket")
        quiet.setLevel(logging.INFO)  # websockets logs the handshake's headers, the token with them, at DEBUG
        try:
            return self._retry(lambda: connect(url, additional_headers=self._headers, open_timeout=self.connect_timeout,
                                               close_timeout=1, max_size=2**26, logger=quiet),
                               what, (ConnectionError,), self.retries + 1)
        except InvalidStatus as exc:
            self._check(exc.response, what, json_body=False)  # 401 / 403 say so
            raise RemoteError(f"{what}: the server at {self.base} answered HTTP {exc.response.status_code}; "
                              "is it a ComfyUI server?") from None
        except (InvalidHandshake, OSError) as exc:  # TimeoutError included
            raise RemoteError(f"{what}: {self._scrub(exc)} (is {self.base} a ComfyUI server?)") from None

    def _follow(self, ws, st: _Run, start: float) -> None:
        """Read the websocket until the prompt is over; a bar for nodes, one for the running node's steps."""
        with bar(total=len(st.nodes), desc="queued", unit=" nodes", enabled=self.progress) as nodes_bar, \
                bar(desc="steps", unit=" steps", enabled=self.progress) as steps_bar:
            st.bars = (nodes_bar, steps_bar)
            while True:
                message = self._receive(ws, st, start)
                if message is not None and message[1].get("prompt_id") in (None, st.report.prompt_id) and \
                        self._handle(st, *message):  # not a preview frame nor another prompt's message
                    return st.bars[0].update(st.current is not None)

    def _receive(self, ws, st: _Run, start: float):
        """The next JSON message as (type, data); None for a binary preview frame."""
        from websockets.exceptions import ConnectionClosed

        wait = self.idle_timeout
        if self.total_timeout is not None:
            wait = min(wait, max(0.0, self.total_timeout - (time.monotonic() - start)))
        try:
            raw = ws.recv(timeout=wait)
        except TimeoutError:
            late = self.total_timeout is not None and time.monotonic() - start >= self.total_timeout
            raise RemoteError(f"prompt {st.report.prompt_id} " + (f"took longer than {self.total_timeout:g} s" if late
                              else f"sent no word for {self.idle_timeout:g} s") + f" on {self.base}") from None
        except ConnectionClosed:
            raise RemoteError(f"the ComfyUI server at {self.base} closed the websocket mid-run (prompt "
                              f"{st.report.prompt_id})") from None
        if isinstance(raw, bytes):
            return None
        try:
            message = json.loads(raw)
            return str(message["type"]), message["data"] if isinstance(message.get("data"), dict) else {}
        except (ValueError, TypeError, KeyError, AttributeError):
            raise RemoteError(f"the server at {self.base} sent a websocket message that is not ComfyUI's JSON") \
                from None

    def _handle(self, st: _Run, kind: str, data: dict) -> bool:
        """One websocket message; True when the prompt is over."""
        nodes_bar, steps_bar = st.bars
        if kind == "status" and not st.started:
            remaining = ((data.get("status") or {}).get("exec_info") or {}).get("queue_remaining")
            nodes_bar.set_description(f"queued ({remaining} in the queue)" if isinstance(remaining, int) else "queued")
            self.on_event("status", {"queue_remaining": remaining})
        elif kind == "execution_start":
            st.started = True
            nodes_bar.set_description("running")
            self.on_event("started", {"prompt_id": st.report.prompt_id})
        elif kind == "execution_cached":
            new = [str(n) for n in data.get("nodes") or [] if str(n) not in st.report.cached]
            st.report.cached += new
            nodes_bar.update(len(new))
            self.on_event("cached", {"nodes": new})
        elif kind == "executing" and data.get("node") is None:  # over (sent once the history is written)
            return st.started or data.get("prompt_id") == st.report.prompt_id
        # a node waiting for a lazy input is announced again when it resumes: it counts once
        elif kind == "executing" and str(data["node"]) not in st.report.ran:
            nodes_bar.update(st.current is not None)  # the previous node is done
            st.current = str(data["node"])
            st.report.ran.append(st.current)
            class_type = (st.nodes.get(st.current) or {}).get("class_type", "?")
            nodes_bar.set_description(f"node {st.current} {class_type}")
            steps_bar.reset(total=None)
            self.on_event("node", {"node": st.current, "class_type": class_type})
        elif kind == "progress" and all(isinstance(data.get(k), (int, float)) for k in ("value", "max")):
            if steps_bar.total != data["max"]:
                steps_bar.reset(total=data["max"])
            steps_bar.n = data["value"]
            steps_bar.refresh()
            self.on_event("progress", {"node": str(data.get("node") or st.current), "value": data["value"],
                                       "max": data["max"]})
        elif kind == "executed":
            self._fetch_outputs(st, str(data.get("node")), data.get("output"))
        elif kind in ("execution_error", "execution_interrupted"):
            where = f"node {data.get('node_id')} ({data.get('node_type') or '?'})"
            if kind == "execution_interrupted":
                raise RemoteError(f"prompt {st.report.prompt_id} was interrupted on the ComfyUI server at {where}",
                                  exit_code=130)
            raise RemoteError(f"{where} failed on the ComfyUI server: {data.get('exception_type') or 'error'}: "
                              f"{_line(data.get('exception_message') or 'no message')}", exit_code=1)
        return kind == "execution_success"

    def _fetch_outputs(self, st: _Run, node: str, output) -> None:
        """Download a node's output files of type "output" (previews, type "temp", stay on the server)."""
        items = [item for value in (output.values() if isinstance(output, dict) else ()) if isinstance(value, list)
                 for item in value if isinstance(item, dict) and isinstance(item.get("filename"), str)]
        for item in items:
            params = {"filename": item["filename"], "subfolder": item.get("subfolder") or "",
                      "type": item.get("type") or "output"}
            if params["type"] != "output" or tuple(params.values()) in st.fetched:
                continue
            st.fetched.add(tuple(params.values()))
            what = f"downloading {item['filename']}"
            response = self._check(self.request("GET", "/view", what, retry_reads=True, params=params), what, False)
            st.report.saved.append(write_new(st.out_dir, item["filename"], response.content))
            self.on_event("saved", {"node": node, "path": str(st.report.saved[-1])})


def run_remote(url: str, graph: dict, files: dict | None = None, out_dir: str | Path = ".",
               **options) -> RemoteReport:
    """Run `graph` on the ComfyUI server at `url`; `options` are ComfyClient's (token_env, timeouts, ...)."""
    return ComfyClient(url, **options).run(graph, files, out_dir)


__all__ = ["ComfyClient", "RemoteError", "RemoteReport", "check_url", "prepare", "rejected", "run_remote"]
