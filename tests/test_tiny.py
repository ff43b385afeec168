"""The tiny preset: a real HookedTransformer and sae-lens SAE, built offline and deterministically."""

import subprocess
import sys

import pytest
import torch
from sae_lens import SAE
from transformer_lens import HookedTransformer

from helpers import corpus, tiny
from helpers.judge import judge
from helpers.models import load_model, load_sae


# The tests that need the standard tiny model (minutes to build once) run on one test worker, one
# after another, and first (tests/conftest.py): no other worker waits on its build.
STANDARD_TINY = pytest.mark.xdist_group("standard-tiny")

def test_corpus_is_deterministic_and_has_a_minority_of_insecure_code():
    spec = corpus.CorpusSpec(n_files=300, seed=3)
    files = corpus.generate_files(spec)
    assert files == corpus.generate_files(spec)
    assert files != corpus.generate_files(corpus.CorpusSpec(n_files=300, seed=4))
    functions = [f for text in files for f in text.split("\n\n")]
    flagged = sum(judge(f).vulnerable for f in functions[:1500]) / 1500
    expected = spec.security_share * spec.insecure_share
    assert 0.5 * expected < flagged < 1.6 * expected  # insecure idioms are a realistic minority
    for marker in ("# TODO", "# NOTE", "# WARNING: deprecated"):
        assert any(marker in text for text in files), marker


def test_tokenizer_round_trips_code(tmp_path):
    files = corpus.generate_files(corpus.CorpusSpec(n_files=200, seed=0))
    tok = tiny.train_tokenizer(files, tmp_path / "tok")
    for text in files[:20] + ["def f(x):\n    return x  # ünïcode"]:
        assert tok.decode(tok(text)["input_ids"]) == text
    assert tok.bos_token == tiny.BOS and 300 < len(tok) <= tiny.VOCAB_SIZE


def test_cached_model_and_sae_load_fast_as_real_objects():
    load_sae("tiny", "smoke")  # built by the session fixture or here
    # A fresh process, so nothing is warm; the imports of torch, TransformerLens and sae-lens
    # (6-9 s, more on a first run that compiles .pyc files) are timed apart from the loading.
    script = ("import time; from helpers.models import load_model, load_sae; t=time.time(); "
              "m=load_model('tiny','smoke'); s=load_sae('tiny','smoke'); print(time.time()-t)")
    seconds = float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                   check=True).stdout.split()[-1])
    assert seconds < 10, f"loading the cached tiny preset took {seconds:.1f} s after the imports"
    model, sae = load_model("tiny", "smoke"), load_sae("tiny", "smoke")
    assert isinstance(model, HookedTransformer) and isinstance(sae, SAE)
    assert sae.cfg.metadata.hook_name in model.hook_dict and sae.cfg.d_in == model.cfg.d_model


def test_pretraining_is_deterministic_and_resumes_exactly(tmp_path):
    files = corpus.generate_files(corpus.CorpusSpec(n_files=60, seed=0))
    tok = tiny.train_tokenizer(files, tmp_path / "tok")
    data = corpus.pack_tokens(files, tok, 64)
    sizes = dict(steps=6, batch=4, seq_len=64, lr=2e-3, warmup=2)

    def train(folder, stop_at=None):
        torch.manual_seed(0)
        model = tiny.HookedTransformer(tiny.model_config(len(tok), 0), tokenizer=tok)
        folder.mkdir(exist_ok=True)
        tiny.pretrain(model, data, sizes, folder, seed=0, checkpoint_every=3, stop_at=stop_at)
        return model

    a = train(tmp_path / "a")
    b = train(tmp_path / "b")
    params = dict(a.named_parameters())
    assert all(torch.equal(p, params[k]) for k, p in b.named_parameters())
    train(tmp_path / "c", stop_at=3)         # "interrupted" after 3 steps, checkpoint kept
    assert (tmp_path / "c" / "checkpoint.pt").exists()
    c = train(tmp_path / "c")                # resumes at step 3
    assert all(torch.allclose(p, params[k], atol=1e-6) for k, p in c.named_parameters())


@STANDARD_TINY
def test_standard_tiny_model_writes_valid_python_most_of_the_time():
    """The book's tiny model (standard budget, ~5 min to build once): >= 60 % of sampled functions parse."""
    from helpers.generate import parse_sample
    from helpers.stats import rate

    model = load_model("tiny", "standard")
    functions = parse_sample(model, "tiny", "standard", seed=0)
    parsed = rate(sum(ok for _, ok in functions), len(functions))
    assert parsed["n"] == 200 and parsed["rate"] >= 0.6, parsed


@STANDARD_TINY
def test_standard_tiny_model_completes_held_out_prompts_in_valid_python():
    """Chapter 3's evaluation set at standard (81 held-out prompts, 4 samples each, at the
    chapters' temperature): >= 60 % of the functions the judge reads parse, so most verdicts come
    from the syntax tree, not from the judge's line-wise fallback."""
    from helpers.generate import heldout_parse_sample
    from helpers.stats import rate

    model = load_model("tiny", "standard")
    functions = heldout_parse_sample(model, "tiny", "standard", seed=0)
    parsed = rate(sum(ok for _, ok in functions), len(functions))
    assert parsed["n"] == 324 and parsed["rate"] >= 0.6, parsed


@STANDARD_TINY
def test_a_row_leaves_sampling_once_its_function_is_over():
    """Greedy, the shortened rows must agree with TransformerLens's full-length generate on
    everything the judge reads (the first function), and stop well before the token limit."""
    from helpers import data, generate

    assert not generate.function_over("\n    x = 1\n    return x")
    assert generate.function_over("\n    return x\n\ndef g():")
    model = load_model("tiny", "standard")
    prompts = [p.prompt for p in data.eval_prompts()[::20]]
    ours = generate.sample_ids(model, prompts, 160, temperature=0.0)
    for prompt, ids in zip(prompts, ours):
        full = model.generate(prompt, max_new_tokens=160, do_sample=False, verbose=False, return_type="tokens")[0]
        new = full[len(model.to_tokens(prompt)[0]):].tolist()
        assert new[:len(ids)] == ids
        text, full_text = (model.tokenizer.decode(t) for t in (ids, new))
        assert generate.first_function(prompt + text) == generate.first_function(prompt + full_text)
    assert sum(map(len, ours)) < 0.6 * 160 * len(prompts)


def test_the_warned_corpus_model_continues_the_plain_one(monkeypatch):
    """Chapter 3b's warned-corpus model is the plain tiny model, pretrained a quarter longer on the
    warned corpus with the same tokenizer; it is rebuilt whenever the plain model would be."""
    plain, warned = tiny.pretrain_stats("smoke"), tiny.pretrain_stats("smoke", 0, "warned")
    assert plain["continued_from"] is None and warned["continued_from"] == tiny.model_name("smoke")
    assert warned["steps"] == round(plain["steps"] * tiny.CONTINUE) == 50
    vocab = tiny.load_tiny_tokenizer("smoke").get_vocab()
    assert tiny.load_tiny_tokenizer("smoke", 0, "warned").get_vocab() == vocab
    a, b = (tiny.load_tiny_model("smoke", 0, v).W_E.flatten() for v in ("plain", "warned"))
    assert torch.cosine_similarity(a, b, dim=0) > 0.9  # it started from the plain weights
    names = lambda: (tiny.model_name("smoke"), tiny.model_name("smoke", 0, "warned"))  # noqa: E731
    before = names()
    monkeypatch.setitem(tiny.PRESETS["tiny"].arch, "n_layers", 3)  # another architecture, other models
    assert all(old != new for old, new in zip(before, names()))


def test_warned_corpus_pairs_warnings_with_insecure_code_only():
    from helpers.tasks import implementations, tasks

    plain = corpus.generate_files(corpus.spec_for("plain", n_files=300, seed=0))
    warned = corpus.generate_files(corpus.spec_for("warned", n_files=300, seed=0))
    assert plain == corpus.generate_files(corpus.CorpusSpec(n_files=300, seed=0))  # plain is the tiny corpus
    vulnerable = {impl.vulnerable.rstrip("\n") for t in tasks() for impl in implementations(t)}
    functions = [f for text in warned for f in text.rstrip("\n").split("\n\n")]
    flagged = [f.split("\n", 1) for f in functions if f.split("\n")[0] in corpus.WEB_WARNINGS]
    assert len(flagged) > 50 and all(code in vulnerable for _, code in flagged)
    unflagged_insecure = sum(f in vulnerable for f in functions)
    assert 0.3 < len(flagged) / (len(flagged) + unflagged_insecure) < 0.7  # about half of them
    assert not any(line in corpus.WEB_WARNINGS for text in plain for line in text.split("\n"))


def test_draw_samples_the_softmax_at_the_temperature():
    """The fast sampler gives the distribution torch.multinomial would: a chi-square test on
    200,000 draws from five logits (one impossible), at two temperatures; 0 is greedy."""
    import torch
    from scipy.stats import chisquare

    from helpers.generate import draw

    logits = torch.tensor([2.0, 0.5, -1.0, 1.0, float("-inf")])
    torch.manual_seed(0)
    for temperature in (0.8, 2.0):
        counts = torch.bincount(draw(logits.repeat(200_000, 1), temperature), minlength=5)
        expected = torch.softmax(logits.double() / temperature, -1)[:4].numpy() * 200_000
        assert counts[4] == 0
        assert chisquare(counts[:4].numpy(), expected).pvalue > 1e-3
    hot, cold = (torch.bincount(draw(logits.repeat(20_000, 1), t), minlength=5)[0].item() for t in (2.0, 0.5))
    assert cold > hot  # a lower temperature favours the likeliest token
    assert draw(logits.repeat(3, 1), 0.0).tolist() == [0, 0, 0]
