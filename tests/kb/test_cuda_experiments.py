"""The GPU experiments' entry points on a CUDA GPU: each dtype and backend runs as declared and
its error lies in the band that shows it really ran reduced.

These need a CUDA GPU and are skipped without one; run them on a GPU machine with
``python -m pytest -q tests/kb/test_cuda_experiments.py``. None of them asserts on a time.
"""

from __future__ import annotations

import sys

import pytest
import torch
from support.paths import REPO

from cortex.experiments.declaration import load_experiment
from cortex.runner.run import check_metrics, load_entry_point
from cortex.timing import Harness

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def bench() -> Harness:
    return Harness("cuda")


def experiment(name: str):
    spec, diagnostics = load_experiment(REPO / "experiments" / f"{name}.md", REPO)
    assert spec is not None, diagnostics
    entry = load_entry_point(spec, REPO)
    return spec, entry, sys.modules[entry.__module__]


# relative error against float64: each band's floor shows the dtype really ran reduced
GEMM_ERROR_BANDS = {
    "fp32": (1e-9, 1e-5),
    "tf32": (1e-4, 1e-3),  # a tf32 run at fp32 accuracy would mean the switch was ignored
    "fp16": (5e-5, 1e-3),
    "bf16": (5e-4, 5e-3),
    "fp8": (5e-4, 5e-3),
}


@pytest.mark.parametrize("dtype", list(GEMM_ERROR_BANDS))
def test_gemm_points_run_each_dtype_as_declared(bench: Harness, dtype: str):
    spec, entry, _ = experiment("gemm_throughput")
    metrics = entry({"dtype": dtype, "n": 1024}, bench)
    assert check_metrics(spec, metrics)[1] == []
    if dtype == "fp8" and torch.cuda.get_device_capability() < (8, 9):
        assert "sm_89" in metrics["skipped"]
        return
    low, high = GEMM_ERROR_BANDS[dtype]
    assert metrics["skipped"] is None and low < metrics["rel_error"] < high, metrics["rel_error"]
    assert metrics["timing_method"] in ("triton.do_bench", "cuda-events") and metrics["input_sets"] == 8
    assert metrics["frac_ceiling"] > 0
    assert torch.backends.cuda.matmul.allow_tf32 is False  # the tf32 switch is put back


def attention_backends(name: str, bench: Harness) -> tuple[object, dict[str, dict]]:
    """The experiment's module, and the metrics of every backend that ran at one causal point."""
    spec, entry, module = experiment(name)
    ran = {}
    for backend in ("math", "flash", "efficient", "cudnn"):
        metrics = entry({"backend": backend, "seq_len": 1024, "causal": True, "tokens": 4096}, bench)
        assert check_metrics(spec, metrics)[1] == []
        if metrics["skipped"] is None:
            ran[backend] = metrics
    assert {"math", "efficient"} <= set(ran)  # available on every CUDA GPU torch supports
    return module, ran


def test_attention_backends_on_a_gpu(bench: Harness):
    module, ran = attention_backends("attention", bench)
    output_mib = 4096 * module.HEADS * module.HEAD_DIM * 2 / 2**20
    for backend, m in ran.items():
        assert 5e-4 < m["rel_error"] < 5e-3, (backend, m["rel_error"])
        assert m["extra_memory"] >= output_mib * 0.99
    # the unfused path keeps batch x heads x N^2 scores; a fused kernel only its output
    assert ran["math"]["extra_memory"] > 4 * ran["efficient"]["extra_memory"]


def test_sustained_gemm_reads_clocks_where_nvml_is_there(bench: Harness):
    spec, entry, module = experiment("gemm_sustained")
    metrics = entry({"dtype": "bf16", "n": 1024, "seconds": 1.5, "idle": 0}, bench)
    assert check_metrics(spec, metrics)[1] == []
    assert metrics["batches"] >= 10 and metrics["tflops_sustained"] > 0
    nvml, _ = module.nvml_handle(torch.device("cuda"))
    if nvml is None:
        pytest.skip("NVML cannot be read here: the clock metrics stay empty")
    assert metrics["sm_clock_sustained"] > 0 and metrics["power_sustained"] > 0
    assert isinstance(metrics["slowdown_reasons"], str)


def test_attention_gradients_on_a_gpu(bench: Harness):
    _, ran = attention_backends("attention_backward", bench)
    for backend, m in ran.items():
        assert 5e-4 < m["rel_error"] < 1e-2, (backend, m["rel_error"])
        assert m["extra_memory"] > 0 and m["tflops"].value > 0
