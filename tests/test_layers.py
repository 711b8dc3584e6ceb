"""The import rule: layers from bottom to top, nothing imports upward, no import cycles.

Every import counts, function-level and TYPE_CHECKING ones included, since a
lazy import is still a dependency. Also: the size limits that keep modules and
functions readable.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "muselab"

# bottom to top; modules of one layer may use each other only within their own package
LAYERS = [
    {"version", "errors", "text", "settings", "context", "plugins", "progress"},
    {"catalog"},
    {"search", "llm", "nodes"},
    {"workflow"},
    {"answer"},
    {"eval"},
    {"lab", "__init__"},
    {"cli", "server", "__main__"},
]


def unit(module: str) -> str:
    """The layer unit of a module: its top package under muselab ('muselab.search.ask' -> 'search')."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(module: str) -> int:
    u = unit(module)
    for i, layer in enumerate(LAYERS):
        if u in layer:
            return i
    raise AssertionError(f"{module} is in no layer; add its package to LAYERS in {__file__}")


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1] if len(parts) > 2 else parts
    return ".".join(parts)


def imports(path: Path, name: str) -> set[str]:
    """Every muselab module a file imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("muselab")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base == "muselab":  # `from muselab import x`: x is a module, or a name of the API layer
                out |= {f"muselab.{a.name}" if (SRC / a.name).exists() or (SRC / f"{a.name}.py").exists()
                        else "muselab.__init__" for a in node.names}
            elif base.startswith("muselab"):
                out.add(base)
    return out


def graph() -> dict[str, set[str]]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        found[name if name != "muselab" else "muselab.__init__"] = imports(path, name)
    return found


def test_every_module_is_in_a_layer():
    for name in graph():
        rank(name)


def test_nothing_imports_upward_or_sideways():
    problems = []
    for name, deps in graph().items():
        for dep in deps:
            if unit(dep) == unit(name):
                continue
            if rank(dep) > rank(name):
                problems.append(f"{name} imports {dep}, a higher layer")
            elif rank(dep) == rank(name) and rank(name) in (2,):
                problems.append(f"{name} imports {dep}, a sibling package of its layer")
    assert not problems, "\n".join(sorted(problems))


def test_no_import_cycles():
    deps = graph()

    def resolve(dep: str) -> str | None:
        while dep and dep not in deps:
            dep = dep.rsplit(".", 1)[0] if "." in dep else ""
        return dep or None

    edges = {n: {r for d in ds if (r := resolve(d)) and r != n} for n, ds in deps.items()}
    state, path = {}, []

    def visit(n):
        if state.get(n) == "done":
            return
        if state.get(n) == "visiting":
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
        state[n] = "visiting"
        path.append(n)
        for m in sorted(edges[n]):
            visit(m)
        path.pop()
        state[n] = "done"

    for n in sorted(edges):
        visit(n)


@pytest.mark.parametrize("limit_module, limit_function", [(450, 60)])
def test_modules_and_functions_stay_small(limit_module, limit_function):
    """About 400 lines per module and 50 per function, with a little slack for docstrings."""
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > limit_module:
            too_long.append(f"{path.relative_to(SRC)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit_function:
                    too_long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}(): {length} lines")
    assert not too_long, "\n".join(too_long)
