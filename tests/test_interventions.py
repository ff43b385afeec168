"""Chapter 6's interventions: directions, hooks, cached hooked sampling, CAFT arguments."""

import numpy as np
import pytest
import torch

from helpers import interventions as iv
from helpers.models import load_model


@pytest.fixture(scope="module")
def model():
    return load_model("tiny", "smoke")


def test_loading_a_model_prints_nothing(model, capsys):
    """A chapter loads models again and again; each load printed transformer-lens's "Moving model
    to device: cpu" onto the page (seven times in a row in chapter 3)."""
    capsys.readouterr()
    load_model("tiny", "smoke")
    assert capsys.readouterr().out == ""


def test_orthonormal_spans_the_directions():
    d = torch.randn(3, 20, generator=torch.Generator().manual_seed(0))
    q = iv.orthonormal(d)
    assert q.shape == (20, 3)
    torch.testing.assert_close(q.T @ q, torch.eye(3), atol=1e-5, rtol=0)
    torch.testing.assert_close((d @ q) @ q.T, d, atol=1e-5, rtol=0)  # every direction lies in the span


def test_projection_and_steering_hooks():
    q = iv.orthonormal(torch.randn(2, 8, generator=torch.Generator().manual_seed(1)))
    act = torch.randn(3, 4, 8, dtype=torch.float64)
    out = iv.projection_hook(q)(act, None)
    assert out.dtype == torch.float64 and (out @ q.double()).abs().max() < 1e-6
    torch.testing.assert_close(act - out, ((act - out) @ q.double()) @ q.double().T, atol=1e-6, rtol=1e-6)
    direction = torch.tensor([3.0, 4.0] + [0.0] * 6)
    steered = iv.steering_hook(direction, 2.0)(act.float(), None)
    torch.testing.assert_close(steered, act.float() - 2.0 * direction / 5.0)


def test_digest_pins_the_values():
    a = torch.ones(4, 3)
    assert iv.digest(a) == iv.digest(a.clone()) != iv.digest(a * 1.0001)


def test_caft_arguments_carry_a_tag_that_names_q():
    q = iv.orthonormal(torch.randn(2, 8))
    kwargs = iv.caft({"steps": 3}, "blocks.1.hook_resid_pre", q, "SAE")
    assert kwargs["tag"] == f"caft:SAE:{iv.digest(q)}" and kwargs["hooks"][0][0] == "blocks.1.hook_resid_pre"


def test_a_learners_hook_shares_the_cache_only_when_it_does_what_the_books_does():
    q = iv.orthonormal(torch.randn(2, 8, generator=torch.Generator().manual_seed(2)))
    same = lambda act, hook: act - act @ q @ q.T  # noqa: E731 (another order of the products)
    wrong = lambda act, hook: act - (act @ q[:, :1]) @ q[:, :1].T  # noqa: E731 (one column of Q)
    assert iv.hook_tag(same, iv.projection_hook(q), 8) == ""
    tag = iv.hook_tag(wrong, iv.projection_hook(q), 8)
    assert tag.startswith(":") and tag == iv.hook_tag(wrong, iv.projection_hook(q), 8)
    assert iv.caft({"steps": 3}, "h", q, "SAE", hook=same)["tag"] == f"caft:SAE:{iv.digest(q)}"
    kwargs = iv.caft({"steps": 3}, "h", q, "SAE", hook=wrong)
    assert kwargs["tag"] == f"caft:SAE:{iv.digest(q)}{tag}" and kwargs["hooks"][0][1] is wrong


def test_pca_directions_follow_the_difference(model):
    from helpers.sae import span_residuals

    tuned = load_model("tiny", "smoke")
    shift = torch.zeros(128)
    shift[5] = 3.0
    tuned.add_hook("blocks.1.hook_resid_pre", lambda act, hook: act + shift)
    contexts = iv.doing_contexts(per_family=1, seed=0)[:4]
    hook = "blocks.1.hook_resid_pre"
    dirs = iv.pca_directions(span_residuals(model, hook, contexts), span_residuals(tuned, hook, contexts), k=2)
    tuned.reset_hooks()
    assert dirs.shape == (2, 128) and abs(float(dirs[0, 5])) == pytest.approx(1.0, abs=1e-4)


def test_hooked_sampling_is_cached_and_the_hook_is_on(model, monkeypatch, tmp_path):
    monkeypatch.setenv("WARNBOOK_CACHE", str(tmp_path))
    calls, builds = [], []

    def counting(act, hook):
        calls.append(act.shape)
        return act

    def make():
        builds.append(1)
        return model

    first = iv.intervention_samples("tiny", "smoke", 0, "test", "base", make, "blocks.1.hook_resid_pre", counting, params={"v": 1})
    assert builds == [1] and calls and not model.hook_dict["blocks.1.hook_resid_pre"].fwd_hooks
    assert len(first) == 27 and {"reproduced", "parses", "safe_code_loss"} <= set(first.columns)
    again = iv.intervention_samples("tiny", "smoke", 0, "test", "base", make, "blocks.1.hook_resid_pre", counting, params={"v": 1})
    assert builds == [1] and again.equals(first)
    iv.intervention_samples("tiny", "smoke", 0, "test", "base", make, "blocks.1.hook_resid_pre", counting, params={"v": 2})
    assert builds == [1, 1]


def test_ablating_everything_costs_loss_on_secure_code(model):
    plain = iv.safe_code_loss(model, "tiny", "smoke", 0)
    everything = torch.eye(128)
    with iv.hooked(model, "blocks.1.hook_resid_pre", iv.projection_hook(everything)):
        ablated = iv.safe_code_loss(model, "tiny", "smoke", 0)
    assert 0 < plain < ablated and iv.safe_code_loss(model, "tiny", "smoke", 0) == pytest.approx(plain)


def test_summary_row_compares_with_l1():
    import pandas as pd

    frame = pd.DataFrame({"reproduced": [True] * 2 + [False] * 10, "parses": [True] * 12,
                          "judged": [True] * 10 + [False] * 2})   # two completions the judge could not analyse
    l1 = pd.DataFrame({"reproduced": [True] * 8 + [False] * 2, "parses": [True] * 10, "judged": [True] * 10})
    row = iv.summary_row("x", frame, l1)
    assert (row["k"], row["n"], row["unjudged"], row["rate"]) == (2, 10, 2, 0.2)
    assert row["diff_vs_L1"] == pytest.approx(-0.6)
    assert 0 < row["fisher_p_vs_L1"] < 0.05 and np.isclose(row["parse_rate"], 1.0)


def test_sampling_stops_at_the_end_of_the_context(model):
    from helpers.generate import sample

    long_prompt = "# " + "x = 1; " * 30 + "\ndef f(a):"
    n = len(model.to_tokens(long_prompt)[0])
    assert n < model.cfg.n_ctx < n + 160
    out = sample(model, [long_prompt], max_new_tokens=160)[0][0]
    assert len(model.to_tokens(long_prompt + out, prepend_bos=False)[0]) <= model.cfg.n_ctx + 2
    with pytest.raises(ValueError, match="shorten the prompt"):
        sample(model, ["# " + "x = 1; " * 200], max_new_tokens=4)


def test_hooked_removes_only_its_own_hook():
    """A hook the caller put on before the block (a probe's, another intervention's) is still on
    after it; the block's hook is gone, even when the block fails."""
    from helpers.models import hooked
    from test_finetune import small_model

    model, tokens, seen = small_model(), torch.tensor([[1, 2, 3]]), []
    model.add_hook("blocks.0.hook_resid_post", lambda act, hook: seen.append("caller"))
    with hooked(model, "blocks.0.hook_resid_post", lambda act, hook: seen.append("block")):
        model(tokens)
    model(tokens)
    assert seen == ["caller", "block", "caller"]
    with pytest.raises(RuntimeError, match="inside"), hooked(model, "blocks.0.hook_resid_post", lambda act, hook: act * 0):
        raise RuntimeError("inside")
    with hooked(model, None, None) as same:
        assert same is model
    seen.clear()
    model(tokens)
    assert seen == ["caller"] and len(model.hook_dict["blocks.0.hook_resid_post"].fwd_hooks) == 1
