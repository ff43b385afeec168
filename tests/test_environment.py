"""pyproject's ranges, the lock's exact versions and environment.yml stay in step."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def pyproject_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = sum(project["optional-dependencies"].values(), [])
    return [Requirement(r) for r in project["dependencies"] + extras]


def test_every_dependency_is_locked_within_its_range():
    pins = lock()
    for req in pyproject_requirements():
        assert req.name.lower() in pins, f"{req.name} missing from requirements.lock"
        assert req.specifier.contains(pins[req.name.lower()]), f"{req.name}: lock outside {req.specifier}"


def test_environment_yml_pins_the_same_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = dict(line.split("==") for line in pip if "==" in line)
    pins = lock()
    assert {n.lower() for n in pinned} == {r.name.lower() for r in pyproject_requirements()}
    for name, version in pinned.items():
        assert pins[name.lower()] == version, name
    assert "-c requirements.lock" in pip and "-e ." in pip


def test_the_stack_that_is_known_to_work():
    pins = lock()
    assert pins["torch"] == "2.13.0"  # a CPU wheel; never the +cpu suffix, which PyPI lacks
    assert pins["transformer-lens"].startswith("3.")  # 4.x removed HookedTransformer
    assert pins["jupyter-book"].startswith("1.")      # 2.x cannot build offline
    assert re.fullmatch(r"6\.\d+\.\d+", pins["sae-lens"])


def test_makefile_installs_torch_first_and_ci_calls_make_test():
    makefile = (ROOT / "Makefile").read_text()
    install = makefile[makefile.index("$(STAMP):"):]
    assert install.index("torch==") < install.index("-e \".[book,dev,semgrep,grade]\"")
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme


def test_the_ranges_admit_colabs_versions_and_python():
    """The install keeps what Colab has (tests/test_colab.py shows it on the runtime itself): every
    range of a package Colab holds admits Colab's version, unless allowed_changes.toml says why not."""
    from colab import simulate

    colab = simulate.colab_versions()
    allowed = tomllib.loads((simulate.HERE / "allowed_changes.toml").read_text())["allowed"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    refused = {r.name: (str(r.specifier), colab[simulate.normal(r.name)])
               for r in map(Requirement, project["dependencies"])
               if simulate.normal(r.name) in colab and not r.specifier.contains(colab[simulate.normal(r.name)])}
    assert set(refused) <= set(allowed), refused
    python = SpecifierSet(project["requires-python"])
    assert all(python.contains(v) for v in ("3.10.0", "3.11.7", simulate.colab_python_version(), "3.14.0"))


@pytest.mark.parametrize("minor", ["3.10", "3.11", "3.12", "3.13"])
def test_the_helpers_compile_on_every_supported_python(minor, tmp_path):
    """A syntax check on each Python the book supports (the tests themselves run on the lock's)."""
    python = next(iter(sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/python{minor}"))), None)
    if python is None:
        pytest.skip(f"no Python {minor} installed here by pyenv")
    done = subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "src" / "helpers")],
                          capture_output=True, text=True, env={"PYTHONPYCACHEPREFIX": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
