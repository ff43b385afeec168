"""A simulated Colab runtime: a virtual environment of Colab's Python holding Colab's versions of
every package the book's install could touch, a kernel that has imported `google.colab` (a
stand-in), and a way back to that state after a test changed it.

Colab's published package list (`pip-freeze.gpu.txt` here, copied unchanged from
github.com/googlecolab/backend-info, dated in `os-info-gpu.txt`) is the only input: replacing
those two files is the whole upgrade. What matters to us is worked out from it:

1. pip resolves the book's package (the checkout) to learn the names of everything it installs;
2. pip resolves Colab's versions of those names, held to Colab's versions of everything else,
   which adds what they depend on in turn (say, the notebook server that ipywidgets 7 needs);
3. those of them that Colab has are installed at Colab's versions, with Colab's pip.

CUDA builds cannot be copied: Colab's torch is 2.11.0+cu128 from PyTorch's own index, PyPI's is
2.11.0 with CUDA 13 libraries. The simulation takes PyPI's (the version is what the install
sees) and leaves out Colab's CUDA libraries (`nvidia-*`, `cuda-*`, `triton`), which the book's
install never asks for.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
FREEZE, OS_INFO, STANDIN = HERE / "pip-freeze.gpu.txt", HERE / "os-info-gpu.txt", HERE / "standin"
CUDA_BUILD = re.compile(r"^(nvidia-|cuda-|triton$)")


def normal(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_versions() -> dict[str, str]:
    """Colab's packages, normalised name -> version (local build tags such as +cu128 dropped).
    Packages installed from an address (Colab's own google-colab, a git checkout) are left out."""
    found = {}
    for line in FREEZE.read_text().splitlines():
        name, sep, version = line.partition("==")
        if sep and not CUDA_BUILD.match(normal(name)):
            found[normal(name)] = version.split("+")[0].strip()
    return found


def colab_python_version() -> str:
    """The Python of Colab's runtime, e.g. '3.13.15' (from os-info-gpu.txt)."""
    return re.search(r"^Python (\d+\.\d+\.\d+)", OS_INFO.read_text(), re.M).group(1)


def colab_minor() -> str:
    """'3.13' of '3.13.15': what an interpreter must match."""
    return ".".join(colab_python_version().split(".")[:2])


def colab_date() -> str:
    return re.search(r"\d{4}-\d{2}-\d{2}", OS_INFO.read_text().splitlines()[0]).group(0)


def find_python() -> str | None:
    """An interpreter of Colab's minor version that runs: $COLAB_PYTHON, else one that pyenv
    installed, else one on PATH."""
    minor = colab_minor()
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [os.environ.get("COLAB_PYTHON"),
                  *sorted(glob.glob(f"{pyenv}/versions/{minor}.*/bin/python{minor}"), reverse=True),
                  shutil.which(f"python{minor}")]
    return next((c for c in candidates if c and runs(c, minor)), None)


def runs(python: str, minor: str) -> bool:
    """Whether `python` starts and is of version `minor` (a pyenv shim may be on PATH yet fail)."""
    check = subprocess.run([python, "-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
    return check.returncode == 0 and check.stdout.strip() == minor


RUNTIME_GB = 8  # what the runtime takes on disk (PyPI's torch brings CUDA libraries), with room to spare


class SimulationError(RuntimeError):
    """The simulated runtime could not be built; the message holds pip's own words."""


def pip(venv: Path, *args: str, capture: bool = False) -> str:
    """Run the runtime's pip; when it fails, raise with the end of what it said (a test log that
    only says "exit status 1" hides whether the index, the resolver or the disk failed)."""
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args],
                          text=True, capture_output=True)
    if done.returncode:
        said = "\n".join(line for line in (done.stdout + done.stderr).splitlines() if "is ignored" not in line)
        raise SimulationError(f"pip {' '.join(args[:2])} ... failed ({done.returncode}):\n{said[-3000:]}")
    return done.stdout if capture else ""


def check_disk(venv: Path) -> None:
    """Fail before building when the disk cannot hold the runtime, naming what to free."""
    where = next(p for p in [venv, *venv.parents] if p.exists())
    free = shutil.disk_usage(where).free / 2**30
    if free < RUNTIME_GB:
        raise SimulationError(f"{free:.1f} GB free at {where}; the simulated Colab runtime needs about "
                              f"{RUNTIME_GB} GB. Free disk space (old clones, caches) and run again.")


def resolved(venv: Path, requirements: list[str], constraints: Path | None = None) -> dict[str, str]:
    """What pip would install for `requirements` into an empty environment: name -> version."""
    report = venv / "report.json"
    pip(venv, "install", "-q", "--dry-run", "--ignore-installed", "--report", str(report),
        *(["-c", str(constraints)] if constraints else []), *requirements)
    items = json.loads(report.read_text())["install"]
    return {normal(i["metadata"]["name"]): i["metadata"]["version"] for i in items}


def runtime_packages(venv: Path, checkout: Path) -> dict[str, str]:
    """Colab's versions of every package the book's install could touch (steps 1 and 2 above)."""
    colab = colab_versions()
    constraints = venv / "colab-constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(colab.items())))
    ours = resolved(venv, [str(checkout)])
    theirs = resolved(venv, [f"{n}=={colab[n]}" for n in sorted(ours) if n in colab], constraints)
    return {n: colab[n] for n in sorted(theirs) if n in colab}


def key(checkout: Path, python: str) -> str:
    """What the runtime depends on: Colab's list, the book's dependencies, the interpreter."""
    parts = [FREEZE.read_bytes(), (checkout / "pyproject.toml").read_bytes(), python.encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def build(venv: Path, checkout: Path, python: str) -> dict[str, str]:
    """The simulated runtime in `venv`, built once per key; its packages, name -> version."""
    stamp = venv / "colab-runtime.json"
    want = key(checkout, python)
    if stamp.exists() and json.loads(stamp.read_text())["key"] == want:
        return json.loads(stamp.read_text())["packages"]
    shutil.rmtree(venv, ignore_errors=True)
    check_disk(venv)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip(venv, "install", "-q", f"pip=={colab_versions()['pip']}")
    packages = runtime_packages(venv, checkout)
    pip(venv, "install", "-q", "-c", str(venv / "colab-constraints.txt"), *(f"{n}=={v}" for n, v in packages.items()))
    installed = freeze(venv)
    wrong = {n: (v, installed.get(n)) for n, v in packages.items() if installed.get(n) != v}
    assert not wrong, f"the simulated runtime is not Colab's: {wrong}"
    stamp.write_text(json.dumps({"key": want, "packages": packages, "baseline": installed}, indent=1))
    return packages


def freeze(venv: Path) -> dict[str, str]:
    """Every distribution in `venv`, normalised name -> version."""
    listed = json.loads(pip(venv, "list", "--format=json", capture=True))
    return {normal(p["name"]): p["version"] for p in listed}


def reset(venv: Path) -> None:
    """Back to the state `build` left, after a test installed, upgraded or removed packages."""
    baseline = json.loads((venv / "colab-runtime.json").read_text())["baseline"]
    now = freeze(venv)
    extra = sorted(set(now) - set(baseline))
    if extra:
        pip(venv, "uninstall", "-q", "-y", *extra)
    differ = [f"{n}=={v}" for n, v in baseline.items() if now.get(n) != v]
    if differ:
        pip(venv, "install", "-q", "--no-deps", "-c", str(venv / "colab-constraints.txt"), *differ)


def kernelspec(where: Path, venv: Path, name: str, preload: tuple[str, ...] = ("google.colab",),
               env: dict[str, str] | None = None) -> Path:
    """A Jupyter kernel in the simulated runtime that, like Colab's, has imported `preload` before
    the first cell runs. Put `where` on $JUPYTER_PATH to use it by `name`."""
    spec = where / "kernels" / name
    spec.mkdir(parents=True, exist_ok=True)
    argv = [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}",
            *(f"--IPKernelApp.exec_lines=import {module}" for module in preload)]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": f"Colab simulation ({name})", "language": "python",
        "env": {"PYTHONPATH": str(STANDIN), **(env or {})}}))
    return where


if __name__ == "__main__":  # python tests/colab/simulate.py VENV: build the runtime by hand
    print(json.dumps(build(Path(sys.argv[1]), HERE.parent.parent, find_python()), indent=1))
