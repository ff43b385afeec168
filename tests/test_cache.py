import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import cache


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_builds_once_then_reads(tmp_cache):
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "data.txt").write_text("hello")

    first = cache.artifact("thing", {"seed": 0}, build)
    second = cache.artifact("thing", {"seed": 0}, build)
    assert first == second and len(calls) == 1
    assert (first / "data.txt").read_text() == "hello"
    assert cache.is_intact(first)
    assert not list(tmp_cache.glob("*.partial"))


def test_key_decides_the_folder(tmp_cache):
    a = cache.artifact("thing", {"seed": 0}, lambda f: (f / "x").write_text("0"))
    b = cache.artifact("thing", {"seed": 1}, lambda f: (f / "x").write_text("1"))
    assert a != b and (b / "x").read_text() == "1"


def test_corrupt_artifact_is_rebuilt(tmp_cache, capsys):
    calls = []

    def build(folder):
        calls.append(1)
        (folder / "weights.bin").write_bytes(b"\x01" * 100)

    folder = cache.artifact("model", {"v": 1}, build)
    (folder / "weights.bin").write_bytes(b"\x01" * 50)  # truncated on disk
    assert not cache.is_intact(folder)
    again = cache.artifact("model", {"v": 1}, build)
    assert len(calls) == 2 and (again / "weights.bin").stat().st_size == 100
    assert "corrupt" in capsys.readouterr().out


def test_interrupted_build_resumes_from_its_checkpoint(tmp_cache):
    seen = []

    def build(folder):
        ckpt = folder / "checkpoint.json"
        start = json.loads(ckpt.read_text())["step"] if ckpt.exists() else 0
        seen.append(start)
        for step in range(start, 10):
            ckpt.write_text(json.dumps({"step": step + 1}))
            if step == 4 and len(seen) == 1:
                raise KeyboardInterrupt  # the runtime disconnects half-way
        (folder / "done").write_text("ok")

    with pytest.raises(KeyboardInterrupt):
        cache.artifact("long", {}, build)
    assert [p.name.endswith(".partial") for p in tmp_cache.iterdir() if p.name != cache.LOCKS] == [True]
    folder = cache.artifact("long", {}, build)
    assert seen == [0, 5]
    assert (folder / "done").read_text() == "ok"


def test_write_atomic_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "out" / "metrics.json"
    cache.write_atomic(target, b"{}")
    cache.write_atomic(target, b'{"a": 1}')
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in target.parent.iterdir()] == ["metrics.json"]


def test_clear_cache_removes_everything(tmp_cache):
    cache.artifact("a", {}, lambda f: (f / "x").write_text("1"))
    cache.artifact("b", {}, lambda f: (f / "x").write_text("1"))
    assert {row["kind"] for row in cache.list_artifacts()} == {"a", "b"}
    assert cache.clear_cache("a") == 1
    assert cache.clear_cache() == 1
    assert cache.list_artifacts() == []


def test_source_hash_changes_with_the_code(tmp_path, monkeypatch):
    from helpers import families

    before = cache.source_hash(families)
    assert before == cache.source_hash(families)
    assert before != cache.source_hash(families, cache)


def _build_counting(root, marker):
    """A slow build that counts how often it runs (a child process of the lock test)."""
    import os
    import time

    os.environ["WARNBOOK_CACHE"] = str(root)

    def build(folder):
        with open(marker, "a") as handle:
            handle.write("built\n")
        time.sleep(1.0)
        (folder / "x").write_text("1")

    return cache.artifact("shared", {"v": 1}, build).name


def test_two_processes_build_an_artifact_once(tmp_cache, tmp_path):
    """Two notebooks (or test workers) that need the same model: one builds it, the other waits
    for it and reads it, and neither writes into the other's partial folder."""
    import multiprocessing

    marker = tmp_path / "builds.txt"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        names = pool.starmap(_build_counting, [(tmp_cache, marker)] * 2)
    assert names[0] == names[1] and marker.read_text().count("built") == 1
    assert cache.is_intact(tmp_cache / names[0])


def test_plain_keys_hash_as_they_always_have():
    """Keys of JSON values keep their hashes (and so their cached artifacts); a float dict key is
    written as json writes it, a string."""
    key = {"kind": "finetune", "plan": {"steps": 6, "lr": 0.001, "snapshots": {0.5: 3, 1.0: 6}, "epochs": (1.0, 2.0)},
           "tag": "", "seed": 0, "x": None, "ok": True}
    assert cache.key_hash(key) == "245f15cba40c9273"  # what json.dumps(key, sort_keys=True, default=str) gave
    assert cache.key_hash({"snapshots": {0.5: 3}}) == cache.key_hash({"snapshots": {"0.5": 3}})
    assert cache.key_hash({"snapshots": {0.5: 3}}) != cache.key_hash({"snapshots": {0.5: 4}})


A_TENSOR = torch.zeros(2000)
A_TENSOR[1000] = 1.0  # its repr, truncated in the middle, is that of torch.zeros(2000)


@pytest.mark.parametrize("key, where", [
    ({"plan": {"hooks": [("blocks.0.hook_resid_pre", lambda act, hook: act)]}}, "key['plan']['hooks'][0][1]"),
    ({"params": {"Q": A_TENSOR}}, "key['params']['Q']"),
    ({"folder": Path("/tmp")}, "key['folder']"),
    ({"n": np.int64(3)}, "key['n']"),  # would have hashed as the string "3"
    ({"seeds": {1, 2}}, "key['seeds']"),
    ({"grid": {(1, 2): 3}}, "key['grid']"),
])
def test_a_key_refuses_what_json_would_write_as_its_repr(tmp_cache, key, where):
    """A function's repr holds an address that changes every run, a tensor's is truncated: either
    would give a hash that lies. The error says where, and what to pass instead; nothing is built."""
    built = []
    with pytest.raises(TypeError, match=re.escape(f"cache key {where} ") + ".*pass a digest instead "
                                        + re.escape("(e.g. interventions.digest for a tensor)")):
        cache.artifact("thing", key, built.append)
    assert built == []


def test_a_digest_is_what_a_key_holds_of_a_tensor():
    from helpers.interventions import digest

    assert cache.key_hash({"Q": digest(A_TENSOR)}) != cache.key_hash({"Q": digest(torch.zeros(2000))})
    assert cache.key_hash({"Q": digest(A_TENSOR)}) == cache.key_hash({"Q": digest(A_TENSOR.clone())})


def test_a_path_is_shown_relative_to_the_notebook_or_the_cache(tmp_cache, tmp_path, monkeypatch):
    """What a page prints of a path: never the folders of the machine that built the book."""
    notebook = tmp_path / "chapters"
    notebook.mkdir()
    monkeypatch.chdir(notebook)
    assert cache.shown("outputs") == "outputs"
    assert cache.shown(notebook / "outputs" / "metrics.json") == "outputs/metrics.json"
    assert cache.shown(cache.cache_root() / "finetune" / "abc") == "<cache>/finetune/abc"
    assert cache.shown(tmp_path / "elsewhere" / "out") == ".../out"
