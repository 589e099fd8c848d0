"""Verifiers for DCGAN: generator z → 3×64×64 and discriminator shapes, parameters, the architecture rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from studykit.verifiers.dmlp import invalid, result
from studykit.verifiers.registry import Context, Result

G_PARTS = ("g1", "g2", "g3", "g4", "out")
D_PARTS = ("d1", "d2", "d3", "d4", "out")
RULE_OPTIONS = ("A", "B", "C", "D", "E", "F")


def build_generator(nz: int, ngf: int, nc: int, device: str = "meta") -> Any:
    """DCGAN generator: ConvTranspose2d 4×4 (stride 1 pad 0 from 1×1, then stride 2 pad 1), BN, ReLU, Tanh."""
    from torch import nn

    widths = [ngf * 8, ngf * 4, ngf * 2, ngf]
    layers: list[Any] = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False, device=device),
                         nn.BatchNorm2d(widths[0], device=device), nn.ReLU(True)]
    for c_in, c_out in zip(widths, widths[1:], strict=False):
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False, device=device),
                   nn.BatchNorm2d(c_out, device=device), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, bias=False, device=device), nn.Tanh()]
    return nn.Sequential(*layers)


def build_discriminator(nc: int, ndf: int, device: str = "meta") -> Any:
    """DCGAN discriminator: Conv2d 4×4 stride 2 pad 1, no BN on the input layer, LeakyReLU(0.2), Sigmoid."""
    from torch import nn

    widths = [ndf, ndf * 2, ndf * 4, ndf * 8]
    layers: list[Any] = [nn.Conv2d(nc, widths[0], 4, 2, 1, bias=False, device=device),
                         nn.LeakyReLU(0.2, True)]
    for c_in, c_out in zip(widths, widths[1:], strict=False):
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False, device=device),
                   nn.BatchNorm2d(c_out, device=device), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False, device=device), nn.Sigmoid()]
    return nn.Sequential(*layers)


def _conv_outputs(net: Any, x: Any) -> list[list[int]]:
    """[C, H, W] after each (transposed) convolution's block, by running the net on meta tensors."""
    from torch import nn

    shapes: list[list[int]] = []
    convs = [m for m in net if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    hooks = [m.register_forward_hook(lambda _m, _i, out: shapes.append(list(out.shape[1:]))) for m in convs]
    try:
        net(x)
    finally:
        for hook in hooks:
            hook.remove()
    return shapes


def _positive_ints(params: Mapping[str, Any], names: tuple[str, ...]) -> list[int] | str:
    vals = [params.get(n) for n in names]
    if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096 for v in vals):
        return f"{', '.join(names)} must be integers from 1 to 4096, got {vals!r}"
    return vals


def _shapes_result(net: Any, x: Any, parts: tuple[str, ...], method: str) -> Result:
    """Each block's [C, H, W] as the named parts, the parameter count, and the forgot-BN misconception."""
    from torch import nn

    shapes = _conv_outputs(net, x)
    conv_only = sum(p.numel() for m in _convs(net) for p in m.parameters())
    bn = sum(p.numel() for m in net if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    total = sum(p.numel() for p in net.parameters())
    return result(
        answers={**dict(zip(parts, shapes, strict=True)), "params": int(total)},
        steps={"layers": [type(m).__name__ for m in net], "conv_params": int(conv_only),
               "bn_params": int(bn)},
        misconceptions={"params": {"배치 정규화의 γ, β를 빼먹음": int(conv_only)}},
        method=method,
    )


def generator_shapes(params: Mapping[str, Any], ctx: Context) -> Result:
    """Shape after each generator block for z of size nz (as nz×1×1), and the generator's parameter count."""
    import torch

    vals = _positive_ints(params, ("nz", "ngf", "nc"))
    if isinstance(vals, str):
        return invalid(vals)
    net = build_generator(*vals)
    return _shapes_result(net, torch.empty(1, vals[0], 1, 1, device="meta"), G_PARTS,
                          "DCGAN generator (nn.ConvTranspose2d 4×4) run on meta with forward hooks; numel()")


def discriminator_shapes(params: Mapping[str, Any], ctx: Context) -> Result:
    """Shape after each discriminator block for an nc×64×64 image, and its parameter count."""
    import torch

    vals = _positive_ints(params, ("nc", "ndf"))
    if isinstance(vals, str):
        return invalid(vals)
    net = build_discriminator(*vals)
    return _shapes_result(net, torch.empty(1, vals[0], 64, 64, device="meta"), D_PARTS,
                          "DCGAN discriminator (nn.Conv2d 4×4, stride 2) on meta, forward hooks; numel()")


def _after_conv(net: Any, which: int) -> list[Any]:
    """The modules between the `which`-th convolution and the next one (its normalisation and activation)."""
    from torch import nn

    starts = [i for i, m in enumerate(net) if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    start = starts[which]
    end = starts[which + 1] if which + 1 < len(starts) else len(net)
    return list(net)[start + 1:end]


def rule_checks(gen: Any, disc: Any) -> dict[str, bool]:
    """Each option's statement evaluated on the built modules (A, D, E hold for a DCGAN)."""
    from torch import nn

    pools = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    everything = list(gen.modules()) + list(disc.modules())
    g_acts = [type(m) for i in range(len(_convs(gen))) for m in _after_conv(gen, i)
              if not isinstance(m, nn.BatchNorm2d)]
    d_acts = [type(m) for i in range(len(_convs(disc)) - 1) for m in _after_conv(disc, i)
              if not isinstance(m, nn.BatchNorm2d)]
    return {
        "A": not any(isinstance(m, pools) for m in everything),  # no pooling anywhere
        "B": any(isinstance(m, nn.BatchNorm2d) for m in _after_conv(gen, len(_convs(gen)) - 1)),
        "C": any(isinstance(m, nn.BatchNorm2d) for m in _after_conv(disc, 0)),
        "D": g_acts[:-1] == [nn.ReLU] * (len(g_acts) - 1) and g_acts[-1] is nn.Tanh,
        "E": bool(d_acts) and all(a is nn.LeakyReLU for a in d_acts),
        "F": any(isinstance(m, nn.Linear) for m in everything),  # a fully connected hidden layer
    }


def _convs(net: Any) -> list[Any]:
    from torch import nn

    return [m for m in net if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]


def architecture_rules(params: Mapping[str, Any], ctx: Context) -> Result:
    """Which DCGAN rule statements hold and how many BatchNorm layers G and D have, by inspecting modules."""
    from torch import nn

    vals = _positive_ints({"nz": params.get("nz", 100), "ngf": params.get("ngf", 64),
                           "ndf": params.get("ndf", 64)}, ("nz", "ngf", "ndf"))
    if isinstance(vals, str):
        return invalid(vals)
    gen, disc = build_generator(vals[0], vals[1], 3), build_discriminator(3, vals[2])
    checks = rule_checks(gen, disc)
    count = lambda net: sum(isinstance(m, nn.BatchNorm2d) for m in net.modules())  # noqa: E731
    return result(
        answers={"rules": [k for k in RULE_OPTIONS if checks[k]], "bn_G": count(gen), "bn_D": count(disc)},
        steps={"checks": checks, "convs_G": len(_convs(gen)), "convs_D": len(_convs(disc))},
        misconceptions={"bn_G": {"출력층에도 배치 정규화를 넣음": count(gen) + 1},
                        "bn_D": {"입력층에도 배치 정규화를 넣음": count(disc) + 1}},
        method="built the DCGAN generator/discriminator nn.Modules and inspected their layer types",
    )
