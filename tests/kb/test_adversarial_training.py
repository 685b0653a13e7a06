"""The adversarial training experiment: its CI size through the entry point, the properties its
conclusions rest on (robust accuracy never above clean, PGD at ε = 0 is no attack, PGD at least
as strong as FGSM, adversarial training more robust than standard), and the attacks themselves
(perturbations inside the ε-ball and the pixel range, FGSM exact on a linear model)."""

from __future__ import annotations

import pytest
import torch
from support.declared import assert_reports_its_metrics

EXPERIMENT = "adversarial_training"  # the spec, entry and module fixtures (conftest) load it
METHODS = ["standard", "fgsm", "pgd"]
EPSILONS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25]
SIZE_KNOBS = {"ci": (20, 10, 2), "full": (300, 50, 10)}  # epochs, eval_steps, restarts
ACCURACIES = ("clean_accuracy", "robust_accuracy", "fgsm_accuracy")
ROUNDING = 1e-6  # float32 rounding of x ± ε, well below any pixel step


def value(metric) -> float:
    return metric.value if hasattr(metric, "value") else metric


def test_sizes_share_the_grid_and_differ_in_the_size_knobs(spec):
    for size, (epochs, steps, restarts) in SIZE_KNOBS.items():
        points = spec.points(size)
        assert [(p["method"], p["eps"]) for p in points] == [(m, e) for m in METHODS for e in EPSILONS]
        assert {(p["epochs"], p["eval_steps"], p["restarts"]) for p in points} == {(epochs, steps, restarts)}
    assert spec.device == "cpu"


def test_the_module_trains_for_the_declared_radius(module):
    assert module.TRAIN_EPS in EPSILONS
    assert tuple(METHODS) == module.METHODS


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(METHODS) * len(EPSILONS)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)
        for name in ACCURACIES:
            assert 0 <= metrics[name].low <= metrics[name].value <= metrics[name].high <= 1, (point, name)
            assert metrics[name].reps == 5, (point, name)


def ci(ci_results, method: str, eps: float) -> dict:
    return next(m for point, m in ci_results.items() if point[:2] == (method, eps))


def test_robust_accuracy_never_exceeds_clean_accuracy(ci_results):
    for point, metrics in ci_results.items():
        clean = metrics["clean_accuracy"]
        for name in ("robust_accuracy", "fgsm_accuracy"):
            attacked = metrics[name]  # per seed at most clean, so every order statistic is too
            assert attacked.low <= clean.low, (point, name)
            assert attacked.value <= clean.value, (point, name)
            assert attacked.high <= clean.high, (point, name)


def test_attacks_at_zero_radius_leave_the_clean_accuracy(ci_results):
    for method in METHODS:
        metrics = ci(ci_results, method, 0.0)
        assert metrics["robust_accuracy"] == metrics["clean_accuracy"], method
        assert metrics["fgsm_accuracy"] == metrics["clean_accuracy"], method


def test_pgd_is_at_least_as_strong_as_fgsm_on_every_trained_model(ci_results):
    for point, metrics in ci_results.items():
        assert value(metrics["robust_accuracy"]) <= value(metrics["fgsm_accuracy"]), point


def test_robust_accuracy_falls_as_the_radius_grows(ci_results):
    for method in METHODS:
        curve = [value(ci(ci_results, method, eps)["robust_accuracy"]) for eps in EPSILONS]
        assert curve == sorted(curve, reverse=True), (method, curve)
        assert curve[-1] < curve[0] / 2, (method, curve)  # the largest ε really hurts


def test_adversarial_training_beats_standard_training_at_the_training_radius(module, ci_results):
    standard = ci(ci_results, "standard", module.TRAIN_EPS)["robust_accuracy"]
    for method in ("fgsm", "pgd"):
        defended = ci(ci_results, method, module.TRAIN_EPS)["robust_accuracy"]
        assert defended.low > standard.high, (method, defended, standard)  # beyond the spread


def test_cost_counts_and_the_clean_and_time_metrics_belong_to_the_model_not_to_eps(ci_results):
    for method, passes in zip(METHODS, (1, 2, 8), strict=True):
        rows = [ci(ci_results, method, eps) for eps in EPSILONS]
        assert {row["gradient_passes"] for row in rows} == {passes}
        assert len({row["clean_accuracy"] for row in rows}) == 1
        assert len({row["train_time"] for row in rows}) == 1
        assert all(row["train_time"].value > 0 for row in rows)
    assert ci(ci_results, "standard", 0.0)["time_ratio"].value == 1.0


# -- the attacks ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_batch(module):
    split = module.digits()
    return split.test_x[:200], split.test_y[:200]


@pytest.fixture(scope="module")
def small_model(module):
    return module.trained("standard", 20, 0).model


def attacks(module, eps: float):
    return [module.fgsm(eps), module.pgd(eps, steps=5), module.pgd(eps, steps=20, restarts=3)]


@pytest.mark.parametrize("eps", [0.0, 0.03, 0.1, 0.25])
def test_perturbed_images_stay_in_the_ball_and_the_pixel_range(module, small_model, test_batch, eps):
    x, y = test_batch
    generator = torch.Generator().manual_seed(0)
    for attack in attacks(module, eps):
        x_adv = module.perturb(small_model, x, y, attack, generator)
        assert x_adv.shape == x.shape and not x_adv.requires_grad
        assert (x_adv - x).abs().max().item() <= eps + ROUNDING, attack
        assert x_adv.min().item() >= 0.0 and x_adv.max().item() <= 1.0, attack
        if eps > 0:
            assert (x_adv != x).any(), attack  # the attack did move something


def test_projection_is_the_identity_inside_and_clamps_outside(module):
    x = torch.tensor([0.0, 0.5, 1.0, 0.95, 0.02])
    inside = torch.tensor([0.05, 0.45, 0.9, 1.0, 0.0])
    assert torch.equal(module.project(inside, x, 0.1), inside)
    outside = torch.tensor([-0.5, 0.9, 2.0, 0.0, 0.5])
    expected = torch.tensor([0.0, 0.6, 1.0, 0.85, 0.12])
    torch.testing.assert_close(module.project(outside, x, 0.1), expected)


def test_pgd_at_zero_radius_returns_the_clean_images_exactly(module, small_model, test_batch):
    x, y = test_batch
    x_adv = module.perturb(small_model, x, y, module.pgd(0.0, steps=10), torch.Generator().manual_seed(0))
    assert torch.equal(x_adv, x)


class TwoClassLinear(torch.nn.Module):
    """Logits (w·x, 0): the cross-entropy grows with −(w·x) for class 0, so on an L∞ ball that
    the pixel range does not cut, its maximum is at x − ε · sign(w), where w·x falls by ε‖w‖₁."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = x @ self.w
        return torch.stack([score, torch.zeros_like(score)], dim=1)


def test_fgsm_is_the_exact_maximiser_for_a_linear_model(module):
    generator = torch.Generator().manual_seed(3)
    w = torch.randn(64, generator=generator)
    x = 0.3 + 0.4 * torch.rand(8, 64, generator=generator)  # far enough from 0 and 1 for ε = 0.1
    y = torch.zeros(8, dtype=torch.int64)
    model, eps = TwoClassLinear(w), 0.1
    x_adv = module.perturb(model, x, y, module.fgsm(eps), generator)
    torch.testing.assert_close(x_adv, x - eps * w.sign())
    torch.testing.assert_close(x_adv @ w, x @ w - eps * w.abs().sum())
    # PGD from random starts can reach the same corner but never beyond it
    x_pgd = module.perturb(model, x, y, module.pgd(eps, steps=20), generator)
    assert ((x_pgd @ w) >= (x_adv @ w) - 1e-4).all()


def test_robust_correctness_requires_the_clean_image_to_be_correct(module, small_model, test_batch):
    x, y = test_batch
    clean = small_model(x).argmax(dim=1) == y
    robust = module.robust_correct(
        small_model, x, y, module.pgd(0.1, steps=10, restarts=2), torch.Generator().manual_seed(0)
    )
    assert not (robust & ~clean).any()
    assert robust.sum() < clean.sum()  # ε = 0.1 fools a standard network on some images


def test_gradient_passes_count_the_attack_steps_plus_the_update(module):
    assert [module.gradient_passes_per_step(m) for m in METHODS] == [1, 2, 1 + module.PGD_TRAIN_STEPS]
    assert module.pgd(0.1, steps=50, restarts=10).gradient_passes == 500
    assert module.fgsm(0.1).step_size == 0.1
    assert module.pgd(0.1, steps=7).step_size == pytest.approx(2.5 * 0.1 / 7)


def test_training_is_deterministic_given_its_seed(module):
    """The experiment trains each (method, seed) once and reuses it for every ε: that is only
    the same as retraining if training repeats exactly."""
    first, second = module.train("pgd", 2, 1).model, module.train("pgd", 2, 1).model
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    other = module.train("pgd", 2, 2).model
    assert not torch.equal(next(first.parameters()), next(other.parameters()))
