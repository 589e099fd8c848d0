"""LeNet/AlexNet/VGG/GoogLeNet/ResNet verifiers against independent closed forms and finite differences."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from test_verifiers_cnn import DRAWS, assert_same

from studykit.verifiers import alexnet, googlenet, lenet, resnet, vgg
from studykit.verifiers.registry import Context

CPU = Context(device="cpu")


def conv_params(F: int, cin: int, cout: int, bias: bool = True, groups: int = 1) -> int:
    return F * F * (cin // groups) * cout + (cout if bias else 0)


def size_after(W: int, F: int, S: int = 1, P: int = 0) -> int:
    return (W - F + 2 * P) // S + 1


# --- LeNet-5 ------------------------------------------------------------------------------------

def oracle_lenet_shapes(p: Mapping[str, Any]) -> dict[str, Any] | None:
    c1 = p["input"] - 4 + 2 * p["P1"]
    if c1 < 1 or c1 % 2:
        return None
    c3 = c1 // 2 - 4
    if c3 < 1 or c3 % 2:
        return None
    c5 = c3 // 2 - 4
    if c5 < 1:
        return None
    return {"c1": [6, c1, c1], "s2": [6, c1 // 2, c1 // 2], "c3": [16, c3, c3], "s4": [16, c3 // 2, c3 // 2],
            "c5": [120, c5, c5], "features": 120 * c5 * c5}


def oracle_lenet_params(p: Mapping[str, Any]) -> dict[str, Any]:
    # LeCun's table: 6 maps see 3 inputs, 9 see 4, 1 sees all 6
    c3 = conv_params(5, 6, 16) if p["c3"] == "full" else 6 * (75 + 1) + 9 * (100 + 1) + (150 + 1)
    conv = conv_params(5, 1, 6) + c3 + conv_params(5, 16, 120)
    fc = (120 + 1) * p["f6"] + (p["f6"] + 1) * p["classes"]
    return {"conv": conv, "fc": fc, "total": conv + fc}


# --- AlexNet ------------------------------------------------------------------------------------

def alexnet_sizes(size: int) -> dict[str, int] | None:
    if size < 67 or (size - 11) % 4:
        return None
    c1 = size_after(size, 11, 4)
    p1 = size_after(c1, 3, 2)
    p2 = size_after(p1, 3, 2)
    return {"conv1": c1, "pool1": p1, "conv2": p1, "pool2": p2, "conv3": p2, "conv4": p2, "conv5": p2,
            "pool5": size_after(p2, 3, 2)}


ALEX_CHANNELS = {"conv1": 96, "pool1": 96, "conv2": 256, "pool2": 256, "conv3": 384, "conv4": 384,
                 "conv5": 256, "pool5": 256}


def oracle_alexnet_shapes(p: Mapping[str, Any]) -> dict[str, Any] | None:
    sizes = alexnet_sizes(p["input"])
    return None if sizes is None else {k: [ALEX_CHANNELS[k], s, s] for k, s in sizes.items()}


def oracle_alexnet_nodes(p: Mapping[str, Any]) -> dict[str, Any] | None:
    sizes = alexnet_sizes(p["input"])
    if sizes is None:
        return None
    conv = {k: ALEX_CHANNELS[k] * sizes[k] ** 2 for k in ("conv1", "conv2", "conv3", "conv4", "conv5")}
    return {**conv, "fc6": 4096, "fc7": 4096, "fc8": 1000, "nodes": [*conv.values(), 4096, 4096, 1000]}


def alexnet_layer_counts(groups: int) -> dict[str, int]:
    return {"conv1": conv_params(11, 3, 96), "conv2": conv_params(5, 96, 256, groups=groups),
            "conv3": conv_params(3, 256, 384), "conv4": conv_params(3, 384, 384, groups=groups),
            "conv5": conv_params(3, 384, 256, groups=groups), "fc6": (256 * 6 * 6 + 1) * 4096,
            "fc7": (4096 + 1) * 4096, "fc8": (4096 + 1) * 1000}


def oracle_alexnet_params(p: Mapping[str, Any]) -> dict[str, Any]:
    counts = alexnet_layer_counts(p["groups"])
    conv = sum(v for k, v in counts.items() if k.startswith("conv"))
    fc = sum(v for k, v in counts.items() if k.startswith("fc"))
    return {"conv": conv, "fc": fc, "total": conv + fc}


def oracle_alexnet_fc_share(p: Mapping[str, Any]) -> dict[str, Any]:
    c = oracle_alexnet_params(p)
    return {"ratio": c["fc"] / c["conv"], "fc_percent": 100.0 * c["fc"] / c["total"]}


# --- VGG ----------------------------------------------------------------------------------------

VGG16_WIDTHS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]


def vgg16_fc(classes: int) -> int:
    return (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * classes


def oracle_vgg_share(p: Mapping[str, Any]) -> dict[str, Any]:
    conv = sum(conv_params(3, cin, cout) for cin, cout in zip([3] + VGG16_WIDTHS, VGG16_WIDTHS, strict=False))
    fc = vgg16_fc(p["classes"])
    return {"conv_layers": 13, "fc_layers": 3, "conv": conv, "fc": fc, "total": conv + fc,
            "fc_percent": 100.0 * fc / (conv + fc)}


def oracle_kernel_decomposition(p: Mapping[str, Any]) -> dict[str, Any]:
    layers = (p["F"] - 1) // 2
    return {"big": p["F"] ** 2 * p["C"] ** 2, "small": layers * 9 * p["C"] ** 2, "layers": layers}


def oracle_asymmetric(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"full": p["n"] ** 2 * p["C"] ** 2, "factored": 2 * p["n"] * p["C"] ** 2}


def oracle_one_by_one(p: Mapping[str, Any]) -> dict[str, Any]:
    return {"channels": p["c3"], "shape": [p["c3"], p["m"], p["n"]], "params": (p["c2"] + 1) * p["c3"]}


# --- GoogLeNet ----------------------------------------------------------------------------------

def oracle_inception_params(cfg: tuple[int, ...]) -> dict[str, Any]:
    cin, s, n1, r3, n3, r5, n5, proj = cfg
    reduced = ((cin + 1) * n1 + (cin + 1) * r3 + (9 * r3 + 1) * n3 + (cin + 1) * r5 + (25 * r5 + 1) * n5
               + (cin + 1) * proj)
    naive = (cin + 1) * n1 + (9 * cin + 1) * n3 + (25 * cin + 1) * n5
    return {"params_reduced": reduced, "params_naive": naive, "shape_reduced": [n1 + n3 + n5 + proj, s, s],
            "shape_naive": [n1 + n3 + n5 + cin, s, s]}


def oracle_inception_macs(cfg: tuple[int, ...]) -> dict[str, Any]:
    cin, s, n1, r3, n3, r5, n5, proj = cfg
    reduced = s * s * (cin * n1 + cin * r3 + 9 * r3 * n3 + cin * r5 + 25 * r5 * n5 + cin * proj)
    naive = s * s * (cin * n1 + 9 * cin * n3 + 25 * cin * n5)
    return {"macs_reduced": reduced, "macs_naive": naive, "ratio": naive / reduced}


def oracle_gap(p: Mapping[str, Any]) -> dict[str, Any]:
    fc = (p["C"] * p["H"] ** 2 + 1) * p["classes"]
    return {"gap_shape": [p["C"], 1, 1], "gap_params": 0, "fc_params": fc}


def oracle_googlenet_fc(p: Mapping[str, Any]) -> dict[str, Any]:
    fc = 1025 * p["classes"]
    return {"fc": fc, "percent_of_vgg": 100.0 * fc / vgg16_fc(p["classes"])}


# --- ResNet -------------------------------------------------------------------------------------

def oracle_residual_gradient(p: Mapping[str, Any]) -> dict[str, Any]:
    a, b = p["a"], p["b"]
    x, residual = p["x"], 1.0
    for _ in range(p["L"]):  # d/dx (x + b relu(a x)) = 1 + a b [a x > 0]
        residual *= 1 + (a * b if a * x > 0 else 0.0)
        x = x + b * max(a * x, 0.0)
    x, plain = p["x"], 1.0
    for _ in range(p["L"]):
        plain *= a * b if a * x > 0 else 0.0
        x = b * max(a * x, 0.0)
    return {"residual": residual, "plain": plain}


def oracle_basic_block(p: Mapping[str, Any]) -> dict[str, Any]:
    cin, cout, stride, H = p["C_in"], p["C_out"], p["stride"], p["H"]
    body = 9 * cin * cout + 9 * cout * cout + 2 * (2 * cout)  # two convs, two BN (gamma, beta)
    shortcut = cin * cout + 2 * cout if (stride != 1 or cin != cout) else 0
    out = size_after(H, 3, stride, 1)
    return {"residual": body + shortcut, "plain": body, "shortcut": shortcut, "shape": [cout, out, out],
            "adds": cout * out * out}


def oracle_resnet34(p: Mapping[str, Any]) -> dict[str, Any]:
    total, cin = 7 * 7 * 3 * 64 + 2 * 64, 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
        for i in range(count):
            stride = 2 if stage and not i else 1
            total += oracle_basic_block({"C_in": cin, "C_out": width, "stride": stride, "H": 8})["residual"]
            cin = width
    fc = 513 * p["classes"]
    return {"layers": 34, "total": total + fc, "fc": fc}


DRAWS_BY_VERIFIER: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "lenet.layer_shapes": lambda r: {"input": r.randint(20, 64), "P1": r.randint(0, 3)},
    "lenet.param_counts": lambda r: {"c3": r.choice(["full", "lecun"]), "f6": r.randint(1, 200),
                                     "classes": r.randint(1, 50)},
    "alexnet.layer_shapes": lambda r: {"input": r.choice([r.randint(60, 400), 67 + 4 * r.randint(0, 80)])},
    "alexnet.node_counts": lambda r: {"input": 67 + 4 * r.randint(0, 80)},
    "alexnet.param_counts": lambda r: {"groups": r.choice([1, 2])},
    "alexnet.fc_share": lambda r: {"groups": r.choice([1, 2])},
    "vgg.kernel_decomposition": lambda r: {"F": r.choice([3, 5, 7, 9, 11]), "C": r.randint(1, 64)},
    "vgg.asymmetric_decomposition": lambda r: {"n": r.randint(2, 9), "C": r.randint(1, 64)},
    "vgg.one_by_one": lambda r: {"c2": r.randint(1, 512), "c3": r.randint(1, 256), "m": r.randint(1, 30),
                                 "n": r.randint(1, 30)},
    "vgg.param_share": lambda r: {"classes": r.choice([10, 100, 1000, r.randint(1, 2000)])},
    "googlenet.global_average_pooling": lambda r: {"C": r.randint(1, 1024), "H": r.randint(1, 14),
                                                   "classes": r.randint(1, 1000)},
    "googlenet.fc_params": lambda r: {"classes": r.choice([10, 100, 1000])},
    "resnet.basic_block": lambda r: {"C_in": r.choice([16, 32, 64]), "C_out": r.choice([16, 32, 64]),
                                     "stride": r.randint(1, 2), "H": r.randint(3, 30)},
    "resnet.resnet34": lambda r: {"classes": r.choice([10, 100, 1000])},
}

CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "lenet.layer_shapes": (lenet.layer_shapes, oracle_lenet_shapes),
    "lenet.param_counts": (lenet.param_counts, oracle_lenet_params),
    "alexnet.layer_shapes": (alexnet.layer_shapes, oracle_alexnet_shapes),
    "alexnet.node_counts": (alexnet.node_counts, oracle_alexnet_nodes),
    "alexnet.param_counts": (alexnet.param_counts, oracle_alexnet_params),
    "alexnet.fc_share": (alexnet.fc_share, oracle_alexnet_fc_share),
    "vgg.kernel_decomposition": (vgg.kernel_decomposition, oracle_kernel_decomposition),
    "vgg.asymmetric_decomposition": (vgg.asymmetric_decomposition, oracle_asymmetric),
    "vgg.one_by_one": (vgg.one_by_one, oracle_one_by_one),
    "vgg.param_share": (vgg.param_share, oracle_vgg_share),
    "googlenet.global_average_pooling": (googlenet.global_average_pooling, oracle_gap),
    "googlenet.fc_params": (googlenet.fc_params, oracle_googlenet_fc),
    "resnet.basic_block": (resnet.basic_block, oracle_basic_block),
    "resnet.resnet34": (resnet.resnet34, oracle_resnet34),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_net_verifier_agrees_with_closed_form(name: str) -> None:
    (verifier, oracle), draw = CASES[name], DRAWS_BY_VERIFIER[name]
    rng = random.Random(f"nets-{name}")
    valid = 0
    for _ in range(DRAWS):
        params = draw(rng)
        expected = oracle(params)
        result = verifier(params, CPU)
        assert result.valid == (expected is not None), (params, result.reason)
        if expected is not None:
            assert_same(result.answers, expected, params)
            valid += 1
    assert valid >= DRAWS // 4


def test_alexnet_layer_params_each_layer_matches_closed_form() -> None:
    rng = random.Random("alexnet-layer")
    for _ in range(DRAWS):
        groups, layer = rng.choice([1, 2]), rng.choice(list(alexnet_layer_counts(1)))
        result = alexnet.layer_params({"groups": groups, "layer": layer}, CPU)
        assert result.answers == {"params": alexnet_layer_counts(groups)[layer]}


def random_inception(rng: random.Random) -> tuple[int, ...]:
    return (rng.randint(8, 256), rng.choice([7, 14, 28]), *(rng.randint(1, 128) for _ in range(6)))


@pytest.mark.parametrize("verifier,oracle", [(googlenet.inception_params, oracle_inception_params),
                                             (googlenet.inception_flops, oracle_inception_macs)])
def test_inception_module_matches_closed_form(verifier: Callable[..., Any], oracle: Callable[..., Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(f"inception-{verifier.__name__}")
    for index in range(DRAWS):
        cfg = random_inception(rng)
        monkeypatch.setitem(googlenet.INCEPTION_TABLE, f"r{index}", cfg)  # random modules beyond Table 1
        assert_same(verifier({"module": f"r{index}"}, CPU).answers, oracle(cfg), cfg)
    for name, cfg in googlenet.INCEPTION_TABLE.items():
        assert_same(verifier({"module": name}, CPU).answers, oracle(cfg), name)


def test_residual_gradient_matches_closed_form_and_finite_differences() -> None:
    rng = random.Random("residual")
    checked = 0
    for _ in range(DRAWS):
        params = {"a": rng.uniform(-1.5, 1.5), "b": rng.uniform(-1.5, 1.5), "x": rng.uniform(-2, 2),
                  "L": rng.randint(1, 5)}
        result = resnet.residual_gradient(params, CPU)
        assert result.valid
        assert_same(result.answers, oracle_residual_gradient(params), params)
        h = 1e-6  # central difference of the forward value x_L
        up = resnet.residual_gradient({**params, "x": params["x"] + h}, CPU).steps["x_L"]
        down = resnet.residual_gradient({**params, "x": params["x"] - h}, CPU).steps["x_L"]
        assert abs((up - down) / (2 * h) - result.answers["residual"]) < 1e-5
        checked += 1
    assert checked == DRAWS


def test_residual_gradient_rejects_relu_kink_and_names_missing_one() -> None:
    assert not resnet.residual_gradient({"a": 1.0, "b": 1.0, "x": 0.0, "L": 2}, CPU).valid
    result = resnet.residual_gradient({"a": 0.5, "b": -0.8, "x": 1.2, "L": 3}, CPU)
    wrong = result.misconceptions["residual"]["지름길 연결의 +1을 빼먹음 (식 4.14의 1)"]
    assert wrong == result.answers["plain"] != result.answers["residual"]


def test_alexnet_misconceptions_come_from_real_variants() -> None:
    result = alexnet.param_counts({"groups": 2}, CPU)
    single_tower = oracle_alexnet_params({"groups": 1})["conv"]
    assert result.misconceptions["conv"]["두 GPU 분할(groups=2)을 무시함"] == single_tower
    shapes = alexnet.layer_shapes({"input": 227}, CPU)
    assert shapes.misconceptions["conv2"]["conv2의 덧대기(P=2)를 빼먹음"] == [256, 23, 23]
    assert not alexnet.layer_shapes({"input": 224}, CPU).valid
