"""A PID controller for the learning rate, against constant, step and cosine schedules.

One parameter point is one learning-rate rule; every point trains the same small MLP on the
digits with plain minibatch SGD, once per seed, and reports each metric over the seeds.

The controller holds the relative size of each update, r = ‖Δw‖ / ‖w‖ (all parameters as one
vector), at a setpoint. It works in logarithms throughout: the measured signal is log r,
smoothed by an exponential filter, and the actuation is multiplicative,
log η = log η₀ + u with u = P + I + D, so the rate it sets is exp(...) > 0 whatever the error;
the rate is then clamped to [η_min, η_max]. With plain SGD, Δw = −η g, so log r = log η +
log(‖g‖/‖w‖): the plant is the identity from log η to log r plus a disturbance (the gradient
to weight ratio) that drifts as training proceeds and jitters from batch to batch.

For contrast, :class:`NaiveLossPID` is the design the numerics note warns about: the
controller's output used directly as the learning rate, with the loss as the signal. The
tests show it goes negative (gradient ascent) on the first steps.

``python experiments/pid_learning_rate.py`` runs the pilot that chose the base learning
rate and the setpoint, on a validation split carved from the training images.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

import torch
from digits import SEEDS, SPLIT_SEED, Split, accuracy, digits, mean_loss, minibatches, mlp, over_seeds

HIDDEN = 32  # one tanh hidden layer: 64 → 32 → 10
BATCH = 32  # minibatch size: 40 steps per epoch on the 1257 training images

# chosen by pilot() on a validation split (see the page's Method)
BASE_LR = 1.0  # η₀: the constant rate, the peak of the step and cosine schedules, the PID's start
SETPOINT = 3e-3  # r*: the typical ‖Δw‖/‖w‖ of one step at the base rate in the pilot, rounded
LR_MIN = BASE_LR / 10  # the controller's clamps: a decade below η₀, and up to the pilot's
LR_MAX = BASE_LR * 3  # smallest constant rate that failed to train
SMOOTHING = 0.1  # weight of the newest log r in the exponential filter: a time constant of ~10 steps
RATIO_FLOOR = 1e-30  # log r of a zero gradient would be -inf; no real step comes near this

STEP_DROPS = (0.5, 0.75)  # the step schedule divides the rate by 10 at these fractions of training
STEP_FACTOR = 0.1

PILOT_RATES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # constant rates the pilot tries, half a decade apart
PILOT_VALIDATION = 0.2  # share of each class of the training images the pilot holds out


# -- learning-rate rules --------------------------------------------------------------------------


class RateRule(Protocol):
    """What the training loop asks of a learning-rate rule: the rate for the next step, and
    what that step did (its minibatch loss and its relative update size)."""

    def rate(self, step: int) -> float: ...

    def observe(self, loss: float, ratio: float) -> None: ...


def constant_shape(progress: float) -> float:
    return 1.0


def step_shape(progress: float) -> float:
    """1, then 1/10 from half-way, then 1/100 from three quarters of the way."""
    return STEP_FACTOR ** sum(progress >= drop for drop in STEP_DROPS)


def cosine_shape(progress: float) -> float:
    """SGDR's cosine annealing from the base rate towards zero, one cycle and no restart."""
    return 0.5 * (1.0 + math.cos(math.pi * progress))


SHAPES = {"constant": constant_shape, "step": step_shape, "cosine": cosine_shape}


@dataclass(frozen=True)
class FixedSchedule:
    """A rate fixed in advance: ``base`` times a shape of the progress step / total_steps."""

    shape: Callable[[float], float]
    base: float
    total_steps: int

    def rate(self, step: int) -> float:
        return self.base * self.shape(step / self.total_steps)

    def observe(self, loss: float, ratio: float) -> None:
        """A schedule does not listen."""


class ExponentialFilter:
    """y ← y + a (x − y), started at the first sample: the low-pass filter on the measurement."""

    def __init__(self, weight: float):
        self.weight = weight
        self.value: float | None = None

    def update(self, sample: float) -> float:
        self.value = sample if self.value is None else self.value + self.weight * (sample - self.value)
        return self.value


@dataclass(frozen=True)
class PIDGains:
    """Gains on the error e = log r* − y (y the filtered log r), in log-rate units per unit of
    e: kp per step's error, ki added to the integral each step, kd per unit change of y."""

    kp: float
    ki: float
    kd: float

    def scaled(self, factor: float) -> PIDGains:
        return PIDGains(self.kp * factor, self.ki * factor, self.kd * factor)


GAINS = PIDGains(kp=0.5, ki=0.025, kd=2.0)  # the ×1 design; the sweep multiplies all three
GAIN_MULTIPLIERS = (0.1, 0.3, 1, 3, 10)
GAIN_SWEEP = tuple(f"pid-x{m}" for m in GAIN_MULTIPLIERS)  # every gain times m, setpoint r*
SETPOINT_SWEEP = tuple(f"pid-r{r:g}" for r in (1e-3, 1e-2))  # ×1 gains, the setpoint r* / 3 or × 3


@dataclass(frozen=True)
class PIDConfig:
    setpoint: float = SETPOINT
    gains: PIDGains = GAINS
    lr0: float = BASE_LR
    lr_min: float = LR_MIN
    lr_max: float = LR_MAX
    smoothing: float = SMOOTHING
    anti_windup: bool = True  # conditional integration; False only to show windup in the tests


class RatioPID:
    """PID control of the relative update size r = ‖Δw‖/‖w‖ through log η.

    After each step, with y the filtered log r and e = log r* − y:

    - P = kp·e;
    - I ← I + ki·e, unless the output is already beyond a clamp and e pushes it further
      (conditional integration, the anti-windup);
    - D = −kd·(y − y_previous): the derivative of the filtered measurement, not of the error,
      so a change of setpoint would not kick the rate, and filtered so batch noise is damped;
    - η = clamp(exp(log η₀ + P + I + D), η_min, η_max), positive by construction.
    """

    def __init__(self, config: PIDConfig = PIDConfig()):  # frozen, so one default is safe to share
        self.config = config
        self.measurement = ExponentialFilter(config.smoothing)
        self.integral = 0.0
        self.lr = config.lr0

    def rate(self, step: int) -> float:
        return self.lr

    def observe(self, loss: float, ratio: float) -> None:
        c = self.config
        previous = self.measurement.value
        filtered = self.measurement.update(math.log(max(ratio, RATIO_FLOOR)))
        error = math.log(c.setpoint) - filtered
        proportional = c.gains.kp * error
        derivative = -c.gains.kd * (filtered - (filtered if previous is None else previous))
        without_integral = math.log(c.lr0) + proportional + derivative
        if not (c.anti_windup and self._winds_up(without_integral + self.integral, error)):
            self.integral += c.gains.ki * error
        log_rate = without_integral + self.integral
        # clamped in logs first so exp cannot overflow, then exactly, so η_min ≤ η ≤ η_max holds
        self.lr = min(max(math.exp(min(log_rate, math.log(c.lr_max))), c.lr_min), c.lr_max)

    def _winds_up(self, log_rate: float, error: float) -> bool:
        """The output is beyond a clamp already, and integrating e would push it further.

        Judged before this step's increment, so the integral may carry the output one increment
        past the clamp (the rate reaches the clamp exactly) but no further."""
        c = self.config
        return (log_rate > math.log(c.lr_max) and error > 0) or (log_rate < math.log(c.lr_min) and error < 0)


class NaiveLossPID:
    """The naive design: the PID output is the learning rate, the training loss the signal.

    e = target − loss, η = kp·e + ki·Σe + kd·Δe. While the loss is above its target, e < 0 and
    the rate is negative: the step climbs the loss. Kept to show that, not used in the grid.
    """

    def __init__(self, target_loss: float, gains: PIDGains, lr0: float):
        self.target_loss = target_loss
        self.gains = gains
        self.lr = lr0
        self.integral = 0.0
        self.previous_error: float | None = None

    def rate(self, step: int) -> float:
        return self.lr

    def observe(self, loss: float, ratio: float) -> None:
        error = self.target_loss - loss
        self.integral += error
        change = 0.0 if self.previous_error is None else error - self.previous_error
        self.previous_error = error
        self.lr = self.gains.kp * error + self.gains.ki * self.integral + self.gains.kd * change


def pid_config(schedule: str) -> PIDConfig | None:
    """The controller a ``pid-x<gain multiplier>`` or ``pid-r<setpoint>`` point runs; None for
    the fixed schedules ``constant``, ``step`` and ``cosine``."""
    if schedule.startswith("pid-x"):
        return replace(PIDConfig(), gains=GAINS.scaled(float(schedule.removeprefix("pid-x"))))
    if schedule.startswith("pid-r"):
        return replace(PIDConfig(), setpoint=float(schedule.removeprefix("pid-r")))
    if schedule in SHAPES:
        return None
    raise ValueError(f"unknown schedule {schedule!r}")


def make_rule(schedule: str, total_steps: int, base: float = BASE_LR) -> RateRule:
    config = pid_config(schedule)
    return RatioPID(config) if config else FixedSchedule(SHAPES[schedule], base, total_steps)


# -- training ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """One seed's run: what each step did, and the loss after each epoch."""

    rates: list[float]  # η of every step
    ratios: list[float]  # ‖Δw‖/‖w‖ of every step
    epoch_losses: list[float]  # training loss at the start and after each epoch
    test_accuracy: float  # on the split's held-out images, after the last epoch
    test_loss: float


def steps_per_epoch(data: Split) -> int:
    return math.ceil(len(data.train_y) / BATCH)


def norm(tensors: Sequence[torch.Tensor]) -> float:
    """The Euclidean norm of all the tensors as one vector."""
    return torch.linalg.vector_norm(torch.stack([t.norm() for t in tensors])).item()


@torch.no_grad()
def sgd_step(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor], lr: float) -> float:
    """w ← w − η g for every parameter; returns ‖Δw‖/‖w‖ = |η|·‖g‖/‖w‖, ‖w‖ before the step."""
    ratio = abs(lr) * norm(grads) / norm(params)
    for p, g in zip(params, grads, strict=True):
        p.sub_(g, alpha=lr)
    return ratio


def train(rule: RateRule, data: Split, epochs: int, seed: int) -> Trajectory:
    """Plain minibatch SGD (no momentum, no weight decay) with the rate ``rule`` gives."""
    model = mlp(HIDDEN, seed)
    params = list(model.parameters())
    order = torch.Generator().manual_seed(seed)
    rates: list[float] = []
    ratios: list[float] = []
    losses = [mean_loss(model, data.train_x, data.train_y)]
    for _ in range(epochs):
        for rows in minibatches(len(data.train_y), BATCH, order):
            lr = rule.rate(len(rates))
            loss = torch.nn.functional.cross_entropy(model(data.train_x[rows]), data.train_y[rows])
            ratio = sgd_step(params, torch.autograd.grad(loss, params), lr)
            rule.observe(loss.item(), ratio)
            rates.append(lr)
            ratios.append(ratio)
        losses.append(mean_loss(model, data.train_x, data.train_y))
        if not math.isfinite(losses[-1]):
            raise FloatingPointError(f"the training loss diverged (seed {seed}, epoch {len(losses) - 1})")
    return Trajectory(rates, ratios, losses, accuracy(model, data.test_x, data.test_y),
                      mean_loss(model, data.test_x, data.test_y))  # fmt: skip


@lru_cache(maxsize=32)
def _trained(schedule: str, epochs: int) -> tuple[Trajectory, ...]:
    """Every seed's run; cached so the gain sweep's spread reuses the other PID points' runs."""
    data = digits()
    return tuple(
        train(make_rule(schedule, epochs * steps_per_epoch(data)), data, epochs, seed) for seed in SEEDS
    )


# -- metrics -------------------------------------------------------------------------------------


def loss_rises(losses: Sequence[float]) -> int:
    """Epochs whose end-of-epoch training loss is above the previous epoch's."""
    return sum(after > before for before, after in itertools.pairwise(losses))


def loss_jitter(losses: Sequence[float]) -> float:
    """Standard deviation of the epoch-to-epoch changes of log loss over the second half of
    the epochs (a steady fall has none, a loss that bounces has much)."""
    changes = [math.log(b) - math.log(a) for a, b in itertools.pairwise(losses)]
    late = changes[len(changes) // 2 :]
    return statistics.pstdev(late) if len(late) >= 2 else 0.0


def ratio_vs_setpoint(
    ratios: Sequence[float], setpoint: float = SETPOINT, smoothing: float = SMOOTHING
) -> float:
    """The filtered relative update size over the setpoint, median over the second half of the
    steps: what the controller measures, computed the same way for every rule."""
    measurement = ExponentialFilter(smoothing)
    filtered = [measurement.update(math.log(max(r, RATIO_FLOOR))) for r in ratios]
    return math.exp(statistics.median(filtered[len(filtered) // 2 :]) - math.log(setpoint))


def clamped_share(rates: Sequence[float], low: float = LR_MIN, high: float = LR_MAX) -> float:
    """Share of the steps whose rate sat on a clamp."""
    return sum(r <= low or r >= high for r in rates) / len(rates)


def summarise(runs: Sequence[Trajectory], controller: PIDConfig | None) -> dict:
    """The point's metrics, each a median over seeds with quartiles unless it says otherwise.
    A fixed schedule's update ratio is measured against the default setpoint."""
    setpoint = controller.setpoint if controller else SETPOINT
    return {
        "test_accuracy": over_seeds(r.test_accuracy for r in runs),
        "train_loss": over_seeds(r.epoch_losses[-1] for r in runs),
        "test_loss": over_seeds(r.test_loss for r in runs),
        "loss_rises": over_seeds(loss_rises(r.epoch_losses) for r in runs),
        "loss_jitter": over_seeds(loss_jitter(r.epoch_losses) for r in runs),
        "lr_min": min(min(r.rates) for r in runs),
        "lr_max": max(max(r.rates) for r in runs),
        "lr_final": over_seeds(r.rates[-1] for r in runs),
        "ratio_vs_setpoint": over_seeds(ratio_vs_setpoint(r.ratios, setpoint) for r in runs),
        "clamped_steps": over_seeds(clamped_share(r.rates) for r in runs) if controller else None,
    }


def gain_spread(epochs: int) -> float:
    """Largest minus smallest median test accuracy over the gain sweep's PID points."""
    medians = [over_seeds(r.test_accuracy for r in _trained(s, epochs)).value for s in GAIN_SWEEP]
    return max(medians) - min(medians)


def run(point: dict, bench) -> dict:
    """Entry point: one learning-rate rule, trained for ``epochs`` epochs on every seed.

    Every point of the gain sweep also reports the spread of accuracy across the whole sweep;
    the sweep's runs are cached, so each is trained once.
    """
    schedule, epochs = point["schedule"], int(point["epochs"])
    metrics = summarise(_trained(schedule, epochs), pid_config(schedule))
    metrics["gain_spread"] = gain_spread(epochs) if schedule in GAIN_SWEEP else None
    return metrics


# -- the pilot that chose BASE_LR and SETPOINT ------------------------------------------------------


def validation_split(data: Split, share: float = PILOT_VALIDATION) -> Split:
    """The training images split again, stratified: the pilot never sees the test images."""
    from sklearn.model_selection import train_test_split

    inner, held = train_test_split(range(len(data.train_y)), test_size=share,
                                   stratify=data.train_y.numpy(), random_state=SPLIT_SEED)  # fmt: skip
    inner, held = torch.tensor(sorted(inner)), torch.tensor(sorted(held))
    return Split(data.train_x[inner], data.train_y[inner], data.train_x[held], data.train_y[held])


def pilot(epochs: int, rates: Sequence[float] = PILOT_RATES) -> dict[float, dict[str, float]]:
    """Constant rates on the validation split: median validation accuracy and loss over the
    seeds, and the median per-step ‖Δw‖/‖w‖ of each run, median over the seeds."""
    data = validation_split(digits())
    steps = epochs * steps_per_epoch(data)
    table = {}
    for lr in rates:
        runs = [train(FixedSchedule(constant_shape, lr, steps), data, epochs, seed) for seed in SEEDS]
        table[lr] = {
            "validation_accuracy": statistics.median(r.test_accuracy for r in runs),
            "validation_loss": statistics.median(r.test_loss for r in runs),
            "median_ratio": statistics.median(statistics.median(r.ratios) for r in runs),
        }
    return table


def best_rate(table: dict[float, dict[str, float]]) -> float:
    """The rate with the highest validation accuracy; the lower validation loss breaks a tie."""
    return max(table, key=lambda lr: (table[lr]["validation_accuracy"], -table[lr]["validation_loss"]))


if __name__ == "__main__":
    import sys

    results = pilot(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
    for lr, row in results.items():
        print(f"η = {lr:<5}", "  ".join(f"{k} {v:.4g}" for k, v in row.items()))
    print("best:", best_rate(results))
