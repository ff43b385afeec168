"""What `start()` says first: the preset, the device, this chapter's time and, on Colab, what an empty
cache makes the chapter rebuild; and the gated licence refused before anything downloads."""

import json
import os
import re
import sys
import types

import httpx2
import pytest
import torch
from huggingface_hub.utils import GatedRepoError, hf_raise_for_status

from helpers import cache, models, rebuilds, results
from helpers.models import PresetUnavailable
from helpers.run import start
from test_notebook_lint import ROOT

GEMMA = models.get_preset("gemma-2-2b").hf_repo


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def colab(monkeypatch):
    """A stand-in for Colab's module: `start` looks for "google.colab" in sys.modules (removed after)."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


def _first_lines(capsys, *args, **kwargs) -> list[str]:
    start(*args, **kwargs)
    return capsys.readouterr().out.splitlines()


def test_the_time_line_is_the_instructor_pages_figure(tmp_path, tmp_cache, capsys):
    lines = _first_lines(capsys, "tiny", "standard", 0, str(tmp_path / "out"), chapter="03_reproduction")
    assert lines[1:3] == [f"device: no GPU, {os.cpu_count()} CPU cores",
                          "this chapter: about 55 s (measured on a CPU)"]
    assert results.chapter_time("tiny", "03_reproduction").text == results.WRITTEN_TIMES["tiny"][2][3] == "55 s"
    smoke = _first_lines(capsys, "tiny", "smoke", 0, str(tmp_path / "out"), chapter="03_reproduction")
    assert smoke[2] == "this chapter: about 55 s (measured on a CPU, at budget standard)"  # no smoke time is written
    assert not any("Drive" in line for line in lines + smoke)  # off Colab, nothing about Drive


def test_chapter_times_are_the_instructor_pages(tmp_path):
    """Every cell of the instructor page is chapter_time's text (nothing committed here: all written)."""
    rows = results.instructor_times(tmp_path / "results").splitlines()[2:]
    for row, chapter in zip(rows, results.CHAPTERS, strict=True):
        assert row.strip("| ").split(" | ")[1:] == [results.chapter_time(p, chapter, results_dir=tmp_path / "results").text
                                                   for p in results.WRITTEN_TIMES]
    assert results.chapter_time("gpt2-small", "02_fine_tuning", results_dir=tmp_path).describe() == \
        "about 10 min (estimate for a T4)"
    assert results.chapter_time("gemma-2-2b", "06_ablation", results_dir=tmp_path).describe() == \
        "about 3 h (estimate for an A100 80 GB)"


def test_a_committed_time_replaces_the_estimate(tmp_path):
    folder = tmp_path / "results" / "gpt2-small" / "standard"
    folder.mkdir(parents=True)
    (folder / "02_fine_tuning.json").write_text(json.dumps({"preset": "gpt2-small", "budget": "standard", "seed": 0,
                                                           "seconds": 750.0, "device": "Tesla T4"}))
    t = results.chapter_time("gpt2-small", "02_fine_tuning", "smoke", tmp_path / "results")
    assert (t.text, t.seconds, t.committed) == ("12.5 min", 750.0, True)
    assert t.describe("smoke") == "about 12.5 min (measured on a Tesla T4, at budget standard)"
    assert "| 2 Fine-tuning | 3.0 min | 5 min | 12.5 min | 45 min |" in results.instructor_times(tmp_path / "results")
    assert results.chapter_time("gpt2-small", "03_reproduction", "standard", tmp_path / "results").how == "estimate"


def test_written_times_lead_with_the_first_run():
    assert results.first_seconds(results.WRITTEN_TIMES["tiny"][2][4]) == 9.7 * 60  # "9.7 min first run, 1 min cached"
    assert results.first_seconds(results.WRITTEN_TIMES["tiny"][2][0]) == 3.6 * 60  # the tiny model and its SAE
    assert results.first_seconds(results.WRITTEN_TIMES["gemma-2-2b"][2][7]) == 3 * 3600
    for hardware, how, written in results.WRITTEN_TIMES.values():
        assert len(written) == len(results.CHAPTERS) and all(results.first_seconds(t) > 0 for t in written)
    with pytest.raises(ValueError, match="must start with a duration"):
        results.first_seconds("a while")


def _code(chapter: str) -> str:
    cells = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


USES = {  # how a chapter's code reads an earlier chapter's work from the cache (see helpers.rebuilds)
    "00_setup": r"load_(model|tokenizer|sae|finetuned)\(|finetuned_folder\(|reproduction\.samples\(|finetune\.stats\(",
    "02_fine_tuning": r"load_finetuned\(|finetuned_folder\(|reproduction\.samples\(|finetune\.stats\(",
    "03_reproduction": r"reproduction\.samples\(",
}


@pytest.mark.parametrize("chapter", list(results.CHAPTERS))
def test_the_rebuild_map_matches_each_chapters_calls(chapter):
    code, needs = _code(chapter), rebuilds.NEEDS[chapter]
    used = {builder for builder, pattern in USES.items() if re.search(pattern, code) and builder != chapter}
    assert {n.chapter for n in needs} == used
    order = list(results.CHAPTERS)
    assert all(order.index(n.chapter) < order.index(chapter) for n in needs)  # only earlier chapters
    sae = any("tiny-sae" in n.kinds for n in needs)
    assert sae == ("load_sae(" in code and chapter != "00_setup")


def test_the_rebuild_map_names_real_cache_kinds():
    helpers = "".join(p.read_text() for p in (ROOT / "src" / "helpers").glob("*.py"))
    kinds = {k for needs in rebuilds.NEEDS.values() for n in needs for k in n.kinds}
    assert kinds and all(f'artifact("{k}"' in helpers for k in kinds)
    assert set(rebuilds.NEEDS) == set(results.CHAPTERS)


def test_on_colab_a_chapter_says_what_it_rebuilds_and_how_long(tmp_path, tmp_cache, colab, capsys):
    lines = _first_lines(capsys, "tiny", "standard", 0, str(tmp_path / "out"), chapter="03_reproduction")
    took = sum(results.first_seconds(results.WRITTEN_TIMES["tiny"][2][i]) for i in (0, 2))  # chapters 0 and 2
    assert lines[3] == ("first, this chapter rebuilds what this runtime's cache lacks: the tiny model (chapter 0) and "
                        f"the fine-tuned models (chapter 2), up to about {results.duration(took)} (measured on a CPU)")
    assert results.duration(took) == "6.6 min"
    assert lines[4] == "set CACHE_ON_DRIVE = True in the first cell to keep the cache on Google Drive, across runtimes"
    first = _first_lines(capsys, "tiny", "standard", 0, str(tmp_path / "out"), chapter="00_setup")
    assert first[3:] == [lines[4]]  # nothing to rebuild; the advice stays


def test_on_colab_what_the_cache_holds_is_not_rebuilt(tmp_path, tmp_cache, colab):
    for kind, key in (("tiny-model", {"preset": "tiny", "sizes": 1}),
                      ("finetune", {"preset": "tiny", "budget": "smoke", "condition": "L1"})):
        cache.artifact(kind, key, lambda folder: (folder / "x").write_text("x"))
    assert rebuilds.missing("03_reproduction", "tiny", "smoke") == []
    assert rebuilds.missing("03_reproduction", "tiny", "standard") == [rebuilds.FINE_TUNES]  # another budget's
    assert rebuilds.missing("04_sae_overlap", "tiny", "smoke") == [rebuilds.TINY_MODEL_SAE, rebuilds.SAMPLES]


def test_a_real_preset_on_colab_rebuilds_only_the_books_cache(tmp_path, tmp_cache, colab, capsys, monkeypatch):
    """gpt2-small on a T4: its weights come from the hub in every runtime; the fine-tunes are the book's."""
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 15.8)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(models, "has_hf_token", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=0: "Tesla T4")
    lines = _first_lines(capsys, "auto", "standard", 0, str(tmp_path / "out"), chapter="03_reproduction")
    assert lines[0].startswith("PRESET auto -> gpt2-small: a GPU with 16 GB")
    assert lines[2:6] == ["device: Tesla T4, 16 GB of GPU memory", "this chapter: about 10 min (estimate for a T4)",
                          "first, this chapter rebuilds what this runtime's cache lacks: the fine-tuned models "
                          "(chapter 2), up to about 10 min (estimate for a T4)",
                          "set CACHE_ON_DRIVE = True in the first cell to keep the cache on Google Drive, across runtimes"]


def test_a_cache_on_drive_is_named_in_one_line(tmp_path, colab, capsys, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "drive" / "MyDrive" / "warning-framing-book" / "cache"))
    lines = _first_lines(capsys, "tiny", "standard", 0, str(tmp_path / "out"), chapter="06_ablation")
    assert lines[3:] == [f"cache: on Google Drive ({cache.cache_root()}); earlier chapters' work is read from there"]


def _gated_refusal() -> GatedRepoError:
    """The error huggingface_hub raises when the token's account has not accepted the licence."""
    url = f"https://huggingface.co/api/models/{GEMMA}/auth-check"
    response = httpx2.Response(403, request=httpx2.Request("GET", url), headers={
        "X-Error-Code": "GatedRepo", "X-Error-Message": f"Access to model {GEMMA} is restricted and you are not in the authorized list."})
    with pytest.raises(GatedRepoError) as refused:
        hf_raise_for_status(response)
    return refused.value


def test_a_licence_not_accepted_says_where_to_accept_it(tmp_path, capsys, monkeypatch):
    import huggingface_hub

    refused = _gated_refusal()
    message = models.licence_message(GEMMA, refused)
    assert f"accept the licence at https://huggingface.co/{GEMMA}" in message.lower()
    assert "not in the authorized list" in message
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 80.0)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(models, "has_hf_token", lambda: True)
    asked = []

    def auth_check(repo_id, **kwargs):
        asked.append(repo_id)
        raise refused

    monkeypatch.setattr(huggingface_hub, "auth_check", auth_check)
    with pytest.raises(PresetUnavailable) as unavailable:
        start("gemma-2-2b", "smoke", 0, str(tmp_path / "out"), chapter="03_reproduction")
    assert str(unavailable.value) == message and asked == [GEMMA]
    assert capsys.readouterr().out.splitlines()[2].startswith("this chapter: about 40 min")  # said before refusing
    assert not (tmp_path / "out").exists()


def test_the_licence_check_leaves_other_failures_to_the_download(monkeypatch):
    import huggingface_hub

    def unreachable(repo_id, **kwargs):
        raise httpx2.ConnectError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "auth_check", unreachable)
    models.check_licence(GEMMA)  # no error: the download will say what is wrong


def test_start_and_finish_print_paths_relative_to_the_notebook(tmp_path, tmp_cache, capsys, monkeypatch):
    """The book's pages show what the chapter printed: no folder of the machine that built it."""
    monkeypatch.chdir(tmp_path)
    start("tiny", "smoke", 0, "outputs").finish()
    said = capsys.readouterr().out
    assert "outputs -> outputs\n" in said and "metrics.json written to outputs after" in said, said
    assert str(tmp_path) not in said and (tmp_path / "outputs" / "metrics.json").exists()
