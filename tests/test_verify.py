"""The grounding verifier and `muselab check`."""

from conftest import SEEDS, need_shared
from muselab.context import parse_prompt
from muselab.answer.verify import verify

GOOD = """## 1. Task
Super-resolution.
## 2. Workflow
image -> Txt2Img-StableDiffusionV1-DreamShaper -> image
## 3. Papers and tools
- UMAIR-FPS http://arxiv.org/abs/2402.10381 and https://github.com/oysterqaq/umair-fps/tree/main
"""


def ctx():
    need_shared()
    return parse_prompt(SEEDS[2].read_text(encoding="utf-8"))


def rules(answer, names=()):
    return [(v.rule, v.text) for v in verify(answer, ctx(), names)]


def test_given_links_in_any_form_pass():
    # abs instead of pdf, no version, a deeper GitHub path: all the same sources
    assert rules(GOOD) == []


def test_outside_link_and_arxiv_id_are_caught():
    bad = GOOD + "See also https://github.com/xinntao/Real-ESRGAN and arXiv 2107.10833.\n"
    assert rules(bad) == [("links", "https://github.com/xinntao/Real-ESRGAN"), ("arxiv", "2107.10833")]


def test_outside_catalog_model_name_is_caught():
    bad = GOOD + "Use SR-RealESRGAN-x4plus-anime-6B or Restore-SomethingNew instead.\n"
    assert rules(bad, ["SR-RealESRGAN-x4plus-anime-6B"]) == [
        ("outside-model", "SR-RealESRGAN-x4plus-anime-6B"), ("outside-model", "Restore-SomethingNew")]


def test_ordinary_hyphenated_words_are_not_model_names():
    text = GOOD + "It is an ID-preserving, real-world, SR-style, text-to-image method.\n"
    assert rules(text) == []


def test_missing_model_sections_and_arrows():
    assert rules("Some text about papers.") == [
        ("models", "Txt2Img-StableDiffusionV1-DreamShaper"), ("sections", "task"), ("sections", "workflow"),
        ("workflow", "")]


def test_check_command_exact_output(cli, tmp_path):
    need_shared()
    answer = tmp_path / "answer.md"
    answer.write_text(GOOD + "More: https://example.com/x\n", encoding="utf-8")
    result = cli("check", SEEDS[2], answer)
    assert result.exit_code == 1
    assert result.stdout == ("FAIL [links] link not among the given sources: https://example.com/x\n"
                             "1 violation(s)\n")
    answer.write_text(GOOD, encoding="utf-8")
    result = cli("check", SEEDS[2], answer)
    assert (result.exit_code, result.stdout) == (0, "ok: the answer uses only the given sources\n")


def test_check_accepts_stdin_and_json(cli):
    need_shared()
    result = cli("check", SEEDS[2], "-", "--format", "json", input=GOOD + "arXiv:2101.00001\n")
    assert result.exit_code == 1
    assert '"rule": "arxiv"' in result.stdout


# links in every form a reader would follow; each is outside seed 002's sources
NEAR_MISSES = [
    "github.com/xinntao/Real-ESRGAN",                    # no scheme
    "HTTPS://huggingface.co/Lykon/AnyOtherModel",        # upper-case scheme
    "www.example.com/x",                                 # a www. host
    "example.org/some/page",                             # a bare host.tld/path
    "https://github.com/oysterqaq/some-unrelated-repo",  # the given owner, another repository
    "ARXIV.ORG/ABS/2107.10833",                          # an arXiv link in capitals
]
FORMS = [  # how the link is written around it
    "See {} for more.", "[the code]({})", "<{}>", "([link]({}))", "**{}**",
]


def test_near_miss_links_are_caught_in_every_form():
    for link in NEAR_MISSES:
        for form in FORMS:
            found = [t for r, t in rules(GOOD + form.format(link) + "\n") if r == "links"]
            assert len(found) == 1 and found[0].lower().startswith(link.lower()[:12]), (link, form, found)


def test_given_links_pass_in_every_form():
    given = ["HTTP://ARXIV.ORG/PDF/2402.10381V2.PDF", "arxiv.org/html/2402.10381v1", "www.github.com/OysterQAQ/UMAIR-FPS",
             "https://github.com/oysterqaq/umair-fps.git"]
    for link in given:
        for form in FORMS:
            assert rules(GOOD + form.format(link) + "\n") == [], (link, form)


def test_check_flags_the_near_misses(cli, tmp_path):
    need_shared()
    answer = tmp_path / "answer.md"
    answer.write_text(GOOD + "\n".join(NEAR_MISSES) + "\n", encoding="utf-8")
    result = cli("check", SEEDS[2], answer)
    assert result.exit_code == 1
    assert result.stdout.count("FAIL [links]") == len(NEAR_MISSES)


def test_repair_removes_the_near_misses_and_keeps_given_links():
    from muselab.answer.repair import repair

    c = ctx()
    parts = {"task": "## 1. Task\nx", "workflow": "## 2. Workflow\na → b", "sources": "## 3. Papers\ny"}
    text = GOOD + "\n".join(f"- {form.format(link)}" for link in NEAR_MISSES for form in FORMS) + "\n"
    fixed, report = repair(text, c, parts, [])
    assert report.links == len(NEAR_MISSES) * len(FORMS)
    assert verify(fixed, c, []) == []
    assert "the code" in fixed and "link" in fixed  # Markdown links keep their text
    for link in NEAR_MISSES:
        assert link.lower() not in fixed.lower()
    assert "https://github.com/oysterqaq/umair-fps/tree/main" in fixed and "http://arxiv.org/abs/2402.10381" in fixed
