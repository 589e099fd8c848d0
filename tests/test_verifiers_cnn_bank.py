"""The CNN family's question files: they load, their textbook instances match the oracles, the seeds'
wrong printed values are surfaced, every question renders, and CPU and CUDA agree."""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import test_verifiers_cnn as basic
import test_verifiers_cnn_nets as nets

from studykit.verifiers import googlenet
from studykit.verifiers.registry import Context, get_verifier

REPO = Path(__file__).resolve().parent.parent
TABLE = googlenet.INCEPTION_TABLE
FAMILY = ("cnn", "lenet", "alexnet", "vgg", "googlenet", "resnet")

ORACLES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any] | None]] = {
    **{f"cnn.{name}": oracle for name, oracle in basic.ORACLES.items()},
    "lenet.layer_shapes": nets.oracle_lenet_shapes,
    "lenet.param_counts": nets.oracle_lenet_params,
    "alexnet.layer_shapes": nets.oracle_alexnet_shapes,
    "alexnet.node_counts": nets.oracle_alexnet_nodes,
    "alexnet.param_counts": nets.oracle_alexnet_params,
    "alexnet.layer_params": lambda p: {"params": nets.alexnet_layer_counts(p["groups"])[p["layer"]]},
    "alexnet.fc_share": nets.oracle_alexnet_fc_share,
    "vgg.kernel_decomposition": nets.oracle_kernel_decomposition,
    "vgg.asymmetric_decomposition": nets.oracle_asymmetric,
    "vgg.one_by_one": nets.oracle_one_by_one,
    "vgg.param_share": nets.oracle_vgg_share,
    "googlenet.inception_params": lambda p: nets.oracle_inception_params(TABLE[p["module"]]),
    "googlenet.inception_flops": lambda p: nets.oracle_inception_macs(TABLE[p["module"]]),
    "googlenet.global_average_pooling": nets.oracle_gap,
    "googlenet.fc_params": nets.oracle_googlenet_fc,
    "resnet.residual_gradient": nets.oracle_residual_gradient,
    "resnet.basic_block": nets.oracle_basic_block,
    "resnet.resnet34": nets.oracle_resnet34,
}

# Where the seeds print a value the oracle (and the verifier) disagree with: (question, source, part).
SEED_ERRORS = {
    *(("alexnet.param-counts", src, part) for src in ("003", "004", "002") for part in ("conv", "fc")),
    ("alexnet.fc-ratio", "003", "ratio"), ("alexnet.fc-ratio", "004", "ratio"),
    ("vgg.param-share", "003", "fc"), ("vgg.param-share", "003", "fc_percent"),
    ("googlenet.fc-params", "003", "fc"), ("googlenet.fc-params", "003", "percent_of_vgg"),
    ("googlenet.fc-params", "004", "fc"),
    # 003 prints 7 numbers for AlexNet's 8 layers (one of conv3/conv4's 64,896 is missing)
    ("alexnet.node-counts", "003", "nodes"),
}

REQUIRED_PARTS = {
    "cnn.conv-output": ["W2", "params"],
    "cnn.tensor-conv": ["value"],
    "alexnet.layer-shapes": ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"],
    "alexnet.param-counts": ["conv", "fc", "total"],
}


@pytest.fixture(scope="module")
def family_bank(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Only this family's question files (the rest of the bank is other engineers' work)."""
    from studykit.bank import load_bank

    folder = tmp_path_factory.mktemp("cnn-bank")
    for topic in FAMILY:
        shutil.copy(REPO / "questions" / f"{topic}.yaml", folder / f"{topic}.yaml")
    return load_bank(None, builtin_dir=folder)


def agrees(value: Any, expected: Any) -> bool:
    if isinstance(expected, float) or isinstance(value, float):
        return math.isclose(value, expected, rel_tol=1e-3, abs_tol=1e-9)
    return value == expected


def test_family_has_required_ids_parts_and_enough_questions(family_bank: Any) -> None:
    questions = [q for q in family_bank.questions if q.topic in FAMILY]
    assert len(questions) >= 25
    assert {q.topic for q in questions} == set(FAMILY)
    for qid, parts in REQUIRED_PARTS.items():
        assert family_bank.get(qid).part_names() == parts
    assert all(q.verifier in ORACLES for q in questions), "every verifier has a second oracle here"


def test_textbook_instances_match_oracles_and_surface_seed_errors(family_bank: Any) -> None:
    found_errors = set()
    for question in family_bank.questions:
        for instance in question.textbook:
            result = get_verifier(question.verifier)(instance.params, Context())
            expected = ORACLES[question.verifier](instance.params)
            assert result.valid and expected is not None, (question.id, result.reason)
            basic.assert_same(result.answers, expected, (question.id, instance.label))
            for part, printed in instance.printed.items():
                if not agrees(printed, expected[part]):
                    found_errors.add((question.id, instance.source[:3], part))
    assert found_errors == SEED_ERRORS


def test_the_seed_examples_that_are_right_stay_right(family_bank: Any) -> None:
    conv = family_bank.get("cnn.conv-output").textbook[0]
    assert nets.size_after(32, 5, 1, 2) == conv.printed["W2"] == 32
    assert basic.oracle_conv_output(conv.params)["params"] == conv.printed["params"] == 760
    tensor = family_bank.get("cnn.tensor-conv").textbook[0]
    assert basic.oracle_tensor_conv(tensor.params)["value"] == tensor.printed["value"] == 9
    shapes = family_bank.get("alexnet.layer-shapes").textbook[0]
    assert nets.oracle_alexnet_shapes(shapes.params) == shapes.printed


def test_every_question_renders_default_and_variants(family_bank: Any) -> None:
    from studykit.compute import draw_variant, render_prompt, render_solution

    for question in family_bank.questions:
        params = question.default_params()
        result = get_verifier(question.verifier)(params, Context())
        assert result.valid, (question.id, result.reason)
        assert set(result.answers) == set(question.part_names()), question.id
        assert render_prompt(question, params).strip() and render_solution(question, params, result).strip()
        seen = set()
        for seed in range(6):
            drawn, drawn_result = draw_variant(question, seed)
            assert set(drawn_result.answers) == set(question.part_names()), (question.id, drawn)
            render_prompt(question, drawn)
            render_solution(question, drawn, drawn_result)
            seen.add(repr(sorted(drawn.items())))
        assert len(seen) > 1 or not question.params, f"{question.id}: variants never differ"


@pytest.mark.gpu
def test_cpu_and_cuda_agree_for_every_family_verifier(family_bank: Any) -> None:
    from studykit.compute import draw_variant

    for question in family_bank.questions:
        verifier = get_verifier(question.verifier)
        for seed in range(3):
            params = question.default_params() if seed == 0 else draw_variant(question, seed)[0]
            on_cpu = verifier(params, Context(device="cpu"))
            on_cuda = verifier(params, Context(device="cuda"))
            assert on_cpu.valid == on_cuda.valid, question.id
            basic.assert_same(on_cuda.answers, on_cpu.answers, (question.id, params))
