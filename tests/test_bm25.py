"""The in-memory BM25 is FTS5's bm25(): same tokens, stems, weights and scores."""

import pytest

from muselab.search.bm25 import bm25_index, build, fts5_stems, tokens
from muselab.search.papers import PaperSearch, fts_terms, lexical

QUERIES = [
    "I enlarged a blurry illustration by 2x and it looked like crisp anime art",
    "text to video diffusion models with camera control",
    "remove concepts from diffusion model",
    "virtual try-on diffusion garments",
    "Zürich naïve café résumé",  # accents: unicode61 removes diacritics
]


@pytest.mark.parametrize("query", QUERIES)
def test_scores_equal_fts5(store, query):
    index = build(store.conn)
    ours = index.top(" ".join(fts_terms(query)), 20)
    sql = lexical(store, query, 20)
    assert [i for i, _ in ours] == [h.id for h in sql]
    for (_, a), h in zip(ours, sql):
        assert a == pytest.approx(h.score, rel=1e-4)


def test_tokens_follow_unicode61():
    assert tokens("Real-ESRGAN x4plus, 2x_upscale CAFÉ") == ["real", "esrgan", "x4plus", "2x", "upscale", "cafe"]


def test_stems_come_from_fts5_itself():
    assert fts5_stems(["upscaling", "styles", "generation"]) == {
        "upscaling": "upscal", "styles": "style", "generation": "gener"}


def test_index_is_cached_and_rebuilt_when_papers_change(store, settings):
    from muselab.catalog.records import Paper

    first = bm25_index(store, settings.cache_dir)
    assert bm25_index(store, settings.cache_dir) is first
    with store.transaction():
        store.upsert_papers([Paper(id="2601.99999", title="Quokkagram upscaling", summary="A test paper.")])
    second = bm25_index(store, settings.cache_dir)
    assert second is not first and "2601.99999" in second.ids
    files = list((settings.cache_dir / "bm25").glob("*.npz"))
    assert len([f for f in files if f.name.startswith(files[0].name.split("-")[0])]) >= 1


def test_lexical_search_mode_uses_the_same_ranking(store, settings):
    search = PaperSearch(store, None, settings.cache_dir)
    hits = search.search(QUERIES[0], mode="lexical", k=10)
    assert [h.id for h in hits] == [h.id for h in lexical(store, QUERIES[0], 10)]


def test_cue_spans_match_exactly_where_the_cue_pattern_does():
    """The cue index finds phrases without compiling a pattern per phrase; it must agree with the pattern
    that defines a cue (whole words, a plural 's' or 'es' allowed) on any text."""
    import random
    import re

    from muselab.catalog.taxonomy import cue_spans

    def cue_re(phrase):
        return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?:s|es)?(?![a-z0-9])")

    rng = random.Random(7)
    for _ in range(20000):
        # (letters that make no determiner: those are passed over, tested below)
        text = "".join(rng.choice("ob se-x1") for _ in range(rng.randint(0, 14))).replace("-", " ")
        phrase = ("".join(rng.choice("obse x") for _ in range(rng.randint(1, 3))).strip()) or "o"
        assert list(cue_spans(phrase, text)) == [m.span() for m in cue_re(phrase).finditer(text)], (phrase, text)


@pytest.mark.parametrize("phrase, text, spans", [
    ("remove person", "how do i remove a person from my photo", [(9, 24)]),
    ("remove person", "remove the persons, then remove person", [(0, 18), (25, 38)]),
    ("remove person", "remove that other person", []),  # only determiners are passed over
    ("my drawing into a", "turn my drawing into a photo", [(5, 22)]),  # a cue's own determiners stay
    ("my drawing into a", "turn drawing into photo", []),
    ("drawing", "a drawing", [(2, 9)]),
    ("x", "that's x", [(7, 8)]),
    ("is ai", "is the ai just stubborn?", []),  # a question's own wording is not stretched
])
def test_a_cue_passes_over_determiners_the_text_puts_between_its_words(phrase, text, spans):
    from muselab.catalog.taxonomy import cue_spans

    assert sorted(cue_spans(phrase, text)) == spans


def test_a_cue_that_starts_after_a_passed_over_determiner_is_found_by_the_index():
    from muselab.catalog.taxonomy import CueIndex

    index = CueIndex([("at higher resolution", "hires"), ("remove person", "removal")])
    found = {(s, e, what) for s, e, what in index.matches("images at a higher resolution, remove the person")}
    assert found == {(7, 29, "hires"), (31, 48, "removal")}
