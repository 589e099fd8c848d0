"""Convolution and pooling values (4.3.1-4.3.2): 1-D, 2-D and 3-channel tensor convolution, max/avg pooling.

Values come from torch.nn.functional.conv1d/conv2d/max_pool2d/avg_pool2d in float64 on ctx.device.
torch's conv is cross-correlation, which is what the slides' eq. (4.10)/(4.11) compute (z(i+x)u(x)).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.cnn_common import exact_int, invalid, tensor
from studykit.verifiers.registry import Context, Result

# Slide 003 figure 4-6(b): the 8×8 image and the vertical-edge kernel.
FIG_4_6_IMAGE = [[2, 2, 2, 2, 2, 1, 1, 1]] * 4 + [[2, 2, 2, 9, 9, 9, 9, 9]] * 4
FIG_4_6_KERNEL = [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]


def _matrix(value: Any, rows: int | None = None, cols: int | None = None) -> list[list[float]] | None:
    """A rectangular list of number rows, or None."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if not all(isinstance(r, (list, tuple)) and len(r) == len(value[0]) and r for r in value):
        return None
    if (rows is not None and len(value) != rows) or (cols is not None and len(value[0]) != cols):
        return None
    try:
        return [[float(v) for v in row] for row in value]
    except (TypeError, ValueError):
        return None


def tensor_conv(params: Mapping[str, Any], ctx: Context) -> Result:
    """One output node of a 3-channel convolution (slide 003 figure 4-14, sums to 9) (cnn.tensor-conv)."""
    import torch.nn.functional as F

    method = "torch.nn.functional.conv2d of the C×3×3 patch with the C×3×3 kernel, float64 on ctx.device"
    x_list, k_list = params.get("x"), params.get("k")
    channels_x = [_matrix(ch, 3, 3) for ch in x_list] if isinstance(x_list, list) else [None]
    channels_k = [_matrix(ch, 3, 3) for ch in k_list] if isinstance(k_list, list) else [None]
    if None in channels_x or None in channels_k or len(channels_x) != len(channels_k):
        return invalid("x와 k는 같은 수의 채널을 가진 3×3 행렬 목록이어야 합니다", method)
    x = tensor(channels_x, ctx)[None]
    k = tensor(channels_k, ctx)[None]
    bias = tensor([float(params.get("b", 0))], ctx)
    value = float(F.conv2d(x, k, bias).item())
    per_channel = [float(F.conv2d(x[:, c : c + 1], k[:, c : c + 1]).item()) for c in range(x.shape[1])]
    flipped = float(F.conv2d(x, k.flip(-1, -2), bias).item())
    as_int = exact_int(value)
    if as_int is None:
        return invalid("정수 입력만 허용합니다 (값이 정수가 아님)", method)
    wrong = {"커널을 180° 뒤집어 계산함 (수학적 컨볼루션)": exact_int(flipped)}
    wrong["첫 채널(R)만 계산함"] = exact_int(per_channel[0] + float(bias.item()))
    if float(bias.item()) != 0:
        wrong["바이어스를 빼먹음"] = exact_int(value - float(bias.item()))
    return Result(
        answers={"value": as_int},
        steps={"per_channel": [exact_int(v) for v in per_channel], "bias": exact_int(float(bias.item()))},
        misconceptions={"value": {k: v for k, v in wrong.items() if v is not None and v != as_int}},
        method=method,
    )


def conv1d_values(params: Mapping[str, Any], ctx: Context) -> Result:
    """The feature map s of eq. (4.10): 1-D input z, kernel u, zero padding P (cnn.conv1d)."""
    import torch.nn.functional as F

    method = "torch.nn.functional.conv1d(z, u, padding=P), float64 on ctx.device"
    z, u = _matrix([params.get("z")]), _matrix([params.get("u")])
    P = int(params.get("P", 0))
    if z is None or u is None or P < 0 or len(u[0]) > len(z[0]) + 2 * P:
        return invalid("z, u는 숫자 목록이고 u는 덧댄 z보다 짧아야 합니다", method)
    zt, ut = tensor(z, ctx)[None], tensor(u, ctx)[None]
    s = F.conv1d(zt, ut, padding=P)[0, 0].tolist()
    flipped = F.conv1d(zt, ut.flip(-1), padding=P)[0, 0].tolist()
    return Result(
        answers={"s": [float(v) for v in s]},
        steps={"length": len(s), "padded": [exact_int(v) if exact_int(v) is not None else v
                                            for v in [0.0] * P + z[0] + [0.0] * P]},
        misconceptions={"s": {"커널을 뒤집어 계산함 (수학적 컨볼루션)": flipped} if flipped != s else {}},
        method=method,
    )


def conv2d_value(params: Mapping[str, Any], ctx: Context) -> Result:
    """s(j, i) of eq. (4.11) at one position of slide 003 figure 4-6(b) (cnn.conv2d-value)."""
    import torch.nn.functional as F

    method = "torch.nn.functional.conv2d(z, u) (no padding), float64 on ctx.device, read at (j, i)"
    z = _matrix(params.get("z", FIG_4_6_IMAGE))
    u = _matrix(params.get("u", FIG_4_6_KERNEL))
    j, i = int(params["j"]), int(params["i"])
    if z is None or u is None or len(u) % 2 == 0 or len(u[0]) % 2 == 0:
        return invalid("z는 행렬, u는 홀수 크기 행렬이어야 합니다", method)
    hy, hx = (len(u) - 1) // 2, (len(u[0]) - 1) // 2
    if not (hy <= j < len(z) - hy and hx <= i < len(z[0]) - hx):
        return invalid(f"(j, i) = ({j}, {i}) 에서는 커널이 영상 밖으로 나갑니다", method)
    zt, ut = tensor(z, ctx)[None, None], tensor(u, ctx)[None, None]
    fmap = F.conv2d(zt, ut)[0, 0]  # fmap[a, b] is centred on z[a + hy, b + hx]
    value = exact_int(float(fmap[j - hy, i - hx].item()))
    flipped = exact_int(float(F.conv2d(zt, ut.flip(-1, -2))[0, 0, j - hy, i - hx].item()))
    if value is None:
        return invalid("정수 입력만 허용합니다", method)
    patch = [row[i - hx : i + hx + 1] for row in z[j - hy : j + hy + 1]]
    return Result(
        answers={"value": value},
        steps={"patch": [[exact_int(v) for v in row] for row in patch],
               "feature_map": [[exact_int(v) for v in row] for row in fmap.tolist()]},
        misconceptions={"value": {"커널을 뒤집어 계산함": flipped} if flipped not in (None, value) else {}},
        method=method,
    )


def pool_values(params: Mapping[str, Any], ctx: Context) -> Result:
    """Max and average pooling of a small feature map, row-major (cnn.pool-values)."""
    import torch.nn.functional as F

    method = "torch.nn.functional.max_pool2d / avg_pool2d(x, F, S), float64 on ctx.device, row-major"
    x = _matrix(params.get("x"))
    size, stride = int(params.get("F", 2)), int(params.get("S", 2))
    if x is None or size < 1 or stride < 1 or size > min(len(x), len(x[0])):
        return invalid("x는 행렬, 1 ≤ F ≤ 행렬 크기여야 합니다", method)
    xt = tensor(x, ctx)[None, None]
    maxed = F.max_pool2d(xt, size, stride)[0, 0]
    averaged = F.avg_pool2d(xt, size, stride)[0, 0]
    return Result(
        answers={"max": [float(v) for v in maxed.flatten().tolist()],
                 "avg": [float(v) for v in averaged.flatten().tolist()]},
        steps={"shape": [int(n) for n in maxed.shape]},
        misconceptions={"max": {"평균 풀링으로 계산함": [float(v) for v in averaged.flatten().tolist()]}},
        method=method,
    )
