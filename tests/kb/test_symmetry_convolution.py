"""The symmetry-aware convolution experiment: its CI size through the entry point, and the
properties its conclusions rest on (the rotation-averaged and p4 networks are invariant to
quarter turns, the p4 feature maps are equivariant, the plain CNN is not invariant, and the
grid_sample rotation agrees with torch.rot90 on quarter turns)."""

from __future__ import annotations

import pytest
import torch
from support.declared import assert_reports_its_metrics

from cortex.timing import Harness

EXPERIMENT = "symmetry_convolution"  # the spec, entry and module fixtures (conftest) load it
MODELS = ["plain", "augmented", "averaged", "p4"]
INVARIANT = ["averaged", "p4"]
QUARTER_TURN_METRICS = ["accuracy_0", "accuracy_90", "accuracy_180", "accuracy_270"]
TEST_IMAGES = 540
ATOL = 1e-5  # float32 rounding of sums taken in another order, far below the logits' spread


@pytest.fixture(scope="module")
def ci_results(spec, entry):
    bench = Harness("cpu")
    return {p["model"]: entry(p, bench) for p in spec.points("ci")}


@pytest.fixture(scope="module")
def batch(module):
    """Forty upright test digits, (40, 1, 8, 8)."""
    return module.images(module.digits().test_x[:40])


def turned(x: torch.Tensor, turns: int) -> torch.Tensor:
    return torch.rot90(x, turns, dims=(-2, -1))


def p4_turned(maps: torch.Tensor, turns: int) -> torch.Tensor:
    """What a quarter turn of the input should do to p4 maps (n, c·4, h, w): turn every map and
    shift the orientation axis cyclically by the same number of quarter turns."""
    by_orientation = maps.unflatten(1, (-1, 4))
    return torch.roll(turned(by_orientation, turns), turns, dims=2).flatten(1, 2)


# -- the grid and the CI run ---------------------------------------------------------------------


def test_sizes_share_the_grid_and_differ_only_in_the_size_knobs(spec):
    for size, epochs, fraction in (("ci", 1, 0.1), ("full", 50, 1.0)):
        points = spec.points(size)
        assert [p["model"] for p in points] == MODELS
        assert {(p["epochs"], p["train_fraction"]) for p in points} == {(epochs, fraction)}
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert list(ci_results) == MODELS
    for model, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, model)
        for name in spec.metrics:
            if name.startswith("accuracy") or name in ("c4_consistency", "six_nine_confusion"):
                assert 0 <= metrics[name].low <= metrics[name].value <= metrics[name].high <= 1, (model, name)
                assert metrics[name].reps == 5, (model, name)  # every seed


def test_invariant_models_score_alike_under_every_quarter_turn(ci_results):
    """Exact invariance of the logits: the same predictions, so the same accuracies, in all four
    orientations (a tolerance of two images allows for an exact tie between two logits)."""
    for model in INVARIANT:
        metrics = ci_results[model]
        upright = metrics["accuracy_0"]
        for name in QUARTER_TURN_METRICS[1:]:
            assert abs(metrics[name].value - upright.value) <= 2 / TEST_IMAGES, (model, name)
        assert metrics["c4_consistency"].low >= 1 - 2 / TEST_IMAGES, model
        assert abs(metrics["accuracy_c4"].value - upright.value) <= 2 / TEST_IMAGES, model


def test_parameter_counts_are_the_ones_the_method_states(module, ci_results):
    assert {model: ci_results[model]["parameters"] for model in MODELS} == {
        "plain": 5130,
        "augmented": 5130,
        "averaged": 5130,
        "p4": 4874,
    }
    assert module.parameter_count(module.build("p4", 0)) == 4874


# -- rotating images -----------------------------------------------------------------------------


@pytest.mark.parametrize("turns", [0, 1, 2, 3, -1, 4])
def test_rotation_by_quarter_turns_agrees_with_rot90(module, batch, turns):
    torch.testing.assert_close(module.rotate(batch, 90.0 * turns), turned(batch, turns), rtol=0, atol=1e-6)


def test_rotation_takes_one_angle_per_image(module, batch):
    x = batch[:4]
    rotated = module.rotate(x, torch.tensor([0.0, 90.0, 180.0, 270.0]))
    for k in range(4):
        torch.testing.assert_close(rotated[k], turned(x[k], k), rtol=0, atol=1e-6)


def test_rotation_off_the_grid_interpolates(module):
    """A single bright pixel turned 45° is spread over several pixels (the blur), and turning
    back does not restore it."""
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 1, 3] = 1.0
    once = module.rotate(x, 45.0)
    assert (once > 1e-3).sum() > 1 and once.max() < 1.0
    assert (module.rotate(once, -45.0) - x).abs().max() > 0.1


def test_augmentation_turns_each_image_by_some_quarter_turn(module, batch):
    generator = torch.Generator().manual_seed(0)
    out = module.random_quarter_turns(batch, generator)
    used = set()
    for image, original in zip(out, batch, strict=True):
        matches = [k for k in range(4) if torch.equal(image, turned(original, k))]
        assert matches, "not a quarter turn of its input"
        used.add(matches[0])
    assert used == {0, 1, 2, 3}


# -- invariance and equivariance -----------------------------------------------------------------


@pytest.mark.parametrize("model", INVARIANT)
def test_invariant_models_give_the_same_logits_on_every_quarter_turn(module, batch, model):
    network = module.build(model, 0).eval()
    with torch.no_grad():
        upright = network(batch)
        assert upright.std(0).max() > 1e-3  # the logits depend on the image: not trivially constant
        for k in (1, 2, 3):
            torch.testing.assert_close(network(turned(batch, k)), upright, rtol=0, atol=ATOL)


def test_p4_feature_maps_are_equivariant(module, batch):
    """Turning the input turns every map and shifts the orientation axis; without the shift (or
    without turning the maps) the relation fails, so the check is not vacuous."""
    network = module.build("p4", 1).eval()
    with torch.no_grad():
        maps = network.features(batch)
        for k in (1, 2, 3):
            for stage, (plain_maps, turned_maps) in enumerate(
                zip(maps, network.features(turned(batch, k)), strict=True)
            ):
                torch.testing.assert_close(turned_maps, p4_turned(plain_maps, k), rtol=0, atol=ATOL)
                unshifted = turned(plain_maps, k)
                assert (turned_maps - unshifted).abs().max() > 1e-2, (stage, k)
                assert (turned_maps - plain_maps).abs().max() > 1e-2, (stage, k)


def test_group_convolution_is_equivariant_on_arbitrary_p4_maps(module):
    """The layer alone, on random maps that did not come from a lifting layer."""
    torch.manual_seed(3)
    layer = module.GroupConv(3, 5)
    maps = torch.randn(6, 3 * 4, 8, 8)
    with torch.no_grad():
        out = layer(maps)
        for k in (1, 2, 3):
            torch.testing.assert_close(layer(p4_turned(maps, k)), p4_turned(out, k), rtol=0, atol=ATOL)


def test_lifting_filters_are_the_four_turns_of_each_filter(module):
    torch.manual_seed(0)
    layer = module.LiftingConv(2, 3)
    filters = layer.filters().unflatten(0, (3, 4))
    for r in range(4):
        torch.testing.assert_close(filters[:, r], turned(layer.weight, r), rtol=0, atol=0)


def test_plain_cnn_is_not_invariant(module, batch):
    """Untrained, its logits change under a quarter turn; trained a few epochs on upright
    digits, a quarter turn changes most of its test predictions."""
    network = module.build("plain", 0).eval()
    with torch.no_grad():
        difference = (network(turned(batch, 1)) - network(batch)).abs().max()
    assert difference > 1e3 * ATOL
    trained = module.train("plain", 0, 3, module.digits())
    x = module.images(module.digits().test_x)
    with torch.no_grad():
        changed = (trained(turned(x, 1)).argmax(1) != trained(x).argmax(1)).float().mean()
    assert changed > 0.3


# -- the scores ----------------------------------------------------------------------------------


def test_c4_consistency_counts_images_classified_alike_in_all_four_orientations(module):
    predicted = {
        "0": torch.tensor([1, 2, 3, 4]),
        "90": torch.tensor([1, 2, 3, 0]),
        "180": torch.tensor([1, 5, 3, 4]),
        "270": torch.tensor([1, 2, 3, 4]),
    }
    assert module.c4_consistency(predicted) == 0.5


def test_six_nine_confusion_counts_only_the_swap(module):
    labels = torch.tensor([6, 6, 9, 9, 1, 0])
    predicted = torch.tensor([9, 6, 6, 8, 6, 9])  # one 6 → 9, one 9 → 6, one 9 → 8; others ignored
    assert module.six_nine_confusion(predicted, labels) == 0.5


def test_networks_are_seeded(module, batch):
    first, again, other = (module.build("p4", s).eval() for s in (2, 2, 3))
    with torch.no_grad():
        assert torch.equal(first(batch), again(batch))
        assert not torch.equal(first(batch), other(batch))
