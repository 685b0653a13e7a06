"""The manifold learning experiment: its CI size through the entry point, and the pieces its
conclusions rest on (the geodesic ground truth of the swiss roll, continuity as swapped
trustworthiness, the short-circuit count, and Isomap unrolling the roll where PCA cannot)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from support.declared import assert_reports_its_metrics

from cortex.timing import Measurement

EXPERIMENT = "manifold_learning"  # the spec, entry and module fixtures (conftest) load it
DATASETS = ["swiss_roll", "digits"]
METHODS = ["pca", "isomap", "spectral", "tsne"]
NEIGHBOURS = [5, 8, 12, 16, 24, 40]
SIZE_KNOBS = {"roll_points", "digit_share", "tsne_iterations"}
ROLL_ONLY = {"geodesic_spearman", "geodesic_pearson"}
DIGITS_ONLY = {"knn_accuracy", "knn_accuracy_pixels"}


def value(metric):
    return metric.value if isinstance(metric, Measurement) else metric


# -- the declaration and the CI run --------------------------------------------------------------


def test_sizes_share_the_grid_and_differ_only_in_the_size_knobs(spec):
    ci, full = spec.points("ci"), spec.points("full")
    assert len(ci) == len(full) == len(DATASETS) * len(METHODS) * len(NEIGHBOURS)
    strip = [[{k: v for k, v in p.items() if k not in SIZE_KNOBS} for p in points] for points in (ci, full)]
    assert strip[0] == strip[1]
    assert strip[0] == [
        {"dataset": d, "method": m, "neighbors": k} for d in DATASETS for m in METHODS for k in NEIGHBOURS
    ]
    assert {(p["roll_points"], p["digit_share"], p["tsne_iterations"]) for p in full} == {(1000, 1.0, 1000)}
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(DATASETS) * len(METHODS) * len(NEIGHBOURS)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)


def test_each_metric_is_reported_exactly_where_it_applies(ci_results):
    for (dataset, method, *_), metrics in ci_results.items():
        reported = {name for name, v in metrics.items() if v is not None}
        expected = {"trustworthiness", "continuity", "embed_seconds"}
        expected |= ROLL_ONLY if dataset == "swiss_roll" else DIGITS_ONLY
        if dataset == "swiss_roll" and method in ("isomap", "spectral"):
            expected.add("short_circuit_edges")
        if dataset == "digits" and method in ("pca", "isomap"):
            expected.add("knn_accuracy_inductive")
        assert reported == expected, (dataset, method)


def test_ci_values_lie_in_their_ranges(ci_results):
    for point, metrics in ci_results.items():
        for name in ("trustworthiness", "continuity", "knn_accuracy", "knn_accuracy_inductive"):
            if metrics[name] is not None:
                m = metrics[name]
                assert 0 <= m.low <= m.value <= m.high <= 1, (point, name, m)
        for name in ROLL_ONLY:
            if metrics[name] is not None:
                assert -1 <= metrics[name].value <= 1, (point, name)
        assert metrics["embed_seconds"].value >= 0, point


def test_pca_and_tsne_rows_do_not_depend_on_the_graph_size(ci_results):
    for (dataset, method, neighbours, *rest), metrics in ci_results.items():
        if method in ("pca", "tsne"):
            assert metrics == ci_results[(dataset, method, NEIGHBOURS[0], *rest)], (
                dataset,
                method,
                neighbours,
            )


def test_pca_on_the_fixed_digits_is_the_same_for_every_seed(ci_results):
    metrics = next(m for (d, meth, *_), m in ci_results.items() if d == "digits" and meth == "pca")
    for name in ("trustworthiness", "continuity", "knn_accuracy", "knn_accuracy_inductive"):
        assert metrics[name].low == metrics[name].high, name


def test_short_circuits_grow_with_the_graph(ci_results):
    """More neighbours, more edges across turns; both graph methods build the same graph."""
    counts = []
    for k in NEIGHBOURS:
        isomap = next(
            m for (d, meth, kk, *_), m in ci_results.items() if (d, meth, kk) == ("swiss_roll", "isomap", k)
        )
        spectral = next(
            m for (d, meth, kk, *_), m in ci_results.items() if (d, meth, kk) == ("swiss_roll", "spectral", k)
        )
        assert isomap["short_circuit_edges"] == spectral["short_circuit_edges"], k
        counts.append(isomap["short_circuit_edges"].value)
    assert counts == sorted(counts) and counts[-1] > counts[0], counts


# -- the geodesic ground truth ------------------------------------------------------------------


def polyline_length(t0: float, t1: float, pieces: int = 200_000) -> float:
    """Length of the spiral (t cos t, t sin t) between two angles, as a fine polyline."""
    t = np.linspace(t0, t1, pieces + 1)
    return float(np.sum(np.hypot(np.diff(t * np.cos(t)), np.diff(t * np.sin(t)))))


@pytest.mark.parametrize(("t0", "t1"), [(0.0, 1.0), (1.5 * math.pi, 4.5 * math.pi), (5.0, 5.3)])
def test_arc_length_matches_a_fine_polyline(module, t0, t1):
    exact = module.spiral_arc_length(np.array([t1]))[0] - module.spiral_arc_length(np.array([t0]))[0]
    assert exact == pytest.approx(polyline_length(t0, t1), rel=1e-8)


def test_arc_length_of_the_unit_interval_in_closed_form(module):
    """∫₀¹ √(1 + τ²) dτ = (√2 + asinh 1) / 2."""
    assert module.spiral_arc_length(np.array([1.0]))[0] == pytest.approx((math.sqrt(2) + math.asinh(1)) / 2)
    assert module.spiral_arc_length(np.array([0.0]))[0] == 0.0


def test_geodesic_distances_on_the_unrolled_sheet(module):
    """Along the axis: the height difference; along the spiral: the arc; otherwise Pythagoras."""
    t = np.array([5.0, 5.0, 7.0])
    h = np.array([0.0, 3.0, 0.0])
    arc = polyline_length(5.0, 7.0)
    d01, d02, d12 = module.geodesic_distances(t, h)
    assert d01 == pytest.approx(3.0)
    assert d02 == pytest.approx(arc, rel=1e-8)
    assert d12 == pytest.approx(math.hypot(arc, 3.0), rel=1e-8)


def test_one_turn_apart_is_near_in_space_and_far_along_the_roll(module):
    """The innermost pair of points one turn apart: 2π in space, about 5π² along the roll."""
    t = np.array([1.5 * math.pi, 3.5 * math.pi])
    h = np.array([10.0, 10.0])
    along = module.geodesic_distances(t, h)[0]
    space = pdist(np.column_stack([t * np.cos(t), h, t * np.sin(t)]))[0]
    assert space == pytest.approx(2 * math.pi)
    assert along == pytest.approx(polyline_length(t[0], t[1]), rel=1e-8)
    assert along > 5 * math.pi**2 > module.SHORT_CIRCUIT_EXCESS + space


def test_swiss_roll_recovers_the_clean_height(module):
    roll = module.swiss_roll(2000, seed=3)
    clean = np.column_stack([roll.angle * np.cos(roll.angle), roll.height, roll.angle * np.sin(roll.angle)])
    noise = roll.points - clean
    assert np.all((roll.height >= 0) & (roll.height <= 21))
    assert abs(noise.mean()) < 0.05
    assert noise.std() == pytest.approx(module.ROLL_NOISE, rel=0.05)


# -- the neighbourhood measures -----------------------------------------------------------------


def ranks(x: np.ndarray) -> np.ndarray:
    """ranks[i, j]: position of j among i's neighbours by distance (1 = nearest), i itself excluded."""
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1)
    r = np.empty_like(order)
    rows = np.arange(len(x))[:, None]
    r[rows, order] = np.arange(1, len(x) + 1)
    return r


def by_definition(reference: np.ndarray, other: np.ndarray, k: int) -> float:
    """1 − 2/(nk(2n−3k−1)) Σᵢ Σ over j among i's k nearest in ``other`` but not in ``reference``
    of (rank of j in ``reference`` − k): trustworthiness with (data, embedding), continuity
    with (embedding, data)."""
    n = len(reference)
    r_ref, r_other = ranks(reference), ranks(other)
    penalty = sum(
        r_ref[i, j] - k for i in range(n) for j in range(n) if i != j and r_other[i, j] <= k < r_ref[i, j]
    )
    return 1 - 2 * penalty / (n * k * (2 * n - 3 * k - 1))


def test_continuity_is_trustworthiness_with_the_spaces_swapped(module):
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(0)
    data = rng.normal(size=(60, 5))
    embedded = np.column_stack([np.sin(2 * data[:, 0]), data[:, 1] ** 2 + data[:, 2]])
    k = 7
    trust = trustworthiness(data, embedded, n_neighbors=k)
    cont = module.continuity(data, embedded, k)
    assert trust == pytest.approx(by_definition(data, embedded, k))
    assert cont == pytest.approx(by_definition(embedded, data, k))
    assert cont == pytest.approx(trustworthiness(embedded, data, n_neighbors=k))
    assert cont != pytest.approx(trust)  # the two measure different failures here


def test_pca_of_data_in_a_plane_is_perfectly_trustworthy_and_continuous(module):
    rng = np.random.default_rng(1)
    plane = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 10)) + rng.normal(size=10)
    embedded, _ = module.embed("pca", plane, neighbours=0, seed=0, tsne_iterations=250)
    quality = module.neighbourhood_quality(plane, embedded)
    assert quality["trustworthiness"] == pytest.approx(1.0, abs=1e-12)
    assert quality["continuity"] == pytest.approx(1.0, abs=1e-12)


def test_a_projection_that_folds_loses_trust_but_keeps_continuity(module):
    """Dropping one coordinate of a 3-D cloud never separates close points, but brings far ones together."""
    rng = np.random.default_rng(2)
    cloud = rng.uniform(size=(300, 3))
    quality = module.neighbourhood_quality(cloud, cloud[:, :2])
    assert quality["continuity"] > quality["trustworthiness"]


# -- short circuits and the unrolling -----------------------------------------------------------


def roll_from(module, angle, height):
    angle, height = np.asarray(angle, float), np.asarray(height, float)
    points = np.column_stack([angle * np.cos(angle), height, angle * np.sin(angle)])
    return module.Roll(points, angle, height)


def test_short_circuit_count_on_a_hand_built_roll(module):
    """Two clusters on the same turn: no short circuit. One of them moved a turn inwards: its
    nearest neighbour across the gap is a short circuit."""
    same_turn = roll_from(module, [11.0, 11.05, 11.3, 11.35], [5.0, 5.0, 5.0, 5.0])
    assert module.short_circuits(same_turn, 1) == 0
    across = roll_from(module, [11.0, 11.0 - 2 * np.pi], [5.0, 5.0])
    assert module.short_circuits(across, 1) == 1


def test_knn_accuracy_on_separated_classes(module):
    train = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], float)
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert module.knn_accuracy(train, labels, np.array([[0.5, 0.5], [10.5, 10.5]]), np.array([0, 1])) == 1.0
    assert module.knn_accuracy(train, labels, np.array([[0.5, 0.5]]), np.array([1])) == 0.0


def test_isomap_with_a_sensible_graph_unrolls_the_roll_and_pca_does_not(module):
    """The full size's roll at seed 0: k = 5 joins no two turns, and Isomap's distances follow
    the roll; k = 40 short-circuits it, and the unrolling is lost."""
    roll = module.swiss_roll(1000, seed=0)
    truth = module.geodesic_distances(roll.angle, roll.height)
    agreement = {}
    for method, k in (("isomap", 5), ("pca", 0), ("isomap", 40)):
        embedded, _ = module.embed(method, roll.points, k, seed=0, tsne_iterations=250)
        agreement[(method, k)] = module.distance_agreement(embedded, truth)["geodesic_spearman"]
    assert module.short_circuits(roll, 5) == 0
    assert module.short_circuits(roll, 40) > 0
    assert agreement[("isomap", 5)] > 0.95
    assert agreement[("pca", 0)] < 0.6
    assert agreement[("isomap", 40)] < agreement[("isomap", 5)] - 0.3


def test_digit_rows_keep_every_class_in_both_halves(module):
    full, tenth = module.digit_rows(1.0), module.digit_rows(0.1)
    assert len(full.train_x) == 1257 and len(full.test_x) == 540
    for half in (tenth.train_y, tenth.test_y):
        assert set(half.tolist()) == set(range(10))
    assert len(tenth.train_x) == pytest.approx(126, abs=10) and len(tenth.test_x) == pytest.approx(54, abs=10)
