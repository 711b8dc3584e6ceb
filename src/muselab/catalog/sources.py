"""Conversions between catalog records and the Context's sources (the seed format's entries).

`ask` turns retrieved records into sources; `ingest prompts` turns a prompt's
sources into records. The Context itself (muselab.context) sits below the
catalog and knows nothing of records, so the conversions live here.
"""

from __future__ import annotations

from muselab.catalog.records import Model, Paper
from muselab.catalog.taxonomy import CATCH_ALL, task_from_name
from muselab.context import Source
from muselab.text import arxiv_id_of, norm_url, slug


LINK_LABELS = {"openmodeldb": "OpenModelDB", "comfyui": "ComfyUI nodes", "api": "API"}
# a service's own page before pages about it: a source's 'blog' link may be a third party's article
OWN_PAGES = ("home", "website", "project", "announcement", "api", "docs")


def model_source(m: Model) -> Source:
    fields = {"Hugging Face": m.hf_url} if m.hf_url else {}
    if not (m.paper_url or m.github_url or m.hf_url) and m.links:
        # a service with no repository or paper still has its own page: better than no link at all
        kind, url = min(m.links.items(), key=lambda kv: OWN_PAGES.index(kv[0]) if kv[0] in OWN_PAGES
                        else len(OWN_PAGES))
        fields[LINK_LABELS.get(kind, "Website")] = url
    return Source(name=m.name, kind="model", paper_url=m.paper_url, github_url=m.github_url,
                  summary=m.summary, fields=fields)


def paper_source(p: Paper) -> Source:
    url = p.url or (f"https://arxiv.org/abs/{p.id}" if not p.id.startswith("web:") else None)
    return Source(name=p.title, kind="paper", paper_url=url, github_url=p.github_url, summary=p.summary)


def model_from_source(src: Source, origin: str) -> Model:
    """A thin record of a model named in a prompt: its task read from the name's prefix."""
    return Model(
        name=src.name,
        display_name=src.name,
        task=task_from_name(src.name) or CATCH_ALL,
        summary=src.summary,
        paper_url=src.paper_url,
        github_url=src.github_url,
        hf_url=src.fields.get("Hugging Face"),
        source=origin,
    )


def paper_from_source(src: Source, origin: str) -> Paper:
    aid = arxiv_id_of(src.paper_url)
    pid = aid or "web:" + slug(norm_url(src.paper_url or src.name))[:80]
    return Paper(
        id=pid,
        title=src.name,
        summary=src.summary,
        url=f"https://arxiv.org/abs/{pid}" if aid else src.paper_url,
        pdf_url=src.paper_url,
        github_url=src.github_url,
        source=origin,
    )
