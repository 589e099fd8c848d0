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
    # --- math family: dmlp, backprop, loss, gan, dcgan, genmodel, fld ---------------------
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
