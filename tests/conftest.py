import os

# Tests never touch the network for models, and never wait on retries.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
for name in ("WARNBOOK_PRESET", "WARNBOOK_BUDGET"):
    os.environ.pop(name, None)
