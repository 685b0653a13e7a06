"""The wavelet regularisation experiment: its CI size through the entry point, and the pieces its
conclusions rest on (an orthonormal Haar transform, a penalty that spares smooth filters and
charges checkerboards, stacked training that trains each copy as if alone, a validation share
carved from the training subset only)."""

from __future__ import annotations

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "wavelet_regularisation"  # the spec, entry and module fixtures (conftest) load it
FRACTIONS = [0.1, 0.3, 1.0]
METHODS = ["none", "l2", "wavelet"]
ACCURACIES = [
    "test_accuracy",
    "train_accuracy",
    "noisy_accuracy_01",
    "noisy_accuracy_02",
    "noisy_accuracy_04",
]
FRACTIONS_OF_ENERGY = ["fine_energy", "image_fine_energy"]


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {(p["fraction"], p["method"]): entry(p, bench) for p in spec.points("ci")}


def basis_images(side: int = 8) -> torch.Tensor:
    """The side² unit images, (side², side, side), float64."""
    return torch.eye(side * side, dtype=torch.float64).reshape(-1, side, side)


def checkerboard(side: int = 8) -> torch.Tensor:
    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    return 1.0 - 2.0 * ((rows + cols) % 2).double()


# -- the declaration and the CI size ------------------------------------------------------------


def test_sizes_share_the_grid_and_differ_only_in_steps(spec):
    for size in ("ci", "full"):
        points = spec.points(size)
        assert [(p["fraction"], p["method"]) for p in points] == [(f, m) for f in FRACTIONS for m in METHODS]
        assert len({p["steps"] for p in points}) == 1
    assert spec.points("ci")[0]["steps"] < spec.points("full")[0]["steps"]
    assert set(spec.sizes["ci"]) == set(spec.sizes["full"]) == {"steps"}
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(FRACTIONS) * len(METHODS)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)


def test_accuracies_and_energy_fractions_lie_in_the_unit_interval(ci_results):
    for point, metrics in ci_results.items():
        for name in ACCURACIES + FRACTIONS_OF_ENERGY:
            m = metrics[name]
            assert 0.0 <= m.low <= m.value <= m.high <= 1.0, (point, name, m)


def test_the_largest_noise_does_not_raise_accuracy_beyond_the_spread(ci_results):
    for point, metrics in ci_results.items():
        clean, noisy = metrics["test_accuracy"], metrics["noisy_accuracy_04"]
        assert noisy.value <= clean.value + max(clean.iqr, noisy.iqr), (point, clean, noisy)


def test_the_wavelet_penalty_lowers_the_fine_scale_energy_of_the_filters(ci_results):
    for fraction in FRACTIONS:
        penalised = ci_results[(fraction, "wavelet")]["fine_energy"]
        plain = ci_results[(fraction, "none")]["fine_energy"]
        assert penalised.value < plain.value, (fraction, penalised, plain)


def test_only_the_regularised_methods_choose_a_strength_and_only_from_the_grid(module, ci_results):
    for (fraction, method), metrics in ci_results.items():
        chosen = metrics["strength"]
        if method == "none":
            assert chosen is None
        else:
            assert {chosen.low, chosen.value, chosen.high} <= set(module.STRENGTHS), (fraction, method)


def test_every_method_sees_the_same_training_images(ci_results):
    for fraction in FRACTIONS:
        shares = {ci_results[(fraction, m)]["image_fine_energy"] for m in METHODS}
        assert len(shares) == 1, (fraction, shares)


# -- the Haar transform -------------------------------------------------------------------------


def test_haar_on_one_block_by_hand(module):
    approximation, details = module.haar2d(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert approximation.item() == 5.0
    assert details.flatten().tolist() == [-1.0, -2.0, 0.0]  # horizontal, vertical, diagonal


def test_haar_is_an_orthonormal_transform_of_8x8_images(module):
    """Its 64 × 64 matrix, built from the unit images, times its transpose is the identity."""
    approximation, details = module.wavelet_decompose(basis_images(), levels=3)
    columns = torch.cat([approximation.flatten(1), *(d.flatten(1) for d in details)], dim=1)
    assert columns.shape == (64, 64)
    torch.testing.assert_close(columns @ columns.T, torch.eye(64, dtype=torch.float64), rtol=0, atol=1e-12)


def test_haar_preserves_energy_and_reconstructs_exactly(module):
    x = torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    approximation, details = module.haar2d(x)
    assert approximation.shape == (16, 3, 4, 4) and details.shape == (16, 3, 3, 4, 4)
    energy = approximation.pow(2).sum() + details.pow(2).sum()
    torch.testing.assert_close(energy, x.pow(2).sum(), rtol=1e-12, atol=0)
    torch.testing.assert_close(module.inverse_haar2d(approximation, details), x, rtol=0, atol=1e-12)


def test_a_constant_filter_has_no_detail_at_any_level(module):
    approximation, details = module.wavelet_decompose(torch.full((8, 8), 0.3, dtype=torch.float64), levels=3)
    for level in details:
        assert torch.count_nonzero(level) == 0
    torch.testing.assert_close(approximation, torch.full((1, 1), 0.3 * 8, dtype=torch.float64))


# -- the penalties ------------------------------------------------------------------------------


def test_the_wavelet_penalty_spares_smooth_filters_and_charges_a_checkerboard(module):
    constant = torch.full((1, 64), 0.7, dtype=torch.float64)
    blocky = (
        torch.arange(16, dtype=torch.float64).reshape(4, 4).repeat_interleave(2, 0).repeat_interleave(2, 1)
    )
    board = checkerboard().reshape(1, 64)
    assert module.wavelet_penalty(constant).item() == 0.0
    assert module.wavelet_penalty(blocky.reshape(1, 64)).item() == 0.0  # coarse structure is free
    assert module.l2_penalty(constant).item() > 0.0
    assert module.wavelet_penalty(board).item() == 64.0 == module.l2_penalty(board).item()
    assert module.fine_energy_fraction(board) == 1.0
    assert module.fine_energy_fraction(blocky.reshape(1, 64)) == 0.0


def test_penalties_are_per_model_in_a_stack(module):
    weights = torch.randn(3, 5, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for penalty in (module.wavelet_penalty, module.l2_penalty, module.no_penalty):
        stacked = penalty(weights)
        assert stacked.shape == (3,)
        torch.testing.assert_close(stacked, torch.stack([penalty(w) for w in weights]))


def test_the_wavelet_penalty_gradient_is_twice_the_fine_scale_part(module):
    """∇ Σ details² = 2 × (the filter less its level-1 approximation, mapped back to pixels)."""
    weights = torch.randn(4, 64, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    weights.requires_grad_(True)
    (gradient,) = torch.autograd.grad(module.wavelet_penalty(weights), weights)
    approximation, details = module.haar2d(weights.detach().reshape(4, 8, 8))
    coarse = module.inverse_haar2d(approximation, torch.zeros_like(details)).reshape(4, 64)
    torch.testing.assert_close(gradient, 2 * (weights.detach() - coarse), rtol=0, atol=1e-12)


def test_random_filters_keep_three_quarters_of_their_energy_at_the_finest_scale(module):
    weights = torch.rand(512, 64, generator=torch.Generator().manual_seed(3), dtype=torch.float64) - 0.5
    assert abs(module.fine_energy_fraction(weights) - 0.75) < 0.01  # a standard error of about 0.003


# -- training and selection ---------------------------------------------------------------------


def test_the_stack_starts_as_digits_mlp(module):
    from digits import digits, mlp

    x = digits().test_x[:50]
    logits = module.stacked_logits(module.stacked_start(seed=4, copies=2), x)
    expected = mlp(module.HIDDEN, seed=4)(x)
    for copy in logits:
        torch.testing.assert_close(copy, expected)


def test_stacked_training_trains_each_copy_as_if_alone(module):
    from digits import digits

    split = digits().subset(0.1, seed=0)
    x, y = split.train_x, split.train_y
    together = module.train(x, y, "wavelet", (1e-3, 1e-1), steps=15, seed=0)
    for strength, model in zip((1e-3, 1e-1), together, strict=True):
        (alone,) = module.train(x, y, "wavelet", (strength,), steps=15, seed=0)
        for a, b in zip(model.parameters(), alone.parameters(), strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    first, strong = (m[0].weight.detach() for m in together)
    assert module.fine_energy_fraction(strong) < module.fine_energy_fraction(first)


def test_the_validation_share_is_carved_from_the_training_subset_by_class(module):
    from digits import CLASSES, digits

    split = digits().subset(0.1, seed=3)
    carve = module.carve_validation(split.train_x, split.train_y, module.VALIDATION_SHARE, seed=3)
    assert len(carve.fit_y) + len(carve.val_y) == len(split.train_y)
    for part in (carve.fit_y, carve.val_y):
        assert set(part.tolist()) == set(range(CLASSES))
    rows = {tuple(r) for r in torch.cat([carve.fit_x, carve.val_x]).tolist()}
    assert rows == {tuple(r) for r in split.train_x.tolist()}  # nothing from the test set
    again = module.carve_validation(split.train_x, split.train_y, module.VALIDATION_SHARE, seed=3)
    assert torch.equal(again.val_x, carve.val_x)


def test_no_noise_is_the_clean_accuracy_and_the_noise_is_fixed(module):
    from digits import accuracy, digits, mlp

    model, split = mlp(module.HIDDEN, seed=0), digits()
    assert module.noisy_accuracy(model, 0.0) == pytest.approx(accuracy(model, split.test_x, split.test_y))
    assert module.pixel_noise().shape == (module.NOISE_DRAWS, *split.test_x.shape)
    module.pixel_noise.cache_clear()
    first = module.pixel_noise()
    module.pixel_noise.cache_clear()
    assert torch.equal(first, module.pixel_noise())
