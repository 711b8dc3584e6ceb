"""The sources part: the recommended models as tools, then the papers by relevance, each with its links
and a line on why it matters that names the task or mechanism it is about."""

from __future__ import annotations

from muselab.answer.describe import shown_name, what_it_is
from muselab.answer.result import ModelFit, SourceNote
from muselab.catalog.records import Task
from muselab.context import Source


def sources_part(fits: list[ModelFit], notes: list[SourceNote], qt: Task, detail: str = "short",
                 tight: int = 0) -> str:
    """`tight` (a short answer over its length): why each paper matters in a few words."""
    full = detail == "full"
    lines = ["## 3. Papers and tools", ""]
    if full:
        lines += ["Ordered by relevance to the question; only the sources given were used.", ""]
    lines.append("**Tools (recommended models)**" if fits else "**Tools:** no model was recommended.")
    for f in fits:
        links = "; ".join(labelled_links(f.source)) or "the catalog gives no link for it"
        fit = "" if f.fits else f" It does not perform {qt.name.lower()} itself (see section 2)."
        said = f" {what_it_is(f, 2)}" if full else ""  # section 2 has already said what it is
        lines.append(f"- **{shown_name(f)}** ({links}).{said}{fit}".rstrip())
    papers = [n for n in notes if n.source.kind == "paper"]
    if papers:
        lines += ["", "**Papers**"]
        for i, n in enumerate(papers, 1):
            links = "; ".join(labelled_links(n.source)) or "the catalog gives no link for it"
            said = f" {' '.join(n.sentences)}" if full else ""  # short: why it matters says enough
            why = connection(n, qt, full, brief=bool(tight))
            run = same_mechanism(papers, i - 1)
            if run:  # several works behind one mechanism: say why once, above them
                why = ""
                if i == 1 or not same_mechanism(papers, i - 2) or papers[i - 2].mechanism != n.mechanism:
                    lines.append(f"*The works behind the mechanism asked about ({lower_first(n.mechanism)}):*")
            lines.append(f"{i}. **{n.source.name}** ({links}), *{n.level}*.{said} {why}".rstrip())
    return "\n".join(lines)


def same_mechanism(papers: list[SourceNote], i: int) -> bool:
    """Paper i sits next to another paper behind the same mechanism."""
    m = papers[i].mechanism
    return bool(m) and any(0 <= j < len(papers) and papers[j].mechanism == m for j in (i - 1, i + 1))


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def labelled_links(src: Source) -> list[str]:
    out = []
    if src.paper_url:
        out.append(f"paper: {src.paper_url}")
    if src.github_url:
        out.append(f"GitHub: {src.github_url}")
    out += [f"{k}: {v}" for k, v in src.fields.items() if v.startswith("http")]
    return out


def connection(n: SourceNote, qt: Task, full: bool = True, brief: bool = False) -> str:
    """Why the paper matters, naming the mechanism or task it is about; `brief` (a short answer over its
    length) says it in a few words."""
    shared = ", ".join(n.shared[:3])
    said = f" ({shared})." if shared else "."
    if n.mechanism:
        return f"On {lower_first(n.mechanism)}." if brief else \
            f"Why it matters here: it is one of the works behind the mechanism asked about ({lower_first(n.mechanism)})."
    if n.model:
        name, named = n.model
        whose = "which the question names" if named else "the first model recommended"
        return f"The paper of {name}, {whose}." if brief else f"Why it matters here: it is the paper of {name}, {whose}."
    if n.on_task:
        return f"On {qt.name.lower()}." if brief else f"Why it matters here: it is a paper on {qt.name.lower()}{said}"
    if n.level in ("closely related", "related") and brief:
        return f"It shares {shared} with the question." if shared else "Near the question in meaning."
    if n.level == "closely related":
        return f"Why it matters here: it addresses {qt.name.lower()} directly{said}"
    if n.level == "related":
        return f"Why it matters here: it touches the same ground{said}"
    if not full or brief:
        return f"Only loosely related to {qt.name.lower()}."
    topic = n.source.name.split(":", 1)[-1].strip() if ":" in n.source.name else n.source.name
    overlap = f"it shares only “{'”, “'.join(n.shared[:3])}” with the question" if shared else "it shares little with the question"
    return f"Only loosely related: {overlap}, and its subject ({topic}) is not {qt.name.lower()}."
