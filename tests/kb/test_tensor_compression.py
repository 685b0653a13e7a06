"""The tensor compression experiment: its CI size through the entry point, and the pieces its
conclusions rest on: the decompositions (exact at full rank, CP-ALS and HOOI against TensorLy),
the factorised layers (the same function as the convolution with the rebuilt kernel) and the
weight counts that the budgets are judged by."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support.declared import assert_reports_its_metrics

EXPERIMENT = "tensor_compression"  # the spec, entry and module fixtures (conftest) load it
METHODS = ["svd", "tucker", "cp"]
BUDGETS = [0.5, 0.25, 0.125, 0.0625, 0.03125]
T, S, K = 64, 32, 3  # the compressed layer: 64 output, 32 input channels, 3×3
KERNEL_WEIGHTS = T * S * K * K
SIZE_KNOBS = {"epochs", "finetune_epochs", "train_fraction", "cp_sweeps"}


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    from cortex.timing import Harness

    bench = Harness("cpu")
    return {(p["method"], p["budget"]): entry(p, bench) for p in spec.points("ci")}


def random_kernel(seed: int = 0, shape=(T, S, K, K)) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def random_cp_tensor(rank: int, shape, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    factors = [torch.randn(n, rank, generator=generator, dtype=torch.float64) for n in shape]
    return torch.einsum("ar,br,cr,dr->abcd", *factors)


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm()).item()


# -- the declaration and the CI run -------------------------------------------------------------


def test_ci_and_full_share_the_grid_and_differ_only_in_the_size_knobs(spec):
    ci, full = spec.points("ci"), spec.points("full")
    for points in (ci, full):
        assert [(p["method"], p["budget"]) for p in points] == [(m, b) for m in METHODS for b in BUDGETS]
    for small, large in zip(ci, full, strict=True):
        differing = {name for name in large if small[name] != large[name]}
        assert differing <= SIZE_KNOBS, differing
    assert {p["cp_sweeps"] for p in full} == {300} and {p["epochs"] for p in full} == {30}
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(METHODS) * len(BUDGETS)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)
        for name in ("original_accuracy", "compressed_accuracy", "finetuned_accuracy"):
            assert 0 <= metrics[name].low <= metrics[name].value <= metrics[name].high <= 1, (point, name)
        assert metrics["layer_time"].value > 0 and metrics["original_layer_time"].value > 0


def test_ci_points_respect_their_budget_and_compress_the_same_networks(ci_results):
    originals = {metrics["original_accuracy"] for metrics in ci_results.values()}
    assert len(originals) == 1  # every point compresses the same five trained networks
    for (method, budget), metrics in ci_results.items():
        weights = metrics["parameters"] - T  # the bias is kept as it was
        assert weights <= budget * KERNEL_WEIGHTS, (method, budget, weights)
        assert metrics["parameter_share"] == metrics["parameters"] / (KERNEL_WEIGHTS + T)
        assert metrics["network_parameters"] == 19_466 - (KERNEL_WEIGHTS + T) + metrics["parameters"]
        if method != "cp":  # orthogonal projections never make the kernel worse than zero
            assert 0 < metrics["reconstruction_error"].value < 1, (method, budget)


def test_more_weights_never_fit_worse_for_svd_and_tucker(ci_results):
    for method in ("svd", "tucker"):
        errors = [ci_results[(method, b)]["reconstruction_error"].value for b in BUDGETS]
        assert errors == sorted(errors), (method, errors)


# -- the decompositions -------------------------------------------------------------------------


def test_truncated_svd_is_exact_at_full_rank_and_optimal_below(module):
    w = random_kernel()
    assert relative(module.truncated_svd(w, T).rebuild(), w) < 1e-12
    singular = torch.linalg.svdvals(w.reshape(T, -1))
    for rank in (1, 7, 30):
        error = relative(module.truncated_svd(w, rank).rebuild(), w)
        eckart_young = (singular[rank:].square().sum() / singular.square().sum()).sqrt().item()
        assert error == pytest.approx(eckart_young, rel=1e-10)


def test_tucker2_at_full_multilinear_rank_is_exact(module):
    w = random_kernel(1)
    factors = module.tucker2(w, (T, S))
    assert relative(factors.rebuild(), w) < 1e-12
    assert torch.allclose(factors.out.T @ factors.out, torch.eye(T, dtype=w.dtype), atol=1e-12)


def test_tucker2_matches_tensorlys_partial_tucker(module):
    import tensorly
    from tensorly.decomposition import partial_tucker

    w = random_kernel(2)
    ranks = (24, 12)
    ours = relative(module.tucker2(w, ranks, iterations=100).rebuild(), w)  # as many rounds as TensorLy
    (core, factors), _ = partial_tucker(w.numpy(), rank=list(ranks), modes=[0, 1], n_iter_max=100, tol=1e-12)
    theirs = tensorly.tenalg.multi_mode_dot(core, factors, modes=[0, 1])
    assert ours == pytest.approx(relative(torch.from_numpy(theirs), w), rel=1e-6)
    assert ours < relative(module.tucker2(w, ranks, iterations=0).rebuild(), w) + 1e-12  # HOOI ≥ HOSVD


def test_cp_als_recovers_a_low_cp_rank_tensor(module):
    shape, rank = (12, 8, 3, 3), 3
    x = random_cp_tensor(rank, shape, seed=3)
    factors = module.cp_als(x, rank, seed=0, iterations=2000, tolerance=0.0)
    assert relative(module.cp_rebuild(factors), x) < 1e-6


def test_cp_als_does_what_tensorlys_parafac_does_from_the_same_start(module):
    from tensorly.cp_tensor import CPTensor
    from tensorly.decomposition import parafac

    x = random_kernel(4, shape=(10, 8, 3, 3))
    rank, sweeps = 6, 5
    start = module._svd_init(x, rank, seed=0)
    ours = module.cp_rebuild(module.cp_als(x, rank, seed=0, iterations=sweeps, tolerance=-1.0, init=start))
    init = CPTensor((np.ones(rank), [f.numpy().copy() for f in start]))
    weights, factors = parafac(x.numpy(), rank, n_iter_max=sweeps, init=init, tol=0, normalize_factors=False)
    theirs = torch.einsum("r,ar,br,cr,dr->abcd", torch.from_numpy(weights), *map(torch.from_numpy, factors))
    assert relative(ours, theirs) < 1e-8
    assert relative(ours, x) < relative(module.cp_rebuild(start), x)  # and ALS did improve on the start


def test_the_cheap_cp_error_is_the_explicit_one(module):
    x = random_kernel(5, shape=(9, 7, 3, 3))
    factors = [f / f.norm(dim=0) for f in module._svd_init(x, 4, seed=1)]
    weights = torch.tensor([2.0, -0.5, 1.5, 0.25], dtype=torch.float64)
    mttkrp = torch.einsum(module._MTTKRP[3], x, *factors[:3])
    gram = factors[0].T @ factors[0] * (factors[1].T @ factors[1]) * (factors[2].T @ factors[2])
    gram = gram * (factors[3].T @ factors[3])
    cheap = module._relative_error(x.square().sum(), mttkrp, factors[3], weights, gram)
    explicit = relative(module.cp_rebuild([factors[0] * weights, *factors[1:]]), x)
    assert cheap == pytest.approx(explicit, rel=1e-9)


# -- the factorised layers ----------------------------------------------------------------------


def factorisations(module) -> dict:
    w = random_kernel(6)
    return {
        "svd": module.truncated_svd(w, 9),
        "tucker": module.tucker2(w, (10, 5)),
        "cp": module.CPFactors(*module.cp_als(w, 7, seed=0, iterations=3)),
    }


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("side", [4, 8])
def test_the_factorised_layer_computes_the_convolution_with_the_rebuilt_kernel(module, method, side):
    factors = factorisations(module)[method]
    bias = torch.randn(T, generator=torch.Generator().manual_seed(7))
    x = torch.randn(5, S, side, side, generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        layered = module.as_layers(factors, bias)(x)
        direct = F.conv2d(x, factors.rebuild().float(), bias, padding=K // 2)
    assert layered.shape == direct.shape == (5, T, side, side)
    torch.testing.assert_close(layered, direct, rtol=1e-4, atol=1e-4)


def test_a_swapped_in_factorisation_at_full_rank_leaves_the_network_unchanged(module):
    original = module.network(0).eval()
    weight = original[module.COMPRESSED].weight.detach().double()
    x = torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(9))
    for factors in (module.truncated_svd(weight, T), module.tucker2(weight, (T, S))):
        swapped = module.compressed_network(original, factors)
        with torch.no_grad():
            torch.testing.assert_close(swapped(x), original(x), rtol=1e-4, atol=1e-5)
    assert original[module.COMPRESSED].weight.shape == (T, S, K, K)  # the original is untouched


@pytest.mark.parametrize("method", METHODS)
def test_weight_counts_match_the_built_layers(module, method):
    """The formulas the budgets use against the weights the built layers really hold (+ the bias)."""
    count = {"svd": module.svd_weights, "tucker": module.tucker_weights, "cp": module.cp_weights}[method]
    rank = {"svd": 9, "tucker": (10, 5), "cp": 7}[method]  # the ranks ``factorisations`` uses
    layer = module.as_layers(factorisations(module)[method], torch.zeros(T))
    assert module.parameter_count(layer) == count(rank, T, S) + T


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("budget", BUDGETS)
def test_ranks_for_a_budget_are_the_largest_that_fit(module, method, budget):
    rank = module.ranks_for_budget(method, budget, T, S)
    limit = budget * KERNEL_WEIGHTS
    if method == "tucker":
        r_out, r_in = rank
        assert r_out == 2 * r_in
        assert (
            module.tucker_weights(rank, T, S) <= limit < module.tucker_weights((2 * r_in + 2, r_in + 1), T, S)
        )
    else:
        count = module.svd_weights if method == "svd" else module.cp_weights
        assert count(rank, T, S) <= limit < count(rank + 1, T, S)


def test_the_networks_weight_count(module):
    net = module.network(0)
    assert module.parameter_count(net) == 19_466
    assert module.parameter_count(net[module.COMPRESSED]) == KERNEL_WEIGHTS + T
