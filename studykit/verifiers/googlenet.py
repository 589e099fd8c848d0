"""GoogLeNet (4.4.3): the inception module with and without 1×1 reductions (parameters, output shape,
multiply-accumulates counted by forward hooks on the real module), global average pooling vs an FC
layer, and GoogLeNet's single FC layer against VGG-16's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.cnn_common import count_params, invalid, meta_output_shape
from studykit.verifiers.registry import Context, Result

# Szegedy et al. 2015, Table 1: input channels, map size, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5,
# pool proj.
INCEPTION_TABLE: dict[str, tuple[int, ...]] = {
    "3a": (192, 28, 64, 96, 128, 16, 32, 32),
    "3b": (256, 28, 128, 128, 192, 32, 96, 64),
    "4a": (480, 14, 192, 96, 208, 16, 48, 64),
    "4b": (512, 14, 160, 112, 224, 24, 64, 64),
    "4c": (512, 14, 128, 128, 256, 24, 64, 64),
    "4d": (512, 14, 112, 144, 288, 32, 64, 64),
    "4e": (528, 14, 256, 160, 320, 32, 128, 128),
    "5a": (832, 7, 256, 160, 320, 32, 128, 128),
    "5b": (832, 7, 384, 192, 384, 48, 128, 128),
}


def build_inception(module: str, reduced: bool) -> Any:
    """A real inception module (four parallel branches concatenated) on the meta device."""
    import torch
    from torch import nn

    cin, _, n1, r3, n3, r5, n5, proj = INCEPTION_TABLE[module]

    class Inception(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if reduced:  # figure 4-26(b): 1×1 convolutions shrink the depth before 3×3 and 5×5
                self.branches = nn.ModuleList([
                    nn.Conv2d(cin, n1, 1),
                    nn.Sequential(nn.Conv2d(cin, r3, 1), nn.ReLU(), nn.Conv2d(r3, n3, 3, padding=1)),
                    nn.Sequential(nn.Conv2d(cin, r5, 1), nn.ReLU(), nn.Conv2d(r5, n5, 5, padding=2)),
                    nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(cin, proj, 1)),
                ])
            else:  # figure 4-26(a), the naive module: the pooling branch passes all cin maps on
                self.branches = nn.ModuleList([
                    nn.Conv2d(cin, n1, 1),
                    nn.Conv2d(cin, n3, 3, padding=1),
                    nn.Conv2d(cin, n5, 5, padding=2),
                    nn.MaxPool2d(3, stride=1, padding=1),
                ])

        def forward(self, x: Any) -> Any:
            return torch.cat([branch(x) for branch in self.branches], dim=1)

    with torch.device("meta"):
        return Inception()


def count_macs(module: Any, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of every Conv2d/Linear in one meta forward pass, counted by forward hooks:
    each output element costs one MAC per element of its filter (weight[0])."""
    import torch
    from torch import nn

    total = [0]

    def hook(layer: Any, _inputs: Any, output: Any) -> None:
        total[0] += output.numel() * layer.weight[0].numel()

    weighted = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    handles = [m.register_forward_hook(hook) for m in weighted]
    try:
        with torch.no_grad():
            module(torch.empty(1, *input_shape, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return total[0]


def _module_input(params: Mapping[str, Any]) -> tuple[str, tuple[int, int, int]] | None:
    """The module's name and its input [C, H, W], or None for an unknown module."""
    name = str(params.get("module", "3a"))
    if name not in INCEPTION_TABLE:
        return None
    cin, size = INCEPTION_TABLE[name][:2]
    return name, (cin, size, size)


def _unknown_module(method: str) -> Result:
    return invalid(f"module은 {', '.join(INCEPTION_TABLE)} 중 하나여야 합니다", method)


def inception_params(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters and output shape of an inception module with and without 1×1 reduction
    (googlenet.inception-params)."""
    method = "numel() of weight+bias and a meta forward of a real inception module (GoogLeNet Table 1)"
    found = _module_input(params)
    if found is None:
        return _unknown_module(method)
    name, shape = found
    reduced, naive = build_inception(name, True), build_inception(name, False)
    return Result(
        answers={
            "params_reduced": count_params(reduced),
            "params_naive": count_params(naive),
            "shape_reduced": meta_output_shape(reduced, shape),
            "shape_naive": meta_output_shape(naive, shape),
        },
        steps={"branch_params": [count_params(b) for b in reduced.branches], "input": list(shape)},
        method=method,
    )


def inception_flops(params: Mapping[str, Any], ctx: Context) -> Result:
    """Multiply-accumulates of an inception module with and without 1×1 reduction
    (googlenet.inception-flops)."""
    method = "forward hooks on every Conv2d of a real inception module: output numel × filter numel"
    found = _module_input(params)
    if found is None:
        return _unknown_module(method)
    name, shape = found
    reduced = count_macs(build_inception(name, True), shape)
    naive = count_macs(build_inception(name, False), shape)
    return Result(
        answers={"macs_reduced": reduced, "macs_naive": naive, "ratio": naive / reduced},
        steps={"input": list(shape)},
        method=method,
    )


def global_average_pooling(params: Mapping[str, Any], ctx: Context) -> Result:
    """C maps of H×H: global average pooling vs an FC layer to `classes` outputs (googlenet.gap)."""
    import torch
    from torch import nn

    C, H, classes = int(params["C"]), int(params["H"]), int(params["classes"])
    method = "meta forward and numel() of real nn.AdaptiveAvgPool2d(1) and nn.Linear(C·H·H, classes)"
    if min(C, H, classes) < 1:
        return invalid("C, H, classes는 1 이상이어야 합니다", method)
    with torch.device("meta"):
        gap = nn.AdaptiveAvgPool2d(1)
        fc = nn.Sequential(nn.Flatten(), nn.Linear(C * H * H, classes))
    return Result(
        answers={
            "gap_shape": meta_output_shape(gap, (C, H, H)),
            "gap_params": count_params(gap),
            "fc_params": count_params(fc),
        },
        steps={"flat": meta_output_shape(nn.Flatten(), (C, H, H))[0]},
        misconceptions={"gap_params": {"FC층처럼 가중치가 있다고 봄": count_params(fc)}},
        method=method,
    )


def fc_params(params: Mapping[str, Any], ctx: Context) -> Result:
    """GoogLeNet's one FC layer (after global average pooling) vs VGG-16's three (googlenet.fc-params)."""
    import torch
    from torch import nn

    from studykit.verifiers.vgg import build_vgg16

    classes = int(params.get("classes", 1000))
    method = "numel() of a real Linear(1024, classes) after AdaptiveAvgPool2d vs VGG-16's real FC stack"
    if classes < 1:
        return invalid("classes ≥ 1 이어야 합니다", method)
    with torch.device("meta"):
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, classes))
    ours = count_params(head)
    vgg_fc = count_params(build_vgg16(classes)[1])
    return Result(
        answers={"fc": ours, "percent_of_vgg": 100.0 * ours / vgg_fc},
        steps={"vgg_fc": vgg_fc, "input": meta_output_shape(head[0], (1024, 7, 7))},
        method=method,
    )
