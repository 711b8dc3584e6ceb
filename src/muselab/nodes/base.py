"""What every workflow node is: typed inputs and outputs, and one `execute`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

REQUIRED = object()

# port types; a link carries a value from an output to an input of the same type
IMAGE, TEXT, MODEL = "IMAGE", "TEXT", "MODEL"
INT, FLOAT, BOOL, STRING, FILE = "INT", "FLOAT", "BOOL", "STRING", "FILE"
LINK_ONLY = {IMAGE, MODEL}  # values no JSON literal can hold
COMPATIBLE = {(TEXT, STRING), (STRING, TEXT)}


@dataclass(frozen=True)
class Port:
    type: str
    default: Any = REQUIRED
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        parts = [self.type]
        if self.choices:
            parts.append("|".join(map(str, self.choices)))
        if self.min is not None or self.max is not None:
            parts.append(f"{self.min if self.min is not None else ''}..{self.max if self.max is not None else ''}")
        if not self.required:
            parts.append(f"default {self.default!r}")
        return ", ".join(parts)

    def check_literal(self, value) -> str | None:
        """Why a literal does not fit this port, or None."""
        if self.type in LINK_ONLY:
            return f"takes a link from a {self.type} output, not a literal"
        if self.type == INT and (not isinstance(value, int) or isinstance(value, bool)):
            return f"must be an integer, got {value!r}"
        if self.type == FLOAT and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            return f"must be a number, got {value!r}"
        if self.type == BOOL and not isinstance(value, bool):
            return f"must be true or false, got {value!r}"
        if self.type in (STRING, TEXT, FILE) and not isinstance(value, str):
            return f"must be text, got {value!r}"
        if self.choices and value not in self.choices and not is_placeholder(value):
            return f"is {value!r}; choose one of {', '.join(map(str, self.choices))}"
        if self.min is not None and isinstance(value, (int, float)) and value < self.min:
            return f"is {value}; the minimum is {self.min}"
        if self.max is not None and isinstance(value, (int, float)) and value > self.max:
            return f"is {value}; the maximum is {self.max}"
        return None


def is_placeholder(value) -> bool:
    """'$content' names a workflow input that `muselab run --input content=...` fills in."""
    return isinstance(value, str) and len(value) > 1 and value[0] == "$" and value[1:].replace("_", "").isalnum()


@dataclass
class RunContext:
    """What a node may use while it runs."""

    settings: Any
    out_dir: Any = None
    workflow: dict = field(default_factory=dict)
    progress: bool = True
    node_id: str = ""
    saved: list = field(default_factory=list)  # files written by output nodes
    on_event: Any = None  # on_event(kind, data): progress for a listener (the HTTP server)
    cancelled: Any = None  # a threading.Event: set, the run stops at the next step

    def steps(self, total: int, desc: str = ""):
        """A progress bar for a node's own steps; it also reports them and stops a cancelled run."""
        from muselab.progress import bar

        inner = bar(total=total, desc=desc or f"node {self.node_id}", unit=" steps", enabled=self.progress)
        return Steps(inner, self, total)


class Steps:
    """A node's step bar that also tells the listener and checks for cancellation after every step."""

    def __init__(self, inner, run: RunContext, total: int):
        self.inner, self.run, self.total, self.done = inner, run, total, 0

    def __enter__(self):
        self.inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)

    def update(self, n: int = 1) -> None:
        self.inner.update(n)
        self.done += n
        if self.run.on_event:
            self.run.on_event("progress", {"node": self.run.node_id, "value": self.done, "max": self.total})
        if self.run.cancelled is not None and self.run.cancelled.is_set():
            raise KeyboardInterrupt


class Node:
    """Subclasses set NAME, DESCRIPTION, INPUTS, OUTPUTS and implement execute(run, **inputs) -> tuple."""

    NAME: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    INPUTS: ClassVar[dict[str, Port]] = {}
    OUTPUTS: ClassVar[tuple[tuple[str, str], ...]] = ()  # (type, name)
    OUTPUT_NODE: ClassVar[bool] = False
    VERSION: ClassVar[str] = "1"

    @classmethod
    def describe(cls) -> dict:
        """The node's schema as `muselab nodes --format json` shows it."""
        return {"description": cls.DESCRIPTION, "inputs": {k: p.describe() for k, p in cls.INPUTS.items()},
                "outputs": [f"{t} {n}" for t, n in cls.OUTPUTS], "output_node": cls.OUTPUT_NODE}

    @classmethod
    def help_text(cls) -> str:
        outs = ", ".join(f"{n}: {t}" for t, n in cls.OUTPUTS) or ("writes files" if cls.OUTPUT_NODE else "none")
        lines = [f"{cls.NAME} -> {outs}", f"    {cls.DESCRIPTION}"]
        lines += [f"    {name}: {port.describe()}{' (required)' if port.required else ''}"
                  for name, port in cls.INPUTS.items()]
        return "\n".join(lines) + "\n"

    def signature_extra(self, inputs: dict) -> str:
        """Anything besides the inputs that changes the result (e.g. a file's size and date)."""
        return ""

    def execute(self, run: RunContext, **inputs) -> tuple:
        raise NotImplementedError


def file_stamp(path: str) -> str:
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        return f"missing:{path}"
    st = p.stat()
    return f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}"
