"""Adversarial training as a two-player game: standard, FGSM and PGD training on the digits.

Adversarial training solves min over the weights θ of the expected max over perturbations δ
with ‖δ‖∞ ≤ ε of the loss L(θ, x + δ, y). The outer player is the optimiser choosing θ; the
inner player is an attack choosing δ for each training image, given the current θ. The
training methods differ only in the inner player:

- ``standard``: no inner player (δ = 0), ordinary training;
- ``fgsm``: one signed-gradient step of size ε from the clean image (Goodfellow et al.);
- ``pgd``: a uniformly random start in the ε-ball, then k signed-gradient steps of size α,
  each projected back onto the ball (Madry et al.).

Every model is then judged by attacks stronger than any used in training: PGD with more steps
and several random restarts (an image counts as robust only when every restart fails), and
FGSM, at several ε. Every perturbed image is projected onto the ε-ball around the clean image
and then clipped to the pixel range [0, 1], so it is always a valid image.

One parameter point is one training method and one evaluation ε. The five models a method
trains (one per seed) do not depend on ε, so they are trained once per process and cached:
the points of a method share them, and report the same training time and clean accuracy.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from digits import SEEDS, accuracy, digits, minibatches, mlp, over_seeds

Model = Callable[[torch.Tensor], torch.Tensor]

HIDDEN = 64  # the MLP's hidden width (one tanh layer)
BATCH = 64  # training minibatch
LEARNING_RATE = 1e-3  # Adam's, constant
TRAIN_EPS = 0.1  # the ε-ball the adversarial training methods defend, in units of the pixel range
PGD_TRAIN_STEPS = 7  # k, the training attack's steps
STEP_REACH = 2.5  # a PGD attack's step is STEP_REACH · ε / steps
EVAL_SEED_OFFSET = 1000  # the evaluation attack's random starts never reuse a training stream
METHODS = ("standard", "fgsm", "pgd")


# -- the inner player: attacks ---------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    """An L∞ attack: ``steps`` signed-gradient steps of ``step_size``, from the clean image
    (``random_start`` false) or from a uniform draw in the ε-ball, ``restarts`` tries per image."""

    eps: float
    steps: int
    step_size: float
    random_start: bool
    restarts: int = 1

    @property
    def gradient_passes(self) -> int:
        """Forward-backward passes through the model per image the attack perturbs."""
        return self.steps * self.restarts


def fgsm(eps: float) -> Attack:
    """Goodfellow et al.'s fast gradient sign method: x + ε · sign(∇ₓ L), clipped."""
    return Attack(eps, steps=1, step_size=eps, random_start=False)


def pgd(eps: float, steps: int, restarts: int = 1) -> Attack:
    """Madry et al.'s projected gradient ascent on the loss, from a random start. The step
    is STEP_REACH · ε / steps, so the steps together could cross the ball more than once."""
    return Attack(eps, steps=steps, step_size=STEP_REACH * eps / steps, random_start=True, restarts=restarts)


def project(x_adv: torch.Tensor, x: torch.Tensor, eps: float) -> torch.Tensor:
    """The nearest point to ``x_adv`` that lies within ε of ``x`` in every pixel and within
    [0, 1]. Both constraints are per pixel intervals that contain x, so clamping to the ball
    and then to the pixel range lands in their intersection."""
    return torch.clamp(torch.minimum(torch.maximum(x_adv, x - eps), x + eps), 0.0, 1.0)


def input_gradient(model: Model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """∇ₓ of the mean cross-entropy. Each image's gradient depends on that image alone, and
    only its sign is used, so the mean's 1/n does not matter. The weights get no gradient."""
    x = x.detach().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def perturb(
    model: Model, x: torch.Tensor, y: torch.Tensor, attack: Attack, generator: torch.Generator
) -> torch.Tensor:
    """One try of the attack on a batch: the perturbed images (no restarts)."""
    x = x.detach()
    x_adv = x
    if attack.random_start:
        noise = torch.rand(x.shape, generator=generator, dtype=x.dtype) * 2 - 1
        x_adv = project(x + attack.eps * noise, x, attack.eps)
    for _ in range(attack.steps):
        x_adv = project(x_adv + attack.step_size * input_gradient(model, x_adv, y).sign(), x, attack.eps)
    return x_adv.detach()


@torch.no_grad()
def _correct(model: Model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return model(x).argmax(dim=1) == y


def robust_correct(
    model: Model, x: torch.Tensor, y: torch.Tensor, attack: Attack, generator: torch.Generator
) -> torch.Tensor:
    """Per image: classified correctly under every one of the attack's restarts."""
    correct = _correct(model, x, y)
    for _ in range(attack.restarts):
        correct &= _correct(model, perturb(model, x, y, attack, generator), y)
    return correct


# -- the outer player: training -------------------------------------------------------------


def inner_attack(method: str) -> Attack | None:
    """The training attack each method's inner player uses (None: standard training)."""
    return {"standard": None, "fgsm": fgsm(TRAIN_EPS), "pgd": pgd(TRAIN_EPS, PGD_TRAIN_STEPS)}[method]


def gradient_passes_per_step(method: str) -> int:
    """Forward-backward passes per training image per step: the attack's plus the update's."""
    attack = inner_attack(method)
    return 1 + (attack.gradient_passes if attack else 0)


@dataclass(frozen=True)
class Trained:
    model: torch.nn.Module
    seconds: float  # wall time of the training loop alone


def train(method: str, epochs: int, seed: int) -> Trained:
    """Adam on the mean cross-entropy of the training images, each replaced by the inner
    player's perturbation of it against the current weights (Madry et al.'s objective; no
    clean term is mixed in, so the methods differ only in the inner player)."""
    split = digits()
    model = mlp(HIDDEN, seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    order = torch.Generator().manual_seed(seed)
    starts = torch.Generator().manual_seed(seed)
    attack = inner_attack(method)
    start = time.perf_counter()
    for _ in range(epochs):
        for rows in minibatches(len(split.train_y), BATCH, order):
            x, y = split.train_x[rows], split.train_y[rows]
            if attack is not None:
                x = perturb(model, x, y, attack, starts)
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimiser.step()
    seconds = time.perf_counter() - start
    model.eval()
    return Trained(model, seconds)


@functools.cache
def trained(method: str, epochs: int, seed: int) -> Trained:
    """Training is deterministic given its arguments, so each model is trained once per
    process and shared by every ε point."""
    return train(method, epochs, seed)


# -- the entry point --------------------------------------------------------------------------


def evaluate(model: Model, eps: float, eval_steps: int, restarts: int, seed: int) -> dict[str, float]:
    """Test accuracy clean, under the strong PGD attack and under FGSM, at this ε."""
    split = digits()
    generator = torch.Generator().manual_seed(EVAL_SEED_OFFSET + seed)
    strong = pgd(eps, eval_steps, restarts)
    x, y = split.test_x, split.test_y
    return {
        "clean_accuracy": accuracy(model, x, y),
        "robust_accuracy": robust_correct(model, x, y, strong, generator).float().mean().item(),
        "fgsm_accuracy": robust_correct(model, x, y, fgsm(eps), generator).float().mean().item(),
    }


def run(point: dict, bench) -> dict:
    """Entry point: one training method's five models, attacked at one ε."""
    method, eps, epochs = point["method"], float(point["eps"]), int(point["epochs"])
    steps, restarts = int(point["eval_steps"]), int(point["restarts"])
    per_seed = []
    for seed in SEEDS:
        ours, standard = trained(method, epochs, seed), trained("standard", epochs, seed)
        row = evaluate(ours.model, eps, steps, restarts, seed)
        row["train_time"] = ours.seconds
        row["time_ratio"] = ours.seconds / standard.seconds
        per_seed.append(row)
    metrics = {name: over_seeds(row[name] for row in per_seed) for name in per_seed[0]}
    metrics["gradient_passes"] = gradient_passes_per_step(method)
    return metrics
