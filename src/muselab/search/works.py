"""The papers of models: the work practitioners cite for a model is its own report (the Wan report for a
question about Wan 2.2), found through the paper links of its family's records."""

from __future__ import annotations

import re

from muselab.catalog.families import squash
from muselab.search.link import Link
from muselab.search.models import Recommendation, model_table
from muselab.text import arxiv_id_of


def family_papers(store) -> dict[str, str]:
    """Squashed family name -> the arXiv id of the paper its models' records give, for papers in the corpus."""
    def build():
        out: dict[str, str] = {}
        for m in model_table(store).models:
            pid = arxiv_id_of(m.paper_url)
            if pid and m.family and squash(m.family) not in out and store.paper(pid) is not None:
                out[squash(m.family)] = pid
        return out

    return store.derived("family_papers", ("models", "papers"), build)


# what may follow a family's name in a version or variant of it: 'wan' + '22', 'qwenimage' + 'edit2509'
# (not 'sde' + 'dit': SDEdit is no version of score SDEs)
VERSION_OF = re.compile(r"$|v?\d|edit")


def named_works(store, named: list[list[str]]) -> list[str]:
    """The papers of the models a question names, in its order; per name, the family names it goes by (its
    models' family first). A family's own paper, else that of the family it is a version of ('Wan 2.2' ->
    'Wan'); a family with no paper brings none (FLUX.1: FLUX.1 Kontext is another model, not its base)."""
    papers = family_papers(store)
    out = []
    for families in named:
        for name in families:
            key = squash(name or "")
            base = max((f for f in papers if key.startswith(f) and VERSION_OF.match(key, len(f))), key=len,
                       default=None) if key else None
            if base:
                if papers[base] not in out:
                    out.append(papers[base])
                break
    return out


def model_papers(store, links: list[Link], recs: list[Recommendation]) -> dict[str, tuple[str, bool]]:
    """The papers of the models the question names, then of the first recommended model that fits: paper
    id -> (the model's name as the question writes it or as the catalog shows it, named or not). A named
    model goes by its name, its models' commonest family ('Stable Diffusion 1.5' for 'SD 1.5'), then the
    link's; a name of add-ons only is not its base model's ('IP-Adapter FaceID' files are filed under SDXL,
    but the SDXL report is not their paper)."""
    table = model_table(store)
    out: dict[str, tuple[str, bool]] = {}
    for link in links:
        found = [m.family for n in link.models if (r := table.row.get(n.lower())) is not None
                 and (m := table.models[r]).role in ("model", "api") and m.family]
        families = [link.text] + ([max(dict.fromkeys(found), key=found.count), link.family] if found else [])
        for pid in named_works(store, [families]):
            out.setdefault(pid, (link.text, True))
    for r in [r for r in recs if r.fits][:1]:
        for pid in named_works(store, [[r.model.family]]):
            out.setdefault(pid, (r.model.display_name or r.model.name, False))
    return out
