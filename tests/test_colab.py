"""Colab as a learner meets it: the book's first cell in a simulated Colab runtime (tests/colab/:
Colab's Python, Colab's versions of every package the install could touch, a kernel that has
imported a stand-in `google.colab`), with the repository address pointed at this checkout; then
chapters 0 and 1 at smoke there, with the cache on a stand-in Google Drive.

The runtime is built once per Colab list and pyproject (in _build/colab-sim/) and put back to
Colab's state before each run. What the run measured goes to _build/colab-sim/report.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import nbformat
import papermill
import pytest
from colab import simulate
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from packaging.requirements import Requirement

from helpers.fork import configured_url
from test_notebook_lint import ROOT
from test_notebooks import CHECKS, NOTEBOOKS

SIM = ROOT / "_build" / "colab-sim"
ALLOWED = tomllib.loads((simulate.HERE / "allowed_changes.toml").read_text())["allowed"]
CHAPTERS = [p for p in NOTEBOOKS if p.stem in ("00_setup", "01_data_construction")]
DRIVE_CACHE = "MyDrive/warning-framing-book/cache"


def colab_cell(path: Path) -> str:
    return nbformat.read(path, as_version=4).cells[1].source


def pointed(cell: str, repo: Path, drive: Path | None = None) -> str:
    """The first cell with its repository address (and, if `drive`, Drive's mount point) on this machine."""
    assert cell.count(configured_url(ROOT)) == 1
    cell = cell.replace(configured_url(ROOT), repo.as_uri())
    if drive:
        assert cell.count("CACHE_ON_DRIVE = False") == 1 and cell.count('"/content/drive') == 2
        cell = cell.replace("CACHE_ON_DRIVE = False", "CACHE_ON_DRIVE = True").replace('"/content/drive', f'"{drive}')
    return cell


def snapshot(dest: Path) -> Path:
    """This working tree as a git repository, for `pip install git+file://...` (what the cell does
    with the real address), so that uncommitted changes are tested too."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=book", "-c", "user.email=book@localhost",
                                                 "commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=dest, check=True)
    return dest


def run_cells(kernel: str, *sources: str) -> list[str]:
    """Execute `sources` as cells in a fresh kernel; the text each printed."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, kernel_name=kernel, timeout=900).execute()
    return ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]


def first_lines(executed: Path) -> list[str]:
    """What the chapter's `start(...)` cell printed: the first lines a learner reads."""
    cell = next(c for c in nbformat.read(executed, as_version=4).cells if "run = start(" in c.source)
    return "".join(o.get("text", "") for o in cell.outputs).splitlines()


def outside(requirement: str, version: str) -> bool:
    return version not in Requirement(requirement).specifier


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    python = simulate.find_python()
    if python is None:
        reason = (f"no Python {simulate.colab_minor()} here for the simulated Colab runtime: "
                  "`pyenv install 3.13`, or set $COLAB_PYTHON to one")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    venv = SIM / "venv"
    t0 = time.time()
    packages = simulate.build(venv, ROOT, python)
    simulate.reset(venv)
    return {"venv": venv, "python": python, "packages": packages, "build_s": round(time.time() - t0, 1),
            "repo": snapshot(tmp_path_factory.mktemp("checkout"))}


def test_colab_install_changes_nothing_of_colab_and_chapters_run(runtime, tmp_path, monkeypatch):
    venv, repo, report = runtime["venv"], runtime["repo"], {"colab_list_date": simulate.colab_date()}
    cells = {colab_cell(p) for p in NOTEBOOKS}
    assert len(cells) == 1, "every chapter starts with the same Colab cell, so that one run here tests them all"
    cell = cells.pop()
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("WARNBOOK_CACHE", raising=False)
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    simulate.kernelspec(tmp_path / "jupyter", venv, "colab", env=env)
    simulate.kernelspec(tmp_path / "jupyter", venv, "colab-tqdm", ("google.colab", "tqdm"), env)

    # 1. The install, in a kernel like Colab's: it must change none of Colab's packages.
    before, t0 = simulate.freeze(venv), time.time()
    printed = run_cells("colab", pointed(cell, repo),
                        "import sys, helpers; print('%d.%d' % sys.version_info[:2], helpers.__file__)")
    report["install_s"] = round(time.time() - t0, 1)
    after = simulate.freeze(venv)
    assert "Installing the book's helpers" in printed[0]
    assert printed[1].split()[0] == simulate.colab_minor() and str(venv) in printed[1]
    changed = {n: f"{v} -> {after.get(n, 'removed')}" for n, v in before.items() if after.get(n) != v}
    assert set(changed) <= set(ALLOWED), f"the install changed Colab's packages {changed}: avoid it, or say why " \
                                         "in tests/colab/allowed_changes.toml"
    added = {n: v for n, v in after.items() if n not in before}
    unfaithful = {n: (v, simulate.colab_versions()[n]) for n, v in added.items() if n in simulate.colab_versions()}
    assert not unfaithful, f"Colab has these packages, the simulation did not (tests/colab/simulate.py): {unfaithful}"
    report |= {"changed": changed, "added": added}

    # 2. Chapters 0 and 1 at smoke, on the preset `auto` picks, with the cache on a stand-in Drive.
    drive, content = tmp_path / "drive", tmp_path / "content"  # Colab runs notebooks in /content
    content.mkdir()
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        nb.cells[1].source = pointed(cell, repo, drive)
        nbformat.write(nb, content / path.name)
        t0 = time.time()
        papermill.execute_notebook(str(content / path.name), str(content / path.name), kernel_name="colab",
                                   cwd=str(content), progress_bar=False,
                                   parameters={"BUDGET": "smoke", "OUTPUT_DIR": str(content / path.stem)})
        metrics = json.loads((content / path.stem / "metrics.json").read_text())
        assert (metrics["preset"], metrics["budget"]) == ("tiny", "smoke")  # no GPU: auto picks tiny
        CHECKS[path.stem](metrics)
        first = first_lines(content / path.name)
        assert first[0].startswith("PRESET auto -> tiny: no GPU here") and first[2].startswith("device: no GPU")
        assert first[3].startswith("this chapter: about ") and first[4].startswith("cache: on Google Drive ("), first
        report[path.stem + "_s"] = round(time.time() - t0, 1)
    on_drive = sorted(p.name for p in (drive / DRIVE_CACHE).iterdir())
    assert any(n.startswith("tiny-model-") for n in on_drive) and not (tmp_path / "xdg" / "warning-framing-book").exists(), on_drive

    # 3. An install that must change an imported package says which, and stops; after a restart it runs on.
    simulate.reset(venv)
    tqdm_floor = next(r for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
                      if r.startswith("tqdm"))
    old = "4.65.0"
    assert outside(tqdm_floor, old), f"pick a tqdm that {tqdm_floor} excludes"
    simulate.pip(venv, "install", "-q", "--no-deps", f"tqdm=={old}")
    with pytest.raises(CellExecutionError) as stopped:
        run_cells("colab-tqdm", pointed(cell, repo))
    assert f"tqdm {old} -> " in str(stopped.value) and "Restart session" in str(stopped.value)
    printed = run_cells("colab-tqdm", pointed(cell, repo), "import helpers.run, tqdm; print(tqdm.__version__)")
    assert "Installing" not in printed[0] and not outside(tqdm_floor, printed[1].strip())
    simulate.reset(venv)

    report |= {"python": runtime["python"], "runtime_packages": len(runtime["packages"]), "build_s": runtime["build_s"]}
    (SIM / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


def test_a_failing_pip_says_why(tmp_path):
    """The runtime's pip failing shows pip's own words, not only an exit status."""
    venv = Path(sys.prefix)  # any environment with pip will do
    with pytest.raises(simulate.SimulationError, match="(?i)no matching distribution"):
        simulate.pip(venv, "install", "--no-index", "--find-links", str(tmp_path), "no-such-package-anywhere")


def test_too_little_disk_fails_before_building(tmp_path, monkeypatch):
    monkeypatch.setattr(simulate, "RUNTIME_GB", shutil.disk_usage(tmp_path).free / 2**30 + 1)
    with pytest.raises(simulate.SimulationError, match="Free disk space"):
        simulate.check_disk(tmp_path / "runtime" / "venv")
