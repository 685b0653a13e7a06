"""SDE-noised SGD on the digits: Langevin weight noise, annealed gradient noise and plain SGD.

One parameter point is one way of adding noise to minibatch SGD, trained on the same small
training subset for the same number of epochs from the same five initialisations:

- ``sgd``: plain SGD, ``w ← w − η ĝ`` (ĝ the minibatch gradient), the reference;
- ``langevin_T``: stochastic gradient Langevin dynamics at temperature T,
  ``w ← w − η ĝ + √(2ηT) ξ`` with ξ standard normal, fresh for every weight and step;
- ``annealed_a``: annealed Gaussian gradient noise, ``w ← w − η (ĝ + σ_t ξ)`` with
  ``σ_t² = a / (1 + t)^0.55`` at step t = 0, 1, …

The two kinds of noise scale differently with the learning rate, which is the point of
comparing them: the Langevin term has standard deviation ∝ √η, so in the continuous-time
limit (time t = step × η) it is a diffusion of fixed temperature T, whatever η is; noise
added to the gradient is multiplied by η like the gradient, so it is ∝ η per step and acts
like more minibatch noise, which the stochastic modified equation of SGD shows is itself a
diffusion of size ∝ √η in continuous time, i.e. a temperature ∝ η.

Every run is judged at its final weights: accuracy and loss on the training subset and on
the test set, the sharpness of the training loss there (the largest eigenvalue of its
Hessian, by power iteration on Hessian-vector products), and the temperature of SGD's own
minibatch noise there, to compare with the temperature injected.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
from digits import SEEDS, Split, accuracy, digits, mean_loss, minibatches, mlp, over_seeds
from torch.func import functional_call, grad, vmap

TRAIN_FRACTION = 0.2  # a stratified fifth of the training images, so that there is a gap to measure
SUBSET_SEED = 0  # the same subset for every seed: seeds change the run, never the data
HIDDEN = 64  # one tanh layer of 64 units: 64·64 + 64 + 64·10 + 10 = 4,810 weights
BATCH = 16
LEARNING_RATE = 0.1
GAMMA = 0.55  # the decay exponent of the annealed gradient noise's variance
NOISE_SEED_OFFSET = 1000  # the noise generator's seed is the run's seed plus this
POWER_ITERATIONS = 100  # the default number of Hessian-vector products per sharpness estimate
POWER_SEED = 0  # the power iteration's start vector


# -- the noise --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Noise:
    """How a variant perturbs the SGD step: ``kind`` is sgd, langevin or annealed; ``level``
    is the temperature T (langevin) or the scale a of the gradient noise's variance (annealed)."""

    kind: str
    level: float = 0.0

    def weight_std(self, lr: float) -> float:
        """Standard deviation of the noise added to each weight after the step: √(2ηT)."""
        return math.sqrt(2 * lr * self.level) if self.kind == "langevin" else 0.0

    def gradient_std(self, step: int) -> float:
        """Standard deviation σ_t of the noise added to each gradient entry at step t (from 0)."""
        return math.sqrt(self.level / (1 + step) ** GAMMA) if self.kind == "annealed" else 0.0

    def temperature(self, lr: float, step: int) -> float:
        """The temperature of the injected noise at step t: a per-step displacement of variance
        v per weight is the Langevin noise of temperature v / 2η. For gradient noise v = η²σ_t²."""
        return (self.weight_std(lr) ** 2 + (lr * self.gradient_std(step)) ** 2) / (2 * lr)


def parse_variant(name: str) -> Noise:
    """``sgd``, ``langevin_<T>`` or ``annealed_<a>`` as a :class:`Noise`."""
    if name == "sgd":
        return Noise("sgd")
    kind, _, level = name.partition("_")
    if kind not in ("langevin", "annealed") or not level:
        raise ValueError(f"unknown variant {name!r}: expected sgd, langevin_<T> or annealed_<a>")
    return Noise(kind, float(level))


@torch.no_grad()
def sgd_step(
    params: list[torch.Tensor], lr: float, noise: Noise, step: int, generator: torch.Generator | None
) -> None:
    """One step on the gradients in ``p.grad``. Plain SGD draws nothing; the noisy variants draw
    both noises for every weight (a zero level draws and multiplies by zero), so a zero level
    runs their code and must leave exactly plain SGD's weights."""
    for p in params:
        if noise.kind == "sgd":
            p.sub_(lr * p.grad)
            continue
        noisy_grad = p.grad + noise.gradient_std(step) * _normal(p, generator)
        p.sub_(lr * noisy_grad).add_(noise.weight_std(lr) * _normal(p, generator))


def _normal(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator, dtype=like.dtype)


# -- training ---------------------------------------------------------------------------------


def train(noise: Noise, epochs: int, seed: int, data: Split) -> torch.nn.Module:
    """Minibatch SGD with ``noise`` for ``epochs`` passes over the training subset. The seed
    sets the initialisation, the minibatch order and (through its own generator, so that the
    order never depends on the noise) the noise."""
    model = mlp(HIDDEN, seed)
    params = list(model.parameters())
    order = torch.Generator().manual_seed(seed)
    noise_generator = torch.Generator().manual_seed(seed + NOISE_SEED_OFFSET)
    step = 0
    for _ in range(epochs):
        for rows in minibatches(len(data.train_y), BATCH, order):
            model.zero_grad(set_to_none=False)
            loss = torch.nn.functional.cross_entropy(model(data.train_x[rows]), data.train_y[rows])
            loss.backward()
            sgd_step(params, LEARNING_RATE, noise, step, noise_generator)
            step += 1
    return model


def steps_per_epoch(n: int) -> int:
    """Minibatches per pass over ``n`` images (the last one may be smaller)."""
    return math.ceil(n / BATCH)


# -- the loss as a function of one flat weight vector ------------------------------------------


class FlatModel:
    """The model's mean cross-entropy as a function of its weights flattened into one float64
    vector (float64, so that the power iteration's residual measures the iteration, not the
    rounding), and that vector at the model's current weights."""

    def __init__(self, model: torch.nn.Module):
        named = list(model.named_parameters())
        self.names = [name for name, _ in named]
        self.shapes = [p.shape for _, p in named]
        self.sizes = [p.numel() for _, p in named]
        self.weights = flat_weights(model)
        self.module = copy.deepcopy(model).double()

    def loss(self, w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pieces = torch.split(w, self.sizes)
        params = {n: piece.view(s) for n, piece, s in zip(self.names, pieces, self.shapes, strict=True)}
        return torch.nn.functional.cross_entropy(functional_call(self.module, params, (x.double(),)), y)


def flat_weights(model: torch.nn.Module) -> torch.Tensor:
    """All of the model's weights as one float64 vector, in ``parameters()`` order."""
    return torch.cat([p.detach().double().flatten() for p in model.parameters()])


def hessian_vector_product(loss: Callable, w: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """v ↦ H v, H the Hessian of ``loss`` at ``w``, by double backward, never forming H: the
    gradient g(w) is computed once with its own graph kept, and each product is the gradient of
    g · v, one more backward pass through that graph."""
    w = w.detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss(w), w, create_graph=True)

    def product(v: torch.Tensor) -> torch.Tensor:
        (hv,) = torch.autograd.grad(gradient, w, grad_outputs=v, retain_graph=True)
        return hv.detach()

    return product


@dataclass(frozen=True)
class Eigen:
    value: float  # the Rayleigh quotient vᵀHv of the last unit vector v
    residual: float  # ‖Hv − λv‖ / |λ|: some eigenvalue of H lies within this fraction of λ


def power_iteration(
    matvec: Callable[[torch.Tensor], torch.Tensor], dim: int, iterations: int = POWER_ITERATIONS
) -> Eigen:
    """The eigenvalue of largest magnitude of a symmetric operator, by ``iterations`` steps of
    v ← Hv / ‖Hv‖ from a fixed random start, and its relative residual. For a symmetric H some
    eigenvalue lies within ‖Hv − λv‖ of the Rayleigh quotient λ = vᵀHv, so the residual is the
    convergence check."""
    v = torch.randn(dim, generator=torch.Generator().manual_seed(POWER_SEED), dtype=torch.float64)
    v /= v.norm()
    for _ in range(iterations):
        hv = matvec(v)
        v = hv / hv.norm()
    hv = matvec(v)
    value = torch.dot(v, hv).item()
    return Eigen(value, ((hv - value * v).norm() / abs(value)).item())


def largest_eigenvalue(
    matvec: Callable[[torch.Tensor], torch.Tensor], dim: int, iterations: int = POWER_ITERATIONS
) -> Eigen:
    """The algebraically largest eigenvalue. Power iteration finds the one of largest magnitude;
    when that is negative (a saddle's steepest downward curvature outweighs every upward one),
    a second run on H − λI, whose spectrum is shifted to be non-negative, finds the top of the
    spectrum, and λ is added back."""
    first = power_iteration(matvec, dim, iterations)
    if first.value >= 0:
        return first
    shift = first.value
    second = power_iteration(lambda v: matvec(v) - shift * v, dim, iterations)
    value = second.value + shift
    return Eigen(value, second.residual * abs(second.value) / abs(value))


def sharpness(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, iterations: int = POWER_ITERATIONS
) -> Eigen:
    """The largest eigenvalue of the Hessian of the mean loss over (x, y) at the model's weights."""
    flat = FlatModel(model)
    hvp = hessian_vector_product(lambda w: flat.loss(w, x, y), flat.weights)
    return largest_eigenvalue(hvp, flat.weights.numel(), iterations)


def per_example_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(n, d): the gradient of each example's loss with respect to the flat weights."""
    flat = FlatModel(model)
    one = grad(lambda w, xi, yi: flat.loss(w, xi.unsqueeze(0), yi.unsqueeze(0)))
    return vmap(one, in_dims=(None, 0, 0))(flat.weights, x, y)


def sgd_temperature(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float, batch: int) -> float:
    """The temperature of SGD's own noise at the model's weights, on the scale of the injected
    ones: −η(ĝ − ∇L) is a per-step displacement of mean per-weight variance η² tr(C_B)/d, so its
    temperature is η tr(C_B) / 2d. C_B, the covariance of the mean gradient of B examples drawn
    without replacement from N, is (N − B) / (B (N − 1)) times the covariance of one example's
    gradient over the N."""
    grads = per_example_gradients(model, x, y)
    n, d = grads.shape
    single_trace = ((grads - grads.mean(dim=0)) ** 2).sum(dim=1).mean().item()
    return lr * minibatch_covariance_trace(single_trace, n, batch) / (2 * d)


def minibatch_covariance_trace(single_trace: float, n: int, batch: int) -> float:
    """tr of the covariance of a mean over ``batch`` of ``n`` items drawn without replacement,
    from the trace of one item's covariance (the finite-population correction)."""
    return single_trace * (n - batch) / (batch * (n - 1))


# -- the point's metrics ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def training_data() -> Split:
    """The training subset (and the full test set) every run uses."""
    return digits().subset(TRAIN_FRACTION, SUBSET_SEED)


def evaluate(
    model: torch.nn.Module, start: torch.nn.Module, data: Split, noise: Noise, epochs: int, iterations: int
) -> dict[str, float]:
    """One trained run's numbers at its final weights (``start`` is the same network untrained);
    ``iterations`` power-iteration steps for the sharpness."""
    train_acc = accuracy(model, data.train_x, data.train_y)
    test_acc = accuracy(model, data.test_x, data.test_y)
    train_loss = mean_loss(model, data.train_x, data.train_y)
    test_loss = mean_loss(model, data.test_x, data.test_y)
    top = sharpness(model, data.train_x, data.train_y, iterations)
    last_step = epochs * steps_per_epoch(len(data.train_y)) - 1
    return {
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "accuracy_gap": train_acc - test_acc,
        "train_loss": train_loss,
        "test_loss": test_loss,
        "loss_gap": test_loss - train_loss,
        "sharpness": top.value,
        "power_residual": top.residual,
        "weight_drift": (flat_weights(model) - flat_weights(start)).norm().item(),
        "sgd_temperature": sgd_temperature(model, data.train_x, data.train_y, LEARNING_RATE, BATCH),
        "sgd_temperature_start": sgd_temperature(start, data.train_x, data.train_y, LEARNING_RATE, BATCH),
        "injected_temperature": noise.temperature(LEARNING_RATE, last_step),
    }


def run(point: dict, bench) -> dict:
    """Entry point: one noise variant, trained for ``epochs`` epochs once per seed, its
    sharpness measured with ``power_iterations`` Hessian-vector products."""
    noise, epochs, data = parse_variant(point["variant"]), int(point["epochs"]), training_data()
    iterations = int(point["power_iterations"])
    per_seed = [
        evaluate(train(noise, epochs, seed, data), mlp(HIDDEN, seed), data, noise, epochs, iterations)
        for seed in SEEDS
    ]
    metrics = {name: over_seeds(run[name] for run in per_seed) for name in per_seed[0]}
    metrics["injected_temperature"] = per_seed[0]["injected_temperature"]  # the same for every seed
    return metrics
