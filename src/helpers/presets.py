"""Model presets: which model, tokenizer and SAE each one uses, and what it needs to run.

Every real preset's SAE release and id is checked against sae-lens's own pretrained
directory in the tests, so a typo here fails a test, not a learner's Colab session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRESET_NAMES = ("tiny", "pythia-70m", "gpt2-small", "gemma-2-2b")


@dataclass(frozen=True)
class Preset:
    name: str
    model_name: str            # TransformerLens name (or "tiny" for the model trained here)
    hf_repo: str | None        # Hugging Face repository of the weights and tokenizer
    tokenizer: str             # what the tokenizer is
    sae_release: str | None    # sae-lens release (None: trained here)
    sae_id: str | None
    hook_name: str             # residual-stream hook the SAE reads
    layer: int
    d_model: int
    n_layers: int
    d_sae: int
    gpu_gb_inference: float    # GPU memory needed to sample and cache activations (measured: gpu_memory.json)
    gpu_gb_finetune: float     # GPU memory needed to fine-tune (see finetune memory plan)
    finetune_lr: float         # fixed before any result: see budgets.FINETUNE
    gated: bool = False        # needs an accepted licence and an HF token
    needs_hub: bool = True
    arch: dict = field(default_factory=dict)  # HookedTransformerConfig fields (real size)
    dtype: str = "float32"     # weights for sampling and reading activations; training is float32
    optimiser: str = "adamw"   # "adafactor" where AdamW's two floats per weight do not fit (memory.py)
    frozen: tuple = ()         # parameters a fine-tune leaves alone (memory.py)
    finetune_batch: int | None = None  # rows per fine-tuning step (None: the budget's)
    sample_batch: int = 128    # rows sampled at once (the KV cache grows with it)
    one_copy: bool = False     # 1 B parameters or more: never two copies in memory at once
    paper_feature: int | None = None  # the paper's SAE feature, where this preset has the paper's SAE
    tokens: dict = field(default_factory=dict)  # special-token conventions of the real tokenizer
    stand_in: dict = field(default_factory=dict)  # arch changes of the offline rehearsal (rehearsal.py)
    sizes: dict = field(default_factory=dict)  # {budget: {size: value}} overrides of budgets.py

    @property
    def trained_here(self) -> bool:
        """The tiny preset: model, tokenizer and SAE are built on this machine."""
        return self.hf_repo is None


# What the real tokenizers do with special tokens (the rehearsal's tokenizer copies it).
GPT_TOKENS = dict(bos="<|endoftext|>", eos="<|endoftext|>", pad=None, unk="<|endoftext|>", add_bos=False,
                  padding_side="right")
GEMMA_TOKENS = dict(bos="<bos>", eos="<eos>", pad="<pad>", unk="<unk>", add_bos=True, padding_side="left")
# The smoke budget of a real preset: a check that every step runs (minutes on a CPU, seconds on a
# GPU), on far fewer examples than the tiny preset's smoke, whose model costs a thousandth as much.
REAL_SIZES = {"smoke": dict(
    finetune=dict(n_examples=9, epochs=1, batch=2),
    chapter=dict(parse_samples=8, prompts_per_family=1, max_new_chars=160),
    sweep=dict(epochs=(1.0,)),
    features=dict(per_family=1, top=2, k=8, resamples=50, permutations=50),
    probes=dict(resamples=50, subspace=2, reference_per_family=2))}
# gemma-2-2b keeps two seeds at standard: 16 fine-tunes of 4 GB fit a Colab disk (helpers.disk).
GEMMA_SIZES = {**REAL_SIZES, "standard": dict(chapter=dict(seeds=2))}

PRESETS: dict[str, Preset] = {
    "tiny": Preset(
        name="tiny", model_name="tiny", hf_repo=None, tokenizer="byte-level BPE trained here",
        sae_release=None, sae_id=None, hook_name="blocks.1.hook_resid_pre", layer=1,
        d_model=128, n_layers=2, d_sae=1024, gpu_gb_inference=0.0, gpu_gb_finetune=0.0,
        finetune_lr=1e-3, needs_hub=False, sample_batch=512,
        arch=dict(d_model=128, n_layers=2, n_heads=4, d_head=32, d_mlp=512, n_ctx=256, d_vocab=2048,
                  act_fn="gelu", normalization_type="LN", positional_embedding_type="standard"),
    ),
    "pythia-70m": Preset(
        name="pythia-70m", model_name="pythia-70m-deduped", hf_repo="EleutherAI/pythia-70m-deduped",
        tokenizer="GPT-NeoX BPE (50k)",
        sae_release="pythia-70m-deduped-res-sm", sae_id="blocks.3.hook_resid_post",
        hook_name="blocks.3.hook_resid_post", layer=3, d_model=512, n_layers=6, d_sae=32768,
        gpu_gb_inference=2.0, gpu_gb_finetune=3.0, finetune_lr=2e-5, finetune_batch=8,
        tokens=GPT_TOKENS, sizes=REAL_SIZES,
        arch=dict(d_model=512, n_layers=6, n_heads=8, d_head=64, d_mlp=2048, n_ctx=2048,
                  d_vocab=50304, act_fn="gelu", normalization_type="LN", parallel_attn_mlp=True,
                  positional_embedding_type="rotary", rotary_dim=16, rotary_adjacent_pairs=False,
                  default_prepend_bos=False),
    ),
    "gpt2-small": Preset(
        name="gpt2-small", model_name="gpt2", hf_repo="openai-community/gpt2", tokenizer="GPT-2 BPE (50k)",
        sae_release="gpt2-small-res-jb", sae_id="blocks.8.hook_resid_pre",
        hook_name="blocks.8.hook_resid_pre", layer=8, d_model=768, n_layers=12, d_sae=24576,
        gpu_gb_inference=3.5, gpu_gb_finetune=6.0, finetune_lr=2e-5, finetune_batch=8,
        tokens=GPT_TOKENS, sizes=REAL_SIZES,
        # all 12 blocks at a third of the width: a chapter's rehearsal on 2 CPU cores takes a
        # fraction of the time, and WARNBOOK_REHEARSAL=full keeps the real size for a GPU
        stand_in=dict(d_model=256, n_heads=4, d_mlp=1024),
        arch=dict(d_model=768, n_layers=12, n_heads=12, d_head=64, d_mlp=3072, n_ctx=1024,
                  d_vocab=50257, act_fn="gelu_new", normalization_type="LN",
                  positional_embedding_type="standard"),
    ),
    "gemma-2-2b": Preset(
        name="gemma-2-2b", model_name="google/gemma-2-2b", hf_repo="google/gemma-2-2b",
        tokenizer="Gemma SentencePiece (256k)",
        sae_release="gemma-scope-2b-pt-res-canonical", sae_id="layer_20/width_16k/canonical",
        hook_name="blocks.20.hook_resid_post", layer=20, d_model=2304, n_layers=26, d_sae=16384,
        gpu_gb_inference=12.0, gpu_gb_finetune=36.0, finetune_lr=5e-6, gated=True,
        dtype="bfloat16", optimiser="adafactor", frozen=("embed.W_E", "unembed.W_U"), finetune_batch=4,
        sample_batch=64, one_copy=True, paper_feature=8684, tokens=GEMMA_TOKENS, sizes=GEMMA_SIZES,
        # at reduced width (and 21 blocks, enough for the SAE's hook) so that it runs on 2 CPU cores;
        # a window far shorter than a row, so that local attention differs from global
        stand_in=dict(d_model=256, n_heads=8, d_head=32, n_key_value_heads=4, d_mlp=1024, n_layers=21,
                      window_size=32),
        arch=dict(d_model=2304, n_layers=26, n_heads=8, d_head=256, d_mlp=9216, n_ctx=8192,
                  d_vocab=256000, act_fn="gelu_pytorch_tanh", normalization_type="RMS",
                  positional_embedding_type="rotary", rotary_base=10000.0, n_key_value_heads=4,
                  use_attn_scale=True, window_size=4096, use_local_attn=True,
                  attn_types=["local", "global"] * 13, attn_scores_soft_cap=50.0,
                  output_logits_soft_cap=30.0, gated_mlp=True, final_rms=True,
                  use_normalization_before_and_after=True, eps=1e-6),
    ),
}
GEMMA_FEATURE = PRESETS["gemma-2-2b"].paper_feature  # the paper's "code execution patterns" feature


def get_preset(name: str) -> Preset:
    """The preset called `name`; `auto` is resolved by helpers.models.resolve_preset."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}. Choose one of {', '.join(PRESET_NAMES)} or 'auto'.")
    return PRESETS[name]


def presets_table():
    """The presets as a table a learner can read: model, SAE, hook and memory needs."""
    import pandas as pd

    return pd.DataFrame([{
        "preset": p.name, "model": p.model_name if p.hf_repo else "trained here",
        "SAE": f"{p.sae_release} / {p.sae_id}" if p.sae_release else "trained here (sae-lens)",
        "hook": p.hook_name, "d_model": p.d_model, "SAE width": p.d_sae,
        "GPU GB (inference)": p.gpu_gb_inference or "CPU", "GPU GB (fine-tune)": p.gpu_gb_finetune or "CPU",
        "gated": p.gated} for p in PRESETS.values()]).set_index("preset")
