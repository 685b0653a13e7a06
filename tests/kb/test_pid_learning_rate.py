"""The PID learning-rate experiment: its CI size through the entry point, and the properties its
conclusions rest on (a rate that stays positive and inside its clamps, an integral that does
not wind up, a P-only loop that settles with the textbook offset, schedules that are what they
say), against the naive loss-driven design, which goes negative."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from support.declared import assert_reports_its_metrics

EXPERIMENT = "pid_learning_rate"  # the spec, entry and module fixtures (conftest) load it
GAIN_SWEEP = ["pid-x0.1", "pid-x0.3", "pid-x1", "pid-x3", "pid-x10"]
SETPOINT_SWEEP = ["pid-r0.001", "pid-r0.01"]
CONTROLLED = GAIN_SWEEP + SETPOINT_SWEEP
SCHEDULES = ["constant", "step", "cosine", *CONTROLLED]
SIZE_KNOBS = {"ci": 4, "full": 60}  # epochs
WIDE_OPEN = {"lr_min": 1e-12, "lr_max": 1e12}  # clamps that never act, for the loop-only tests


def test_sizes_share_the_grid_and_differ_in_epochs(spec, module):
    for size, epochs in SIZE_KNOBS.items():
        points = spec.points(size)
        assert [p["schedule"] for p in points] == SCHEDULES
        assert {p["epochs"] for p in points} == {epochs}
    assert list(module.GAIN_SWEEP) == GAIN_SWEEP and list(module.SETPOINT_SWEEP) == SETPOINT_SWEEP
    assert spec.device == "cpu"


def test_every_ci_point_reports_every_metric_and_passes_the_runner_checks(spec, ci_results):
    assert len(ci_results) == len(SCHEDULES)
    for point, metrics in ci_results.items():
        assert_reports_its_metrics(spec, metrics, point)
        assert (metrics["clamped_steps"] is None) != (point[0] in CONTROLLED), point
        assert (metrics["gain_spread"] is None) != (point[0] in GAIN_SWEEP), point
    spreads = {ci_results[(s, SIZE_KNOBS["ci"])]["gain_spread"] for s in GAIN_SWEEP}
    assert len(spreads) == 1 and spreads.pop() >= 0  # one number for the whole sweep


def test_pid_rate_is_positive_and_inside_its_clamps_on_every_ci_step(module, ci_results):
    assert 0 < module.LR_MIN < module.BASE_LR < module.LR_MAX
    for schedule in CONTROLLED:
        metrics = ci_results[(schedule, SIZE_KNOBS["ci"])]
        assert module.LR_MIN <= metrics["lr_min"] <= metrics["lr_max"] <= module.LR_MAX, schedule
        for run in module._trained(schedule, SIZE_KNOBS["ci"]):  # cached by the CI points
            assert all(module.LR_MIN <= lr <= module.LR_MAX for lr in run.rates), schedule
            assert min(run.rates) >= metrics["lr_min"] and max(run.rates) <= metrics["lr_max"]


def test_the_controller_actually_moves_the_rate(module, ci_results):
    """At the base rate the first steps are far above the setpoint, so every PID point cuts
    the rate below η₀ (otherwise the positivity test above would be vacuous)."""
    for schedule in CONTROLLED:
        assert ci_results[(schedule, SIZE_KNOBS["ci"])]["lr_min"] < module.BASE_LR, schedule


def test_fixed_schedules_record_the_rates_they_claim(module, ci_results):
    epochs = SIZE_KNOBS["ci"]
    total = epochs * module.steps_per_epoch(module.digits())
    for schedule in ("constant", "step", "cosine"):
        expected = [module.make_rule(schedule, total).rate(t) for t in range(total)]
        for run in module._trained(schedule, epochs):
            assert run.rates == expected, schedule
    assert ci_results[("constant", epochs)]["lr_min"] == ci_results[("constant", epochs)]["lr_max"]


# -- the schedules ------------------------------------------------------------------------------


TOTAL = 400  # steps


def rates(module, schedule: str) -> list[float]:
    rule = module.make_rule(schedule, TOTAL, base=0.5)
    return [rule.rate(t) for t in range(TOTAL)]


def test_constant_schedule_is_constant(module):
    assert rates(module, "constant") == [0.5] * TOTAL


def test_step_schedule_drops_tenfold_at_half_and_three_quarters(module):
    got = rates(module, "step")
    assert got[: TOTAL // 2] == [0.5] * (TOTAL // 2)
    assert got[TOTAL // 2 : 3 * TOTAL // 4] == pytest.approx([0.05] * (TOTAL // 4), rel=1e-12)
    assert got[3 * TOTAL // 4 :] == pytest.approx([0.005] * (TOTAL // 4), rel=1e-12)


def test_cosine_schedule_anneals_from_the_base_rate_towards_zero(module):
    got = rates(module, "cosine")
    assert got[0] == 0.5 and got[TOTAL // 2] == pytest.approx(0.25, rel=1e-12)
    assert all(b <= a for a, b in itertools.pairwise(got))
    assert 0 < got[-1] < 0.5 * (math.pi / TOTAL) ** 2  # ½(1 + cos(π(T−1)/T)) ≈ (π/T)²/4
    for t in (37, 111, 298):
        assert got[t] == pytest.approx(0.25 * (1 + math.cos(math.pi * t / TOTAL)), rel=1e-12)


def test_schedule_names_say_which_controller_runs(module):
    with pytest.raises(ValueError, match="unknown schedule"):
        module.pid_config("linear")
    assert module.pid_config("cosine") is None
    assert module.pid_config("pid-x0.3").gains == module.GAINS.scaled(0.3)
    assert module.pid_config("pid-x0.3").setpoint == module.SETPOINT
    assert module.pid_config("pid-r0.01") == module.PIDConfig(setpoint=0.01)


# -- the controller on synthetic signals ----------------------------------------------------------


class FirstOrderPlant:
    """log r follows log η + log c with a lag of ``lag`` steps: x ← x + (log η + log c − x) / lag."""

    def __init__(self, gain: float, lag: float, start_rate: float):
        self.log_gain, self.lag = math.log(gain), lag
        self.state = math.log(start_rate) + self.log_gain

    def step(self, rate: float) -> float:
        self.state += (math.log(rate) + self.log_gain - self.state) / self.lag
        return math.exp(self.state)


def close_loop(controller, plant: FirstOrderPlant, steps: int) -> list[float]:
    """The error log r* − log r after each step."""
    errors = []
    for t in range(steps):
        ratio = plant.step(controller.rate(t))
        controller.observe(0.0, ratio)
        errors.append(math.log(controller.config.setpoint) - math.log(ratio))
    return errors


def loop_config(module, gains, **overrides):
    return module.PIDConfig(setpoint=1e-3, gains=gains, lr0=1.0, **{**WIDE_OPEN, **overrides})


def test_p_only_control_of_a_first_order_plant_settles_with_the_textbook_offset(module):
    """Open loop the ratio is 4× the setpoint (e₀ = −log 4). Proportional control alone leaves
    e₀ / (1 + kp) at steady state: it settles towards the setpoint but not onto it."""
    kp = 1.0
    controller = module.RatioPID(loop_config(module, module.PIDGains(kp=kp, ki=0.0, kd=0.0)))
    errors = close_loop(controller, FirstOrderPlant(gain=4e-3, lag=5.0, start_rate=1.0), 600)
    open_loop = -math.log(4.0)
    assert errors[0] == pytest.approx(open_loop, rel=1e-12)
    assert errors[-1] == pytest.approx(open_loop / (1 + kp), rel=1e-6)
    assert all(abs(e) <= abs(open_loop) + 1e-12 for e in errors)  # never further away than it began


def test_integral_action_removes_the_offset(module):
    gains = module.PIDGains(kp=1.0, ki=0.05, kd=0.0)
    errors = close_loop(module.RatioPID(loop_config(module, gains)), FirstOrderPlant(4e-3, 5.0, 1.0), 2000)
    assert abs(errors[-1]) < 1e-6


def feed(controller, ratio: float, steps: int) -> tuple[list[float], list[float]]:
    """A signal the rate cannot move (the gradients have vanished, say): rates and integrals."""
    seen, integrals = [], []
    for t in range(steps):
        seen.append(controller.rate(t))
        controller.observe(0.0, ratio)
        integrals.append(controller.integral)
    return seen, integrals


@pytest.mark.parametrize("multiplier", [0.1, 1.0, 10.0])
def test_conditional_integration_keeps_the_integral_bounded_while_clamped(module, multiplier):
    """The measured ratio is stuck 100× below the setpoint, so the rate sits on its upper clamp.
    With anti-windup the integral stops within one increment, ki·log 100, of where the output
    reaches the clamp (at most log(η_max/η₀), the proportional term being positive); without
    it, it grows by ki·log 100 every step."""
    gains = module.GAINS.scaled(multiplier)
    config = module.PIDConfig(gains=gains)
    steps = 3000
    guarded, guarded_integral = feed(module.RatioPID(config), module.SETPOINT / 100, steps)
    _, wound_integral = feed(module.RatioPID(module.PIDConfig(gains=gains, anti_windup=False)),
                             module.SETPOINT / 100, steps)  # fmt: skip
    assert guarded[-1] == module.LR_MAX
    increment = gains.ki * math.log(100)
    assert max(guarded_integral) <= math.log(module.LR_MAX / module.BASE_LR) + increment + 1e-12
    assert guarded_integral[-1] == guarded_integral[len(guarded_integral) // 2]  # frozen
    assert wound_integral[-1] == pytest.approx(gains.ki * math.log(100) * steps, rel=1e-9)


def test_anti_windup_lets_the_rate_leave_the_clamp_promptly(module):
    """After the long stretch above, the signal jumps 100× above the setpoint: the guarded
    controller comes off the clamp within a few steps, the wound-up one only after unwinding."""
    leave = {}
    for anti_windup in (True, False):
        controller = module.RatioPID(module.PIDConfig(anti_windup=anti_windup))
        feed(controller, module.SETPOINT / 100, 3000)
        after, _ = feed(controller, module.SETPOINT * 100, 3000)
        leave[anti_windup] = next(t for t, lr in enumerate(after) if lr < module.LR_MAX)
    assert leave[True] <= 5
    assert leave[False] > 100 * leave[True] + 100


def test_rate_is_positive_and_clamped_for_any_signal(module):
    """Wild, random ratios over twelve decades: the rate stays in [η_min, η_max] on every step."""
    generator = torch.Generator().manual_seed(0)
    signal = (10.0 ** torch.empty(5000).uniform_(-9, 3, generator=generator)).tolist()
    for multiplier in (0.1, 1.0, 10.0, 100.0):
        controller = module.RatioPID(module.PIDConfig(gains=module.GAINS.scaled(multiplier)))
        for t, ratio in enumerate(signal):
            assert module.LR_MIN <= controller.rate(t) <= module.LR_MAX
            controller.observe(0.0, ratio)


# -- the naive design goes negative on real training; ours does not ------------------------------


def short_run(module, rule):
    data = module.digits().subset(0.1, seed=0)  # 4 steps an epoch, so the test is quick
    return module.train(rule, data, epochs=3, seed=0)


def test_naive_loss_driven_rate_goes_negative_and_climbs_the_loss(module):
    """Target loss 0.05, start at η₀: the loss (about 2.3 at initialisation) is above the
    target, so e < 0 and the output, used directly as the rate, is negative from the second
    step: SGD then ascends the loss."""
    naive = module.NaiveLossPID(target_loss=0.05, gains=module.GAINS, lr0=module.BASE_LR)
    run = short_run(module, naive)
    assert run.rates[0] == module.BASE_LR
    assert all(lr < 0 for lr in run.rates[1:])
    assert run.epoch_losses[-1] > run.epoch_losses[0]


def test_ratio_controller_on_the_same_run_stays_positive_and_descends(module):
    run = short_run(module, module.RatioPID())
    assert all(module.LR_MIN <= lr <= module.LR_MAX for lr in run.rates)
    assert run.epoch_losses[-1] < run.epoch_losses[0]


# -- the pieces of the training loop and the metrics ---------------------------------------------


def test_sgd_step_matches_torch_sgd_and_reports_the_relative_update(module):
    data = module.digits()
    ours, theirs = module.mlp(module.HIDDEN, 3), module.mlp(module.HIDDEN, 3)
    reference = torch.optim.SGD(theirs.parameters(), lr=0.3)
    rows = torch.arange(64)
    params = list(ours.parameters())
    before = [p.detach().clone() for p in params]
    loss = torch.nn.functional.cross_entropy(ours(data.train_x[rows]), data.train_y[rows])
    ratio = module.sgd_step(params, torch.autograd.grad(loss, params), 0.3)
    torch.nn.functional.cross_entropy(theirs(data.train_x[rows]), data.train_y[rows]).backward()
    reference.step()
    for p, q in zip(params, theirs.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=0, atol=1e-7)
    moved = torch.cat([(p.detach() - b).flatten() for p, b in zip(params, before, strict=True)])
    size = torch.cat([b.flatten() for b in before])
    assert ratio == pytest.approx((moved.norm() / size.norm()).item(), rel=1e-4)


def test_loss_rises_counts_epochs_that_went_up(module):
    assert module.loss_rises([3.0, 2.0, 2.5, 1.0, 1.2, 1.2]) == 2
    assert module.loss_rises([1.0]) == 0


def test_loss_jitter_is_zero_for_a_steady_fall_and_positive_for_a_bouncing_one(module):
    steady = [2.0 * 0.8**k for k in range(12)]
    assert module.loss_jitter(steady) == pytest.approx(0.0, abs=1e-12)
    bouncing = [1.0, 0.5, 0.25, 0.3, 0.2, 0.25, 0.15]
    assert module.loss_jitter(bouncing) > 0.1


def test_ratio_vs_setpoint_reads_a_steady_ratio(module):
    assert module.ratio_vs_setpoint([2 * module.SETPOINT] * 100) == pytest.approx(2.0, rel=1e-12)
    rising = [module.SETPOINT] * 100 + [4 * module.SETPOINT] * 300
    assert module.ratio_vs_setpoint(rising) == pytest.approx(4.0, rel=1e-6)  # the second half only


def test_clamped_share(module):
    assert module.clamped_share([module.LR_MIN, 0.5, module.LR_MAX, 0.7]) == 0.5


def test_validation_split_is_stratified_and_inside_the_training_images(module):
    data = module.digits()
    split = module.validation_split(data)
    assert len(split.train_y) + len(split.test_y) == len(data.train_y)
    training_images = {tuple(row) for row in data.train_x.tolist()}
    assert all(tuple(row) in training_images for row in split.test_x.tolist())
    counts = torch.bincount(split.test_y, minlength=10).float()
    expected = torch.bincount(data.train_y, minlength=10).float() * module.PILOT_VALIDATION
    assert (counts - expected).abs().max() <= 1.0


def test_best_rate_prefers_accuracy_then_lower_loss(module):
    table = {
        0.1: {"validation_accuracy": 0.95, "validation_loss": 0.2},
        0.3: {"validation_accuracy": 0.97, "validation_loss": 0.10},
        1.0: {"validation_accuracy": 0.97, "validation_loss": 0.08},
    }
    assert module.best_rate(table) == 1.0
    table[1.0]["validation_accuracy"] = 0.96
    assert module.best_rate(table) == 0.3
