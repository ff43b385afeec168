"""Load a preset's model and SAE, or say clearly why it cannot run here.

Every check (preset name, hub access, licence token, GPU memory) happens before anything is
downloaded, so a learner learns in a second what is wrong and how to fix it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import requests
import torch
from sae_lens import SAE
from transformer_lens import HookedTransformer

from helpers import tiny
from helpers.budgets import check_budget
from helpers.presets import PRESETS, Preset, get_preset

HUB_URL = "https://huggingface.co"


class PresetUnavailable(RuntimeError):
    """The preset cannot run on this machine; the message says why and what to do."""


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hugging Face hub answers; False at once in offline mode."""
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        requests.head(f"{HUB_URL}/api/models", timeout=timeout)
        return True
    except requests.RequestException:
        return False


def gpu_memory_gb() -> float:
    """Total memory of the first CUDA device in GB, 0 without one."""
    if not torch.cuda.is_available():
        return 0.0
    return torch.cuda.get_device_properties(0).total_memory / 1e9


def has_hf_token() -> bool:
    from huggingface_hub import get_token

    return bool(os.environ.get("HF_TOKEN") or get_token())


def resolve_preset(name: str = "auto", verbose: bool = True) -> str:
    """Turn 'auto' into the largest preset this machine can run, and say why in one line."""
    if name != "auto":
        return get_preset(name).name
    gpu, hub = gpu_memory_gb(), hub_reachable()
    if not hub:
        choice, why = "tiny", "the Hugging Face hub is unreachable; tiny is trained here, offline"
    elif gpu >= PRESETS["gemma-2-2b"].gpu_gb_finetune and has_hf_token():
        choice, why = "gemma-2-2b", f"a {gpu:.0f} GB GPU and an HF token"
    elif gpu >= PRESETS["gpt2-small"].gpu_gb_finetune:
        choice, why = "gpt2-small", f"a {gpu:.0f} GB GPU (gemma-2-2b needs {PRESETS['gemma-2-2b'].gpu_gb_finetune:.0f} GB and a token)"
    else:
        choice, why = "pythia-70m", "the hub is reachable but there is no GPU of 6 GB or more"
    if verbose:
        print(f"PRESET auto -> {choice}: {why}")
    return choice


def check_can_run(preset: Preset, finetune: bool = False) -> None:
    """Raise PresetUnavailable, before any download, if `preset` cannot run here."""
    need = preset.gpu_gb_finetune if finetune else preset.gpu_gb_inference
    have = gpu_memory_gb()
    if preset.name == "gemma-2-2b" and have < need:
        where = f"this machine's GPU has {have:.1f} GB" if have else "this machine has no GPU"
        raise PresetUnavailable(
            f"{preset.name} needs a GPU with {need:.0f} GB for {'fine-tuning' if finetune else 'inference'}; "
            f"{where}. Use PRESET='gpt2-small' (a 16 GB T4) or 'pythia-70m'.")
    if 0 < have < need:
        raise PresetUnavailable(f"{preset.name} needs {need:.0f} GB of GPU memory; this GPU has {have:.1f} GB. "
                                "Pick a smaller preset.")
    if not hub_reachable():
        raise PresetUnavailable(
            f"{preset.name} downloads {preset.hf_repo} from the Hugging Face hub, which is unreachable "
            "from here (no network, or HF_HUB_OFFLINE=1). The 'tiny' preset runs fully offline: "
            "set PRESET = 'tiny'.")
    if preset.gated and not has_hf_token():
        raise PresetUnavailable(
            f"{preset.hf_repo} is gated: accept its licence at {HUB_URL}/{preset.hf_repo} while logged in, "
            "create a read token at https://huggingface.co/settings/tokens, then set it as HF_TOKEN "
            "(on Colab: the key icon, 'Secrets', name HF_TOKEN) or run `huggingface-cli login`.")


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(preset: str = "auto", budget: str = "standard", seed: int = 0,
               device: str | None = None, corpus: str = "plain") -> HookedTransformer:
    """The preset's HookedTransformer: tiny is built (or read from the cache), real ones downloaded.

    `corpus` picks the tiny model's pretraining corpus (chapter 3b's "warned" variant).
    """
    preset_obj = get_preset(resolve_preset(preset))
    check_budget(budget)
    if preset_obj.name == "tiny":
        return tiny.load_tiny_model(budget, seed, corpus).to(device or "cpu")
    check_plain_corpus(preset_obj, corpus)
    check_can_run(preset_obj)
    dtype = "bfloat16" if preset_obj.name == "gemma-2-2b" else "float32"
    return HookedTransformer.from_pretrained(preset_obj.model_name, device=device or default_device(), dtype=dtype)


def load_sae(preset: str = "auto", budget: str = "standard", seed: int = 0, device: str | None = None) -> SAE:
    """The preset's sae-lens SAE at its hook: trained here for tiny, Gemma Scope etc. otherwise."""
    preset_obj = get_preset(resolve_preset(preset, verbose=False))
    check_budget(budget)
    if preset_obj.name == "tiny":
        return tiny.load_tiny_sae(budget, seed).to(device or "cpu")
    check_can_run(preset_obj)
    return SAE.from_pretrained(preset_obj.sae_release, preset_obj.sae_id, device=device or default_device())


def load_tokenizer(preset: str = "auto", budget: str = "standard", seed: int = 0, corpus: str = "plain"):
    """The preset's tokenizer alone (no weights): for counting tokens."""
    preset_obj = get_preset(resolve_preset(preset, verbose=False))
    if preset_obj.name == "tiny":
        return tiny.load_tiny_tokenizer(budget, seed, corpus)
    check_plain_corpus(preset_obj, corpus)
    check_can_run(preset_obj)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(preset_obj.hf_repo)


def check_plain_corpus(preset_obj, corpus: str) -> None:
    """Only the tiny preset is pretrained here, so only it has corpus variants."""
    if corpus != "plain":
        raise PresetUnavailable(f"corpus={corpus!r} needs pretraining, which only the tiny preset does here; "
                                f"{preset_obj.name} was pretrained by its authors. Use corpus='plain'.")


@contextmanager
def hooked(model: HookedTransformer, hook_name: str | None, fn):
    """Within the block, `fn` is on at `hook_name` (nothing when hook_name is None); it is removed after."""
    if hook_name is not None:
        model.add_hook(hook_name, fn)
    try:
        yield model
    finally:
        model.reset_hooks()


def sae_spliced(model: HookedTransformer, sae: SAE):
    """Within the block, the model's residual stream at the SAE hook is replaced by its reconstruction."""
    return hooked(model, sae.cfg.metadata.hook_name, lambda act, hook: sae(act).to(act.dtype))
