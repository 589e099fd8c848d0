"""CNN basics (4.3): convolution/pooling output sizes, parameter counts, weight sharing, receptive field.

Every answer comes from a real torch.nn layer: shapes from a meta-device forward pass, counts from
numel() of the layer's parameters, the receptive field from autograd.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from studykit.verifiers.cnn_common import (
    conv_lands_exactly,
    conv_width,
    count_params,
    count_weights,
    invalid,
    meta_output_shape,
)
from studykit.verifiers.registry import Context, Result

CONV_METHOD = ("torch.nn.Conv2d(D, K, F, stride=S, padding=P) on the meta device: forward shape, "
               "numel() of weight+bias")


def _ints(params: Mapping[str, Any], *names: str) -> list[int]:
    return [int(params[name]) for name in names]


def conv_output(params: Mapping[str, Any], ctx: Context) -> Result:
    """Output width and parameter count of one convolution layer (cnn.conv-output)."""
    import torch
    from torch import nn

    W, F, S, P, K, D = _ints(params, "W", "F", "S", "P", "K", "D")
    if min(W, F, S, K, D) < 1 or P < 0:
        return invalid("W, F, S, K, D는 1 이상, P는 0 이상이어야 합니다", CONV_METHOD)
    W2 = conv_width(D, K, F, S, P, W)
    if W2 is None:
        return invalid(f"커널 {F}×{F}가 덧댄 입력 {W + 2 * P}×{W + 2 * P}보다 큽니다", CONV_METHOD)
    if not conv_lands_exactly(D, K, F, S, P, W, W2):
        return invalid(f"(W−F+2P)/S = ({W}−{F}+2·{P})/{S} 가 정수가 아닙니다", CONV_METHOD)
    with torch.device("meta"):
        conv = nn.Conv2d(D, K, F, stride=S, padding=P)
        no_depth = nn.Conv2d(1, K, F)
        one_kernel = nn.Conv2d(D, 1, F)
    total = count_params(conv)
    wrong_w2: dict[str, Any] = {}
    for label, width in (
        ("덧대기(P)를 빼먹음", conv_width(D, K, F, S, 0, W)),
        ("보폭(S)으로 나누지 않음", conv_width(D, K, F, 1, P, W)),
    ):
        if width is not None and width != W2:
            wrong_w2[label] = width
    wrong_params = {
        "편향(bias)을 빼먹음": count_weights(conv),
        "입력 깊이 D를 빼먹음 (커널을 F×F로만 셈)": count_params(no_depth),
        "커널 하나의 매개변수만 셈 (K를 곱하지 않음)": count_params(one_kernel),
    }
    return Result(
        answers={"W2": W2, "params": total},
        steps={
            "padded": W + 2 * P,
            "out_shape": [K, W2, W2],
            "per_kernel": int(conv.weight[0].numel()) + 1,
            "weights": count_weights(conv),
            "biases": int(conv.bias.numel()),
        },
        misconceptions={
            "W2": wrong_w2,
            "params": {k: v for k, v in wrong_params.items() if v != total},
        },
        method=CONV_METHOD,
    )


def kernel_params(params: Mapping[str, Any], ctx: Context) -> Result:
    """Parameters K kernels of F×F×D need, biases included (cnn.kernel-params)."""
    import torch
    from torch import nn

    F, K, D = _ints(params, "F", "K", "D")
    method = "numel() of the weight and bias of a real torch.nn.Conv2d(D, K, F)"
    if min(F, K, D) < 1:
        return invalid("F, K, D는 1 이상이어야 합니다", method)
    with torch.device("meta"):
        conv = nn.Conv2d(D, K, F)
    total = count_params(conv)
    return Result(
        answers={"params": total},
        steps={"per_kernel": int(conv.weight[0].numel()) + 1, "weights": count_weights(conv)},
        misconceptions={"params": {"편향(bias)을 빼먹음": count_weights(conv)}},
        method=method,
    )


def weight_sharing(params: Mapping[str, Any], ctx: Context) -> Result:
    """Weights of a shared 1-D kernel vs a fully connected layer over n nodes (cnn.weight-sharing)."""
    import torch
    from torch import nn

    n, h = _ints(params, "n", "h")
    method = "numel() of real Conv1d(1, 1, h, padding=(h-1)/2, bias=False) and Linear(n, n, bias=False)"
    if n < 1 or h < 1 or h % 2 == 0 or h > 2 * n - 1:
        return invalid("h는 홀수이고 2n−1 이하여야 합니다", method)
    with torch.device("meta"):
        conv = nn.Conv1d(1, 1, h, padding=(h - 1) // 2, bias=False)
        full = nn.Linear(n, n, bias=False)
        unshared = nn.Conv1d(1, n, h, padding=(h - 1) // 2, bias=False)  # one kernel per output node
    out_nodes = meta_output_shape(conv, (1, n))[1]
    return Result(
        answers={"conv": count_params(conv), "fc": count_params(full)},
        steps={"out_nodes": out_nodes, "connections": out_nodes * h},
        misconceptions={"conv": {"노드마다 다른 커널을 쓴다고 봄 (가중치 공유 없음)":
                                 count_params(unshared)}},
        method=method,
    )


def stride_output(params: Mapping[str, Any], ctx: Context) -> Result:
    """Feature-map size of a 'same'-padded convolution with stride S on an H×W image (cnn.stride-output)."""
    import torch
    from torch import nn

    H, W, F, S = _ints(params, "H", "W", "F", "S")
    method = "meta-device forward of torch.nn.Conv2d(1, 1, F, stride=S, padding=(F-1)/2)"
    if min(H, W, F, S) < 1 or F % 2 == 0:
        return invalid("F는 홀수, H, W, S는 1 이상이어야 합니다", method)
    with torch.device("meta"):
        strided = nn.Conv2d(1, 1, F, stride=S, padding=(F - 1) // 2)
        unit = nn.Conv2d(1, 1, F, stride=1, padding=(F - 1) // 2)
    _, H2, W2 = meta_output_shape(strided, (1, H, W))
    _, H1, W1 = meta_output_shape(unit, (1, H, W))
    return Result(
        answers={"H2": H2, "W2": W2, "ratio": H2 * W2 / (H1 * W1)},
        steps={"H1": H1, "W1": W1},
        misconceptions={"H2": {"보폭을 무시함": H1} if H1 != H2 else {}},
        method=method,
    )


def pool_output(params: Mapping[str, Any], ctx: Context) -> Result:
    """Output size, shape and (zero) parameter count of a pooling layer (cnn.pool-output)."""
    import torch
    from torch import nn

    W, D, F, S = _ints(params, "W", "D", "F", "S")
    mode = str(params.get("mode", "max"))
    method = f"meta-device forward and numel() of parameters of torch.nn.{mode.capitalize()}Pool2d(F, S)"
    if mode not in ("max", "avg") or min(W, D, F, S) < 1 or F > W:
        return invalid("mode는 max/avg, F ≤ W 이어야 합니다", method)
    with torch.device("meta"):
        pool_cls = nn.MaxPool2d if mode == "max" else nn.AvgPool2d
        pool = pool_cls(F, stride=S)
        as_conv = nn.Conv2d(D, D, F, stride=S)
    shape = meta_output_shape(pool, (D, W, W))
    # a pooling window moves like an unpadded F×F convolution with stride S
    if not conv_lands_exactly(1, 1, F, S, 0, W, shape[1]):
        return invalid(f"(W−F)/S = ({W}−{F})/{S} 가 정수가 아닙니다", method)
    return Result(
        answers={"W2": shape[1], "shape": shape, "params": count_params(pool)},
        steps={"channels": shape[0]},
        misconceptions={
            "params": {"풀링도 컨볼루션처럼 가중치와 편향이 있다고 봄": count_params(as_conv)},
            "shape": {"풀링이 특징 맵 수를 1로 줄인다고 봄": [1, shape[1], shape[2]]} if D != 1 else {},
        },
        method=method,
    )


@lru_cache(maxsize=256)
def receptive_span(L: int, F: int, S: int, ctx: Context) -> int:
    """Width of the input region whose gradient reaches output pixel (0, 0) through L real conv layers."""
    import torch
    from torch import nn

    size = 3 + (F - 1) * max(L, S**L)  # a bound, not the answer: the whole field of pixel (0, 0) fits
    layers = [nn.Conv2d(1, 1, F, stride=S, bias=False) for _ in range(L)]
    net = nn.Sequential(*layers).to(device=ctx.device, dtype=ctx.torch_dtype())
    with torch.no_grad():
        for layer in layers:
            layer.weight.fill_(1.0)  # positive weights: no gradient cancels inside the field
    x = torch.ones(1, 1, size, size, dtype=ctx.torch_dtype(), device=ctx.device, requires_grad=True)
    net(x)[0, 0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0, 0] != 0).flatten().cpu()
    return int(touched.max() - touched.min() + 1)


def receptive_field(params: Mapping[str, Any], ctx: Context) -> Result:
    """Receptive field of L stacked F×F convolutions with stride S, by autograd (cnn.receptive-field)."""
    L, F, S = _ints(params, "L", "F", "S")
    method = "autograd: nonzero input gradient of one output pixel through L real Conv2d layers"
    if L < 1 or F < 1 or S < 1 or S > F or L > 6:
        return invalid("1 ≤ L ≤ 6, 1 ≤ S ≤ F 이어야 합니다", method)
    rf = receptive_span(L, F, S, ctx)
    last_only = receptive_span(1, F, S, ctx)
    return Result(
        answers={"rf": rf},
        steps={"per_layer": [receptive_span(n, F, S, ctx) for n in range(1, L + 1)]},
        misconceptions={"rf": {"마지막 층의 커널 크기만 봄": last_only} if last_only != rf else {}},
        method=method,
    )
