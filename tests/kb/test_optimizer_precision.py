"""The optimiser precision experiment: its CI size through the entry point, and the properties
its conclusions rest on (unbiased stochastic rounding, swamping at tiny learning rates, the
Kahan buffer, and the hand-written AdamW against torch's)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "optimizer_precision"  # the spec, entry and module fixtures (conftest) load it
SCHEMES = ["float32", "bfloat16", "master_fp32", "stochastic", "kahan"]
LEARNING_RATES = [1e-2, 1e-3, 1e-4, 1e-5]
ALL_LOW_BITS = torch.arange(1 << 16, dtype=torch.int32)

# float32 values that probe the rounding: ordinary values of both signs, bfloat16 values
# themselves, the top of a binade (where rounding up changes the exponent) and subnormals
PROBES = [
    1.0,
    -1.0,
    1.1,
    -1.1,
    0.3,
    -2.7182817,
    1.9999999,
    -1.9999999,
    3.0e-3,
    1e-40,
    -1e-40,
    123456.79,
    2.0**20 + 2.0**12,
    1.0 + 2.0**-8,
]


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {(p["scheme"], p["lr"]): entry(p, bench) for p in spec.points("ci")}


def test_sizes_share_the_grid_and_differ_in_steps(spec):
    for size, steps in (("ci", 300), ("full", 20000)):
        points = spec.points(size)
        assert {p["steps"] for p in points} == {steps}
        assert [(p["scheme"], p["lr"]) for p in points] == [(s, lr) for s in SCHEMES for lr in LEARNING_RATES]
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(SCHEMES) * len(LEARNING_RATES)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)
        assert 0 <= metrics["lost_updates"] <= 1 and 0 <= metrics["lost_update_mass"] <= 1, point


def test_float32_is_its_own_yardstick(ci_results):
    for lr in LEARNING_RATES:
        metrics = ci_results[("float32", lr)]
        assert metrics["loss_ratio"] == 1.0 and metrics["weight_gap"] == 0.0


def test_kahan_tracks_float32_far_more_closely_than_plain_bfloat16(ci_results):
    for lr in (1e-3, 1e-4):
        kahan, plain = ci_results[("kahan", lr)]["weight_gap"], ci_results[("bfloat16", lr)]["weight_gap"]
        assert kahan < 0.1 * plain, (lr, kahan, plain)
        assert plain > 0.5, (lr, plain)  # plain bfloat16 misses most of the float32 trajectory


@pytest.mark.parametrize(
    ("scheme", "low", "high"), [("bfloat16", 0.99, 1.0), ("master_fp32", 0.0, 0.0), ("float32", 0.0, 0.0)]
)
def test_tiny_learning_rate_is_swallowed_by_bfloat16_only(entry, scheme, low, high):
    metrics = entry({"scheme": scheme, "lr": 1e-6, "steps": 50}, Harness("cpu"))
    assert low <= metrics["lost_updates"] <= high, metrics
    assert low <= metrics["lost_update_mass"] <= high, metrics


# -- stochastic rounding ------------------------------------------------------------------------


def bfloat16_neighbours(x: float) -> tuple[Fraction, Fraction]:
    """The bfloat16 values just below and just above x (equal when x is one), from the
    definition: 8 significant bits within x's binade, subnormal spacing 2^-133 below 2^-126."""
    exact = Fraction(x)
    if exact == 0:
        return exact, exact
    exponent = max(math.frexp(abs(x))[1] - 1, -126)  # |x| in [2^exponent, 2^(exponent+1))
    gap = Fraction(2) ** (exponent - 7)
    below = math.floor(exact / gap) * gap
    above = math.ceil(exact / gap) * gap
    return below, above


def float32(value: float) -> float:
    return torch.tensor(value, dtype=torch.float32).item()


@pytest.mark.parametrize("value", PROBES)
def test_stochastic_rounding_is_exactly_unbiased_over_all_random_bits(module, value):
    """Every one of the 2^16 random values once: the mean of the results is the float32 value."""
    x = torch.full((1 << 16,), value, dtype=torch.float32)
    rounded = module.stochastic_round(x, ALL_LOW_BITS)
    assert rounded.dtype == torch.bfloat16
    total = sum(Fraction(v) for v in rounded.double().tolist())
    assert total / (1 << 16) == Fraction(float32(value))


@pytest.mark.parametrize("value", PROBES)
def test_stochastic_rounding_returns_a_neighbour(module, value):
    x = torch.full((1 << 16,), value, dtype=torch.float32)
    results = {Fraction(v) for v in module.stochastic_round(x, ALL_LOW_BITS).double().tolist()}
    below, above = bfloat16_neighbours(float32(value))
    assert results <= {below, above}
    assert results == ({below} if below == above else {below, above})


def test_stochastic_rounding_with_the_generator_is_unbiased_on_average(module):
    """The experiment's own random bits: the sample mean is within a few standard errors."""
    generator = torch.Generator().manual_seed(1234)
    x = torch.full((200_000,), 1.1, dtype=torch.float32)  # a third of the way to the next bfloat16
    bits = module.random_low_bits(x.shape, generator)
    assert int(bits.min()) >= 0 and int(bits.max()) < 1 << 16
    rounded = module.stochastic_round(x, bits).double()
    below, above = (float(v) for v in bfloat16_neighbours(float32(1.1)))
    p = (float32(1.1) - below) / (above - below)
    standard_error = (above - below) * math.sqrt(p * (1 - p) / x.numel())
    assert abs(rounded.mean().item() - float32(1.1)) < 5 * standard_error


# -- the storage schemes and the optimiser ------------------------------------------------------


def test_small_increments_vanish_in_bfloat16_and_survive_with_compensation(module):
    """1024 additions of 2^-10 to 1.0: each is below half an ulp of 1 in bfloat16 (2^-8)."""
    start = torch.ones(4096, dtype=torch.float64)
    delta = torch.full(start.shape, 2.0**-10, dtype=torch.float32)
    stores = {name: module.SCHEMES[name](start, seed=0) for name in ("bfloat16", "kahan", "stochastic")}
    for _ in range(1024):
        for store in stores.values():
            store.apply(delta)
    assert torch.equal(stores["bfloat16"].model_weights(), torch.ones(start.shape))
    assert torch.equal(stores["kahan"].model_weights(), torch.full(start.shape, 2.0))
    # stochastic rounding: each weight random-walks around 2.0 (a spread of about ten ulps of 1),
    # but the walk is unbiased, so the mean over 4096 weights lands within a fraction of an ulp
    walked = stores["stochastic"].model_weights()
    assert walked.std() > 2.0**-7
    assert abs(walked.mean().item() - 2.0) < 2.0**-7


def test_handwritten_adamw_matches_torch(module):
    problem = module.make_problem(seeds=2)
    config = module.AdamWConfig(lr=1e-2)
    ours = module.Float32Weights(problem.w0, seed=0)
    optimiser = module.AdamW(problem.w0.shape, config)
    theirs = problem.w0.float().clone().requires_grad_(True)
    reference = torch.optim.AdamW(
        [theirs],
        lr=config.lr,
        betas=(config.beta1, config.beta2),
        eps=config.eps,
        weight_decay=config.weight_decay,
    )
    for _ in range(100):
        w = ours.model_weights()
        ours.apply(optimiser.update(problem.gradient(w), w))
        theirs.grad = problem.gradient(theirs.detach())
        reference.step()
    assert (theirs.detach() - problem.w0.float()).abs().mean() > 0.1  # both really trained
    torch.testing.assert_close(ours.model_weights(), theirs.detach(), rtol=0, atol=1e-5)
