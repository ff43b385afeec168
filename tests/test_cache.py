import json

import pytest

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
