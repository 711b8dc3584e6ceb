"""The catalog store: migrations, upserts, FTS, all-or-nothing ingest."""

import gzip
import json
import sqlite3

import pytest

from conftest import SHARED, need_shared
from muselab.catalog.ingest import ingest_path
from muselab.catalog.ingest.arxiv import ingest as arxiv
from muselab.catalog.ingest.markdown import ingest as markdown
from muselab.catalog.ingest.prompts import ingest as prompts
from muselab.catalog.migrations import MIGRATIONS
from muselab.catalog.store import Store


def paper_line(i, **extra):
    return json.dumps({"id": f"2501.{i:05d}", "title": f"Paper {i} on anime super-resolution",
                       "summary": f"We upscale quokkagrams, number {i}.", "authors": ["A. B"],
                       "categories": ["cs.CV"], **extra}) + "\n"


def test_migrations_are_named_recorded_and_applied_once(tmp_path):
    s = Store(tmp_path / "a.db")
    assert s.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert s.migrate() == []  # nothing left to apply
    s.close()


def test_old_store_gets_only_the_new_migrations(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    conn.executescript(MIGRATIONS[0][1])
    conn.execute("INSERT INTO migrations VALUES ('001_catalog', 'then')")
    conn.execute("INSERT INTO papers (id, title, summary) VALUES ('1', 'Old paper about upscaling', '')")
    conn.commit()
    conn.close()
    s = Store(path)
    assert s.applied_migrations() == [name for name, _ in MIGRATIONS]
    # the full-text index was built over rows that existed before it
    hits = s.conn.execute("SELECT rowid FROM papers_fts WHERE papers_fts MATCH 'upscaling'").fetchall()
    assert len(hits) == 1


def test_arxiv_ingest_is_idempotent_and_searchable(store, tmp_path):
    f = tmp_path / "papers.jsonl.gz"
    f.write_bytes(gzip.compress("".join(paper_line(i) for i in range(50)).encode()))
    first = ingest_path(store, arxiv, f, progress=False)
    assert first[0].error is None and first[0].papers == 50 and first[0].changed > 0
    again = ingest_path(store, arxiv, f, progress=False)
    assert again[0].changed == 0
    p = store.paper("2501.00007")
    assert p.title == "Paper 7 on anime super-resolution" and p.authors == ["A. B"]
    rows = store.conn.execute("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'quokkagrams'").fetchone()
    assert rows[0] == 50


def test_kaggle_snapshot_shape(store, tmp_path):
    f = tmp_path / "kaggle.jsonl"
    f.write_text(json.dumps({"id": "0704.0001", "title": "Calculation of prompt diphoton production",
                             "abstract": "  A fully differential calculation.  ", "authors": "C. Balázs, E. L. Berger and P. M. Nadolsky",
                             "categories": "hep-ph cs.CV", "update_date": "2008-11-13"}) + "\n", encoding="utf-8")
    assert ingest_path(store, arxiv, f, progress=False)[0].error is None
    p = store.paper("0704.0001")
    assert p.summary == "A fully differential calculation."
    assert p.categories == ["hep-ph", "cs.CV"] and p.authors[-1] == "P. M. Nadolsky"
    assert p.published == "2008-11-13"


@pytest.mark.parametrize("bad_line, message", [
    ("{not json\n", "invalid JSON"),
    (json.dumps({"title": "no id"}) + "\n", "missing 'id'"),
    (json.dumps({"id": "2501.99999"}) + "\n", "missing 'title'"),
    ("[1, 2]\n", "one JSON object"),
])
def test_bad_record_rolls_back_the_whole_file(store, tmp_path, bad_line, message):
    before = store.count("papers")
    f = tmp_path / "bad.jsonl"
    lines = [paper_line(i) for i in range(10)]
    lines.insert(6, bad_line)
    f.write_text("".join(lines), encoding="utf-8")
    report = ingest_path(store, arxiv, f, progress=False)[0]
    assert report.error == f"{f}:7: " + report.error.split(":7: ", 1)[1]
    assert message in report.error
    assert store.count("papers") == before  # not half-ingested


def test_non_utf8_catalog_file_is_reported(store, tmp_path):
    f = tmp_path / "latin1.jsonl"
    f.write_bytes(paper_line(1).encode() + b'{"id": "x", "title": "caf\xe9"}\n')
    report = ingest_path(store, arxiv, f, progress=False)[0]
    assert report.error == f"{f}:2: not UTF-8 text"
    assert store.paper("2501.00001") is None


def test_write_failure_midway_rolls_back(store, tmp_path, monkeypatch):
    f = tmp_path / "ok.jsonl"
    f.write_text("".join(paper_line(i) for i in range(5)), encoding="utf-8")
    real = store.upsert_papers

    def failing(papers):
        real(list(papers)[:3])
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "upsert_papers", failing)
    before = store.count("papers")
    with pytest.raises(RuntimeError):
        ingest_path(store, arxiv, f, progress=False)
    assert store.count("papers") == before


def test_prompt_ingest_fills_but_never_overwrites(store):
    need_shared()
    seeds = SHARED / "seeds"
    before = store.model("NST-fast-neural-style-rain-princess")
    reports = ingest_path(store, prompts, seeds, progress=False)
    # the folder also holds 004, a link page: reported, the four prompts still land
    assert [r.error is None for r in reports] == [True, True, True, True, False]
    assert "004_47c78e82488e395f.txt: no question found" in reports[-1].error
    after = store.model("NST-fast-neural-style-rain-princess")
    assert after.task == before.task == "style-transfer"
    assert "pytorch/examples" in after.weights_source  # the catalog's correction survives
    assert store.paper("2402.12974").github_url == "https://github.com/naver-ai/Visual-Style-Prompting"


def test_markdown_ingest_of_the_lecture_page(store, tmp_path):
    need_shared()
    page = next((SHARED / "seeds").glob("004_*.txt"))
    records = markdown.read(page, progress=False)
    names = {m.name: m for m in records.models}
    sd = names["Txt2Img-Stable-Diffusion"]
    assert sd.task == "text-to-image" and sd.paper_url == "https://arxiv.org/abs/2112.10752"
    assert sd.github_url == "https://github.com/CompVis/stable-diffusion" and "demo" in sd.links
    assert names["Txt2Img-SDXL"].hf_url == "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0"
    assert names["Img23D-Zero123"].links["kaggle"].startswith("https://www.kaggle.com/")
    assert {p.id for p in records.papers} >= {"2112.10752", "2307.04725", "2310.15110"}
    # a paper link split over two lines keeps its URL
    assert names["Txt23D-AssetGen"].paper_url.startswith("https://scontent")


def test_markdown_without_sections_is_refused(store, tmp_path):
    f = tmp_path / "page.md"
    f.write_text("just text\n", encoding="utf-8")
    report = ingest_path(store, markdown, f, progress=False)[0]
    assert report.error == f"{f}: no '## section' headings found; is this a link page?"


def test_builtin_catalog_is_loaded_once_and_refreshed_on_change(isolated):
    from muselab.catalog import builtin, open_store
    from muselab.settings import Settings

    s = open_store(Settings.load())
    assert s.get_meta("builtin_version") == builtin.version()
    assert s.model("SR-RealESRGAN-x4plus-anime-6B").runnable
    s.set_meta("builtin_version", "old")
    s.conn.execute("DELETE FROM models WHERE name = 'SR-Lanczos'")
    s.close()
    s = open_store(Settings.load())
    assert s.model("SR-Lanczos") is not None


def test_derived_structures_follow_writes_inside_and_outside_a_steady_block(tmp_path):
    """steady() reads the catalog's versions once for a whole question; a write inside the block still
    counts at once, another connection's write from the next block on."""
    path = tmp_path / "c.db"
    store, other = Store(path), Store(path)
    builds = []
    build = lambda: builds.append(1) or len(builds)  # noqa: E731
    with store.steady():
        assert store.derived("x", ("models",), build) == 1
        other.changed("models")  # another process's write: this question keeps the state it started with
        assert store.derived("x", ("models",), build) == 1
        store.changed("models")  # this connection's own write counts at once
        assert store.derived("x", ("models",), build) == 2
    other.changed("models")
    with store.steady():
        assert store.derived("x", ("models",), build) == 3
        with store.steady():  # nested blocks share the outer one
            assert store.derived("x", ("models",), build) == 3
    assert store.derived("x", ("models",), build) == 3  # outside a block: read each time, unchanged
    other.changed("models")
    assert store.derived("x", ("models",), build) == 4
