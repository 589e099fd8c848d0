"""CNN-basics verifiers (cnn.py, cnn_values.py) against independent oracles: closed forms and NumPy loops."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from studykit.verifiers import cnn, cnn_values
from studykit.verifiers.registry import Context

CPU = Context(device="cpu")
DRAWS = 60  # seeded random parameter draws per verifier (>= 50)


# --- oracles: closed forms and NumPy loops, written independently of the verifiers ---------------

def oracle_conv_output(p: Mapping[str, Any]) -> dict[str, Any] | None:
    W, F, S, P, K, D = (p[k] for k in ("W", "F", "S", "P", "K", "D"))
    span = W - F + 2 * P
    if span < 0 or span % S:
        return None
    return {"W2": span // S + 1, "params": (F * F * D + 1) * K}


def oracle_kernel_params(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"params": (p["F"] * p["F"] * p["D"] + 1) * p["K"]}


def oracle_weight_sharing(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"conv": p["h"], "fc": p["n"] * p["n"]}


def oracle_stride_output(p: Mapping[str, Any]) -> dict[str, Any]:
    pad = (p["F"] - 1) // 2
    H2 = (p["H"] - p["F"] + 2 * pad) // p["S"] + 1
    W2 = (p["W"] - p["F"] + 2 * pad) // p["S"] + 1
    return {"H2": H2, "W2": W2, "ratio": H2 * W2 / (p["H"] * p["W"])}


def oracle_pool_output(p: Mapping[str, Any]) -> dict[str, Any] | None:
    if p["F"] > p["W"] or (p["W"] - p["F"]) % p["S"]:
        return None
    W2 = (p["W"] - p["F"]) // p["S"] + 1
    return {"W2": W2, "shape": [p["D"], W2, W2], "params": 0}


def oracle_receptive_field(p: Mapping[str, Any]) -> dict[str, Any]:
    # r_L = 1 + sum_l (F - 1) * prod_{k<l} S: each layer adds (F-1) input steps of the current jump
    return {"rf": 1 + sum((p["F"] - 1) * p["S"] ** layer for layer in range(p["L"]))}


def oracle_tensor_conv(p: Mapping[str, Any]) -> dict[str, Any]:
    x, k = np.array(p["x"], dtype=float), np.array(p["k"], dtype=float)
    total = p.get("b", 0)
    for c in range(x.shape[0]):
        for r in range(3):
            for q in range(3):
                total += x[c, r, q] * k[c, r, q]
    return {"value": int(round(total))}


def oracle_conv1d(p: Mapping[str, Any]) -> dict[str, Any] | None:
    z = [0] * p["P"] + list(p["z"]) + [0] * p["P"]
    u = p["u"]
    if len(u) > len(z):
        return None
    return {"s": [float(sum(z[i + t] * u[t] for t in range(len(u)))) for i in range(len(z) - len(u) + 1)]}


def oracle_conv2d_value(p: Mapping[str, Any]) -> dict[str, Any] | None:
    z, u, j, i = p.get("z", cnn_values.FIG_4_6_IMAGE), p["u"], p["j"], p["i"]
    h = len(u) // 2
    if not (h <= j < len(z) - h and h <= i < len(z[0]) - h):
        return None
    # eq. (4.11): s(j, i) = sum_y sum_x z(j+y, i+x) u(y, x), y, x in -h..h
    value = sum(z[j + y][i + x] * u[y + h][x + h] for y in range(-h, h + 1) for x in range(-h, h + 1))
    return {"value": value}


def oracle_pool_values(p: Mapping[str, Any]) -> dict[str, Any]:
    x, F, S = np.array(p["x"], dtype=float), p["F"], p["S"]
    rows, cols = (x.shape[0] - F) // S + 1, (x.shape[1] - F) // S + 1
    windows = [x[r * S : r * S + F, c * S : c * S + F] for r in range(rows) for c in range(cols)]
    return {"max": [float(w.max()) for w in windows], "avg": [float(w.mean()) for w in windows]}


# --- random parameter draws ------------------------------------------------------------------------

def draw_conv_output(rng: random.Random) -> dict[str, Any]:
    return {"W": rng.randint(1, 64), "F": rng.randint(1, 7), "S": rng.randint(1, 3), "P": rng.randint(0, 3),
            "K": rng.randint(1, 64), "D": rng.randint(1, 16)}


def draw_matrix(rng: random.Random, rows: int, cols: int, lo: int = -3, hi: int = 9) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


DRAWERS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "conv_output": draw_conv_output,
    "kernel_params": lambda r: {"F": r.randint(1, 11), "K": r.randint(1, 256), "D": r.randint(1, 64)},
    "weight_sharing": lambda r: {"n": r.randint(3, 40), "h": r.choice([1, 3, 5])},
    "stride_output": lambda r: {"H": r.randint(5, 40), "W": r.randint(5, 40), "F": r.choice([1, 3, 5]),
                                "S": r.randint(1, 4)},
    "pool_output": lambda r: {"W": r.randint(2, 60), "D": r.randint(1, 128), "F": r.randint(2, 3),
                              "S": r.randint(1, 3), "mode": r.choice(["max", "avg"])},
    "receptive_field": lambda r: {"L": r.randint(1, 5), "F": r.choice([3, 5, 7]), "S": r.randint(1, 2)},
    "tensor_conv": lambda r: {"x": [draw_matrix(r, 3, 3) for _ in range(3)],
                              "k": [draw_matrix(r, 3, 3, -2, 2) for _ in range(3)], "b": r.randint(-2, 2)},
    "conv1d_values": lambda r: {"z": [r.randint(-5, 9) for _ in range(r.randint(3, 12))],
                                "u": [r.randint(-2, 2) for _ in range(r.choice([1, 3, 5]))],
                                "P": r.randint(0, 2)},
    "conv2d_value": lambda r: {"j": r.randint(0, 7), "i": r.randint(0, 7),
                               "u": draw_matrix(r, 3, 3, -2, 2)},
    "pool_values": lambda r: {"x": draw_matrix(r, 4, 6, -9, 9), "F": 2, "S": 2},
}

ORACLES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]] = {
    "conv_output": oracle_conv_output,
    "kernel_params": oracle_kernel_params,
    "weight_sharing": oracle_weight_sharing,
    "stride_output": oracle_stride_output,
    "pool_output": oracle_pool_output,
    "receptive_field": oracle_receptive_field,
    "tensor_conv": oracle_tensor_conv,
    "conv1d_values": oracle_conv1d,
    "conv2d_value": oracle_conv2d_value,
    "pool_values": oracle_pool_values,
}
VALUE_VERIFIERS = ("tensor_conv", "conv1d_values", "conv2d_value", "pool_values")
MODULES = {name: cnn_values if name in VALUE_VERIFIERS else cnn for name in ORACLES}


def assert_same(computed: Mapping[str, Any], expected: Mapping[str, Any], where: Any) -> None:
    """Integers and shapes exactly; floats (and float vectors) to 1e-9."""
    assert set(computed) == set(expected), where
    for part, value in expected.items():
        is_vector = isinstance(value, list) and value and isinstance(value[0], float)
        if isinstance(value, float) or is_vector:
            assert np.allclose(computed[part], value, rtol=1e-9, atol=1e-9), (where, part, computed[part])
        else:
            assert computed[part] == value, (where, part, computed[part], value)


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_verifier_agrees_with_oracle_on_seeded_draws(name: str) -> None:
    verifier = getattr(MODULES[name], name)
    rng = random.Random(f"cnn-{name}")
    valid = 0
    for _ in range(DRAWS):
        params = DRAWERS[name](rng)
        expected = ORACLES[name](params)
        result = verifier(params, CPU)
        assert result.valid == (expected is not None), (params, result.reason)
        if expected is not None:
            assert_same(result.answers, expected, params)
            valid += 1
    assert valid >= DRAWS // 3  # the draws exercise real answers, not only rejections


def test_conv_output_textbook_instance_and_misconceptions() -> None:
    params = {"W": 32, "F": 5, "S": 1, "P": 2, "K": 10, "D": 3}
    result = cnn.conv_output(params, CPU)
    assert result.answers == oracle_conv_output(params) == {"W2": 32, "params": 760}
    assert result.misconceptions["params"]["편향(bias)을 빼먹음"] == 5 * 5 * 3 * 10
    assert result.misconceptions["W2"]["덧대기(P)를 빼먹음"] == (32 - 5) // 1 + 1
    assert result.misconceptions["params"]["입력 깊이 D를 빼먹음 (커널을 F×F로만 셈)"] == (5 * 5 + 1) * 10


def test_conv_output_rejects_non_integer_size() -> None:
    result = cnn.conv_output({"W": 32, "F": 4, "S": 3, "P": 0, "K": 8, "D": 3}, CPU)
    assert not result.valid and "정수" in result.reason


def test_tensor_conv_slide_example_sums_to_nine_and_flip_differs() -> None:
    x = [[[0, 0, 0], [0, 1, 1], [0, 2, 1]], [[0, 0, 0], [0, 2, 2], [0, 1, 0]],
         [[0, 0, 0], [0, 0, 3], [0, 1, 0]]]  # R, G, B of slide 003 figure 4-14
    k = [[[0, 0, 0], [0, 0, 1], [0, 1, 0]], [[0, 2, 0], [0, 2, 0], [0, 2, 0]],
         [[1, 0, 0], [0, 2, 0], [0, 0, 1]]]  # C1, C2, C3
    result = cnn_values.tensor_conv({"x": x, "k": k, "b": 0}, CPU)
    assert result.answers["value"] == oracle_tensor_conv({"x": x, "k": k})["value"] == 9
    flipped = oracle_tensor_conv({"x": x, "k": [np.array(c)[::-1, ::-1].tolist() for c in k]})["value"]
    assert result.misconceptions["value"]["커널을 180° 뒤집어 계산함 (수학적 컨볼루션)"] == flipped


def test_tensor_conv_rejects_mismatched_channels() -> None:
    result = cnn_values.tensor_conv({"x": [[[1, 2, 3]] * 3] * 2, "k": [[[1, 0, 0]] * 3] * 3}, CPU)
    assert not result.valid


def test_conv2d_value_figure_feature_map_matches_loop_oracle_everywhere() -> None:
    u = cnn_values.FIG_4_6_KERNEL
    fmap = cnn_values.conv2d_value({"j": 1, "i": 1, "u": u}, CPU).steps["feature_map"]
    expected = [[oracle_conv2d_value({"j": j, "i": i, "u": u})["value"] for i in range(1, 7)]
                for j in range(1, 7)]
    assert fmap == expected


def test_receptive_field_by_autograd_is_not_the_last_kernel() -> None:
    result = cnn.receptive_field({"L": 3, "F": 3, "S": 1}, CPU)
    assert result.answers["rf"] == oracle_receptive_field({"L": 3, "F": 3, "S": 1})["rf"]
    assert result.misconceptions["rf"]["마지막 층의 커널 크기만 봄"] == 3
