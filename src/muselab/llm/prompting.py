"""What an LLM is given: the exact seed-format prompt, the sources' citation keys, the structure."""

from __future__ import annotations

from muselab.context import Context

SYSTEM = (
    "You are muselab, an AI scientist for generative imaging. Answer only from the models and papers given in "
    "the prompt; never name or link any other source. Cite sources with their keys in square brackets, e.g. [M1] "
    "or [P2]. Write exactly three parts with these headings:\n"
    "## 1. Task\n## 2. Workflow (input → model → output)\n## 3. Papers and tools\n"
    "In part 2 show, for each recommended model, a chain such as: input image → model → output image. "
    "In part 3 list every given model and paper with its link and one or two sentences on how it supports the answer."
)


def citation_keys(ctx: Context) -> str:
    lines = ["Citation keys:"]
    lines += [f"[{s.key}] {s.name}" for s in ctx.sources]
    return "\n".join(lines)


def messages(ctx: Context) -> list[dict]:
    """The seed-format prompt is sent unchanged; the keys follow it."""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": ctx.to_prompt() + "\n" + citation_keys(ctx)}]
