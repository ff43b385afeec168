"""Exercises: every checker passes the reference solution, fails wrong ones with a hint, and the
learner copies hold stubs that return None (nbgrader's release), with no solution text left."""

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import assignments, checks, data

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def solution_cells(path):
    """The reference code of the chapter's code exercises (predict and interpret answers read the run)."""
    return [c.source for c in nbformat.read(path, as_version=4).cells if {"solution", "code"} <= set(c.metadata.get("tags", []))]


KINDS = ("code", "predict", "interpret")


def exercise_kinds(path):
    """The kind of every exercise cell of a chapter, in order."""
    cells = nbformat.read(path, as_version=4).cells
    return [next(k for k in KINDS if k in c.metadata["tags"]) for c in cells if "exercise" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.stem.startswith("00")], ids=lambda p: p.stem)
def test_every_chapter_has_three_exercises_one_of_them_not_code(path):
    kinds = exercise_kinds(path)
    assert len(kinds) >= 3, kinds
    assert set(kinds) - {"code"}, f"{path.stem} has only code exercises"


def test_the_book_has_every_kind_of_exercise():
    assert {k for p in NOTEBOOKS for k in exercise_kinds(p)} == set(KINDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_a_region_to_write_and_a_check(path):
    """nbgrader's markers delimit what the learner writes; a check cell (graded) follows each exercise."""
    cells = nbformat.read(path, as_version=4).cells
    exercises = [c for c in cells if "exercise" in c.metadata.get("tags", [])]
    checks_ = [c for c in cells if "check" in c.metadata.get("tags", [])]
    for c in exercises:
        assert "solution" in c.metadata["tags"]
        assert c.source.count("### BEGIN SOLUTION") == c.source.count("### END SOLUTION") >= 1, c.source[:80]
    assert len(checks_) >= len(exercises)
    assert all("checks.check_" in c.source for c in checks_)


def solutions():
    """(notebook, function name, function) for every reference solution, run in notebook order."""
    found = []
    for path in NOTEBOOKS:
        namespace = {"data": data}
        for source in solution_cells(path):
            exec(compile(source, f"{path.name}:solution", "exec"), namespace)  # our own reference code
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef):
                    found.append((path.stem, node.name, namespace[node.name]))
    return found


SOLUTIONS = solutions()


def test_every_chapter_after_setup_has_exercises():
    chapters = {nb for nb, _, _ in SOLUTIONS}
    assert {p.stem for p in NOTEBOOKS if not p.stem.startswith("00")} <= chapters
    assert len(SOLUTIONS) >= 2 * len(chapters)


@pytest.mark.parametrize("notebook, name, fn", SOLUTIONS, ids=[f"{n}:{f}" for n, f, _ in SOLUTIONS])
def test_checker_passes_the_reference(notebook, name, fn, capsys):
    getattr(checks, f"check_{name}")(fn)
    assert capsys.readouterr().out.startswith("\u2713")


def _negate_at(vulnerable, secure, flaw, pick="first change", note=data.LOCAL_NOTE):
    """Wrong local negations for the checker: the note on its own line, on the first opcode (a line
    only the secure version has counts), on the signature, or not verbatim."""
    from difflib import SequenceMatcher

    lines = vulnerable.split("\n")
    ops = [o for o in SequenceMatcher(None, secure.split("\n"), lines, autojunk=False).get_opcodes() if o[0] != "equal"]
    i = {"first change": ops[0][3], "signature": 0}.get(pick, next(o[3] for o in ops if o[4] > o[3]))
    if pick == "own line":
        lines.insert(i, note.format(flaw=flaw).strip())
    else:
        lines[i] += note.format(flaw=flaw)
    return "\n".join(lines)


WRONG = {
    "negate_locally": [(lambda v, s, f: _negate_at(v, s, f, "own line"), "adjacent negation"),
                       (lambda v, s, f: _negate_at(v, s, f), "skip lines only the secure version has"),
                       (lambda v, s, f: _negate_at(v, s, f, "signature"), "same in the secure version"),
                       (lambda v, s, f: _negate_at(v, s, f, "flaw", "  # unsafe"), "verbatim"),
                       (lambda v, s, f: _negate_at(v, s, f, "flaw").replace("(", "( "), "code itself changed"),
                       (lambda v, s, f: None, "returns None")],
    "per_prompt_difference": [(lambda f, p: _per_prompt(p) - _per_prompt(f), "sign is reversed"),
                              (lambda f, p: _per_prompt(f, judged_only=False) - _per_prompt(p, judged_only=False),
                               "judge could not analyse"),
                              (lambda f, p: _per_prompt(f, by=["task_id"]) - _per_prompt(p, by=["task_id"]),
                               "within its family"),
                              (lambda f, p: f.reproduced.mean() - p.reproduced.mean(), "single number"),
                              (lambda f, p: None, "returns None")],
    "frame_l1": [(lambda code: code + "\n" + data.WARNING, "above the function"),
                 (lambda code: data.WARNING + "\n\n" + code, "exactly one newline"),
                 (lambda code: "# vulnerable\n" + code, "verbatim")],
    "detect_weak_hash": [(lambda code: "md5" in code or "sha1" in code, "behaviour"),
                         (lambda code: False, "aliases")],
    "masked_loss": [(lambda m, t, mask: m(t, return_type="loss"), "averaged over every position"),
                    (lambda m, t, mask: (m(t, return_type="loss", loss_per_token=True) * mask[:, :-1]).sum()
                     / mask[:, :-1].sum(), r"mask\[:, 1:\]")],
    "train_step": [(lambda m, opt, t, mask: 0.0, "zero_grad")],
    "wilson_interval": [(lambda k, n, z=1.96: (k / n - z * (k / n * (1 - k / n) / n) ** 0.5,
                                               k / n + z * (k / n * (1 - k / n) / n) ** 0.5), "Wald")],
    "equivalent": [(lambda k1, n1, k2, n2, m: abs(k1 / n1 - k2 / n2) < m, "n = 30|90 %")],
    "plateau_dose": [(lambda e, loss, tolerance=0.02: next((float(e[i + 1]) for i in range(len(e) - 1)
                                                            if loss[i + 1] > loss[i] * (1 - tolerance)), float(e[-1])),
                      "before"),
                     (lambda e, loss, tolerance=0.02: next((float(e[i]) for i in range(len(e) - 1)
                                                            if loss[i + 1] > loss[i] * (1 - tolerance)), None),
                      "largest dose")],
    "simulated_power": [(lambda p1, p2, n, reps=400, seed=0: _power(p1, p2, n, reps, seed, detect=False), "p < alpha"),
                        (lambda p1, p2, n, reps=400, seed=0: _power(p1, p2, n, reps, None), "same seed")],
    "top_k_features": [(lambda sae, residuals, k: _top_k(sae, residuals, k, pool="mean"), "maximum over"),
                       (lambda sae, residuals, k: _top_k(sae, residuals, k)[::-1], "wrong order"),
                       (lambda sae, residuals, k: _top_k(sae, residuals, k, pool="raw"), "residual dimensions"),
                       (lambda sae, residuals, k: set(_top_k(sae, residuals, k)), "list of ints"),
                       (lambda sae, residuals, k: None, "list of ints, strongest first, not NoneType")],
    "jaccard": [(lambda a, b: len(set(a) & set(b)) / min(len(set(a)), len(set(b))), "overlap coefficient"),
                (lambda a, b: len(set(a) & set(b)) / len(set(a) | set(b)), "empty"),
                (lambda a, b: len([x for x in a if x in b]) / len(set(a) | set(b)) if a or b else 0.0, "counts once"),
                (lambda a, b: None, "returns None")],
    "train_probe": [(lambda x, y, seed: _probe(x, y, seed, scale=False), "standardise first"),
                    (lambda x, y, seed: _probe(x, 1 - y, seed), "inverted"),
                    (lambda x, y, seed: _probe(x, y, seed, fit=False), "not fitted"),
                    (lambda x, y, seed: None, "not a NoneType")],
    "angle_degrees": [(lambda u, v: float(np.arccos(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))), "radians"),
                      (lambda u, v: float(np.degrees(np.arccos(u @ v))), "both norms"),
                      (lambda u, v: float(np.degrees(np.arccos(u @ v / (np.linalg.norm(u) * np.linalg.norm(v))))), "clip"),
                      (lambda u, v: None, "returns None")],
    "projection_hook": [(lambda q: (lambda act, hook: (act @ q) @ q.T), "inside"),
                        (lambda q: (lambda act, hook: act - act @ q[:, :1] @ q[:, :1].T), "component along Q"),
                        (lambda q: (lambda act, hook: 0.9 * (act - (act @ q) @ q.T)), "more than the span")],
    "steering_hook": [(lambda d, alpha: (lambda act, hook: act + alpha * d / d.norm()), "added"),
                      (lambda d, alpha: (lambda act, hook: act - alpha * d), "normalise"),
                      (lambda d, alpha: (lambda act, hook: act - alpha * d / d.norm() * 2), "same at every position")],
}


def _per_prompt(frame, judged_only=True, by=("family", "task_id")):
    """A wrong ingredient for the per-prompt checker: rates of every row, or by task alone."""
    rows = frame[frame.judged.astype(bool)] if judged_only else frame
    return rows.groupby(list(by)).reproduced.mean()


def _probe(x, y, seed, scale=True, fit=True):
    """Wrong probes for the checker: no standardising, or never fitted."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    steps = ([StandardScaler()] if scale else []) + [LogisticRegression(max_iter=5000, random_state=seed)]
    pipeline = make_pipeline(*steps)
    return pipeline.fit(x, y) if fit else pipeline


def _top_k(sae, residuals, k, pool="max"):
    """Wrong top-k pickers for the checker: mean pooling over tokens, or no SAE at all."""
    import torch

    with torch.no_grad():
        if pool == "raw":
            return torch.stack([r.max(0).values for r in residuals]).mean(0).topk(k).indices.tolist()
        feats = [sae.encode(r) for r in residuals]
        pooled = torch.stack([f.mean(0) if pool == "mean" else f.max(0).values for f in feats])
    return pooled.mean(0).topk(k).indices.tolist()


def _power(p1, p2, n, reps, seed, detect=True):
    """Wrong simulations for the checker: counting non-detections, or ignoring the seed."""
    import numpy as np
    from scipy.stats import fisher_exact

    rng = np.random.default_rng(seed)
    k1, k2 = rng.binomial(n, p1, reps), rng.binomial(n, p2, reps)
    return float(np.mean([(fisher_exact([[a, n - a], [b, n - b]])[1] < 0.05) == detect for a, b in zip(k1, k2)]))


@pytest.mark.parametrize("name, wrong, hint", [(n, w, h) for n, cases in WRONG.items() for w, h in cases])
def test_checker_fails_a_wrong_implementation_with_a_hint(name, wrong, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        getattr(checks, f"check_{name}")(wrong)


def test_every_exercise_has_wrong_cases():
    assert {name for _, name, _ in SOLUTIONS} == set(WRONG)


@pytest.fixture(scope="module")
def learner_copies():
    """Every chapter's learner copy, as nbgrader's generate_assignment makes it (`make student`)."""
    return {name: nbformat.reads(text, as_version=4) for name, text in assignments.learner_copies(NOTEBOOKS).items()}


def solution_region(source):
    """The lines of a cell between `### BEGIN SOLUTION` and `### END SOLUTION`."""
    lines = source.splitlines()
    begin = next(i for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines) if "### END SOLUTION" in line)
    return lines[begin + 1:end]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_copy_has_stubs_and_no_solution(path, learner_copies):
    """Each exercise's solution region is gone; what is left is valid Python whose functions
    return None (so the chapter uses its reference and "Run all" goes on), and its check follows."""
    chapter = nbformat.read(path, as_version=4).cells
    references = [c for c in chapter if "exercise" in c.metadata.get("tags", [])]
    student = learner_copies[path.name].cells
    stubs = [c for c in student if "exercise" in c.metadata.get("tags", [])]
    assert not [c for c in student if {"solution", "hide-input"} & set(c.metadata.get("tags", []))]
    assert len(stubs) == len(references)
    for reference, stub in zip(references, stubs):
        assert stub.metadata["nbgrader"]["solution"] and "SOLUTION" not in stub.source
        kept = {line.strip() for line in stub.source.splitlines()}
        assert not [line for line in solution_region(reference.source)
                    if any(ch.isalnum() for ch in line) and line.strip() in kept]
        tree = ast.parse(stub.source)
        if "code" not in stub.metadata["tags"]:
            continue
        namespace = {"data": data}
        exec(compile(tree, "stub", "exec"), namespace)
        for node in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
            assert namespace[node.name](*[None] * len(node.args.args)) is None, node.name
    graded = [c for c in student if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) == len(stubs) and all("checks.check_" in c.source for c in graded)
