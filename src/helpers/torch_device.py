"""Where a model runs, and how token vectors become one text vector — written once.

Every function that runs a model takes a ``device`` argument and resolves it here, so a
reader can force the CPU on a GPU machine (``device="cpu"``) to compare, or to keep a GPU
free, and a request for a GPU that is not there fails with a message instead of a CUDA trace.
"""

from __future__ import annotations

from typing import Any


class DeviceUnavailable(RuntimeError):
    """The requested device is not present on this machine."""


def choose_device(device: Any = None):
    """``device`` (a name such as ``"cpu"``, ``"cuda:1"`` or a ``torch.device``) if usable,
    else the GPU when present, else the CPU.  Returns a ``torch.device``."""
    import torch

    if device is None or device == "":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = device if isinstance(device, torch.device) else torch.device(str(device))
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(f"device {str(chosen)!r} requested, but no CUDA GPU is visible; "
                                    "use device='cpu' or None (pick automatically)")
        if chosen.index is not None and chosen.index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"device {str(chosen)!r} requested, but only "
                                    f"{torch.cuda.device_count()} GPU(s) are visible")
    elif chosen.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DeviceUnavailable("device 'mps' requested, but Apple's MPS backend is not available")
    return chosen


def model_dtype(device: Any):
    """bfloat16 on a GPU (half the memory, the usual fine-tuning precision), else float32."""
    import torch

    return torch.bfloat16 if choose_device(device).type == "cuda" else torch.float32


def mean_pool(hidden, mask):
    """Mean of the token vectors ``hidden`` (batch × tokens × dim) over the tokens ``mask`` keeps.

    Padding tokens carry vectors too; averaging them in would make a text's embedding depend
    on the longest text in its batch.  A row with no kept token gives zeros, not NaN.
    """
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
