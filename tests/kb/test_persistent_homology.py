"""The persistent homology experiment: its CI size through the entry point, the Betti numbers
its counting rule must recover on shapes of known topology, the invariances its summaries rest
on (rotation, translation, scale), a barcode computed by hand, and the layers it reads out of
the network."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from ripser import ripser
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness, Measurement

EXPERIMENT = "persistent_homology"  # the spec, entry and module fixtures (conftest) load it
SHAPES = ["circle", "two_circles", "torus"]
NOISE = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
LAYERS = [0, 1, 2, 3, 4, 5]
SHAPE_ONLY = {"betti_correct", "h1_weakest_true", "h1_strongest_false", "h0_strongest_false"}
SIZE_KNOBS = {
    "ci": ({"circle": 60, "two_circles": 120, "torus": 120}, 2),
    "full": ({"circle": 200, "two_circles": 400, "torus": 400}, 30),
}


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    """The CI points' metrics: shapes keyed by (cloud, noise), layers by (layer, epochs)."""
    bench = Harness("cpu")
    results = {}
    for p in spec.points("ci"):
        key = (p["cloud"], p["noise"]) if "cloud" in p else (p["layer"], p["epochs"])
        results[key] = entry(p, bench)
    return results


def value(metric) -> float:
    return metric.value if isinstance(metric, Measurement) else metric


# -- the declaration and the CI run ---------------------------------------------------------------


@pytest.mark.parametrize("size", ["ci", "full"])
def test_sizes_share_the_points_and_differ_in_the_size_knobs(spec, size):
    samples, trained_epochs = SIZE_KNOBS[size]
    points = spec.points(size)
    expected = [{"cloud": c, "noise": s, "samples": samples[c]} for c in SHAPES for s in NOISE]
    expected += [{"layer": layer, "epochs": epochs} for epochs in (0, trained_epochs) for layer in LAYERS]
    assert points == expected
    assert spec.device == "cpu"


def test_full_is_the_declared_grid(spec):
    assert spec.points("full") == spec.points()


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(SHAPES) * len(NOISE) + 2 * len(LAYERS)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)
        is_shape = isinstance(point[0], str)
        for name in SHAPE_ONLY:
            assert (metrics[name] is None) != is_shape, (point, name)
        assert (metrics["test_accuracy"] is None) == is_shape, point


def test_noiseless_circles_are_counted_right_on_every_seed_even_at_the_ci_size(ci_results):
    for cloud in ("circle", "two_circles"):
        metrics = ci_results[(cloud, 0.0)]
        assert metrics["betti_correct"] == 1.0, cloud
        assert value(metrics["h1_strongest_false"]) < 0.25 < value(metrics["h1_weakest_true"]), cloud


def test_noise_shortens_every_true_loop(ci_results):
    """The same positions and noise directions at every level: the median weakest true loop
    falls as σ grows, and at the largest σ no shape's count is right on any seed."""
    for cloud in SHAPES:
        loops = [value(ci_results[(cloud, s)]["h1_weakest_true"]) for s in NOISE]
        assert all(a > b for a, b in itertools.pairwise(loops)), (cloud, loops)
        assert ci_results[(cloud, 0.3)]["betti_correct"] == 0.0, cloud


def test_shape_fractions_are_shares_of_seeds(ci_results):
    for cloud in SHAPES:
        for s in NOISE:
            share = ci_results[(cloud, s)]["betti_correct"]
            assert share * 5 == pytest.approx(round(share * 5)), (cloud, s, share)


def test_trained_classifier_is_well_above_chance_and_the_untrained_one_is_not(ci_results):
    trained, untrained = ci_results[(0, 2)]["test_accuracy"], ci_results[(0, 0)]["test_accuracy"]
    assert trained.value > 0.3, trained  # chance is 0.1
    assert untrained.value < 0.25, untrained
    for layer in LAYERS:  # every layer point of a network reports the same accuracy
        assert ci_results[(layer, 2)]["test_accuracy"] == trained


def test_layer_zero_is_the_pixels_whatever_the_training(ci_results):
    for name in ("h0_bars", "h1_bars", "h1_top", "h0_total", "h1_total"):
        pixels = ci_results[(0, 0)][name]
        assert pixels == ci_results[(0, 2)][name], name
        assert pixels.low == pixels.high, name  # the pixels do not depend on the seed


# -- the counting rule on shapes of known topology -------------------------------------------------


def counts(module, cloud: str, samples: int, noise: float = 0.0, seed: int = 0) -> tuple[int, int]:
    code = module.barcode(module.noisy_sample(cloud, samples, noise, seed))
    return code.long_lived(0), code.long_lived(1)


@pytest.mark.parametrize("seed", [0, 7])
def test_noiseless_circle_has_one_component_and_one_loop(module, seed):
    assert counts(module, "circle", 200, seed=seed) == (1, 1)


def test_circle_loop_lives_at_least_until_root_three_radii(module):
    """No Rips triangle holds the centre until its longest side reaches √3 r, so the loop
    cannot die before that (the argument in the page's What to expect)."""
    cloud = module.noisy_sample("circle", 200, 0.0, 0)
    deaths = ripser(cloud, maxdim=1)["dgms"][1][:, 1]
    assert deaths.max() >= math.sqrt(3) * module.RADIUS * (1 - 1e-6)


def test_two_separated_circles_have_two_components_and_two_loops(module):
    assert counts(module, "two_circles", 400) == (2, 2)


def test_flat_torus_has_one_component_and_two_loops(module):
    assert counts(module, "torus", 400) == (1, 2)


def test_heavy_noise_loses_the_circle(module):
    assert counts(module, "circle", 200, noise=0.5) == (1, 0)


def test_noise_levels_share_positions_and_directions(module):
    clean = module.noisy_sample("torus", 50, 0.0, 3)
    small, large = module.noisy_sample("torus", 50, 0.1, 3), module.noisy_sample("torus", 50, 0.2, 3)
    np.testing.assert_allclose(large - clean, 2 * (small - clean), atol=1e-12)


# -- invariances and a barcode by hand -------------------------------------------------------------


def random_rotation(dim: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))  # a uniformly random orthogonal matrix


def significant(bars: np.ndarray, diameter: float) -> np.ndarray:
    """Bars longer than a millionth of the diameter: rounding can make or drop shorter ones."""
    return bars[bars > 1e-6 * diameter]


@pytest.mark.parametrize("cloud", ["two_circles", "torus"])
def test_persistence_is_invariant_to_rotating_and_moving_the_cloud(module, cloud):
    points = module.noisy_sample(cloud, 150, 0.1, 1)
    moved = points @ random_rotation(points.shape[1], 2) + 5.0
    a, b = module.barcode(points), module.barcode(moved)
    assert b.diameter == pytest.approx(a.diameter, rel=1e-9)
    for dim in (0, 1):
        first, second = significant(a.bars(dim), a.diameter), significant(b.bars(dim), b.diameter)
        assert len(first) == len(second) and len(first) > 5, dim
        np.testing.assert_allclose(second, first, rtol=1e-5, atol=1e-6 * a.diameter)
        assert a.long_lived(dim) == b.long_lived(dim)


def test_summaries_do_not_depend_on_the_cloud_s_scale(module):
    points = module.noisy_sample("two_circles", 120, 0.1, 4)
    a, b = module.barcode(points), module.barcode(7.5 * points)
    for dim in (0, 1):
        assert a.long_lived(dim) == b.long_lived(dim)
        assert a.total(dim) == pytest.approx(b.total(dim), rel=1e-5)
        assert a.relative(dim, 2) == pytest.approx(b.relative(dim, 2), rel=1e-5)


def test_unit_square_barcode_by_hand(module):
    """Four corners of the unit square: three components die at 1, the loop is born at 1 and
    filled at the diagonal √2, which is also the diameter."""
    code = module.barcode(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]))
    root2 = math.sqrt(2)
    assert code.diameter == pytest.approx(root2)
    np.testing.assert_allclose(code.h0, [math.inf, 1, 1, 1], rtol=1e-6)
    np.testing.assert_allclose(code.h1, [root2 - 1], rtol=1e-6)
    assert code.total(0) == pytest.approx(3 / root2, rel=1e-6)
    assert code.relative(1, 1) == pytest.approx((root2 - 1) / root2, rel=1e-6)
    assert code.relative(1, 2) == 0.0  # there is no second loop
    assert code.long_lived(0) == 4  # 1/√2 of the diameter each, above a quarter
    assert code.long_lived(1) == 1  # (√2 − 1)/√2 ≈ 0.29 of the diameter, above a quarter


def test_shape_summary_reads_the_right_ranks(module):
    code = module.Barcode(np.array([math.inf, 3.0, 0.5]), np.array([4.0, 2.0, 1.0]), diameter=10.0)
    summary = module.shape_summary(code, (1, 2))
    assert summary["h0_bars"] == 2 and summary["h1_bars"] == 1  # 3 and 4 exceed 2.5; 2 does not
    assert summary["betti_correct"] == 0.0
    assert (
        summary["h1_top"] == 0.4
        and summary["h1_weakest_true"] == 0.2
        and summary["h1_strongest_false"] == 0.1
    )
    assert summary["h0_strongest_false"] == 0.3
    assert summary["h0_total"] == pytest.approx(0.35) and summary["h1_total"] == pytest.approx(0.7)


# -- the network's layers --------------------------------------------------------------------------


def test_layer_outputs_are_pixels_tanh_layers_and_logits(module):
    model = module.mlp(module.HIDDEN, 0, module.LAYERS)
    x = torch.rand(5, 64)
    outputs = module.layer_outputs(model, x)
    assert len(outputs) == module.LAYERS + 2
    assert torch.equal(outputs[0], x)
    assert all(out.shape == (5, module.HIDDEN) and out.abs().max() < 1 for out in outputs[1:-1])
    with torch.no_grad():
        torch.testing.assert_close(outputs[-1], model(x))


def test_a_missing_layer_is_refused(entry):
    with pytest.raises(ValueError, match="layer 9"):
        entry({"layer": 9, "epochs": 0}, Harness("cpu"))
