"""Math family, part 3: DCGAN, generative-model and FLD verifiers against closed forms and exact counting."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from test_verifiers_backprop import close

from studykit.verifiers import dcgan, fld, genmodel
from studykit.verifiers.registry import Context

SEEDS = range(50)
CPU = Context()
EXAMPLE_X = [[0, 0], [0, 0], [0, 1], [0, 1], [0, 1], [1, 0], [1, 1], [1, 1], [1, 1], [1, 1]]
EXAMPLE_Y = [1, 1, 1, 0, 1, 0, 0, 0, 0, 1]


# ---- DCGAN ------------------------------------------------------------------------------------------


def transposed(h: int, f: int, s: int, p: int) -> int:
    return (h - 1) * s - 2 * p + f


@pytest.mark.parametrize("seed", SEEDS)
def test_generator_shapes_and_params_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    nz, ngf, nc = rng.choice([16, 64, 100, 128]), rng.choice([8, 16, 32, 64, 128]), rng.choice([1, 3])
    res = dcgan.generator_shapes({"nz": nz, "ngf": ngf, "nc": nc}, CPU).answers
    widths = [ngf * 8, ngf * 4, ngf * 2, ngf, nc]
    h = transposed(1, 4, 1, 0)
    sizes = [h]
    for _ in range(4):
        h = transposed(h, 4, 2, 1)
        sizes.append(h)
    for part, c, size in zip(dcgan.G_PARTS, widths, sizes, strict=True):
        assert res[part] == [c, size, size]
    kernels = sum(a * b * 16 for a, b in zip([nz, *widths], widths, strict=False))
    assert res["params"] == kernels + 2 * sum(widths[:4])  # BN γ, β on every block but the output


@pytest.mark.parametrize("seed", SEEDS)
def test_discriminator_shapes_and_params_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    nc, ndf = rng.choice([1, 3]), rng.choice([8, 16, 32, 64, 128])
    res = dcgan.discriminator_shapes({"nc": nc, "ndf": ndf}, CPU).answers
    widths, w = [ndf, ndf * 2, ndf * 4, ndf * 8], 64
    for part, c in zip(dcgan.D_PARTS, widths, strict=False):
        w = (w - 4 + 2) // 2 + 1
        assert res[part] == [c, w, w]
    assert res["out"] == [1, 1, 1]
    kernels = sum(a * b * 16 for a, b in zip([nc, *widths], [*widths, 1], strict=True))
    assert res["params"] == kernels + 2 * sum(widths[1:])  # no BN on the input block


def test_dcgan_textbook_output_and_paper_rules() -> None:
    assert dcgan.generator_shapes({"nz": 100, "ngf": 128, "nc": 3}, CPU).answers["out"] == [3, 64, 64]
    res = dcgan.architecture_rules({}, CPU).answers
    # the DCGAN paper's guidelines (as 000 A1 lists them): A, D, E true; BN in 4 of G's 5, 3 of D's 5 layers
    assert res == {"rules": ["A", "D", "E"], "bn_G": 4, "bn_D": 3}


def test_rule_checks_detect_violations() -> None:
    from torch import nn

    good_g, good_d = dcgan.build_generator(100, 8, 3), dcgan.build_discriminator(3, 8)
    assert dcgan.rule_checks(good_g, good_d) == {"A": True, "B": False, "C": False, "D": True, "E": True,
                                                 "F": False}
    bad_g = nn.Sequential(*list(good_g)[:-1], nn.BatchNorm2d(3, device="meta"), nn.Sigmoid())
    bad_d = nn.Sequential(list(good_d)[0], nn.BatchNorm2d(8, device="meta"), nn.ReLU(), nn.MaxPool2d(2),
                          *list(good_d)[2:], nn.Flatten(), nn.Linear(1, 1, device="meta"))
    checks = dcgan.rule_checks(bad_g, bad_d)
    assert checks == {"A": False, "B": True, "C": True, "D": False, "E": False, "F": True}


# ---- generative models (exact counting with Fractions) -----------------------------------------------


def exact_tables(xs: list[list[int]], ys: list[int]) -> dict[str, dict]:
    cells = [(a, b) for a in (0, 1) for b in (0, 1)]
    n = len(xs)
    joint = {(c, y): Fraction(sum(1 for x, t in zip(xs, ys, strict=True) if tuple(x) == c and t == y), n)
             for c in cells for y in (0, 1)}
    p_x = {c: joint[c, 0] + joint[c, 1] for c in cells}
    p_y = {y: sum(joint[c, y] for c in cells) for y in (0, 1)}
    return {"joint": joint, "p_x": p_x, "p_y": p_y, "cells": cells}


def random_training_set(rng: random.Random) -> tuple[list[list[int]], list[int]]:
    n = rng.randint(6, 20)
    xs = [[rng.randint(0, 1), rng.randint(0, 1)] for _ in range(n)]
    return xs, [rng.randint(0, 1) for _ in range(n)]


@pytest.mark.parametrize("seed", SEEDS)
def test_example_4_1_matches_exact_counting(seed: int) -> None:
    rng = random.Random(seed)
    xs, ys = random_training_set(rng)
    res = genmodel.example_4_1({"X": xs, "Y": ys}, CPU)
    t = exact_tables(xs, ys)
    if 0 in t["p_x"].values() or 0 in t["p_y"].values():
        assert not res.valid
        return
    cells = t["cells"]
    assert close(res.answers["P_x"], [float(t["p_x"][c]) for c in cells])
    assert close(res.answers["P_y"], [float(t["p_y"][y]) for y in (0, 1)])
    for y in (0, 1):
        assert close(res.answers[f"P_xy{y}"], [float(t["joint"][c, y]) for c in cells])
        assert close(res.answers[f"P_x_given_y{y}"], [float(t["joint"][c, y] / t["p_y"][y]) for c in cells])
        for c in cells:
            key = f"p_y{y}_given_{c[0]}{c[1]}"
            assert close(res.answers[key], float(t["joint"][c, y] / t["p_x"][c]))


def test_example_4_1_textbook_tables() -> None:
    res = genmodel.example_4_1({"X": EXAMPLE_X, "Y": EXAMPLE_Y}, CPU).answers
    t = exact_tables(EXAMPLE_X, EXAMPLE_Y)
    assert t["p_x"][(0, 1)] == Fraction(3, 10) and t["joint"][(1, 1), 0] == Fraction(3, 10)
    assert close(res["p_y1_given_01"], 2 / 3) and round(res["p_y1_given_01"], 2) == 0.67  # slide: 0.67
    assert close(res["P_x_given_y0"], [0.0, 0.2, 0.2, 0.6]) and close(res["P_xy1"], [0.2, 0.2, 0.0, 0.1])


@pytest.mark.parametrize("seed", SEEDS)
def test_sampling_picks_the_exact_interval(seed: int) -> None:
    rng = random.Random(seed)
    xs, ys = random_training_set(rng)
    r = round(rng.uniform(0, 1), 2)
    res = genmodel.sampling({"X": xs, "Y": ys, "r": r}, CPU)
    t = exact_tables(xs, ys)
    upper, chosen = Fraction(0), None
    for c in t["cells"]:
        upper += t["p_x"][c]
        if t["p_x"][c] > 0 and Fraction(str(r)) <= upper:
            chosen = c
            break
    assert res.answers["x"] == f"({chosen[0]},{chosen[1]})"


def test_sampling_textbook_instances() -> None:
    pick = lambda r: genmodel.sampling({"X": EXAMPLE_X, "Y": EXAMPLE_Y, "r": r}, CPU).answers["x"]  # noqa: E731
    assert (pick(0.34), pick(0.83), pick(0.2), pick(0.21)) == ("(0,1)", "(1,1)", "(0,0)", "(0,1)")


@pytest.mark.parametrize("seed", SEEDS)
def test_bayes_equals_direct_conditional(seed: int) -> None:
    rng = random.Random(seed)
    xs, ys = random_training_set(rng)
    x = [rng.randint(0, 1), rng.randint(0, 1)]
    res = genmodel.bayes({"X": xs, "Y": ys, "x": x}, CPU)
    t = exact_tables(xs, ys)
    c = tuple(x)
    if 0 in t["p_y"].values() or t["p_x"][c] == 0 or t["joint"][c, 0] == t["joint"][c, 1]:
        assert not res.valid
        return
    direct = t["joint"][c, 1] / t["p_x"][c]  # what the discriminative table gives
    assert close(res.answers["p_y1"], float(direct)) and close(res.answers["p_y0"], float(1 - direct))
    assert res.answers["label"] == ("1" if direct > Fraction(1, 2) else "0")


# ---- FLD ------------------------------------------------------------------------------------------------


def random_classes(rng: random.Random) -> tuple[list[list[float]], list[list[float]]]:
    def cloud(cx: float, cy: float) -> list[list[float]]:
        size = rng.randint(3, 8)
        return [[round(cx + rng.gauss(0, 1.5), 2), round(cy + rng.gauss(0, 1.0), 2)] for _ in range(size)]

    return cloud(rng.uniform(-3, 3), rng.uniform(-3, 3)), cloud(rng.uniform(-3, 3), rng.uniform(-3, 3))


def numpy_fisher(x1: list, x2: list) -> dict[str, np.ndarray | float]:
    a, b = np.array(x1, dtype=float), np.array(x2, dtype=float)
    m1, m2 = a.mean(axis=0), b.mean(axis=0)
    s_w = (a - m1).T @ (a - m1) + (b - m2).T @ (b - m2)
    v = np.linalg.inv(s_w) @ (m1 - m2)
    w = v / np.linalg.norm(v)
    w = w if w[np.flatnonzero(np.abs(w) > 1e-12)[0]] > 0 else -w
    d = m1 - m2
    return {"w": w, "J": float(d @ np.linalg.inv(s_w) @ d), "m1": m1, "m2": m2, "S_W": s_w}


@pytest.mark.parametrize("seed", SEEDS)
def test_fld_direction_matches_numpy(seed: int) -> None:
    rng = random.Random(seed)
    x1, x2 = random_classes(rng)
    res = fld.direction({"X1": x1, "X2": x2}, CPU)
    ref = numpy_fisher(x1, x2)
    assert close(res.answers["w"], ref["w"], rtol=1e-7, atol=1e-9)
    assert abs(np.linalg.norm(res.answers["w"]) - 1) < 1e-12
    # for a rank-1 S_B the best J is (m1 − m2)ᵀ S_W⁻¹ (m1 − m2)
    assert close(res.answers["J"], ref["J"], rtol=1e-7)


@pytest.mark.parametrize("seed", SEEDS)
def test_fld_projection_matches_numpy(seed: int) -> None:
    rng = random.Random(seed)
    x1, x2 = random_classes(rng)
    res = fld.projection({"X1": x1, "X2": x2}, CPU).answers
    ref = numpy_fisher(x1, x2)
    y1, y2 = np.array(x1) @ ref["w"], np.array(x2) @ ref["w"]
    assert close(res["m1p"], y1.mean(), rtol=1e-7, atol=1e-9)
    assert close(res["m2p"], y2.mean(), rtol=1e-7, atol=1e-9)
    assert close(res["s1"], ((y1 - y1.mean()) ** 2).sum(), rtol=1e-7, atol=1e-9)
    assert close(res["s2"], ((y2 - y2.mean()) ** 2).sum(), rtol=1e-7, atol=1e-9)
    assert close(res["J"], ref["J"], rtol=1e-7)


@pytest.mark.parametrize("seed", SEEDS)
def test_fld_criterion_compare(seed: int) -> None:
    rng = random.Random(seed)
    x1, x2 = random_classes(rng)
    theta = rng.choice([0, 30, 45, 60, 90, 135, 170])
    res = fld.criterion_compare({"X1": x1, "X2": x2, "theta": theta}, CPU).answers
    ref = numpy_fisher(x1, x2)
    w = np.array([np.cos(np.radians(theta)), np.sin(np.radians(theta))])
    d = ref["m1"] - ref["m2"]
    j_theta = float((w @ d) ** 2 / (w @ ref["S_W"] @ w))
    assert close(res["J_theta"], j_theta, rtol=1e-7, atol=1e-12) and close(res["J_opt"], ref["J"], rtol=1e-7)
    assert res["ratio"] <= 1 + 1e-9


def test_fld_textbook_default_and_invalid_inputs() -> None:
    x1, x2 = [[4, 1], [2, 4], [2, 3], [3, 6], [4, 4]], [[9, 10], [6, 8], [9, 5], [8, 7], [10, 8]]
    res = fld.direction({"X1": x1, "X2": x2}, CPU).answers
    assert close(res["w"], numpy_fisher(x1, x2)["w"], rtol=1e-9)
    collinear = {"X1": [[0, 0], [1, 1]], "X2": [[2, 2], [3, 3]]}  # S_W is singular
    assert not fld.direction(collinear, CPU).valid
    assert not fld.direction({"X1": [[0, 0], [1, 1]], "X2": [[1, 0], [0, 1]]}, CPU).valid  # equal means
