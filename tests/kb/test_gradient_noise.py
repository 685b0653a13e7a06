"""The gradient noise experiment: its CI size through the entry point, and the pieces its
conclusions rest on (the power iteration's eigenvalue, the injected noise's variance, a zero
noise level reproducing plain SGD bit for bit, and SGD's own noise temperature)."""

from __future__ import annotations

import math

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "gradient_noise"  # the spec, entry and module fixtures (conftest) load it
VARIANTS = [
    "sgd",
    "langevin_1e-5",
    "langevin_1e-4",
    "langevin_1e-3",
    "langevin_4e-3",
    "annealed_0.01",
    "annealed_0.3",
    "annealed_1.0",
]
SIZES = {"ci": (2, 20), "full": (300, 100)}  # (epochs, power iterations)
ACCURACIES = ("test_accuracy", "train_accuracy")
TEMPERATURES = ("sgd_temperature", "sgd_temperature_start", "injected_temperature")


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {p["variant"]: entry(p, bench) for p in spec.points("ci")}


def test_sizes_share_the_grid_and_differ_only_in_epochs_and_power_iterations(spec):
    for size, (epochs, iterations) in SIZES.items():
        points = spec.points(size)
        assert [p["variant"] for p in points] == VARIANTS
        assert all(p["epochs"] == epochs and p["power_iterations"] == iterations for p in points)
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert list(ci_results) == VARIANTS
    for variant, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, variant)
        for name in ACCURACIES:
            m = metrics[name]
            assert 0 <= m.low <= m.value <= m.high <= 1, (variant, name, m)
        assert -1 <= metrics["accuracy_gap"].value <= 1, variant
        assert metrics["sharpness"].low > 0, (variant, metrics["sharpness"])
        assert metrics["weight_drift"].low > 0, variant
        assert all(_value(metrics[name]) >= 0 for name in TEMPERATURES), variant


def _value(metric) -> float:
    return metric if isinstance(metric, int | float) else metric.value


def test_injected_temperature_is_the_stated_formula(module, ci_results):
    epochs, _ = SIZES["ci"]
    last_step = epochs * module.steps_per_epoch(len(module.training_data().train_y)) - 1
    lr, gamma = module.LEARNING_RATE, module.GAMMA
    assert ci_results["sgd"]["injected_temperature"] == 0
    for name, temperature in (("langevin_1e-5", 1e-5), ("langevin_1e-3", 1e-3), ("langevin_4e-3", 4e-3)):
        assert ci_results[name]["injected_temperature"] == pytest.approx(temperature, rel=1e-12)
    for name, a in (("annealed_0.01", 0.01), ("annealed_0.3", 0.3), ("annealed_1.0", 1.0)):
        expected = lr * a / (1 + last_step) ** gamma / 2
        assert ci_results[name]["injected_temperature"] == pytest.approx(expected, rel=1e-12)


def test_sgd_noise_at_the_start_depends_on_the_seed_alone(ci_results):
    """The initial weights are the seed's, whatever noise follows, so every variant reports the
    same starting temperature; the noise only acts once training starts."""
    starts = {ci_results[v]["sgd_temperature_start"] for v in VARIANTS}
    assert len(starts) == 1
    assert next(iter(starts)).value > 0


def test_the_largest_langevin_temperature_is_welling_and_tehs_posterior(module, spec):
    """T = 1/N turns the summed negative log likelihood N·L into L/T: their SGLD at temperature 1."""
    n = len(module.training_data().train_y)
    assert n == 250
    temperatures = [
        module.parse_variant(p["variant"]).level for p in spec.points("full") if "langevin" in p["variant"]
    ]
    assert max(temperatures) == pytest.approx(1 / n, rel=1e-12)


# -- the noise ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "level"),
    [("sgd", "sgd", 0.0), ("langevin_1e-4", "langevin", 1e-4), ("annealed_0.3", "annealed", 0.3)],
)
def test_variant_names_parse(module, name, kind, level):
    assert module.parse_variant(name) == module.Noise(kind, level)


@pytest.mark.parametrize("name", ["adam", "langevin", "langevin_", "annealed"])
def test_unknown_variant_names_are_refused(module, name):
    with pytest.raises(ValueError, match="unknown variant"):
        module.parse_variant(name)


def _one_noisy_step(module, noise, step: int, lr: float = 0.1, size: int = 400_000) -> torch.Tensor:
    """The displacement of one step on zero gradients: the injected noise alone."""
    weights = torch.zeros(size)
    weights.grad = torch.zeros(size)
    module.sgd_step([weights], lr, noise, step, torch.Generator().manual_seed(7))
    return weights


@pytest.mark.parametrize("temperature", [1e-4, 4e-3])
def test_langevin_noise_has_variance_two_eta_t(module, temperature):
    moved = _one_noisy_step(module, module.Noise("langevin", temperature), step=0)
    # the sample variance of 400,000 normals is within 1% of the true one (sd ≈ 0.22%)
    assert moved.var().item() == pytest.approx(2 * 0.1 * temperature, rel=0.01)
    assert abs(moved.mean().item()) < 5 * math.sqrt(2 * 0.1 * temperature / moved.numel())


@pytest.mark.parametrize(("a", "step"), [(1.0, 0), (0.3, 99), (0.01, 4799)])
def test_gradient_noise_has_variance_eta_squared_a_over_1_plus_t_to_the_gamma(module, a, step):
    moved = _one_noisy_step(module, module.Noise("annealed", a), step=step)
    expected = 0.1**2 * a / (1 + step) ** module.GAMMA
    assert moved.var().item() == pytest.approx(expected, rel=0.01)


def test_the_temperature_scale_puts_both_noises_on_langevins(module):
    """At η = 0.1, gradient noise of variance σ² is Langevin noise at T = ησ²/2."""
    assert module.Noise("langevin", 3e-4).temperature(0.1, step=10) == pytest.approx(3e-4)
    annealed = module.Noise("annealed", 0.3)
    sigma2 = 0.3 / 11**module.GAMMA
    assert annealed.temperature(0.1, step=10) == pytest.approx(0.1 * sigma2 / 2)
    assert module.Noise("sgd").temperature(0.1, step=10) == 0


@pytest.mark.parametrize("variant", ["langevin_0", "annealed_0"])
def test_a_zero_noise_level_reproduces_plain_sgd_exactly(module, variant):
    data = module.training_data()
    plain = module.train(module.Noise("sgd"), epochs=3, seed=1, data=data)
    zero = module.train(module.parse_variant(variant), epochs=3, seed=1, data=data)
    for p, q in zip(plain.parameters(), zero.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("variant", ["langevin_1e-5", "annealed_0.01"])
def test_a_non_zero_noise_level_changes_the_weights(module, variant):
    """The counterpart of the test above: the comparison can fail."""
    data = module.training_data()
    plain = module.train(module.Noise("sgd"), epochs=1, seed=1, data=data)
    noisy = module.train(module.parse_variant(variant), epochs=1, seed=1, data=data)
    assert not all(torch.equal(p, q) for p, q in zip(plain.parameters(), noisy.parameters(), strict=True))


# -- power iteration -----------------------------------------------------------------------------


def _symmetric(eigenvalues: list[float], seed: int = 3) -> torch.Tensor:
    """Q diag(λ) Qᵀ with a random orthogonal Q."""
    generator = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(
        torch.randn(len(eigenvalues), len(eigenvalues), generator=generator, dtype=torch.float64)
    )
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T


def test_power_iteration_recovers_the_top_eigenvalue_of_a_quadratic_loss(module):
    """L(w) = ½ wᵀAw has Hessian A everywhere; the Hessian-vector product must find A's top."""
    eigenvalues = [5.0, 3.0, 2.0, 1.0, 0.5, 0.1, 0.0, 0.0]
    a = _symmetric(eigenvalues)
    hvp = module.hessian_vector_product(
        lambda w: 0.5 * w @ a @ w, torch.ones(len(eigenvalues), dtype=torch.float64)
    )
    v = torch.randn(len(eigenvalues), dtype=torch.float64)
    torch.testing.assert_close(hvp(v), a @ v)
    top = module.largest_eigenvalue(hvp, len(eigenvalues), iterations=100)
    assert top.value == pytest.approx(5.0, rel=1e-12)
    assert top.residual < 1e-8


def test_power_iteration_residual_bounds_the_error_when_not_converged(module):
    """Close top eigenvalues and few steps: the estimate is off, but by no more than the residual."""
    eigenvalues = [5.0, 4.9, 4.8, 1.0, 0.5]
    a = _symmetric(eigenvalues)
    rough = module.power_iteration(lambda v: a @ v, len(eigenvalues), iterations=3)
    nearest = min(abs(rough.value - lam) for lam in eigenvalues)
    assert nearest <= rough.residual * abs(rough.value)


def test_a_dominant_negative_eigenvalue_is_shifted_away(module):
    """Power iteration alone finds −6, the largest magnitude; the largest eigenvalue is 5."""
    a = _symmetric([-6.0, 5.0, 2.0, -1.0, 0.3])
    assert module.power_iteration(lambda v: a @ v, 5, iterations=300).value == pytest.approx(-6.0, rel=1e-9)
    top = module.largest_eigenvalue(lambda v: a @ v, 5, iterations=300)
    assert top.value == pytest.approx(5.0, rel=1e-9)
    assert top.residual < 1e-6


def test_sharpness_of_a_small_network_matches_the_full_hessian(module):
    """A 64 → 3 → 10 network on 40 training images: 235 weights, so the Hessian can be formed."""
    data = module.training_data()
    x, y = data.train_x[:40], data.train_y[:40]
    model = module.mlp(3, seed=2)
    flat = module.FlatModel(model)
    hessian = torch.autograd.functional.hessian(lambda w: flat.loss(w, x, y), flat.weights, vectorize=True)
    torch.testing.assert_close(hessian, hessian.T)
    expected = torch.linalg.eigvalsh(hessian).max().item()
    found = module.sharpness(model, x, y, iterations=300)
    assert found.value == pytest.approx(expected, rel=1e-6)


# -- SGD's own noise -----------------------------------------------------------------------------


def test_minibatch_covariance_trace_matches_sampling_without_replacement(module):
    generator = torch.Generator().manual_seed(5)
    n, batch, dim, draws = 20, 4, 3, 100_000
    items = torch.randn(n, dim, generator=generator, dtype=torch.float64)
    single = ((items - items.mean(dim=0)) ** 2).sum(dim=1).mean().item()
    rows = torch.rand(draws, n, generator=generator).argsort(dim=1)[:, :batch]
    means = items[rows].mean(dim=1)
    sampled = means.var(dim=0).sum().item()
    assert sampled == pytest.approx(module.minibatch_covariance_trace(single, n, batch), rel=0.02)
    assert module.minibatch_covariance_trace(single, n, n) == 0  # the full batch has no noise


def test_per_example_gradients_match_autograd_one_at_a_time(module):
    data = module.training_data()
    x, y = data.train_x[:5], data.train_y[:5]
    model = module.mlp(8, seed=0).double()
    grads = module.per_example_gradients(model, x, y)
    for i in range(5):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i : i + 1].double()), y[i : i + 1]).backward()
        expected = torch.cat([p.grad.flatten() for p in model.parameters()])
        torch.testing.assert_close(grads[i], expected)
