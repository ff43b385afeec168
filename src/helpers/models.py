"""Load a preset's model and SAE, or say clearly why it cannot run here.

Every check (preset name, hub access, licence token, GPU memory) happens before anything is
downloaded, so a learner learns in a second what is wrong and how to fix it.
"""

from __future__ import annotations

import gc
import os
import weakref
from contextlib import contextmanager

import requests
import torch
from sae_lens import SAE
from transformer_lens import HookedTransformer

from helpers import cache, rehearsal, tiny
from helpers.budgets import check_budget
from helpers.presets import PRESET_NAMES, PRESETS, Preset, get_preset

HUB_URL = "https://huggingface.co"
TRAIN_DTYPE = "float32"  # a bfloat16 weight of ~0.02 cannot move by a 5e-6 step: it rounds away
_RESIDENT: "weakref.WeakSet[HookedTransformer]" = weakref.WeakSet()  # live models of one-copy presets


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
    """Turn 'auto' into the largest preset this machine can run, and say why in one line.
    Without a GPU that is tiny: a real preset would fine-tune for hours on a CPU."""
    if name != "auto":
        return get_preset(name).name
    gpu = gpu_memory_gb()
    if not gpu:
        choice, why = "tiny", "no GPU here: a real preset would fine-tune for hours on a CPU; tiny takes minutes"
    elif not hub_reachable():
        choice, why = "tiny", "the Hugging Face hub is unreachable; tiny is trained here, offline"
    elif gpu >= PRESETS["gemma-2-2b"].gpu_gb_finetune and has_hf_token():
        choice, why = "gemma-2-2b", f"a GPU with {gpu:.0f} GB and an HF token"
    elif gpu >= PRESETS["gpt2-small"].gpu_gb_finetune:
        choice, why = "gpt2-small", f"a GPU with {gpu:.0f} GB (gemma-2-2b needs {PRESETS['gemma-2-2b'].gpu_gb_finetune:.0f} GB and a token)"
    else:
        choice, why = "pythia-70m", f"a GPU with {gpu:.0f} GB (gpt2-small needs {PRESETS['gpt2-small'].gpu_gb_finetune:.0f} GB)"
    if verbose:
        print(f"PRESET auto -> {choice}: {why}")
    return choice


def fitting_preset(gb: float, finetune: bool) -> str:
    """The largest preset whose GPU need fits `gb` (tiny runs anywhere)."""
    fits = [n for n in PRESET_NAMES if (PRESETS[n].gpu_gb_finetune if finetune else PRESETS[n].gpu_gb_inference) <= gb]
    return fits[-1] if gb else "tiny"


def check_can_run(preset: Preset | str, finetune: bool = False) -> None:
    """Raise PresetUnavailable, before any download, if `preset` cannot run here (to fine-tune,
    when `finetune`); the message names the preset that would fit. A rehearsal checks its stand-in."""
    preset = effective_preset(preset) if isinstance(preset, str) else preset
    if preset.trained_here:
        return
    need = preset.gpu_gb_finetune if finetune else preset.gpu_gb_inference
    have = gpu_memory_gb()
    if have < need and (have or preset.one_copy):
        where = f"this machine's GPU has {have:.1f} GB" if have else "this machine has no GPU"
        raise PresetUnavailable(
            f"{preset.name} needs a GPU with {need:.0f} GB for {'fine-tuning' if finetune else 'inference'}; "
            f"{where}. Use PRESET = '{fitting_preset(have, finetune)}', which fits.")
    if not preset.needs_hub:
        return
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
    if preset.gated:
        check_licence(preset.hf_repo)


def check_licence(repo: str) -> None:
    """Raise PresetUnavailable when the token's account has not accepted `repo`'s licence: the hub
    answers that (huggingface_hub's auth_check) before a 5 GB download would fail on it. Whatever
    else stops the question (an older huggingface_hub, the network, a bad token) is left to the
    download, which reports it itself."""
    try:
        from huggingface_hub import auth_check
        from huggingface_hub.utils import GatedRepoError
    except ImportError:
        return
    try:
        auth_check(repo)
    except GatedRepoError as refused:
        raise PresetUnavailable(licence_message(repo, refused)) from refused
    except Exception:  # see the docstring: only a refused licence is this check's to report
        return


def licence_message(repo: str, refused: Exception) -> str:
    """What to do when the hub refuses a gated repository to this token (a GatedRepoError)."""
    said = (getattr(refused, "server_message", None) or str(refused).splitlines()[0]).rstrip(".")
    return (f"{repo} is gated and the account of your HF token has not been granted access (the hub says: "
            f"{said}). Accept the licence at {HUB_URL}/{repo} while logged in to that account, wait until the page "
            "says access is granted, then run this cell again.")


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def effective_preset(name: str) -> Preset:
    """The preset `name`, or in a rehearsal ($WARNBOOK_REHEARSAL=1) its offline stand-in."""
    preset = get_preset(resolve_preset(name, verbose=False))
    return rehearsal.stand_in(preset) if rehearsal.active() and not preset.trained_here else preset


def load_model(preset: str = "auto", budget: str = "standard", seed: int = 0, device: str | None = None,
               corpus: str = "plain", train: bool = False) -> HookedTransformer:
    """The preset's HookedTransformer: tiny is built (or read from the cache), real ones downloaded
    (or, in a rehearsal, built offline with random weights). Weights are in the preset's dtype, or
    in float32 to `train` them. A one-copy preset (1 B parameters or more) refuses a second copy.

    `corpus` picks the tiny model's pretraining corpus (chapter 3b's "warned" variant).
    """
    preset_obj = effective_preset(preset)
    check_budget(budget)
    if preset_obj.trained_here:
        return tiny.load_tiny_model(budget, seed, corpus).to(device or "cpu", print_details=False)
    check_plain_corpus(preset_obj, corpus)
    check_can_run(preset_obj, finetune=train)
    make_room(preset_obj)
    dtype = TRAIN_DTYPE if train else preset_obj.dtype
    device = device or default_device()
    if rehearsal.active():
        model = rehearsal.stand_in_model(preset_obj, load_tokenizer(preset_obj.name), dtype, device)
    else:
        model = HookedTransformer.from_pretrained(preset_obj.model_name, device=device, dtype=dtype,
                                                  **sae_model_kwargs(preset_obj))
    if preset_obj.one_copy:
        _RESIDENT.add(model)
    return model


def base_identity(preset: str, budget: str, corpus: str = "plain") -> str:
    """What names the weights `load_model(preset, budget, corpus=corpus)` gives, for the keys of
    everything cached from them: the tiny model's own cache key (its pretraining sizes and
    code), or a real preset's hub model. Retraining the tiny model then never reuses a fine-tune
    or a sample of the old one; nor does a rehearsal whose stand-in changed shape."""
    preset_obj = effective_preset(preset)
    if preset_obj.trained_here:
        return tiny.model_name(budget, 0, corpus)
    if rehearsal.active():
        return f"{preset_obj.model_name} stand-in {cache.key_hash(preset_obj.arch)}"
    return preset_obj.model_name


def sae_model_kwargs(preset: Preset) -> dict:
    """How the SAE's authors loaded the model (e.g. centred writing weights): sae-lens's directory
    says it, and an SAE reads activations of a model loaded the same way."""
    from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory

    overrides = get_pretrained_saes_directory()[preset.sae_release].config_overrides or {}
    return dict(overrides.get("model_from_pretrained_kwargs", {}))


def make_room(preset: Preset) -> None:
    """Two copies of a 1 B-parameter model do not fit the GPU its memory plan is made for: before
    another is loaded, the one in memory is released (its weights dropped), and a later use of it
    raises an error that says so, rather than computing anything."""
    if not preset.one_copy:
        return
    for model in list(_RESIDENT):
        model.to("meta", print_details=False)
        model.register_forward_pre_hook(_released)
    _RESIDENT.clear()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class ModelReleased(RuntimeError):
    """A model of a one-copy preset was used after another copy replaced it in memory."""


def _released(module, args):
    raise ModelReleased(f"this {module.cfg.model_name} model was released when another copy was loaded "
                        "(one copy of a 1 B-parameter model fits the GPU); load it again.")


def load_sae(preset: str = "auto", budget: str = "standard", seed: int = 0, device: str | None = None) -> SAE:
    """The preset's sae-lens SAE at its hook: trained here for tiny, Gemma Scope etc. otherwise."""
    preset_obj = effective_preset(preset)
    check_budget(budget)
    if preset_obj.trained_here:
        return tiny.load_tiny_sae(budget, seed).to(device or "cpu")
    check_can_run(preset_obj)
    if rehearsal.active():
        return rehearsal.stand_in_sae(preset_obj).to(device or default_device())
    return SAE.from_pretrained(preset_obj.sae_release, preset_obj.sae_id, device=device or default_device())


def load_tokenizer(preset: str = "auto", budget: str = "standard", seed: int = 0, corpus: str = "plain"):
    """The preset's tokenizer alone (no weights): for counting tokens."""
    preset_obj = effective_preset(preset)
    if preset_obj.trained_here:
        return tiny.load_tiny_tokenizer(budget, seed, corpus)
    check_plain_corpus(preset_obj, corpus)
    if rehearsal.active():
        return rehearsal.stand_in_tokenizer(preset_obj)
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
    """Within the block, `fn` is on at `hook_name` (nothing when hook_name is None); after it, that
    hook alone is removed: `model.reset_hooks()` would also drop the hooks the caller had put on.

    `model.add_hook` keeps its checks of the name but returns no handle (TransformerLens 3.9): the
    hook point's list of handles (`fwd_hooks`) gains the one it added."""
    if hook_name is None:
        yield model
        return
    point = model.hook_dict[hook_name]
    before = list(point.fwd_hooks)
    model.add_hook(hook_name, fn)
    added = [h for h in point.fwd_hooks if all(h is not b for b in before)]
    try:
        yield model
    finally:
        for handle in added:
            handle.hook.remove()
        point.fwd_hooks = [h for h in point.fwd_hooks if all(h is not a for a in added)]


def sae_spliced(model: HookedTransformer, sae: SAE):
    """Within the block, the model's residual stream at the SAE hook is replaced by its reconstruction."""
    return hooked(model, sae.cfg.metadata.hook_name, lambda act, hook: sae(act).to(act.dtype))
