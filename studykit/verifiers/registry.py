"""The one explicit verifier registry: name -> (module, function, version), resolved lazily.

Nothing here imports torch or sympy; a verifier's module is imported only when it runs.
Bump a verifier's version whenever its computation changes: the bank hash includes it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studykit.errors import UsageError


@dataclass(frozen=True)
class Context:
    """What a verifier may depend on besides its parameters."""

    device: str = "cpu"  # "cpu" or "cuda" (resolved; never "auto")
    dtype: str = "float64"  # torch dtype name for numeric work
    seed: int = 0  # for any randomness (e.g. random weights when only shapes matter)

    def generator(self) -> Any:
        """A torch.Generator on this context's device seeded with `seed`."""
        import torch

        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.seed)
        return gen

    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)


@dataclass(frozen=True)
class Result:
    """What a verifier returns. Values are JSON-able: int, float, list, str (symbolic: SymPy str)."""

    answers: Mapping[str, Any]
    steps: Mapping[str, Any] = field(default_factory=dict)
    # part -> {Korean description of the mistake: the value that mistake gives}
    misconceptions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    valid: bool = True
    reason: str = ""  # why the parameters are invalid, when valid is False
    method: str = ""  # one line: how the answers were computed (shown by `verify`)


Verifier = Callable[[Mapping[str, Any], Context], Result]


@dataclass(frozen=True)
class Entry:
    module: str
    function: str
    version: int


def _e(module: str, function: str, version: int = 1) -> Entry:
    return Entry(f"studykit.verifiers.{module}", function, version)


REGISTRY: dict[str, Entry] = {
    # --- CNN family: cnn, lenet, alexnet, vgg, googlenet, resnet --------------------------
    "cnn.conv_output": _e("cnn", "conv_output"),
    "cnn.kernel_params": _e("cnn", "kernel_params"),
    "cnn.weight_sharing": _e("cnn", "weight_sharing"),
    "cnn.stride_output": _e("cnn", "stride_output"),
    "cnn.pool_output": _e("cnn", "pool_output"),
    "cnn.receptive_field": _e("cnn", "receptive_field"),
    "cnn.tensor_conv": _e("cnn_values", "tensor_conv"),
    "cnn.conv1d_values": _e("cnn_values", "conv1d_values"),
    "cnn.conv2d_value": _e("cnn_values", "conv2d_value"),
    "cnn.pool_values": _e("cnn_values", "pool_values"),
    "lenet.layer_shapes": _e("lenet", "layer_shapes"),
    "lenet.param_counts": _e("lenet", "param_counts"),
    "alexnet.layer_shapes": _e("alexnet", "layer_shapes"),
    "alexnet.node_counts": _e("alexnet", "node_counts", 2),
    "alexnet.param_counts": _e("alexnet", "param_counts"),
    "alexnet.layer_params": _e("alexnet", "layer_params"),
    "alexnet.fc_share": _e("alexnet", "fc_share"),
    "vgg.kernel_decomposition": _e("vgg", "kernel_decomposition"),
    "vgg.asymmetric_decomposition": _e("vgg", "asymmetric_decomposition"),
    "vgg.one_by_one": _e("vgg", "one_by_one"),
    "vgg.param_share": _e("vgg", "param_share"),
    "googlenet.inception_params": _e("googlenet", "inception_params"),
    "googlenet.inception_flops": _e("googlenet", "inception_flops"),
    "googlenet.global_average_pooling": _e("googlenet", "global_average_pooling"),
    "googlenet.fc_params": _e("googlenet", "fc_params"),
    "resnet.residual_gradient": _e("resnet", "residual_gradient"),
    "resnet.basic_block": _e("resnet", "basic_block"),
    "resnet.resnet34": _e("resnet", "resnet34"),
    # --- math family: dmlp, backprop, loss, gan, dcgan, genmodel, fld ---------------------
    "dmlp.weight_count": _e("dmlp", "weight_count"),
    "dmlp.weight_matrix": _e("dmlp", "weight_matrix"),
    "dmlp.forward": _e("dmlp", "forward"),
    "dmlp.delta_rule": _e("dmlp", "delta_rule"),
    "dmlp.sgd_step": _e("dmlp", "sgd_step"),
    "backprop.sigmoid_gate": _e("backprop", "sigmoid_gate"),
    "backprop.add_mul_gate": _e("backprop", "add_mul_gate"),
    "backprop.max_copy_gate": _e("backprop", "max_copy_gate"),
    "backprop.midterm_dw12": _e("backprop", "midterm_dw12"),
    "backprop.midterm_symbolic": _e("backprop", "midterm_symbolic"),
    "backprop.vanishing_gradient": _e("backprop", "vanishing_gradient"),
    "loss.cross_entropy": _e("loss", "cross_entropy"),
    "loss.cross_entropy_multi": _e("loss", "cross_entropy_multi"),
    "loss.mse_vs_ce": _e("loss", "mse_vs_ce"),
    "loss.softmax": _e("loss", "softmax"),
    "loss.log_likelihood": _e("loss", "log_likelihood"),
    "gan.optimal_discriminator": _e("gan", "optimal_discriminator", 2),  # 2: vectorised Newton
    "gan.equilibrium_value": _e("gan", "equilibrium_value"),
    "gan.equilibrium_objectives": _e("gan", "equilibrium_objectives"),
    "gan.objective_values": _e("gan", "objective_values"),
    "gan.generator_gradient": _e("gan", "generator_gradient"),
    "gan.mode_collapse": _e("gan", "mode_collapse"),
    "dcgan.generator_shapes": _e("dcgan", "generator_shapes"),
    "dcgan.discriminator_shapes": _e("dcgan", "discriminator_shapes"),
    "dcgan.architecture_rules": _e("dcgan", "architecture_rules"),
    "genmodel.example_4_1": _e("genmodel", "example_4_1"),
    "genmodel.sampling": _e("genmodel", "sampling"),
    "genmodel.bayes": _e("genmodel", "bayes"),
    "fld.direction": _e("fld", "direction"),
    "fld.projection": _e("fld", "projection"),
    "fld.criterion_compare": _e("fld", "criterion_compare"),
}


def verifier_names() -> list[str]:
    return sorted(REGISTRY)


def verifier_version(name: str) -> int:
    return REGISTRY[name].version


def get_verifier(name: str) -> Verifier:
    """Import and return the registered verifier function."""
    try:
        entry = REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown verifier {name!r}; available: {', '.join(verifier_names())}"
        ) from None
    module = importlib.import_module(entry.module)
    return getattr(module, entry.function)


def resolve_device(device: str) -> str:
    """Map auto|cpu|cuda to a concrete device; cuda without CUDA is a usage error."""
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, not {device!r}")
    if device == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise UsageError("--device cuda: CUDA is not available on this machine")
    return "cpu"
