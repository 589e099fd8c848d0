"""LeNet-5 (4.3.3, slide 003 figure 4-19): layer shapes and parameter counts of a real torch.nn LeNet-5.

C1 5×5 6 maps, S2 2×2 average pooling, C3 5×5 16 maps, S4 2×2 average pooling, C5 5×5 120 maps,
F6 84 nodes, output `classes` nodes. C3 is either fully connected to S2's 6 maps or uses LeCun et al.
1998's connection table (each of the 16 maps sees 3, 4 or 6 of S2's maps), built as 16 real Conv2d.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.cnn_common import count_params, invalid, trace_shapes
from studykit.verifiers.registry import Context, Result

SHAPE_LAYERS = ("c1", "s2", "c3", "s4", "c5")
CONV_LAYERS = ("c1", "c3", "c5")
FC_LAYERS = ("f6", "out")
# LeCun et al. 1998, Table I: which S2 maps each C3 map reads.
C3_TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5),
)


def _table_c3() -> Any:
    """C3 with LeCun's connection table: one real Conv2d per output map over its chosen input maps."""
    import torch
    from torch import nn

    class TableC3(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.maps = nn.ModuleList(nn.Conv2d(len(ins), 1, 5) for ins in C3_TABLE)

        def forward(self, x: Any) -> Any:
            maps = [conv(x[:, list(ins)]) for conv, ins in zip(self.maps, C3_TABLE, strict=True)]
            return torch.cat(maps, 1)

    return TableC3()


def build_lenet(c3: str = "full", pad1: int = 0, size: int = 32, f6: int = 84, classes: int = 10) -> dict:
    """LeNet-5's layers by name on the meta device (tanh/sigmoid squashing has no parameters)."""
    import torch
    from torch import nn

    with torch.device("meta"):
        layers: dict[str, Any] = {
            "c1": nn.Conv2d(1, 6, 5, padding=pad1),
            "s2": nn.AvgPool2d(2),
            "c3": _table_c3() if c3 == "lecun" else nn.Conv2d(6, 16, 5),
            "s4": nn.AvgPool2d(2),
            "c5": nn.Conv2d(16, 120, 5),
        }
        flat = 1
        for n in trace_shapes(layers, (1, size, size))["c5"]:
            flat *= n
        layers["f6"] = nn.Sequential(nn.Flatten(), nn.Linear(flat, f6))
        layers["out"] = nn.Linear(f6, classes)
    return layers


def layer_shapes(params: Mapping[str, Any], ctx: Context) -> Result:
    """[C, H, W] after C1..C5 and the length of the feature vector (lenet.layer-shapes)."""
    size, pad1 = int(params.get("input", 32)), int(params.get("P1", 0))
    method = "meta-device forward through a real LeNet-5 (Conv2d 5×5, AvgPool2d 2×2), shape after each"
    if size < 1 or pad1 < 0:
        return invalid("input ≥ 1, P1 ≥ 0 이어야 합니다", method)
    try:
        layers = build_lenet("full", pad1, size)
    except RuntimeError:
        reason = f"입력 {size}, 덧대기 {pad1}에서는 C5의 5×5 커널이 S4 특징 맵에 들어가지 않습니다"
        return invalid(reason, method)
    shapes = trace_shapes({k: layers[k] for k in SHAPE_LAYERS}, (1, size, size))
    import torch

    ceil_shapes = trace_shapes(
        {k: torch.nn.AvgPool2d(2, ceil_mode=True) if k in ("s2", "s4") else layers[k] for k in SHAPE_LAYERS},
        (1, size, size),
    )
    if ceil_shapes != shapes:
        return invalid("풀링 전 특징 맵의 크기가 홀수입니다 (2×2 풀링이 나누어떨어지지 않음)", method)
    c5 = shapes["c5"]
    return Result(
        answers={**shapes, "features": c5[0] * c5[1] * c5[2]},
        steps={name: "×".join(str(n) for n in (s[1], s[2], s[0])) for name, s in shapes.items()},
        method=method,
    )


def param_counts(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters of LeNet-5's conv layers, its FC layers and in total (lenet.param-counts)."""
    c3 = str(params.get("c3", "full"))
    f6, classes = int(params.get("f6", 84)), int(params.get("classes", 10))
    method = "numel() of weight+bias of a real LeNet-5 (32×32 input; C3 full or LeCun's table as 16 Conv2d)"
    if c3 not in ("full", "lecun") or f6 < 1 or classes < 1:
        return invalid("c3는 full/lecun, f6과 classes는 1 이상이어야 합니다", method)
    layers = build_lenet(c3, 0, 32, f6, classes)
    per_layer = {name: count_params(layers[name]) for name in CONV_LAYERS + FC_LAYERS}
    conv = sum(per_layer[n] for n in CONV_LAYERS)
    fc = sum(per_layer[n] for n in FC_LAYERS)
    other = build_lenet("lecun" if c3 == "full" else "full", 0, 32, f6, classes)["c3"]
    other_conv = conv - per_layer["c3"] + count_params(other)
    label = "C3를 LeCun 연결표로 셈" if c3 == "full" else "C3를 완전 연결(6→16)로 셈"
    return Result(
        answers={"conv": conv, "fc": fc, "total": conv + fc},
        steps={"per_layer": per_layer},
        misconceptions={"conv": {label: other_conv}, "total": {label: other_conv + fc}},
        method=method,
    )
