import pytest

from conftest import SEEDS, need_shared
from muselab.context import parse_prompt
from muselab.errors import BadInput

PROMPT = '''You are an AI scientist.

A user has asked the following question:
"How do I upscale my anime screenshot?"

Based on the following recommended models, explain:

### Recommended AI Models:
Model: SR-Example-x2
Paper: None
Model: NST-Other
GitHub: https://github.com/a/b

### Related Papers:
Model: A paper about upscaling
Paper: http://arxiv.org/pdf/2401.00001v2.pdf
Summary: First line of a summary
that wraps onto a second line.

Model: A paper without a link

Answer:
'''


def test_seed_prompts_round_trip_exactly():
    need_shared()
    for seed in SEEDS:
        text = seed.read_text(encoding="utf-8")
        assert parse_prompt(text).to_prompt() == text, seed.name


def test_missing_lines_and_paper_none():
    ctx = parse_prompt(PROMPT)
    assert ctx.question == "How do I upscale my anime screenshot?"
    assert [m.name for m in ctx.models] == ["SR-Example-x2", "NST-Other"]
    assert ctx.models[0].paper_url is None and ctx.models[0].github_url is None
    assert ctx.models[1].github_url == "https://github.com/a/b"
    assert ctx.papers[0].arxiv_id == "2401.00001"
    assert ctx.papers[0].summary == "First line of a summary that wraps onto a second line."
    assert ctx.papers[1].paper_url is None
    assert [s.key for s in ctx.sources] == ["M1", "M2", "P1", "P2"]


def test_allowed_sources_are_every_given_link():
    ctx = parse_prompt(PROMPT)
    assert ctx.allowed_links() == {"arxiv:2401.00001", "github:a/b"}
    assert ctx.allowed_arxiv_ids() == {"2401.00001"}


def test_prompt_without_question_is_refused():
    with pytest.raises(BadInput, match="no question found"):
        parse_prompt("### Recommended AI Models:\nModel: X\n")


def test_prompt_without_models_is_refused():
    text = PROMPT.split("### Recommended")[0] + "### Related Papers:\nModel: P\n"
    with pytest.raises(BadInput, match="no recommended models"):
        parse_prompt(text)
