"""AdamW with bfloat16 weights: how many updates rounding swallows, and what that costs.

One parameter point is one weight-storage scheme and one learning rate. Every point trains
the same least-squares problems (one per seed, batched along the first dimension) with the
same explicitly written AdamW step; the optimiser state (m, v) is float32 in every scheme, so
the only difference between schemes is how the weights are stored and updated:

- ``float32``: float32 weights, the reference;
- ``bfloat16``: bfloat16 weights, ``w ← bf16(w + Δ)`` with round-to-nearest-even;
- ``master_fp32``: a float32 master copy takes the update; the model sees ``bf16(master)``;
- ``stochastic``: bfloat16 weights, ``w ← SR(w + Δ)`` with stochastic rounding;
- ``kahan``: bfloat16 weights plus a bfloat16 buffer holding the bits the last rounding lost,
  added back into the next update (compensated summation).

The problems have a known optimum (the float64 least-squares solution), so the loss is
measured against it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import torch

SEEDS = 5  # independent problems per point, trained together as one batch
FEATURES = 64  # d, the number of weights per problem
SAMPLES = 512  # n, the rows of each design matrix
NOISE = 0.1  # standard deviation of the label noise; sets the optimum's loss
START_OFFSET = 0.5  # standard deviation of the start's distance from the true weights, per weight
THRESHOLD = 0.01  # "reached" once the excess loss is below this fraction of the initial one

BF16_DROPPED_BITS = 16  # a bfloat16 is the top 16 bits of a float32 word
KEEP_HIGH_BITS = -(1 << BF16_DROPPED_BITS)  # 0xFFFF0000 as an int32 mask


@dataclass(frozen=True)
class AdamWConfig:
    """AdamW's hyperparameters, with torch.optim.AdamW's defaults apart from the learning rate."""

    lr: float
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.01


class AdamW:
    """AdamW written out, so that the update Δ is a tensor we can inspect before it is applied.

    Kingma and Ba's Adam moments and bias correction, with Loshchilov and Hutter's decoupled
    weight decay added to the step rather than to the gradient. m and v are float32 whatever
    the weights are stored in.
    """

    def __init__(self, shape: torch.Size, config: AdamWConfig):
        self.config = config
        self.m = torch.zeros(shape, dtype=torch.float32)
        self.v = torch.zeros(shape, dtype=torch.float32)
        self.t = 0

    def update(self, grad: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Δ for this step (float32), given the gradient and the weights the model used."""
        c = self.config
        self.t += 1
        self.m.mul_(c.beta1).add_(grad, alpha=1 - c.beta1)
        self.v.mul_(c.beta2).addcmul_(grad, grad, value=1 - c.beta2)
        m_hat = self.m / (1 - c.beta1**self.t)
        v_hat = self.v / (1 - c.beta2**self.t)
        return -c.lr * (m_hat / (v_hat.sqrt() + c.eps) + c.weight_decay * weights)


def stochastic_round(x: torch.Tensor, random_bits: torch.Tensor) -> torch.Tensor:
    """float32 → bfloat16, rounding away from zero with probability (dropped bits) / 2^16.

    Adding a uniform integer in [0, 2^16) to the float32 bit pattern carries into the kept
    bits exactly when it exceeds the 16 bits that truncation would drop, so the expected
    result is the float32 value itself. Because the pattern is sign and magnitude, the carry
    moves the magnitude up for either sign; a carry out of the fraction moves to the next
    binade, which is the correct neighbour. ``random_bits`` is int32 in [0, 2^16).
    """
    kept = (x.view(torch.int32) + random_bits) & KEEP_HIGH_BITS
    return kept.view(torch.float32).to(torch.bfloat16)


def random_low_bits(shape: torch.Size, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(0, 1 << BF16_DROPPED_BITS, shape, generator=generator, dtype=torch.int32)


# -- storage schemes ---------------------------------------------------------------------------


class Float32Weights:
    """The reference: float32 weights updated in float32."""

    def __init__(self, w0: torch.Tensor, seed: int):
        """Every scheme takes the same arguments; only stochastic rounding uses the seed."""
        self.w = w0.to(torch.float32).clone()

    def model_weights(self) -> torch.Tensor:
        """The float32 values the forward and backward passes compute with."""
        return self.w

    def stored(self) -> torch.Tensor:
        """The tensor the update is written into, compared before and after to count losses."""
        return self.w

    def apply(self, delta: torch.Tensor) -> None:
        self.w = self.w + delta


class Bfloat16Weights(Float32Weights):
    """bfloat16 weights; each step rounds w + Δ to the nearest bfloat16 (ties to even)."""

    def __init__(self, w0: torch.Tensor, seed: int):
        self.w = w0.to(torch.bfloat16)

    def model_weights(self) -> torch.Tensor:
        return self.w.float()

    def apply(self, delta: torch.Tensor) -> None:
        self.w = (self.w.float() + delta).to(torch.bfloat16)


class MasterCopyWeights(Float32Weights):
    """A float32 master copy takes every update; the model computes with its bfloat16 rounding."""

    def model_weights(self) -> torch.Tensor:
        return self.w.to(torch.bfloat16).float()


class StochasticWeights(Bfloat16Weights):
    """bfloat16 weights; each step rounds w + Δ stochastically, so small updates land on average."""

    def __init__(self, w0: torch.Tensor, seed: int):
        super().__init__(w0, seed)
        self.generator = torch.Generator().manual_seed(seed)

    def apply(self, delta: torch.Tensor) -> None:
        self.w = stochastic_round(self.w.float() + delta, random_low_bits(self.w.shape, self.generator))


class KahanWeights(Bfloat16Weights):
    """bfloat16 weights plus a bfloat16 buffer of what the last rounding lost (Kahan's compensation).

    The update applied is Δ plus the carried residue; whatever rounding to bfloat16 drops from
    it is kept, itself rounded to bfloat16, for the next step. The difference of the new and old
    weights is exact in float32 (both are bfloat16 values of nearby magnitude), so the residue
    is computed without a further rounding error before it is stored.
    """

    def __init__(self, w0: torch.Tensor, seed: int):
        super().__init__(w0, seed)
        self.compensation = torch.zeros_like(self.w)

    def apply(self, delta: torch.Tensor) -> None:
        old = self.w.float()
        wanted = delta + self.compensation.float()
        self.w = (old + wanted).to(torch.bfloat16)
        self.compensation = (wanted - (self.w.float() - old)).to(torch.bfloat16)


SCHEMES = {
    "float32": Float32Weights,
    "bfloat16": Bfloat16Weights,
    "master_fp32": MasterCopyWeights,
    "stochastic": StochasticWeights,
    "kahan": KahanWeights,
}


# -- the problem -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Least squares L(w) = ‖Xw − y‖² / 2n for a batch of seeds, reduced to its normal equations.

    Full-batch, the gradient is H w − b with H = XᵀX/n and b = Xᵀy/n, and the loss is exactly
    L* + ½ (w − w*)ᵀ H (w − w*) around the least-squares solution w*; float64 copies give the
    loss without rounding error, float32 copies give the gradient the optimiser sees.
    """

    hessian: torch.Tensor  # (seeds, d, d) float64
    optimum: torch.Tensor  # (seeds, d) float64, the least-squares solution
    optimum_loss: torch.Tensor  # (seeds,) float64
    rhs: torch.Tensor  # (seeds, d) float64, b = Xᵀy/n
    w0: torch.Tensor  # (seeds, d) float64, every entry a bfloat16 value

    hessian32: torch.Tensor = field(init=False)  # float32 copies, made once rather than per step
    rhs32: torch.Tensor = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "hessian32", self.hessian.float())
        object.__setattr__(self, "rhs32", self.rhs.float())

    def gradient(self, w: torch.Tensor) -> torch.Tensor:
        """Float32 gradient at float32 weights w."""
        return torch.bmm(self.hessian32, w.unsqueeze(-1)).squeeze(-1) - self.rhs32

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        """Exact (float64) training loss of each seed's weights."""
        e = w.double() - self.optimum
        return self.optimum_loss + 0.5 * torch.einsum("si,sij,sj->s", e, self.hessian, e)


def make_problem(first_seed: int = 0, seeds: int = SEEDS) -> Problem:
    """Synthetic regression y = X w_true + noise per seed, with weights of order one.

    Training starts from w_true + START_OFFSET · z (z standard normal), like fine-tuning from
    nearby weights: every weight stays of order one, where a bfloat16 ulp is 2^-9 to 2^-7.
    The start is rounded to bfloat16, so every scheme, float32 included, starts from exactly
    the same point.
    """
    hessians, optima, optimum_losses, rhss, starts = [], [], [], [], []
    for seed in range(first_seed, first_seed + seeds):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(SAMPLES, FEATURES, generator=g, dtype=torch.float64)
        w_true = torch.randn(FEATURES, generator=g, dtype=torch.float64)
        y = x @ w_true + NOISE * torch.randn(SAMPLES, generator=g, dtype=torch.float64)
        w_star = torch.linalg.lstsq(x, y.unsqueeze(-1)).solution.squeeze(-1)
        hessians.append(x.T @ x / SAMPLES)
        rhss.append(x.T @ y / SAMPLES)
        optima.append(w_star)
        optimum_losses.append(((x @ w_star - y) ** 2).sum() / (2 * SAMPLES))
        start = w_true + START_OFFSET * torch.randn(FEATURES, generator=g, dtype=torch.float64)
        starts.append(start.to(torch.bfloat16).double())
    return Problem(torch.stack(hessians), torch.stack(optima), torch.stack(optimum_losses),
                   torch.stack(rhss), torch.stack(starts))  # fmt: skip


# -- training ----------------------------------------------------------------------------------


class SwampTally:
    """Counts the updates rounding swallowed: a non-zero Δ after which the stored weight is unchanged.

    Kept both as a count of (weight, step) pairs and weighted by |Δ|, because once training
    has converged Adam's steps become tiny and plentiful, and the count alone would be
    dominated by them.
    """

    def __init__(self) -> None:
        self.lost = self.attempted = 0
        self.lost_mass = self.attempted_mass = 0.0

    def record(self, delta: torch.Tensor, before: torch.Tensor, after: torch.Tensor) -> None:
        moved = delta != 0
        swallowed = moved & (after == before)
        size = delta.abs().double()
        self.lost += int(swallowed.sum())
        self.attempted += int(moved.sum())
        self.lost_mass += size[swallowed].sum().item()
        self.attempted_mass += size.sum().item()

    def fraction(self) -> float | None:
        return self.lost / self.attempted if self.attempted else None

    def mass_fraction(self) -> float | None:
        return self.lost_mass / self.attempted_mass if self.attempted_mass else None


@dataclass(frozen=True)
class Trajectory:
    """What one scheme's training run leaves behind, per seed."""

    final_loss: torch.Tensor  # (seeds,) float64
    final_weights: torch.Tensor  # (seeds, d) float64, the weights the model computes with
    swamped: SwampTally
    steps_to_threshold: list[int | None]  # per seed; None if never reached


def train(scheme: str, lr: float, steps: int, problem: Problem, seed: int = 0) -> Trajectory:
    """Full-batch AdamW on the problem, with the weights stored as ``scheme`` says."""
    weights = SCHEMES[scheme](problem.w0, seed)
    optimiser = AdamW(problem.w0.shape, AdamWConfig(lr))
    initial = problem.loss(weights.model_weights())
    target = problem.optimum_loss + THRESHOLD * (initial - problem.optimum_loss)
    reached: list[int | None] = [None] * len(initial)
    tally = SwampTally()
    for step in range(1, steps + 1):
        w = weights.model_weights()
        delta = optimiser.update(problem.gradient(w), w)
        before = weights.stored().clone()
        weights.apply(delta)
        tally.record(delta, before, weights.stored())
        _mark_reached(reached, problem.loss(weights.model_weights()) <= target, step)
    final = weights.model_weights().double()
    loss = problem.loss(final)
    if not torch.isfinite(loss).all():
        raise FloatingPointError(f"{scheme} at lr={lr}: the loss is not finite ({loss.tolist()})")
    return Trajectory(loss, final, tally, reached)


def _mark_reached(reached: list[int | None], below: torch.Tensor, step: int) -> None:
    for i, ok in enumerate(below.tolist()):
        if ok and reached[i] is None:
            reached[i] = step


@lru_cache(maxsize=64)
def _trained(scheme: str, lr: float, steps: int) -> Trajectory:
    """Cached, so the float32 reference is trained once per learning rate and step count."""
    return train(scheme, lr, steps, _problem())


@lru_cache(maxsize=1)
def _problem() -> Problem:
    return make_problem()


def summarise(run: Trajectory, reference: Trajectory, w0: torch.Tensor, optimum_loss: torch.Tensor) -> dict:
    """The point's metrics: seed means, and the float32 run of the same learning rate as yardstick."""
    travelled = (reference.final_weights - w0).norm(dim=1)
    gap = (run.final_weights - reference.final_weights).norm(dim=1)
    steps = run.steps_to_threshold
    return {
        "final_loss": run.final_loss.mean().item(),
        "loss_ratio": (run.final_loss / reference.final_loss).mean().item(),
        "excess_loss": (run.final_loss - optimum_loss).mean().item(),
        "lost_updates": run.swamped.fraction(),
        "lost_update_mass": run.swamped.mass_fraction(),
        "steps_to_threshold": None if None in steps else max(steps),
        "weight_gap": (gap / travelled).mean().item(),
    }


def run(point: dict, bench) -> dict:
    """Entry point: one storage scheme at one learning rate, trained for ``steps`` steps."""
    lr, steps = float(point["lr"]), int(point["steps"])
    metrics = summarise(_trained(point["scheme"], lr, steps), _trained("float32", lr, steps),
                        _problem().w0, _problem().optimum_loss)  # fmt: skip
    bad = [name for name, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise FloatingPointError(f"non-finite metrics: {', '.join(bad)}")
    return metrics
