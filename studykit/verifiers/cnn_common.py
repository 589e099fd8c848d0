"""Helpers shared by the CNN-family verifiers: meta-device shape runs, parameter counts, results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from studykit.verifiers.registry import Context, Result


def count_params(module: Any) -> int:
    """numel() summed over the module's real parameters (weights and biases)."""
    return int(sum(p.numel() for p in module.parameters()))


def count_weights(module: Any) -> int:
    """numel() of parameters that are not biases (what a 'forgot the bias' answer counts)."""
    return int(sum(p.numel() for name, p in module.named_parameters() if not name.endswith("bias")))


def meta_output_shape(module: Any, input_shape: Sequence[int]) -> list[int]:
    """Run a meta tensor of `input_shape` (with batch 1) through the meta module; the output [C, H, W...]."""
    import torch

    with torch.no_grad():
        out = module(torch.empty(1, *input_shape, device="meta"))
    return [int(n) for n in out.shape[1:]]


def trace_shapes(layers: Mapping[str, Any], input_shape: Sequence[int]) -> dict[str, list[int]]:
    """Run a meta tensor through named layers in order and record each layer's output shape."""
    import torch

    shapes: dict[str, list[int]] = {}
    x = torch.empty(1, *input_shape, device="meta")
    with torch.no_grad():
        for name, layer in layers.items():
            x = layer(x)
            shapes[name] = [int(n) for n in x.shape[1:]]
    return shapes


def conv_width(D: int, K: int, F: int, S: int, P: int, W: int) -> int | None:
    """Output width of a real Conv2d(D, K, F, S, P) on a W×W×D meta input; None if the kernel does not fit."""
    import torch
    from torch import nn

    with torch.device("meta"):
        conv = nn.Conv2d(D, K, F, stride=S, padding=P)
    try:
        return meta_output_shape(conv, (D, W, W))[1]
    except RuntimeError:
        return None


def conv_lands_exactly(D: int, K: int, F: int, S: int, P: int, W: int, W2: int) -> bool:
    """True when (W−F+2P)/S is an integer, read off a real layer: the transposed convolution maps W2
    back to W only when the last kernel step ends on the padded border."""
    import torch
    from torch import nn

    with torch.device("meta"):
        back = nn.ConvTranspose2d(K, D, F, stride=S, padding=P)
    try:
        return meta_output_shape(back, (K, W2, W2))[1] == W
    except RuntimeError:
        return False


def invalid(reason: str, method: str = "") -> Result:
    """A Result for parameters that make no sense (the bank redraws such variants)."""
    return Result(answers={}, valid=False, reason=reason, method=method)


def tensor(value: Any, ctx: Context) -> Any:
    """A float64 tensor of `value` on the context's device."""
    import torch

    return torch.tensor(value, dtype=ctx.torch_dtype(), device=ctx.device)


def exact_int(value: float) -> int | None:
    """`value` as an int when it is integral (integer inputs give integer outputs), else None."""
    rounded = round(value)
    return int(rounded) if abs(value - rounded) < 1e-9 else None


def as_bool(value: Any) -> bool:
    """A YAML/CLI flag: true/false, yes/no, 1/0."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "y", "on")
    return bool(value)
