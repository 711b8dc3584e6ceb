"""The Context: a question plus the sources an answer may use.

`answer` parses it from a seed-format prompt file, `ask` builds it from
retrieval, every composer takes it and the verifier checks answers against it.
`Context.to_prompt()` writes the exact seed format back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from muselab.errors import BadInput
from muselab.text import STOPWORDS, arxiv_id_of, arxiv_ids, find_urls, norm_url

INSTRUCTIONS = """Based on the following recommended models, explain:

1. What task the user is trying to perform.
2. How the model(s) would work in a CNAPS AI-like workflow (input → model → output).
3. List relevant papers and tools (with GitHub or ArXiv links) that support your answer.

Use **only the provided models and papers**. Do not refer to outside sources."""

FIELD_RE = re.compile(r"^([A-Za-z][A-Za-z ]{0,20}):\s*(.*)$")
# field names as the seed format writes them, in the order it writes them
FIELD_NAMES = {"paper": "Paper", "github": "GitHub", "hugging face": "Hugging Face", "summary": "Summary"}


@dataclass
class Source:
    """One given model or paper: the 'Model:' line and the lines under it."""

    name: str
    kind: str  # "model" or "paper"
    paper_url: str | None = None
    github_url: str | None = None
    summary: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # any other 'Key: value' lines
    key: str = ""  # citation key, M1.. / P1..

    @property
    def links(self) -> list[str]:
        return [u for u in (self.paper_url, self.github_url, *self.fields.values()) if u and u.startswith("http")]

    @property
    def arxiv_id(self) -> str | None:
        return arxiv_id_of(self.paper_url)

    def to_lines(self, include_empty_paper: bool) -> list[str]:
        lines = [f"Model: {self.name}"]
        if self.paper_url or include_empty_paper:
            lines.append(f"Paper: {self.paper_url or 'None'}")
        if self.github_url:
            lines.append(f"GitHub: {self.github_url}")
        lines += [f"{k}: {v}" for k, v in self.fields.items()]
        if self.summary:
            lines.append(f"Summary: {self.summary}")
        return lines


@dataclass
class Context:
    question: str
    models: list[Source]
    papers: list[Source]

    def __post_init__(self):
        for i, m in enumerate(self.models, 1):
            m.key = m.key or f"M{i}"
        for i, p in enumerate(self.papers, 1):
            p.key = p.key or f"P{i}"

    @property
    def sources(self) -> list[Source]:
        return self.models + self.papers

    def allowed_links(self) -> set[str]:
        """Every URL written anywhere in the given sources, normalised."""
        return {norm_url(u) for u in find_urls(self.source_text())}

    def allowed_arxiv_ids(self) -> set[str]:
        return arxiv_ids(self.source_text())

    def source_text(self) -> str:
        return "\n".join("\n".join(s.to_lines(True)) for s in self.sources)

    def to_prompt(self) -> str:
        models = "\n\n".join("\n".join(m.to_lines(True)) for m in self.models)
        papers = "\n\n".join("\n".join(p.to_lines(False)) for p in self.papers)
        return (
            "You are an AI scientist.\n\n"
            f'A user has asked the following question:\n"{self.question}"\n\n'
            f"{INSTRUCTIONS}\n\n"
            f"### Recommended AI Models:\n{models}\n\n"
            f"### Related Papers:\n{papers}\n\n\n"
            "Answer:\n"
        )


def read_text_file(path: str | Path, max_bytes: int, what: str = "prompt") -> str:
    """Read a user-given file as UTF-8 text, with one-line errors for every bad case."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{what} file not found: {path}")
    if path.is_dir():
        raise BadInput(f"{what} path is a directory, not a file: {path}")
    size = path.stat().st_size
    if size > max_bytes:
        raise BadInput(
            f"{what} file {path} is {size:,} bytes; the limit is {max_bytes:,} "
            "(a seed prompt is about 6 kB; raise it with MUSELAB_MAX_PROMPT_BYTES)"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} file {path} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise BadInput(f"{what} file {path} is empty")
    if "\x00" in text:
        raise BadInput(f"{what} file {path} contains NUL bytes; is it a binary file?")
    return text


def parse_prompt(text: str, origin: str = "prompt") -> Context:
    """Parse a seed-format prompt. Tolerates missing lines and 'Paper: None'."""
    text = text.replace("\r\n", "\n")
    m = re.search(r'asked the following question:\s*\n\s*["“](.*?)["”]\s*\n', text, re.S)
    if not m:
        raise BadInput(
            f"{origin}: no question found (expected 'A user has asked the following question:' "
            'and the question in double quotes on the next line)'
        )
    question = " ".join(m.group(1).split())
    models_block = _section(text, "### Recommended AI Models:", ("### Related Papers:",))
    papers_block = _section(text, "### Related Papers:", ())
    models = _entries(models_block, "model")
    if not models:
        raise BadInput(
            f"{origin}: no recommended models (expected a '### Recommended AI Models:' section with 'Model:' lines)"
        )
    return Context(question=question, models=models, papers=_entries(papers_block, "paper"))


def _section(text: str, start: str, ends: tuple[str, ...]) -> str:
    i = text.find(start)
    if i < 0:
        return ""
    body = text[i + len(start):]
    cut = [body.find(e) for e in ends if body.find(e) >= 0]
    m = re.search(r"^\s*Answer:\s*$", body, re.M)
    if m:
        cut.append(m.start())
    return body[: min(cut)] if cut else body


def _entries(block: str, kind: str) -> list[Source]:
    entries: list[Source] = []
    last_field = None
    for line in block.split("\n"):
        line = line.rstrip()
        if not line.strip():
            continue
        fm = FIELD_RE.match(line.strip())
        if fm and fm.group(1).strip().lower() == "model":
            entries.append(Source(name=fm.group(2).strip(), kind=kind))
            last_field = None
            continue
        if not entries:
            continue  # text before the first entry is not part of any source
        src = entries[-1]
        if fm:
            key, value = fm.group(1).strip().lower(), fm.group(2).strip()
            value = "" if value.lower() in ("none", "n/a", "-") else value
            if key == "paper":
                src.paper_url = value or None
            elif key in ("github", "code"):
                src.github_url = value or None
            elif key in ("summary", "abstract"):
                src.summary = value
            elif value:
                src.fields[FIELD_NAMES.get(key, fm.group(1).strip())] = value
            last_field = key
        elif last_field in ("summary", "abstract"):
            src.summary = f"{src.summary} {line.strip()}".strip()  # a summary wrapped over lines
    return entries


def check_question(question: str, max_chars: int) -> str:
    """A question as muselab takes it (white space collapsed), or a one-line refusal that says the fix."""
    q = question.strip()
    if not q:
        raise BadInput("the question is empty; ask something like: muselab ask \"How do AI upscalers sharpen anime art?\"")
    if len(q) > max_chars:
        raise BadInput(f"the question is {len(q):,} characters; the limit is {max_chars:,} "
                       "(ask one question; raise the limit with MUSELAB_MAX_QUESTION_CHARS)")
    bad = next((c for c in q if unicodedata.category(c) == "Cc" and c not in "\t\n\r"), None)
    if bad is not None:
        raise BadInput(f"the question contains a control character ({bad!r} at position {q.index(bad)}); remove it")
    if not_english(q):
        raise BadInput("muselab's catalog, taxonomy and embeddings are English; this question does not look "
                       "English. Please ask it in English")
    return " ".join(q.split())


# the commonest function words of the languages a question most often comes in besides English: a question
# is refused as not English only when they outnumber its English function words. Product names, versions,
# all caps, emoji and code-like tokens are never a reason to refuse.
FOREIGN = frozenset("""der die das und ist nicht mit für wie diese dieser eine einen ich ich kann auf auch aber
    oder bei wird sind von zum zur le la les des une est pas avec pour dans qui que sur mais comment cette
    el los las una es con por para como pero más del que se lo il gli della sono per che come questa
    uma não com para como mais são het een niet voor zijn ook maar hoe deze van""".split())


def not_english(question: str) -> bool:
    letters = [c for c in question if c.isalpha()]
    if letters and sum(1 for c in letters if c.isascii()) / len(letters) < 0.5:
        return True  # mostly another script
    words = re.findall(r"[^\W\d_]+", question.lower())
    foreign = sum(1 for w in words if w in FOREIGN)
    english = sum(1 for w in words if w in STOPWORDS)
    return foreign >= 2 and foreign > english
