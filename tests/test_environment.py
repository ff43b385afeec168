"""pyproject's ranges, the lock's exact versions and environment.yml stay in step."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

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
    assert install.index("torch==") < install.index("-e \".[book,dev]\"")
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
