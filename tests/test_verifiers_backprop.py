"""Math family, part 1: DMLP and backprop verifiers against independent oracles (closed forms, NumPy, FD)."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from studykit.verifiers import backprop, dmlp
from studykit.verifiers.registry import Context

SEEDS = range(50)
CPU = Context()


def close(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    if isinstance(a, (list, tuple, np.ndarray)):
        return len(a) == len(b) and all(close(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    return abs(float(a) - float(b)) <= atol + rtol * abs(float(b))


def sig(v: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-v))


def rand_u(rng: random.Random, rows: int, cols: int) -> list[list[float]]:
    return [[round(rng.uniform(-1, 1), 2) for _ in range(cols)] for _ in range(rows)]


# ---- dmlp ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_weight_count_matches_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    layers = [rng.randint(1, 300) for _ in range(rng.randint(2, 7))]
    res = dmlp.weight_count({"layers": layers}, CPU)
    expected = [(a + 1) * b for a, b in zip(layers, layers[1:], strict=False)]
    assert res.answers["per_layer"] == expected
    assert res.answers["total"] == sum(expected)
    assert res.answers["hidden"] == len(layers) - 2
    assert res.misconceptions["total"]["바이어스(편향) 가중치를 빼먹음"] == sum(
        a * b for a, b in zip(layers, layers[1:], strict=False))


def test_weight_count_textbook_mnist_dmlp() -> None:
    layers = [784, 2500, 2000, 1500, 1000, 500, 10]
    total = sum((a + 1) * b for a, b in zip(layers, layers[1:], strict=False))
    assert dmlp.weight_count({"layers": layers}, CPU).answers["total"] == total == 11_972_510


@pytest.mark.parametrize("seed", SEEDS)
def test_weight_matrix_shape(seed: int) -> None:
    rng = random.Random(seed)
    n_prev, n_l = rng.randint(1, 50), rng.randint(1, 50)
    res = dmlp.weight_matrix({"n_prev": n_prev, "n_l": n_l}, CPU)
    assert res.answers == {"shape": [n_l, n_prev + 1], "count": n_l * (n_prev + 1)}


def numpy_forward(x: list[float], u1: list[list[float]], u2: list[list[float]]) -> tuple[Any, Any, Any]:
    z0 = np.array([1.0, *x])
    s1 = np.array(u1) @ z0
    z1 = sig(s1)
    o = sig(np.array(u2) @ np.concatenate([[1.0], z1]))
    return s1, z1, o


@pytest.mark.parametrize("seed", SEEDS)
def test_forward_matches_numpy(seed: int) -> None:
    rng = random.Random(seed)
    x = [round(rng.uniform(-2, 2), 1) for _ in range(2)]
    u1, u2 = rand_u(rng, rng.randint(1, 4), 3), None
    u2 = rand_u(rng, 1, len(u1) + 1)
    res = dmlp.forward({"x1": x[0], "x2": x[1], "U1": u1, "U2": u2}, CPU)
    s1, z1, o = numpy_forward(x, u1, u2)
    assert close(res.answers["s1"], s1) and close(res.answers["z1"], z1)
    assert close(res.answers["o"], o[0])


def test_forward_rejects_wrong_shapes() -> None:
    res = dmlp.forward({"x1": 1, "x2": 2, "U1": [[1, 2]], "U2": [[1, 2]]}, CPU)
    assert not res.valid and "U1" in res.reason


def numpy_backprop(x: list[float], y: list[float], u1: Any, u2: Any) -> dict[str, Any]:
    """Eqs (4.6)-(4.9) written out with NumPy."""
    u1, u2 = np.array(u1), np.array(u2)
    z0 = np.array([1.0, *x])
    z1 = sig(u1 @ z0)
    z1b = np.concatenate([[1.0], z1])
    o = sig(u2 @ z1b)
    d_out = o * (1 - o) * (np.array(y) - o)  # (4.6)
    d_hidden = z1 * (1 - z1) * (u2[:, 1:].T @ d_out)  # (4.8)
    return {"delta_out": d_out, "delta_hidden": d_hidden,
            "dU2": (-np.outer(d_out, z1b)).ravel(), "dU1": (-np.outer(d_hidden, z0)).ravel()}  # (4.7), (4.9)


@pytest.mark.parametrize("seed", SEEDS)
def test_delta_rule_matches_equations(seed: int) -> None:
    rng = random.Random(seed)
    x, y = [rng.uniform(-1, 1) for _ in range(2)], [rng.choice([0, 1]) for _ in range(2)]
    u1, u2 = rand_u(rng, 2, 3), rand_u(rng, 2, 3)
    res = dmlp.delta_rule({"x1": x[0], "x2": x[1], "y1": y[0], "y2": y[1], "U1": u1, "U2": u2}, CPU)
    expected = numpy_backprop(x, y, u1, u2)
    for part, value in expected.items():
        assert close(res.answers[part], value), part


@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_step_matches_manual_minibatch_update(seed: int) -> None:
    rng = random.Random(seed)
    t = rng.randint(1, 4)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(t)]
    ys = [[rng.choice([0, 1]), rng.choice([0, 1])] for _ in range(t)]
    u1, u2, rho = rand_u(rng, 2, 3), rand_u(rng, 2, 3), rng.choice([0.1, 0.5, 1.0])
    res = dmlp.sgd_step({"rho": rho, "X": xs, "Y": ys, "U1": u1, "U2": u2}, CPU)
    grads = [numpy_backprop(x, y, u1, u2) for x, y in zip(xs, ys, strict=True)]
    new1 = np.ravel(u1) - rho * np.mean([g["dU1"] for g in grads], axis=0)
    new2 = np.ravel(u2) - rho * np.mean([g["dU2"] for g in grads], axis=0)
    assert close(res.answers["U1_new"], new1) and close(res.answers["U2_new"], new2)


# ---- gates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_gate_matches_slide_backward_code(seed: int) -> None:
    rng = random.Random(seed)
    w0, x0, w1, x1, w2 = (rng.randint(-3, 3) for _ in range(5))
    res = backprop.sigmoid_gate({"w0": w0, "x0": x0, "w1": w1, "x1": x1, "w2": w2}, CPU)
    # the slide's own backward pass, line by line
    L = 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))
    grad_s3 = 1.0 * (1 - L) * L
    expected = {"L": L, "dw2": grad_s3, "dw1": grad_s3 * x1, "dx1": grad_s3 * w1,
                "dw0": grad_s3 * x0, "dx0": grad_s3 * w0}
    for part, value in expected.items():
        assert close(res.answers[part], value), part


def test_sigmoid_gate_textbook_cs231n_values() -> None:
    res = backprop.sigmoid_gate({"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, CPU)
    got = [round(res.answers[k], 2) for k in ("L", "dw0", "dx0", "dw1", "dx1", "dw2")]
    assert got == [0.73, -0.2, 0.39, -0.39, -0.59, 0.2]


@pytest.mark.parametrize("seed", SEEDS)
def test_add_mul_gate_closed_form(seed: int) -> None:
    rng = random.Random(seed)
    x, y, z = (rng.randint(-5, 5) for _ in range(3))
    res = backprop.add_mul_gate({"x": x, "y": y, "z": z}, CPU)
    assert res.answers == pytest.approx({"f": (x + y) * z, "dx": z, "dy": z, "dz": x + y})


def finite_difference(f: Any, args: dict[str, float], name: str, h: float = 1e-6) -> float:
    up, down = dict(args), dict(args)
    up[name] += h
    down[name] -= h
    return (f(**up) - f(**down)) / (2 * h)


@pytest.mark.parametrize("seed", SEEDS)
def test_max_copy_gate_finite_differences(seed: int) -> None:
    rng = random.Random(seed)
    args = {"x": rng.randint(-4, 4), "y": rng.randint(-4, 4), "z": rng.randint(-6, 6)}
    res = backprop.max_copy_gate(args, CPU)
    if args["x"] * args["y"] == args["z"]:
        assert not res.valid
        return
    f = lambda x, y, z: max(x * y, z) + x  # noqa: E731
    assert close(res.answers["f"], f(**args))
    for name in args:
        fd = finite_difference(f, {k: float(v) for k, v in args.items()}, name)
        assert close(res.answers[f"d{name}"], fd, rtol=1e-6, atol=1e-6), name


# ---- the midterm network ------------------------------------------------------------------------------


def midterm_j(x1: float, x2: float, y: float, w11: float, w12: float, w21: float, w22: float,
              v11: float, v21: float) -> float:
    z1, z2 = sig(w11 * x1 + w21 * x2), sig(w12 * x1 + w22 * x2)
    return 0.5 * (y - sig(v11 * z1 + v21 * z2)) ** 2


def midterm_params(rng: random.Random) -> dict[str, float]:
    p = {n: rng.uniform(-1.5, 1.5) for n in backprop.MIDTERM_SYMBOLS}
    p["y"] = float(rng.choice([0, 1]))
    return p


@pytest.mark.parametrize("seed", SEEDS)
def test_midterm_dw12_matches_seed_derivation_and_fd(seed: int) -> None:
    rng = random.Random(seed)
    p = midterm_params(rng)
    rho = rng.choice([0.1, 0.5, 1.0])
    res = backprop.midterm_dw12({**p, "rho": rho}, CPU)
    zsum2 = p["w12"] * p["x1"] + p["w22"] * p["x2"]
    osum = p["v11"] * sig(p["w11"] * p["x1"] + p["w21"] * p["x2"]) + p["v21"] * sig(zsum2)
    o = sig(osum)
    d_tau = lambda s: sig(s) * (1 - sig(s))  # noqa: E731
    seed_formula = (o - p["y"]) * d_tau(osum) * p["v21"] * d_tau(zsum2) * p["x1"]  # 000's last line
    assert close(res.answers["dw12"], seed_formula)
    assert close(res.answers["dw12"], finite_difference(midterm_j, p, "w12"), rtol=1e-5, atol=1e-8)
    assert close(res.answers["w12_new"], p["w12"] - rho * seed_formula)
    assert close(res.answers["J"], midterm_j(**p))


@pytest.fixture(scope="module")
def symbolic_gradients() -> dict[str, Any]:
    """Each weight's symbolic answer, parsed (test-side only) into a NumPy function of the symbols."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    names = {n: sympy.Symbol(n) for n in backprop.MIDTERM_SYMBOLS}
    sigma = sympy.Lambda(sympy.Symbol("t"), 1 / (1 + sympy.exp(-sympy.Symbol("t"))))
    out = {}
    for weight in backprop.MIDTERM_WEIGHTS:
        text = backprop.midterm_symbolic({"weight": weight}, CPU).answers["grad"]
        expr = parse_expr(text, local_dict={**names, "sigma": sigma}, evaluate=True)
        assert expr.free_symbols <= set(names.values())
        out[weight] = sympy.lambdify([names[n] for n in backprop.MIDTERM_SYMBOLS], expr, "numpy")
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_midterm_symbolic_matches_finite_differences(seed: int, symbolic_gradients: dict[str, Any]) -> None:
    rng = random.Random(seed)
    p = midterm_params(rng)
    weight = backprop.MIDTERM_WEIGHTS[seed % len(backprop.MIDTERM_WEIGHTS)]
    value = symbolic_gradients[weight](*[p[n] for n in backprop.MIDTERM_SYMBOLS])
    assert close(value, finite_difference(midterm_j, p, weight), rtol=1e-5, atol=1e-8)


def test_midterm_symbolic_textbook_transcription_is_equivalent() -> None:
    import sympy
    from conftest import REPO
    from sympy.parsing.sympy_parser import parse_expr

    from studykit.yamlio import load_yaml

    questions = {q["id"]: q for q in load_yaml(REPO / "questions" / "backprop.yaml")}
    printed = questions["backprop.midterm-symbolic"]["textbook"]["printed"]["grad"]
    computed = backprop.midterm_symbolic({"weight": "w12"}, CPU).answers["grad"]
    sigma = sympy.Function("sigma")
    names = {n: sympy.Symbol(n) for n in backprop.MIDTERM_SYMBOLS}
    a = parse_expr(printed, local_dict={**names, "sigma": sigma})
    b = parse_expr(computed, local_dict={**names, "sigma": sigma})
    assert sympy.simplify(a - b) == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_vanishing_gradient_product_of_local_derivatives(seed: int) -> None:
    rng = random.Random(seed)
    depth, w, x = rng.randint(1, 10), rng.choice([0.5, 1.0, 2.0, 4.0]), rng.uniform(-1, 1)
    res = backprop.vanishing_gradient({"L": depth, "w": w, "x": x}, CPU)
    h, grad = x, 1.0
    for _ in range(depth):
        s = w * h
        h = 1 / (1 + math.exp(-s))
        grad *= w * h * (1 - h)
    assert close(res.answers["out"], h) and close(res.answers["grad"], grad)
