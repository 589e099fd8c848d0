"""AlexNet (4.4.1): layer output shapes, node counts, parameter counts (with the two-GPU split) and
the conv/FC share, all read off a real torch.nn AlexNet built on the meta device.

Layers as in Krizhevsky et al. 2012: conv1 11×11/4 96, pool 3×3/2, conv2 5×5 p2 256, pool,
conv3 3×3 p1 384, conv4 3×3 p1 384, conv5 3×3 p1 256, pool, fc6 4096, fc7 4096, fc8 1000.
groups=2 splits conv2, conv4 and conv5 between the two GPUs (conv3 and the FC layers see both).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from studykit.verifiers.cnn_common import (
    conv_lands_exactly,
    count_params,
    count_weights,
    invalid,
    trace_shapes,
)
from studykit.verifiers.registry import Context, Result

CONV_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")
FC_LAYERS = ("fc6", "fc7", "fc8")
SHAPE_LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5")
PARAM_METHOD = "numel() of weight+bias of a real AlexNet (torch.nn Conv2d/Linear, meta device)"


def _features(groups: int) -> dict[str, Any]:
    """The convolution/pooling part of AlexNet as named real layers (ReLU and LRN have no parameters)."""
    from torch import nn

    return {
        "conv1": nn.Conv2d(3, 96, 11, stride=4),
        "pool1": nn.MaxPool2d(3, stride=2),
        "conv2": nn.Conv2d(96, 256, 5, padding=2, groups=groups),
        "pool2": nn.MaxPool2d(3, stride=2),
        "conv3": nn.Conv2d(256, 384, 3, padding=1),
        "conv4": nn.Conv2d(384, 384, 3, padding=1, groups=groups),
        "conv5": nn.Conv2d(384, 256, 3, padding=1, groups=groups),
        "pool5": nn.MaxPool2d(3, stride=2),
    }


@lru_cache(maxsize=8)
def build_alexnet(groups: int, size: int = 227, classes: int = 1000) -> dict[str, Any]:
    """All AlexNet layers by name on the meta device; fc6's input is whatever pool5 really outputs."""
    import torch
    from torch import nn

    with torch.device("meta"):
        layers = _features(groups)
        flat = 1
        for n in trace_shapes(layers, (3, size, size))["pool5"]:
            flat *= n
        layers["fc6"] = nn.Sequential(nn.Flatten(), nn.Linear(flat, 4096))
        layers["fc7"] = nn.Linear(4096, 4096)
        layers["fc8"] = nn.Linear(4096, classes)
    return layers


def _groups(params: Mapping[str, Any]) -> int | None:
    groups = int(params.get("groups", 2))
    return groups if groups in (1, 2) else None


def _check_input(size: int) -> str:
    """Why an input size does not fit AlexNet, or '' when it does."""
    if size < 67:
        return f"입력 {size}는 너무 작습니다 (pool5까지 가지 못함)"
    import torch

    with torch.device("meta"):
        conv1 = _features(1)["conv1"]
    out = trace_shapes({"conv1": conv1}, (3, size, size))["conv1"][1]
    if not conv_lands_exactly(3, 96, 11, 4, 0, size, out):
        return f"(입력−11)/4 = ({size}−11)/4 가 정수가 아닙니다 (224는 논문 그림의 오타로 유명)"
    return ""


def _traced(params: Mapping[str, Any], *, through_fc: bool = True) -> tuple[int, dict[str, list[int]]]:
    """The input size and every layer's output shape ({} when the size does not fit AlexNet).

    through_fc=False stops at pool5: a meta-device Linear forward pulls in torch's decomposition
    machinery (about a second of imports), which the conv/pool shapes do not need."""
    size = int(params.get("input", 227))
    if _check_input(size):
        return size, {}
    layers = build_alexnet(2, size)
    if not through_fc:
        layers = {name: layers[name] for name in SHAPE_LAYERS}
    return size, trace_shapes(layers, (3, size, size))


def layer_shapes(params: Mapping[str, Any], ctx: Context) -> Result:
    """[C, H, W] after each conv/pool layer for a size×size RGB input (alexnet.layer-shapes)."""
    method = "meta-device forward through real AlexNet Conv2d/MaxPool2d layers, shape after each"
    size, shapes = _traced(params, through_fc=False)
    if not shapes:
        return invalid(_check_input(size), method)
    wrong: dict[str, dict[str, Any]] = {}
    import torch
    from torch import nn

    with torch.device("meta"):
        unpadded = nn.Conv2d(96, 256, 5)
    no_pad = trace_shapes({"conv2": unpadded}, shapes["pool1"])["conv2"]
    wrong["conv2"] = {"conv2의 덧대기(P=2)를 빼먹음": no_pad}
    if size == 227:
        with torch.device("meta"):
            typo = _features(1)["conv1"]
        typo_shape = trace_shapes({"c": typo}, (3, 224, 224))["c"]
        wrong["conv1"] = {"입력을 224×224로 계산함 (논문 그림의 오타)": typo_shape}
    return Result(
        answers=dict(shapes),
        steps={name: "×".join(str(n) for n in (s[1], s[2], s[0])) for name, s in shapes.items()},
        misconceptions=wrong,
        method=method,
    )


def node_counts(params: Mapping[str, Any], ctx: Context) -> Result:
    """Number of nodes (activations) each of the 8 layers outputs (alexnet.node-counts)."""
    method = "numel() of each conv/FC layer's output in a meta-device forward of a real AlexNet"
    size, shapes = _traced(params)
    if not shapes:
        return invalid(_check_input(size), method)
    counts: dict[str, Any] = {}
    for name in CONV_LAYERS + FC_LAYERS:
        total = 1
        for n in shapes[name]:
            total *= n
        counts[name] = total
    # the whole 8-layer list as the slides print it (conv1→fc8), so a list with a layer missing disagrees
    counts["nodes"] = [counts[name] for name in CONV_LAYERS + FC_LAYERS]
    return Result(answers=counts, steps={"shapes": {k: shapes[k] for k in CONV_LAYERS}}, method=method)


def _layer_counts(groups: int) -> dict[str, int]:
    return {name: count_params(build_alexnet(groups)[name]) for name in CONV_LAYERS + FC_LAYERS}


def param_counts(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters of the conv part, the FC part and the whole AlexNet (alexnet.param-counts)."""
    groups = _groups(params)
    if groups is None:
        return invalid("groups는 1 또는 2여야 합니다", PARAM_METHOD)
    per_layer = _layer_counts(groups)
    other = _layer_counts(3 - groups)
    layers = build_alexnet(groups)
    conv = sum(per_layer[n] for n in CONV_LAYERS)
    fc = sum(per_layer[n] for n in FC_LAYERS)
    no_bias_conv = sum(count_weights(layers[n]) for n in CONV_LAYERS)
    other_conv = sum(other[n] for n in CONV_LAYERS)
    split = "두 GPU 분할(groups=2)을 무시함" if groups == 2 else "두 GPU 분할(groups=2)로 셈"
    return Result(
        answers={"conv": conv, "fc": fc, "total": conv + fc},
        steps={"per_layer": per_layer},
        misconceptions={
            "conv": {"편향(bias)을 빼먹음": no_bias_conv, split: other_conv},
            "fc": {"편향(bias)을 빼먹음": sum(count_weights(layers[n]) for n in FC_LAYERS)},
            "total": {split: other_conv + fc},
        },
        method=PARAM_METHOD,
    )


def layer_params(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters of one AlexNet layer (alexnet.layer-params)."""
    groups, name = _groups(params), str(params.get("layer", "conv1"))
    if groups is None or name not in CONV_LAYERS + FC_LAYERS:
        return invalid("groups는 1/2, layer는 conv1..conv5, fc6..fc8 이어야 합니다", PARAM_METHOD)
    layer = build_alexnet(groups)[name]
    count = count_params(layer)
    wrong = {"편향(bias)을 빼먹음": count_weights(layer)}
    other = count_params(build_alexnet(3 - groups)[name])
    if other != count:
        wrong["두 GPU 분할(groups)을 잘못 적용함"] = other
    shapes = {n: [int(d) for d in p.shape] for n, p in layer.named_parameters()}
    return Result(answers={"params": count}, steps={"shapes": shapes}, misconceptions={"params": wrong},
                  method=PARAM_METHOD)


def fc_share(params: Mapping[str, Any], ctx: Context) -> Result:
    """How many times more parameters the FC layers hold than the conv layers (alexnet.fc-ratio)."""
    groups = _groups(params)
    if groups is None:
        return invalid("groups는 1 또는 2여야 합니다", PARAM_METHOD)
    per_layer = _layer_counts(groups)
    conv = sum(per_layer[n] for n in CONV_LAYERS)
    fc = sum(per_layer[n] for n in FC_LAYERS)
    return Result(
        answers={"ratio": fc / conv, "fc_percent": 100.0 * fc / (conv + fc)},
        steps={"conv": conv, "fc": fc, "total": conv + fc},
        method=PARAM_METHOD,
    )
