"""Tests of the security tasks (helpers.tasks) and the ordinary corpus functions (helpers.ordinary)."""

from __future__ import annotations

import ast
import difflib
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from helpers import ordinary, tasks as tasks_module
from helpers.families import FAMILIES
from helpers.ordinary import ordinary_function
from helpers.tasks import Implementation, Task, implementations, prompt, render, tasks

ALL = tasks()
IMPLS = [impl for t in ALL for impl in implementations(t)]

# words a task's code must never use about itself; library names that contain them are allowed
BANNED_WORDS = re.compile(r"vulnerab|insecure|unsafe|secure|safe|warning|do not use", re.I)
ALLOWED_API = ("safe_load", "SafeLoader", "token_urlsafe", "send_from_directory")


def _without_api_names(src: str) -> str:
    for name in ALLOWED_API:
        src = src.replace(name, "")
    return src


def _shape(impl: Implementation, src: str) -> str:
    """The source with the task's own names (function, arguments) replaced, for comparing structure."""
    t = impl.task
    body = src[len(prompt(t)):]
    for name in (t.func_name, *t.args):
        body = re.sub(rf"\b{re.escape(name)}\b", "_", body)
    return body


# ---- counts and split ---------------------------------------------------------------------------

def test_every_family_has_27_tasks_split_18_train_9_eval():
    assert [t.family for t in ALL] == sorted((t.family for t in ALL), key=list(FAMILIES).index)
    for family in FAMILIES:
        assert len(tasks(family)) == 27, family
        assert len(tasks(family, "train")) == 18, family
        assert len(tasks(family, "eval")) == 9, family
    assert len(ALL) == 9 * 27
    assert len(tasks(split="eval")) == 81


def test_every_third_task_is_eval():
    for family in FAMILIES:
        splits = [t.split for t in tasks(family)]
        assert splits[:6] == ["train", "train", "eval"] * 2


def test_task_ids_and_names():
    assert all(t.task_id == f"{t.family}/{t.func_name}" for t in ALL)
    assert len({t.func_name for t in ALL}) == len(ALL)
    assert len({t.docstring for t in ALL}) == len(ALL)
    assert all(t.split in ("train", "eval") for t in ALL)


def test_filters_reject_unknown_values():
    with pytest.raises(KeyError):
        tasks("no_such_family")
    with pytest.raises(ValueError):
        tasks(split="test")


def test_at_least_four_structurally_different_variants_per_task():
    per_family = Counter()
    for t in ALL:
        impls = implementations(t)
        assert len(impls) >= 4, t.task_id
        assert len({i.variant for i in impls}) == len(impls), t.task_id
        assert len({_shape(i, i.vulnerable) for i in impls}) >= 4, t.task_id
        assert len({_shape(i, i.secure) for i in impls}) >= 3, t.task_id
        per_family[t.family] += len(impls)
    assert all(per_family[f] >= 4 * 27 for f in FAMILIES)
    assert len(IMPLS) >= 1100


def test_families_use_several_styles():
    """A few spot checks that the variants cover the libraries and styles they should."""
    def vul(family):
        return "\n".join(i.vulnerable for i in IMPLS if i.task.family == family)

    def sec(family):
        return "\n".join(i.secure for i in IMPLS if i.task.family == family)

    for needle in ['execute(f"', '" % ', '.format(', "executescript(", "import sqlite3"]:
        assert needle in vul("sql_injection"), needle
    for needle in ["os.system(", "os.popen(", "shell=True", "import subprocess as sp", "getoutput("]:
        assert needle in vul("command_injection"), needle
    assert "shlex.quote(" in sec("command_injection")
    for needle in ["eval(", "exec(", "compile("]:
        assert needle in vul("code_injection"), needle
    for needle in ["ast.literal_eval(", "json.loads(", "float(", "operator.add"]:
        assert needle in sec("code_injection"), needle
    for needle in ["pickle.loads(", "yaml.unsafe_load(", "Loader=yaml.Loader", "marshal.loads("]:
        assert needle in vul("unsafe_deserialization"), needle
    for needle in ["hashlib.md5(", "hashlib.sha1(", 'hashlib.new("md5")']:
        assert needle in vul("weak_hash"), needle
    for needle in ["pbkdf2_hmac(", "hashlib.scrypt(", "hmac.compare_digest("]:
        assert needle in sec("weak_hash"), needle
    for needle in ['os.environ["', "os.getenv(", "keyring.get_password("]:
        assert needle in sec("hardcoded_secret"), needle
    for needle in ["os.path.join(", "Path(", "send_file("]:
        assert needle in vul("path_traversal"), needle
    for needle in ["is_relative_to(", "os.path.commonpath(", "os.path.realpath(", "os.path.basename(",
                   "send_from_directory("]:
        assert needle in sec("path_traversal"), needle
    for needle in ["verify=False", "ssl._create_unverified_context()", "ssl.CERT_NONE", 'cert_reqs="CERT_NONE"']:
        assert needle in vul("tls_verification"), needle
    for needle in ["random.choice(", "random.randint(", "random.getrandbits(", "random.randbytes("]:
        assert needle in vul("insecure_random"), needle
    for needle in ["secrets.token_hex(", "secrets.choice(", "secrets.randbelow(", "os.urandom("]:
        assert needle in sec("insecure_random"), needle


# ---- form of every source ------------------------------------------------------------------------

def test_prompt_form():
    t = tasks("sql_injection")[0]
    assert prompt(t) == 'def find_user_by_email(conn, email):\n    """Return the user whose email matches."""'
    for t in ALL:
        p = prompt(t)
        assert p == p.rstrip(), t.task_id
        assert p.startswith(f"def {t.func_name}(") and p.count("\n") == 1


def test_render_indents_body():
    t = tasks("code_injection")[0]
    assert render(t, ["x = 1", "return x"]) == prompt(t) + "\n    x = 1\n    return x\n"


def test_every_source_parses_and_continues_the_prompt():
    for impl in IMPLS:
        p = prompt(impl.task)
        for src in (impl.vulnerable, impl.secure):
            tree = ast.parse(src)
            assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
            fn = tree.body[0]
            assert fn.name == impl.task.func_name
            assert [a.arg for a in fn.args.args] == list(impl.task.args)
            assert ast.get_docstring(fn) == impl.task.docstring
            assert src.startswith(p + "\n") and src.endswith("\n") and not src.endswith("\n\n")
            lines = src.splitlines()
            assert 3 <= len(lines) <= 9, (impl.task.task_id, impl.variant)
            assert len(src) < 600
            assert all(line.startswith("    ") for line in lines[1:])
        assert impl.vulnerable != impl.secure


def test_imports_sit_inside_the_function_first():
    for impl in IMPLS:
        for src in (impl.vulnerable, impl.secure):
            body = ast.parse(src).body[0].body[1:]   # after the docstring
            seen_other = False
            for node in body:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    assert not seen_other, (impl.task.task_id, impl.variant)
                else:
                    seen_other = True


def test_no_self_labelling_words():
    for t in ALL:
        assert not BANNED_WORDS.search(t.func_name + " " + t.docstring + " " + " ".join(t.args)), t.task_id
    for impl in IMPLS:
        assert not BANNED_WORDS.search(impl.variant), impl.variant
        for src in (impl.vulnerable, impl.secure):
            assert not BANNED_WORDS.search(_without_api_names(src)), (impl.task.task_id, impl.variant)


def test_comments_are_shared_between_the_two_versions():
    with_comments = 0
    for impl in IMPLS:
        cv = [ln.strip() for ln in impl.vulnerable.splitlines() if ln.strip().startswith("#")]
        cs = [ln.strip() for ln in impl.secure.splitlines() if ln.strip().startswith("#")]
        assert cv == cs, (impl.task.task_id, impl.variant)
        with_comments += bool(cv)
    assert 0.1 * len(IMPLS) < with_comments < 0.6 * len(IMPLS)


def test_deterministic():
    assert tasks() == tasks()
    assert [implementations(t) for t in ALL[:30]] == [implementations(t) for t in ALL[:30]]
    t = ALL[5]
    rebuilt = Task(t.family, t.task_id, t.func_name, t.args, t.docstring, t.split)
    assert implementations(rebuilt) == implementations(t)
    # no random state at all: the task modules do not import random
    for path in Path(tasks_module.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert "random" not in [a.name for a in node.names], path
            if isinstance(node, ast.ImportFrom):
                assert node.module != "random", path


# ---- held-out prompts ----------------------------------------------------------------------------

def test_eval_prompts_are_not_near_duplicates_of_train_prompts():
    train = [prompt(t) for t in tasks(split="train")]
    evals = [prompt(t) for t in tasks(split="eval")]
    worst = 0.0
    for e in evals:
        for tr in train:
            m = difflib.SequenceMatcher(None, e, tr)
            if m.real_quick_ratio() >= 0.85 and m.quick_ratio() >= 0.85:
                worst = max(worst, m.ratio())
    assert worst < 0.85
    train_names = {t.func_name for t in tasks(split="train")}
    train_docs = {t.docstring for t in tasks(split="train")}
    for t in tasks(split="eval"):
        assert t.func_name not in train_names and t.docstring not in train_docs


# ---- ordinary functions --------------------------------------------------------------------------

BANNED_MODULES = {"pickle", "cPickle", "dill", "yaml", "marshal", "shelve", "subprocess", "ssl", "requests",
                  "urllib3", "httpx", "random", "hashlib", "secrets", "socket", "sqlite3", "os", "shlex"}
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "system", "popen", "md5", "sha1", "join"}


def _ordinary_problems(src: str) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            problems += [a.name for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BANNED_MODULES:
            problems.append(node.module)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in BANNED_CALLS and not (name == "join" and isinstance(f, ast.Attribute)
                                             and isinstance(f.value, ast.Constant)):
                problems.append(name)
        elif isinstance(node, ast.keyword) and node.arg in ("verify", "shell"):
            problems.append(node.arg)
        elif isinstance(node, ast.Name) and re.search(r"passw|secret|token|api_?key", node.id, re.I):
            problems.append(node.id)
    return problems


def test_ordinary_functions_parse_and_have_the_format():
    for seed in range(500):
        src = ordinary_function(random.Random(seed))
        tree = ast.parse(src)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef)
        assert ast.get_docstring(tree.body[0])
        lines = src.splitlines()
        assert 3 <= len(lines) <= 9 and src.endswith("\n")


def test_ordinary_functions_are_varied():
    rng = random.Random(0)
    draws = [ordinary_function(rng) for _ in range(2000)]
    shapes = {d.splitlines()[1].strip() for d in draws}   # the docstring line: one per template
    assert len(shapes) >= 60
    assert len(ordinary.TEMPLATES) >= 60
    assert len({d.split("(")[0] for d in draws}) >= 120   # function names vary
    assert sum("# " in d for d in draws) > 100             # some carry comments
    assert any("# WARNING:" in d for d in draws) and any("# TODO:" in d for d in draws)


def test_ordinary_functions_are_deterministic():
    a = [ordinary_function(random.Random(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_ordinary_functions_contain_no_vulnerable_construct():
    rng = random.Random(1)
    for _ in range(2000):
        src = ordinary_function(rng)
        assert _ordinary_problems(src) == [], src
    assert _ordinary_problems("def f(x):\n    import pickle\n    return eval(x)\n") == ["pickle", "eval"]


# ---- agreement with the judge (when it is there) -------------------------------------------------

def test_judge_agrees_with_the_labels():
    judge_module = pytest.importorskip("helpers.judge")
    wrong = []
    for impl in IMPLS:
        v, s = judge_module.judge(impl.vulnerable), judge_module.judge(impl.secure)
        if not (v.vulnerable and v.family == impl.task.family) or s.vulnerable:
            wrong.append((impl.task.task_id, impl.variant, v.family, s.family))
    assert wrong == []
