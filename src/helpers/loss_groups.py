"""Where a fine-tune's loss went: one packed batch of training texts with a mask for each group of
their tokens (the framing lines, the code), so that a model's loss on each is measured apart.
Packing and masks are the fine-tune's own (`finetune.encode`, `finetune.pack`)."""

from __future__ import annotations

import torch

from helpers import data
from helpers.finetune import encode, pack


def token_groups(examples: list[data.Example], tokenizer, seq_len: int) -> tuple[torch.Tensor, dict]:
    """Token ids of `examples` packed into rows, and {"framing": mask, "code": mask}: every token
    but BOS and padding is in exactly one group."""
    pad = tokenizer.bos_token_id
    code = pack([encode(ex, tokenizer, seq_len, "code") for ex in examples], seq_len, pad)
    every = pack([encode(ex, tokenizer, seq_len, "all") for ex in examples], seq_len, pad)
    return code[0], {"framing": every[1] - code[1], "code": code[1]}
