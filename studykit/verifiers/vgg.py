"""VGGNet (4.4.2): kernel decomposition, 1×1 convolutions and VGG-16's conv/FC parameter share,
counted with numel() of real torch.nn layers on the meta device.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from studykit.verifiers.cnn_common import count_params, count_weights, invalid, meta_output_shape
from studykit.verifiers.registry import Context, Result

# VGG-16 (configuration D of Simonyan & Zisserman 2015): conv widths, "M" = 2×2 max pooling.
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def _stack3(C: int, layers: int) -> Any:
    from torch import nn

    return nn.Sequential(*(nn.Conv2d(C, C, 3, bias=False) for _ in range(layers)))


def kernel_decomposition(params: Mapping[str, Any], ctx: Context) -> Result:
    """One F×F convolution vs the stack of 3×3 convolutions with the same receptive field
    (vgg.kernel-decomposition)."""
    import torch
    from torch import nn

    from studykit.verifiers.cnn import receptive_span

    F, C = int(params["F"]), int(params.get("C", 1))
    method = ("numel() of real Conv2d(C, C, F) vs stacked Conv2d(C, C, 3) "
              "(as many as autograd needs for an F×F field)")
    if F < 3 or F % 2 == 0 or C < 1:
        return invalid("F는 3 이상의 홀수, C는 1 이상이어야 합니다", method)
    layers, field = 0, 1
    while field < F:  # add 3×3 layers until autograd says the stack sees an F×F field
        layers += 1
        field = receptive_span(layers, 3, 1, ctx)
    with torch.device("meta"):
        big = nn.Conv2d(C, C, F, bias=False)
        stack = _stack3(C, layers)
    size = F + 8
    if field != F or meta_output_shape(big, (C, size, size)) != meta_output_shape(stack, (C, size, size)):
        return invalid("3×3 층 쌓기가 F×F 수용장과 맞지 않습니다", method)
    return Result(
        answers={"big": count_params(big), "small": count_params(stack), "layers": layers},
        steps={"per_layer": count_params(stack[0]), "field": field},
        misconceptions={"small": {"3×3 한 층만 셈": count_params(stack[0])}},
        method=method,
    )


def asymmetric_decomposition(params: Mapping[str, Any], ctx: Context) -> Result:
    """n×n convolution vs 1×n followed by n×1 (vgg.asymmetric-decomposition)."""
    import torch
    from torch import nn

    n, C = int(params["n"]), int(params.get("C", 1))
    method = "numel() of real Conv2d(C, C, (n, n)) vs Conv2d(C, C, (1, n)) + Conv2d(C, C, (n, 1)), no bias"
    if n < 2 or C < 1:
        return invalid("n ≥ 2, C ≥ 1 이어야 합니다", method)
    with torch.device("meta"):
        full = nn.Conv2d(C, C, (n, n), bias=False)
        pair = nn.Sequential(nn.Conv2d(C, C, (1, n), bias=False), nn.Conv2d(C, C, (n, 1), bias=False))
    size = n + 5
    if meta_output_shape(full, (C, size, size)) != meta_output_shape(pair, (C, size, size)):
        return invalid("1×n, n×1 분해의 출력 크기가 다릅니다", method)
    return Result(
        answers={"full": count_params(full), "factored": count_params(pair)},
        steps={"saving": count_params(full) - count_params(pair)},
        method=method,
    )


def one_by_one(params: Mapping[str, Any], ctx: Context) -> Result:
    """A 1×1 convolution from c2 to c3 maps of size m×n: output shape and parameters (vgg.one-by-one)."""
    import torch
    from torch import nn

    c2, c3, m, n = (int(params[k]) for k in ("c2", "c3", "m", "n"))
    method = "meta-device forward and numel() of a real Conv2d(c2, c3, 1) with bias"
    if min(c2, c3, m, n) < 1:
        return invalid("c2, c3, m, n은 1 이상이어야 합니다", method)
    with torch.device("meta"):
        conv = nn.Conv2d(c2, c3, 1)
        three = nn.Conv2d(c2, c3, 3, padding=1)
    shape = meta_output_shape(conv, (c2, m, n))
    return Result(
        answers={"channels": shape[0], "shape": shape, "params": count_params(conv)},
        steps={"kernel_shape": [int(d) for d in conv.weight.shape], "params_3x3": count_params(three)},
        misconceptions={"params": {"편향(bias)을 빼먹음": count_weights(conv)},
                        "shape": {"1×1 커널이 공간 크기를 바꾼다고 봄": [c2, m, n]} if c2 != c3 else {}},
        method=method,
    )


@lru_cache(maxsize=4)
def build_vgg16(classes: int = 1000, size: int = 224) -> tuple[Any, Any]:
    """VGG-16's 13 conv layers (with pooling) and its 3 FC layers as real meta-device modules."""
    import torch
    from torch import nn

    with torch.device("meta"):
        layers: list[Any] = []
        channels = 3
        for item in VGG16_CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.ReLU()]
                channels = int(item)
        features = nn.Sequential(*layers)
        shape = meta_output_shape(features, (3, size, size))
        flat = shape[0] * shape[1] * shape[2]
        classifier = nn.Sequential(nn.Flatten(), nn.Linear(flat, 4096), nn.ReLU(), nn.Linear(4096, 4096),
                                   nn.ReLU(), nn.Linear(4096, classes))
    return features, classifier


def param_share(params: Mapping[str, Any], ctx: Context) -> Result:
    """VGG-16: layer counts, conv and FC parameters, the FC share in percent (vgg.param-share)."""
    from torch import nn

    classes = int(params.get("classes", 1000))
    method = "numel() of weight+bias of a real VGG-16 (13 Conv2d + 3 Linear, meta device, 224×224 input)"
    if classes < 1:
        return invalid("classes ≥ 1 이어야 합니다", method)
    features, classifier = build_vgg16(classes)
    conv, fc = count_params(features), count_params(classifier)
    return Result(
        answers={
            "conv_layers": sum(isinstance(m, nn.Conv2d) for m in features.modules()),
            "fc_layers": sum(isinstance(m, nn.Linear) for m in classifier.modules()),
            "conv": conv,
            "fc": fc,
            "total": conv + fc,
            "fc_percent": 100.0 * fc / (conv + fc),
        },
        steps={"fc_per_layer": [count_params(m) for m in classifier if isinstance(m, nn.Linear)]},
        misconceptions={"fc": {"편향(bias)을 빼먹음": count_weights(classifier)}},
        method=method,
    )
