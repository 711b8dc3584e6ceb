"""Bad input: one line on stderr, exit code 2, no traceback, stored data intact."""

import pytest

from conftest import SEEDS, need_shared, run_muselab


def assert_clean_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_empty_file(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("  \n", encoding="utf-8")
    assert_clean_error(run_muselab("answer", f), f"prompt file {f} is empty")


def test_prompt_with_no_models(tmp_path):
    need_shared()
    text = SEEDS[0].read_text(encoding="utf-8")
    head, tail = text.split("### Recommended AI Models:")
    f = tmp_path / "no-models.txt"
    f.write_text(head + "### Recommended AI Models:\n\n### Related Papers:" + tail.split("### Related Papers:")[1],
                 encoding="utf-8")
    assert_clean_error(run_muselab("answer", f), "no recommended models")


def test_non_utf8_bytes(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes('A user has asked the following question:\n"caf\xe9?"\n'.encode("latin-1"))
    assert_clean_error(run_muselab("answer", f), "is not UTF-8 text (bad byte at offset")


def test_twenty_megabyte_file(tmp_path):
    f = tmp_path / "big.txt"
    f.write_bytes(b"x" * (20 * 1024 * 1024))
    assert_clean_error(run_muselab("answer", f), "20,971,520 bytes; the limit is 1,000,000")


def test_missing_file(tmp_path):
    assert_clean_error(run_muselab("answer", tmp_path / "nope.txt"), "prompt file not found")


def test_directory_instead_of_file(tmp_path):
    assert_clean_error(run_muselab("answer", tmp_path), "is a directory")


def test_binary_file(tmp_path):
    f = tmp_path / "image.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_clean_error(run_muselab("answer", f))


def test_unknown_example():
    assert_clean_error(run_muselab("answer", "--example", "nope"), "no example 'nope'; examples: ")


def test_check_with_missing_answer(tmp_path):
    need_shared()
    assert_clean_error(run_muselab("check", SEEDS[0], tmp_path / "none.md"), "answer file not found")


def test_corrupted_store(tmp_path):
    need_shared()
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not a database" * 100)
    proc = run_muselab("answer", SEEDS[0], env={"MUSELAB_DB": str(db)})
    assert_clean_error(proc, f"catalog store {db} is damaged", "move it away")
    assert db.read_bytes() == b"this is not a database" * 100  # left for the user to inspect


def test_store_path_is_a_directory(tmp_path):
    need_shared()
    assert_clean_error(run_muselab("--db", tmp_path, "answer", SEEDS[0]), "is a directory")


def test_bad_setting_value(tmp_path):
    need_shared()
    proc = run_muselab("answer", SEEDS[0], env={"MUSELAB_MAX_PROMPT_BYTES": "lots"})
    assert_clean_error(proc, "setting max_prompt_bytes")


def test_unknown_ingest_kind(tmp_path):
    assert_clean_error(run_muselab("ingest", "pdf", tmp_path), "unknown ingest 'pdf'; available: arxiv, comfyui, comfyui-nodes, comfyui-templates, diffusers, markdown, "
                                                              "openmodeldb, prompts")


def test_ingest_missing_path(tmp_path):
    assert_clean_error(run_muselab("ingest", "arxiv", tmp_path / "none.jsonl"), "no such file or folder")


def test_bad_ingest_keeps_stored_data(tmp_path):
    db = tmp_path / "c.db"
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "2501.00001", "title": "Kept paper"}\n', encoding="utf-8")
    assert run_muselab("ingest", "arxiv", good, env={"MUSELAB_DB": str(db)}).returncode == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "2501.00001", "title": "Overwritten?"}\n{"id": \n', encoding="utf-8")
    proc = run_muselab("ingest", "arxiv", bad, env={"MUSELAB_DB": str(db)})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"error: {bad}:2: invalid JSON" in proc.stderr
    from muselab.catalog.store import Store

    assert Store(db).paper("2501.00001").title == "Kept paper"


@pytest.mark.parametrize("args", [["--help"], ["answer", "--help"], ["check", "--help"], ["ingest", "--help"]])
def test_help_works(args):
    proc = run_muselab(*args)
    assert proc.returncode == 0 and "Usage:" in proc.stdout
