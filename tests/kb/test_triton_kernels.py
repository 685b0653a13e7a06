"""Our Triton kernels are correct, checked on the CPU in Triton's interpreter.

``TRITON_INTERPRET=1`` must be set when a kernel is decorated, and also when Triton itself is
imported (its own library functions, such as the combine step of ``tl.sum``, are decorated
then), and it stays read at launch. So the fixture sets it for this module's tests only,
imports Triton's Python modules afresh (keeping its compiled extension) and a fresh copy of
``experiments/triton_kernels.py`` under its own module name, and puts back whatever another
test module (or an xdist worker's earlier tests) had imported when it is done. Sizes stay at 2^16 elements and a
few programs, so each test takes seconds. Nothing asserts on a time.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest
import torch
from support.paths import REPO

U = 2.0**-24  # unit roundoff of the kernels' float32 accumulators
DTYPES = [torch.float32, torch.float16, torch.bfloat16]
BLOCK, PROGRAMS = 128, 3  # small: the interpreter runs every program and lane in numpy


def _triton_python_modules() -> dict[str, object]:
    """Triton's pure-Python modules now imported; its compiled extension (``triton._C``) stays."""
    return {
        name: sys.modules[name]
        for name in list(sys.modules)
        if (name == "triton" or name.startswith("triton.")) and not name.startswith("triton._C")
    }


@pytest.fixture(scope="module")
def tk():
    before = os.environ.get("TRITON_INTERPRET")
    os.environ["TRITON_INTERPRET"] = "1"
    earlier = _triton_python_modules()
    for name in earlier:
        del sys.modules[name]
    name = "triton_kernels_interpreted"
    spec = importlib.util.spec_from_file_location(name, REPO / "experiments" / "triton_kernels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(name, None)
    for interpreted in _triton_python_modules():
        del sys.modules[interpreted]
    sys.modules.update(earlier)
    if before is None:
        os.environ.pop("TRITON_INTERPRET", None)
    else:
        os.environ["TRITON_INTERPRET"] = before


def error_units(computed: torch.Tensor, x: torch.Tensor, y: torch.Tensor | None = None) -> float:
    """|computed − exact| / (u Σ|terms|), exact being the float64 sum of the terms."""
    terms = x.double() if y is None else x.double() * y.double()
    exact = terms.sum().item()
    return abs(computed.item() - exact) / (U * terms.abs().sum().item())


def stagnating(n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """2^10 at the head of every lane, then terms of a quarter of float32's spacing at 2^10.

    A plain float32 lane rounds every small term away (2^10 + 2^-15 rounds to 2^10), so its
    error is the whole tail, about n/(2·lanes) units of u·Σ|x| and growing with n; a
    compensated lane keeps it exactly. Both values are powers of two, exact in every dtype
    here (2^-15 is a float16 subnormal)."""
    x = torch.full((n,), 2.0**-15, dtype=torch.float64)
    x[: BLOCK * PROGRAMS] = 2.0**10
    return x.to(dtype)


def cancelling(n: int, dtype: torch.dtype, seed: int) -> torch.Tensor:
    """Large terms of both signs that cancel exactly, plus small positive ones: Σ|x| ≈ 400 n,
    the sum about n/4, so κ ≈ 1600 (and within float16's range)."""
    g = torch.Generator().manual_seed(seed)
    big = torch.randn(n // 2, generator=g, dtype=torch.float64) * 2.0**9
    small = torch.rand(n - n // 2, generator=g, dtype=torch.float64)
    x = torch.cat([big, small, -big])[:n] if n % 2 == 0 else torch.cat([big, small, -big[:-1]])
    x = x[torch.randperm(n, generator=g)]
    return x.to(dtype)


@pytest.mark.parametrize("n", [1, 1000, 4097, 2**14 + 3, 2**16])
@pytest.mark.parametrize("dtype", DTYPES)
def test_compensated_sum_of_random_data_is_nearly_exact(tk, n: int, dtype: torch.dtype):
    g = torch.Generator().manual_seed(n)
    x = (torch.rand(n, generator=g) * 2 - 0.9).to(dtype)  # sizes that are not multiples of the block
    result = tk.compensated_sum(x, block=BLOCK, programs=min(PROGRAMS, -(-n // BLOCK)))
    assert result.dtype == torch.float32 and result.dim() == 0
    assert error_units(result, x) <= 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_cancelling_sums_stay_within_the_compensated_bound(tk, dtype: torch.dtype):
    for n, seed in ((2**12, 1), (2**14 + 5, 2), (2**16, 3)):
        x = cancelling(n, dtype, seed)
        assert error_units(tk.compensated_sum(x, block=BLOCK, programs=PROGRAMS), x) <= 2, n


def test_plain_error_grows_with_n_and_compensated_does_not(tk):
    plain, compensated = [], []
    for n in (2**12, 2**14, 2**16):
        x = stagnating(n)
        plain.append(error_units(tk.plain_sum(x, block=BLOCK, programs=PROGRAMS), x))
        compensated.append(error_units(tk.compensated_sum(x, block=BLOCK, programs=PROGRAMS), x))
    assert all(e <= 1 for e in compensated), compensated  # the final rounding, half a unit
    assert plain[0] > 4 and plain[1] > 3 * plain[0] and plain[2] > 3 * plain[1], plain
    assert plain[2] > 50  # about 2^16 / (2 · 384) = 85 units: far outside the compensated bound


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_16_bit_inputs_are_summed_in_float32(tk, dtype: torch.dtype):
    x = stagnating(2**14, dtype)  # 1 + 2^-25 is lost in float32, let alone in 16 bits
    assert error_units(tk.compensated_sum(x, block=BLOCK, programs=PROGRAMS), x) <= 1
    assert error_units(tk.plain_sum(x, block=BLOCK, programs=PROGRAMS), x) > 10


def test_plain_twin_matches_a_plain_sum_on_easy_data(tk):
    x = torch.arange(10_000, dtype=torch.float32)  # integers: every partial sum is exact
    assert tk.plain_sum(x, block=BLOCK, programs=PROGRAMS).item() == 10_000 * 9_999 / 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_compensated_dot_product(tk, dtype: torch.dtype):
    g = torch.Generator().manual_seed(7)
    n = 2**14 + 11
    x = (torch.randn(n, generator=g) * 2.0**10).to(dtype)
    y = torch.randn(n, generator=g).to(dtype)
    result = tk.compensated_dot(x, y, block=BLOCK, programs=PROGRAMS)
    # 16-bit products are exact in float32; a float32 product is rounded once, adding up to
    # one unit of u·Σ|x_i y_i| that the compensation of the sum does not see
    assert error_units(result, x, y) <= (2 if dtype != torch.float32 else 3)
    # a sequential float32 sum of the same float32 products, for contrast
    plain = torch.tensor(np.cumsum((x.float() * y.float()).numpy(), dtype=np.float32)[-1])
    assert error_units(plain, x, y) > 2 * error_units(result, x, y) + 0.01


def test_dot_rejects_mismatched_lengths(tk):
    with pytest.raises(ValueError, match="elements"):
        tk.compensated_dot(torch.ones(10), torch.ones(11), block=BLOCK, programs=1)


@pytest.mark.parametrize(("rows", "hidden"), [(1, 1), (3, 100), (5, 1000), (4, 3000), (2, 5120)])
def test_rmsnorm_matches_the_float32_formula_to_bf16_rounding(tk, rows: int, hidden: int):
    g = torch.Generator().manual_seed(rows * 10_000 + hidden)
    x = (torch.randn(rows, hidden, generator=g) * 3).to(torch.bfloat16)
    w = (1 + 0.1 * torch.randn(hidden, generator=g)).to(torch.bfloat16)
    y = tk.rmsnorm(x, w, 1e-6)
    assert y.dtype == torch.bfloat16 and y.shape == x.shape
    ref = tk.rmsnorm_reference(x, w, 1e-6)
    # one rounding to bf16 at the store: within half a unit in the last place, 2^-8 |ref|
    assert ((y.float() - ref).abs() <= 2.0**-8 * ref.abs() * (1 + 1e-5) + 1e-30).all()
    # and it is the correctly rounded value almost everywhere (float32 arithmetic next to a
    # tie may differ by one unit); a truncating conversion would match only about half
    assert (y == ref.to(torch.bfloat16)).float().mean() >= 0.999
    eager = tk.rmsnorm_eager(x, w, 1e-6)
    assert ((eager.float() - y.float()).abs() <= 2.0**-7 * ref.abs() + 1e-30).all()


def test_rmsnorm_reads_strided_rows(tk):
    g = torch.Generator().manual_seed(5)
    wide = torch.randn(4, 700, generator=g).to(torch.bfloat16)
    x = wide[:, :500]  # rows 700 apart: the kernel must use the row stride, not the width
    w = torch.ones(500, dtype=torch.bfloat16)
    assert torch.equal(tk.rmsnorm(x, w), tk.rmsnorm_reference(x, w).to(torch.bfloat16))
