#!/usr/bin/env python3
"""Break muselab on purpose, in a scratch copy, and check that the tests notice.

Each mutation below is a breakage a user would notice (a grounding hole, a
cache that is never read, a wrong exit code on Ctrl-C, an upscaler that does
nothing, ...). For each, the script copies the work tree, applies the change,
runs the tests that should catch it, and reports whether they failed. A
mutation the tests do not catch is a gap in the tests.

    .venv/bin/python scripts/check_mutations.py [NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (file, old text, new text, the tests that must fail)
CONTROL = ("src/muselab/text.py", "import re\n", "import re\n", "tests/test_verify.py tests/test_processes.py "
           "tests/test_nodes.py tests/test_ask.py tests/test_search_eval.py tests/test_workflow.py tests/test_llm.py")
MUTATIONS = {
    "links-need-a-scheme": (
        "src/muselab/text.py", "    spans += [(m.start(), m.end(), m.group(0)) for m in BARE_URL_RE.finditer(rest)]\n",
        "", "tests/test_verify.py tests/test_llm.py"),
    "links-any-case-only-lower": (
        "src/muselab/text.py", 'URL_RE = re.compile(rf"https?://[^{_STOP}]+", re.I)',
        'URL_RE = re.compile(rf"https?://[^{_STOP}]+")', "tests/test_verify.py"),
    "github-owner-only": (
        "src/muselab/text.py", 'return f"github:{m.group(1).lower()}/{repo.lower()}"',
        'return f"github:{m.group(1).lower()}"', "tests/test_verify.py"),
    "disk-cache-never-read": (
        "src/muselab/workflow/execute.py", "if path.is_file() and all(t in DISKABLE for t, _ in cls.OUTPUTS):",
        "if False:", "tests/test_processes.py"),
    "cache-limit-drops-the-newest": (
        "src/muselab/workflow/execute.py", "oldest = files.pop(0)", "oldest = files.pop()",
        "tests/test_processes.py"),
    "ctrl-c-exits-1": (
        "src/muselab/workflow/execute.py", '"same command continues from there", exit_code=130)',
        '"same command continues from there", exit_code=1)', "tests/test_processes.py tests/test_workflow.py"),
    "ingest-ctrl-c-exits-1": (
        "src/muselab/search/indexing.py", '"resume", exit_code=130)', '"resume", exit_code=1)',
        "tests/test_processes.py"),
    "progress-bar-crashes": (
        "src/muselab/progress.py", "    from tqdm.auto import tqdm\n",
        "    from tqdm.auto import tqdm\n    if enabled:\n        raise RuntimeError('bar')\n",
        "tests/test_processes.py"),
    "upscaler-is-a-no-op": (
        "src/muselab/nodes/upscale.py", '            out = anime4k(model)(np.ascontiguousarray(image), float(scale))',
        '            out = lanczos(image, target)', "tests/test_nodes.py"),
    "close-call-never-said": (
        "src/muselab/search/tasks.py", "close=bool(rival[0]) and rival[1] >= 0.8 * top,", "close=False,",
        "tests/test_ask.py"),
    "modes-ignored": (
        "src/muselab/search/papers.py", '        if mode == "lexical":\n            return self._hits(self.bm25_scores(question), k)\n',
        '        mode = "hybrid"\n', "tests/test_ask.py tests/test_search_eval.py"),
    "validation-drops-a-second-error": (
        "src/muselab/workflow/graph.py", "        errors += _check_node(nid, node, wf, registry)",
        "        errors += _check_node(nid, node, wf, registry)[:1]", "tests/test_workflow.py"),
}


def run(name: str, python: str) -> bool:
    """True when the tests caught the mutation (failed)."""
    path, old, new, tests = MUTATIONS.get(name) or CONTROL
    # beside the work tree, so the copy finds ../shared as the tests expect
    with tempfile.TemporaryDirectory(prefix=f".mutant-{name}-", dir=ROOT.parent) as tmp:
        tree = Path(tmp)
        for item in ("src", "tests", "pyproject.toml", "README.md"):
            src = ROOT / item
            (shutil.copytree if src.is_dir() else shutil.copy)(src, tree / item)
        target = tree / path
        text = target.read_text()
        if old not in text:
            sys.exit(f"{name}: the text to change is not in {path} any more; update this script")
        target.write_text(text.replace(old, new, 1))
        env = {**os.environ, "PYTHONPATH": str(tree / "src"), "HF_HUB_OFFLINE": "1"}
        proc = subprocess.run([python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *tests.split()],
                              cwd=tree, env=env, capture_output=True, text=True)
        return proc.returncode != 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"mutations to try (default all): {', '.join(MUTATIONS)}")
    args = ap.parse_args()
    if run("control", sys.executable):  # the unchanged copy must pass, or a "caught" would mean nothing
        sys.exit("the unchanged copy fails its tests: fix that first")
    print("ok      control: the unchanged copy passes", flush=True)
    missed = []
    for name in args.names or MUTATIONS:
        caught = run(name, sys.executable)
        print(f"{'caught' if caught else 'MISSED'}  {name:34} ({MUTATIONS[name][3]})", flush=True)
        missed += [] if caught else [name]
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
