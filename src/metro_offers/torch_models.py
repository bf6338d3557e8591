"""What the PyTorch models (Wide & Deep, SASRec) share: where they train and how their
safetensors artifacts carry JSON metadata."""

from __future__ import annotations

import json
import struct


def training_device():
    """A GPU when there is one (never required), else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file's header: an 8-byte little-endian length,
    then that many bytes of JSON (the format's specification)."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]).get("__metadata__", {})
