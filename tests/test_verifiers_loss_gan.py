"""Math family, part 2: loss and GAN verifiers against closed forms, NumPy and finite differences."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from test_verifiers_backprop import close, finite_difference

from studykit.verifiers import gan, loss
from studykit.verifiers.registry import Context

SEEDS = range(50)
CPU = Context()


def bce_bits(y: float, o: float) -> float:
    return -(y * math.log2(o) + (1 - y) * math.log2(1 - o))


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    y, o = rng.choice([0, 1]), round(rng.uniform(1e-4, 1 - 1e-4), 4)
    res = loss.cross_entropy({"y": y, "o": o}, CPU)
    assert close(res.answers["e"], bce_bits(y, o))
    assert close(res.misconceptions["e"]["자연로그(ln)를 사용함"], bce_bits(y, o) * math.log(2))


def test_cross_entropy_textbook_instances() -> None:
    good = loss.cross_entropy({"y": 1, "o": 0.98}, CPU).answers["e"]
    bad = loss.cross_entropy({"y": 1, "o": 0.00001}, CPU).answers["e"]
    assert round(good, 4) == 0.0291  # seed 002 prints 0.0291: right
    assert close(bad, -math.log2(1e-5)) and round(bad, 4) == 16.6096  # seed 002 prints 13.2877: wrong
    assert round(-math.log2(1e-4), 4) == 13.2877  # what 002 printed is −log2(0.0001)


def test_cross_entropy_rejects_non_binary_label_and_bad_output() -> None:
    assert not loss.cross_entropy({"y": 0.5, "o": 0.3}, CPU).valid
    assert not loss.cross_entropy({"y": 1, "o": 1.0}, CPU).valid


@pytest.mark.parametrize("seed", SEEDS)
def test_cross_entropy_multi_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    o, k = [rng.uniform(0.01, 0.99) for _ in range(3)], rng.choice([1, 2, 3])
    res = loss.cross_entropy_multi({"o1": o[0], "o2": o[1], "o3": o[2], "k": k}, CPU)
    assert close(res.answers["e"], sum(bce_bits(float(i == k - 1), v) for i, v in enumerate(o)))


def neuron_losses(x: float, y: float, w: float, b: float) -> tuple[float, float]:
    o = 1 / (1 + math.exp(-(w * x + b)))
    return 0.5 * (y - o) ** 2, bce_bits(y, o)


@pytest.mark.parametrize("seed", SEEDS)
def test_mse_vs_ce_closed_form_and_fd(seed: int) -> None:
    rng = random.Random(seed)
    p = {"y": rng.choice([0, 1]), "x": rng.choice([1.0, 1.5, 2.0]),
         "w": round(rng.uniform(-3, 3), 1), "b": round(rng.uniform(-3, 3), 1)}
    res = loss.mse_vs_ce(p, CPU)
    o = 1 / (1 + math.exp(-(p["w"] * p["x"] + p["b"])))
    assert close(res.answers["e_mse"], 0.5 * (p["y"] - o) ** 2)
    assert close(res.answers["dw_mse"], (o - p["y"]) * o * (1 - o) * p["x"])  # σ' appears
    assert close(res.answers["dw_ce"], (o - p["y"]) * p["x"] / math.log(2))  # σ' cancels
    args = {"x": p["x"], "y": float(p["y"]), "w": p["w"], "b": p["b"]}
    fd = finite_difference(lambda **a: neuron_losses(**a)[1], args, "w")
    assert close(res.answers["dw_ce"], fd, rtol=1e-5, atol=1e-7)


def test_mse_vs_ce_textbook_reconstruction() -> None:
    e1 = loss.mse_vs_ce({"y": 0, "x": 1.5, "w": 2.0, "b": -1.9}, CPU).answers
    e2 = loss.mse_vs_ce({"y": 0, "x": 1.5, "w": 1.9, "b": 3.0}, CPU).answers
    assert abs(e1["e_mse"] - 0.2815) < 1e-4 and abs(e2["e_mse"] - 0.4971) < 1e-4
    # seed 002's point: the larger error gets the smaller MSE gradient, cross-entropy reverses it
    assert e2["e_mse"] > e1["e_mse"] and abs(e2["dw_mse"]) < abs(e1["dw_mse"])
    assert abs(e2["dw_ce"]) > abs(e1["dw_ce"])


def np_softmax(s: list[float]) -> np.ndarray:
    e = np.exp(np.array(s) - max(s))
    return e / e.sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_numpy(seed: int) -> None:
    rng = random.Random(seed)
    s = [round(rng.uniform(-2, 3), 1) for _ in range(3)]
    res = loss.softmax({"s1": s[0], "s2": s[1], "s3": s[2]}, CPU)
    assert close(res.answers["o"], np_softmax(s))
    assert res.answers["argmax"] == int(np.argmax(s)) + 1


@pytest.mark.parametrize("seed", SEEDS)
def test_log_likelihood_numpy(seed: int) -> None:
    rng = random.Random(seed)
    s, k = [rng.uniform(-2, 3) for _ in range(3)], rng.choice([1, 2, 3])
    res = loss.log_likelihood({"s1": s[0], "s2": s[1], "s3": s[2], "k": k}, CPU)
    o = np_softmax(s)
    assert close(res.answers["o_y"], o[k - 1]) and close(res.answers["e"], -math.log2(o[k - 1]))
    assert close(res.answers["grad"], (o - np.eye(3)[k - 1]) / math.log(2))


# ---- GAN ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_optimal_discriminator_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    p_data, p_g = round(rng.uniform(0.0, 3.0), 3), round(rng.uniform(0.0, 3.0), 3)
    res = gan.optimal_discriminator({"p_data": p_data, "p_g": p_g}, CPU)
    if p_data + p_g == 0:
        assert not res.valid
        return
    assert close(res.answers["D"], p_data / (p_data + p_g), rtol=1e-9, atol=1e-9)


def test_equilibrium_value_is_minus_log_4() -> None:
    res = gan.equilibrium_value({}, CPU)
    assert close(res.answers["V"], -math.log(4)) and close(res.answers["D"], 0.5)


def test_equilibrium_objectives_closed_form() -> None:
    res = gan.equilibrium_objectives({}, CPU).answers
    assert close(res["D"], 0.5) and close(res["J_D"], -math.log(4)) and close(res["J_G"], -math.log(2))
    assert not close(res["J_D"], 0.5)  # seeds 000 A2 / 001 Q1 print "목적함수 값이 1/2"
    assert res["half"] == "D"


@pytest.mark.parametrize("seed", SEEDS)
def test_objective_values_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    d_real, d_fake = rng.uniform(0.01, 0.99), rng.uniform(0.01, 0.99)
    res = gan.objective_values({"d_real": d_real, "d_fake": d_fake}, CPU).answers
    assert close(res["J_D"], math.log(d_real) + math.log(1 - d_fake))
    assert close(res["J_G"], math.log(1 - d_fake)) and close(res["J_G_ns"], -math.log(d_fake))


@pytest.mark.parametrize("seed", SEEDS)
def test_generator_gradient_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    d = rng.uniform(0.001, 0.999)
    res = gan.generator_gradient({"d": d}, CPU).answers
    # d/da log(1 − σ(a)) = −σ(a); d/da −log σ(a) = −(1 − σ(a))
    assert close(res["g_sat"], -d, rtol=1e-9, atol=1e-12) and close(res["g_nonsat"], -(1 - d), rtol=1e-9)
    assert res["better"] == ("B" if d < 0.5 else "A")


def jsd(p: np.ndarray, q: np.ndarray) -> float:
    m = (p + q) / 2
    kl = lambda a, b: float(np.sum(np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / b), 0.0)))  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


@pytest.mark.parametrize("seed", SEEDS)
def test_mode_collapse_matches_jsd_definition(seed: int) -> None:
    rng = random.Random(seed)
    K = rng.randint(2, 12)
    m = rng.randint(1, K)
    res = gan.mode_collapse({"K": K, "m": m}, CPU).answers
    p = np.full(K, 1 / K)
    q = np.array([1 / m if i < m else 0.0 for i in range(K)])
    assert close(res["JSD"], jsd(p, q), rtol=1e-7, atol=1e-9)
    assert close(res["D_on"], (1 / K) / (1 / K + 1 / m), rtol=1e-9, atol=1e-9)
    if m < K:
        assert close(res["D_off"], 1.0, atol=1e-9)
    assert close(res["V"], -math.log(4) + 2 * jsd(p, q), rtol=1e-7, atol=1e-9)
    assert res["compare"] == ("같다" if m == K else "크다")  # JSD ≥ 0, zero only when p_g = p_data


def test_invalid_gan_inputs() -> None:
    assert not gan.objective_values({"d_real": 1.0, "d_fake": 0.5}, CPU).valid
    assert not gan.generator_gradient({"d": 0.0}, CPU).valid
    assert not gan.mode_collapse({"K": 2, "m": 3}, CPU).valid
