"""Tensor decompositions to compress a trained convolution: CP, Tucker-2 and truncated SVD.

One parameter point is one factorisation method at one parameter budget. For each of the five
seeds a small CNN is trained on the digits (once per seed, shared by every point); its second
convolution, a 3×3 layer from 32 to 64 channels that holds almost all of the network's
weights, is then replaced by a factorised form with at most ``budget`` of its weights:

- ``svd``: the kernel reshaped as a 64 × 288 matrix (output channel × input channel and tap),
  truncated to rank R: a 3×3 convolution to R channels, then a 1×1 convolution to 64;
- ``tucker``: a Tucker-2 decomposition that compresses the two channel modes and leaves the
  3×3 spatial modes alone: a 1×1 convolution to R_in channels, a 3×3 convolution (the core)
  to R_out channels, a 1×1 convolution to 64;
- ``cp``: a rank-R CP decomposition of the 4-way kernel, run as Lebedev et al. do: a 1×1
  convolution to R channels, a 3×1 and a 1×3 depthwise convolution, a 1×1 convolution to 64.

Every form keeps the layer's bias on its last stage, and every stage keeps the 4×4 feature
map, so each form's multiply-adds per image are exactly 16 times its weights. The network is
tested as it is after the swap and again after a short fine-tune of all its weights.

The decompositions are written out here in torch (float64): truncated SVD, HOOI for Tucker-2
and alternating least squares for CP. The tests check them against TensorLy.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F
from digits import CLASSES, SEEDS, Split, accuracy, digits, images, minibatches, over_seeds
from torch import nn

from cortex.timing import Measurement

METHODS = ("svd", "tucker", "cp")
KERNEL = 3
CHANNELS = (32, 64)  # first convolution 1 → 32, the compressed one 32 → 64
COMPRESSED = 3  # index of the compressed convolution in the network's nn.Sequential
BATCH = 32
LEARNING_RATE = 3e-3  # Adam for the original network, torch's other defaults
FINETUNE_LEARNING_RATE = 1e-3  # Adam, a fresh optimiser, for the fine-tune
FINETUNE_SEED_OFFSET = 1000  # the fine-tune's minibatch order: the run's seed plus this
SUBSET_SEED = 0  # which training images a reduced size keeps: the same for every seed
ALS_TOLERANCE = 1e-6  # CP stops once a sweep improves the relative error by less than this
HOOI_ITERATIONS = 20  # Tucker-2: rounds of HOOI after the truncated-HOSVD start
TIMING_S = 0.1  # each layer is timed for at least this long (at least 5 repetitions)
WARMUP_CALLS = 5


# -- the network ----------------------------------------------------------------------------------


def network(seed: int) -> nn.Sequential:
    """conv 3×3 (1 → 32), ReLU, 2×2 max-pool (8×8 → 4×4); conv 3×3 (32 → 64), ReLU, 2×2 max-pool
    (→ 2×2); mean over positions; linear to the 10 classes. 320 + 18,496 + 650 = 19,466 weights,
    95% of them in the second convolution, the one compressed."""
    torch.manual_seed(seed)
    first, second = CHANNELS
    return nn.Sequential(
        nn.Conv2d(1, first, KERNEL, padding=KERNEL // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(first, second, KERNEL, padding=KERNEL // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(second, CLASSES),
    )


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def fit(net: nn.Module, data: Split, epochs: int, lr: float, order_seed: int) -> nn.Module:
    """Adam on minibatches of 32 for ``epochs`` passes over the training images, cross-entropy."""
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    order = torch.Generator().manual_seed(order_seed)
    x, y = images(data.train_x), data.train_y
    net.train()
    for _ in range(epochs):
        for rows in minibatches(len(y), BATCH, order):
            loss = F.cross_entropy(net(x[rows]), y[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return net.eval()


# -- the decompositions (float64) ----------------------------------------------------------------


@dataclass(frozen=True)
class SVDFactors:
    """W[t, s, i, j] ≈ Σ_r left[t, r] · right[r, s, i, j]; the singular values sit in ``left``."""

    left: torch.Tensor  # (T, R)
    right: torch.Tensor  # (R, S, k, k)

    def rebuild(self) -> torch.Tensor:
        return torch.einsum("tr,rsij->tsij", self.left, self.right)


@dataclass(frozen=True)
class TuckerFactors:
    """W[t, s, i, j] ≈ Σ_pq out[t, p] · core[p, q, i, j] · inp[s, q] (Tucker-2: spatial modes kept)."""

    out: torch.Tensor  # (T, R_out), orthonormal columns
    core: torch.Tensor  # (R_out, R_in, k, k)
    inp: torch.Tensor  # (S, R_in), orthonormal columns

    def rebuild(self) -> torch.Tensor:
        return torch.einsum("tp,pqij,sq->tsij", self.out, self.core, self.inp)


@dataclass(frozen=True)
class CPFactors:
    """W[t, s, i, j] ≈ Σ_r out[t, r] · inp[s, r] · vertical[i, r] · horizontal[j, r]."""

    out: torch.Tensor  # (T, R), carries the components' weights
    inp: torch.Tensor  # (S, R)
    vertical: torch.Tensor  # (k, R)
    horizontal: torch.Tensor  # (k, R)

    def rebuild(self) -> torch.Tensor:
        return torch.einsum("tr,sr,ir,jr->tsij", self.out, self.inp, self.vertical, self.horizontal)


def truncated_svd(weight: torch.Tensor, rank: int) -> SVDFactors:
    """The best rank-R approximation of the kernel as a (T, S·k·k) matrix (Eckart–Young)."""
    t = weight.shape[0]
    u, s, vh = torch.linalg.svd(weight.reshape(t, -1), full_matrices=False)
    return SVDFactors(u[:, :rank] * s[:rank], vh[:rank].reshape(rank, *weight.shape[1:]))


def leading_left_singular_vectors(matrix: torch.Tensor, count: int) -> torch.Tensor:
    return torch.linalg.svd(matrix, full_matrices=False)[0][:, :count]


def tucker2(weight: torch.Tensor, ranks: tuple[int, int], iterations: int = HOOI_ITERATIONS) -> TuckerFactors:
    """Tucker-2 of the kernel along its output and input channel modes by HOOI (Kolda and Bader,
    §4.2): start from the truncated HOSVD, then refit each factor as the leading left singular
    vectors of the kernel projected on the other factor; the core is the kernel projected on both.
    """
    r_out, r_in = ranks
    t, s = weight.shape[:2]
    out = leading_left_singular_vectors(weight.reshape(t, -1), r_out)
    inp = leading_left_singular_vectors(weight.transpose(0, 1).reshape(s, -1), r_in)
    for _ in range(iterations):
        out = leading_left_singular_vectors(torch.einsum("tsij,sq->tqij", weight, inp).reshape(t, -1), r_out)
        inp = leading_left_singular_vectors(torch.einsum("tsij,tp->spij", weight, out).reshape(s, -1), r_in)
    core = torch.einsum("tsij,tp,sq->pqij", weight, out, inp)
    return TuckerFactors(out, core, inp)


# einsum strings for CP-ALS on a 4-way tensor "abcd": the MTTKRP of each mode (the tensor
# contracted with the other three factors) and that mode's letter
_MODES = "abcd"
_MTTKRP = [f"abcd,{','.join(m + 'r' for m in _MODES if m != n)}->{n}r" for n in _MODES]


def cp_als(
    tensor: torch.Tensor,
    rank: int,
    seed: int,
    iterations: int,
    tolerance: float = ALS_TOLERANCE,
    init: list[torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """Rank-R CP of a 4-way tensor by alternating least squares (Kolda and Bader, §3.4).

    Each sweep solves for one factor at a time with the other three fixed:
    A_n ← X_(n) (⊙_{m≠n} A_m) (∗_{m≠n} A_mᵀA_m)⁺, the MTTKRP written as one einsum. The columns
    of each new factor are normalised and their norms kept as the components' weights, which go
    into the first factor at the end. ``init`` defaults to the leading left singular vectors of
    each unfolding, with standard normal columns (seeded) where the mode has fewer than R.
    Stops after ``iterations`` sweeps or once a sweep improves the relative error by less
    than ``tolerance``.
    """
    factors = [f.clone() for f in init] if init is not None else _svd_init(tensor, rank, seed)
    squared_norm = tensor.square().sum()
    weights = torch.ones(rank, dtype=tensor.dtype)
    previous = math.inf
    for _ in range(iterations):
        for n in range(4):
            others = [f for m, f in enumerate(factors) if m != n]
            gram = math.prod(f.T @ f for f in others)
            mttkrp = torch.einsum(_MTTKRP[n], tensor, *others)
            factor = mttkrp @ torch.linalg.pinv(gram, hermitian=True)
            weights = factor.norm(dim=0).clamp_min(torch.finfo(tensor.dtype).tiny)
            factors[n] = factor / weights
        error = _relative_error(
            squared_norm, mttkrp, factors[-1], weights, gram * (factors[-1].T @ factors[-1])
        )
        if previous - error < tolerance:
            break
        previous = error
    return [factors[0] * weights, *factors[1:]]


def _relative_error(squared_norm, mttkrp, last, weights, gram) -> float:
    """‖X − X̂‖ / ‖X‖ without forming X̂: ‖X − X̂‖² = ‖X‖² − 2⟨X, X̂⟩ + ‖X̂‖², where
    ⟨X, X̂⟩ = Σ_r λ_r Σ_i M[i, r] A[i, r] from the last mode's MTTKRP M and factor A, and
    ‖X̂‖² = λᵀ (∗_m A_mᵀA_m) λ (Kolda and Bader, §3.4)."""
    inner = (weights * (mttkrp * last).sum(0)).sum()
    model = weights @ gram @ weights
    return (squared_norm - 2 * inner + model).clamp_min(0).sqrt().item() / squared_norm.sqrt().item()


def _svd_init(tensor: torch.Tensor, rank: int, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    factors = []
    for n, size in enumerate(tensor.shape):
        unfolding = tensor.movedim(n, 0).reshape(size, -1)
        u = leading_left_singular_vectors(unfolding, min(rank, size))
        extra = torch.randn(size, rank - u.shape[1], generator=generator, dtype=tensor.dtype)
        factors.append(torch.cat([u, extra], dim=1))
    return factors


def cp_rebuild(factors: list[torch.Tensor]) -> torch.Tensor:
    return torch.einsum("ar,br,cr,dr->abcd", *factors)


def cp(weight: torch.Tensor, rank: int, seed: int, sweeps: int) -> CPFactors:
    out, inp, vertical, horizontal = cp_als(weight, rank, seed, sweeps)
    return CPFactors(out, inp, vertical, horizontal)


# -- ranks from a budget --------------------------------------------------------------------------


def svd_weights(rank: int, t: int, s: int, k: int = KERNEL) -> int:
    return rank * (s * k * k + t)


def tucker_weights(ranks: tuple[int, int], t: int, s: int, k: int = KERNEL) -> int:
    r_out, r_in = ranks
    return s * r_in + r_out * r_in * k * k + r_out * t


def cp_weights(rank: int, t: int, s: int, k: int = KERNEL) -> int:
    return rank * (s + k + k + t)


def tucker_ranks(r_in: int, t: int, s: int) -> tuple[int, int]:
    """(R_out, R_in) in the proportion of the two channel counts: the same share of each mode."""
    return max(1, round(r_in * t / s)), r_in


def ranks_for_budget(method: str, budget: float, t: int, s: int, k: int = KERNEL) -> int | tuple[int, int]:
    """The largest rank whose factorised kernel has at most ``budget`` × T·S·k² weights (at least
    rank 1). For Tucker-2 the largest R_in, with R_out = R_in · T/S."""
    limit = budget * t * s * k * k
    if method == "svd":
        return max(1, math.floor(limit / svd_weights(1, t, s, k)))
    if method == "cp":
        return max(1, math.floor(limit / cp_weights(1, t, s, k)))
    if method == "tucker":
        fitting = [r for r in range(1, s + 1) if tucker_weights(tucker_ranks(r, t, s), t, s, k) <= limit]
        return tucker_ranks(max(fitting, default=1), t, s)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def decompose(method: str, weight: torch.Tensor, rank, seed: int, sweeps: int):
    """Factors of the kernel (float64) for ``method`` at ``rank``; ``sweeps`` caps CP's ALS."""
    if method == "svd":
        return truncated_svd(weight, rank)
    if method == "tucker":
        return tucker2(weight, rank)
    if method == "cp":
        return cp(weight, rank, seed, sweeps)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


# -- factors as layers ----------------------------------------------------------------------------


def _conv(weight: torch.Tensor, padding: int | tuple[int, int] = 0, groups: int = 1, bias=None) -> nn.Conv2d:
    """A Conv2d holding the given float64 weight as float32 (and a bias only where given)."""
    out_channels, in_per_group, kh, kw = weight.shape
    conv = nn.Conv2d(in_per_group * groups, out_channels, (kh, kw), padding=padding, groups=groups,
                     bias=bias is not None)  # fmt: skip
    with torch.no_grad():
        conv.weight.copy_(weight)
        if bias is not None:
            conv.bias.copy_(bias)
    return conv


def as_layers(factors, bias: torch.Tensor) -> nn.Sequential:
    """The factorised convolution: stages that compute exactly the convolution with
    ``factors.rebuild()`` (padding 1, stride 1) and the original bias."""
    pad = KERNEL // 2
    if isinstance(factors, SVDFactors):
        return nn.Sequential(
            _conv(factors.right, padding=pad),  # 3×3, S → R
            _conv(factors.left[:, :, None, None], bias=bias),  # 1×1, R → T
        )
    if isinstance(factors, TuckerFactors):
        return nn.Sequential(
            _conv(factors.inp.T[:, :, None, None]),  # 1×1, S → R_in
            _conv(factors.core, padding=pad),  # 3×3 core, R_in → R_out
            _conv(factors.out[:, :, None, None], bias=bias),  # 1×1, R_out → T
        )
    if isinstance(factors, CPFactors):
        rank = factors.out.shape[1]
        return nn.Sequential(
            _conv(factors.inp.T[:, :, None, None]),  # 1×1, S → R
            _conv(factors.vertical.T[:, None, :, None], padding=(pad, 0), groups=rank),  # 3×1 per channel
            _conv(factors.horizontal.T[:, None, None, :], padding=(0, pad), groups=rank),  # 1×3 per channel
            _conv(factors.out[:, :, None, None], bias=bias),  # 1×1, R → T
        )
    raise TypeError(f"not a factorisation: {type(factors).__name__}")


def rank_text(rank) -> str:
    return f"{rank[0]}×{rank[1]}" if isinstance(rank, tuple) else str(rank)


def relative_error(weight: torch.Tensor, approximation: torch.Tensor) -> float:
    return ((weight - approximation).norm() / weight.norm()).item()


# -- one point ------------------------------------------------------------------------------------


@cache
def _training_data(train_fraction: float) -> Split:
    return digits().subset(train_fraction, SUBSET_SEED)


@cache
def _trained(seed: int, epochs: int, train_fraction: float) -> nn.Sequential:
    """The original network of a seed: trained once per process and shared by every point, so
    all methods and budgets compress the very same five layers."""
    return fit(network(seed), _training_data(train_fraction), epochs, LEARNING_RATE, seed)


def compressed_network(original: nn.Sequential, factors) -> nn.Sequential:
    """A copy of the network with the second convolution replaced by its factorised form."""
    layers = list(copy.deepcopy(original))
    layers[COMPRESSED] = as_layers(factors, original[COMPRESSED].bias.detach())
    return nn.Sequential(*layers).eval()


@dataclass(frozen=True)
class SeedResult:
    """One seed's numbers at one point, and its factorised network before the fine-tune."""

    original_accuracy: float
    compressed_accuracy: float
    finetuned_accuracy: float
    reconstruction_error: float
    compressed: nn.Sequential


def compress_one_seed(method: str, rank, seed: int, point: dict) -> SeedResult:
    """Decompose the seed's trained layer, swap it in, test; fine-tune a copy of the whole
    factorised network, test again."""
    fraction = float(point["train_fraction"])
    data = _training_data(fraction)
    original = _trained(seed, int(point["epochs"]), fraction)
    weight = original[COMPRESSED].weight.detach().double()
    factors = decompose(method, weight, rank, seed, int(point["cp_sweeps"]))
    compressed = compressed_network(original, factors)
    tuned = fit(copy.deepcopy(compressed), data, int(point["finetune_epochs"]), FINETUNE_LEARNING_RATE,
                seed + FINETUNE_SEED_OFFSET)  # fmt: skip
    x, y = images(data.test_x), data.test_y
    return SeedResult(accuracy(original, x, y), accuracy(compressed, x, y), accuracy(tuned, x, y),
                      relative_error(weight, factors.rebuild()), compressed)  # fmt: skip


def layer_input(net: nn.Sequential) -> torch.Tensor:
    """What the compressed layer sees for the 540 test images: (540, 32, 4, 4)."""
    with torch.no_grad():
        return net[:COMPRESSED](images(digits().test_x))


def time_layer(layer: nn.Module, x: torch.Tensor, bench) -> Measurement:
    """Forward time of the layer on the batch in milliseconds: median over repetitions, quartiles."""

    @torch.no_grad()
    def forward():
        layer(x)

    return bench.time(forward, warmup=WARMUP_CALLS, min_time_s=TIMING_S).measurement(1e3)


def run(point: dict, bench) -> dict:
    """Entry point: one method at one parameter budget, over the five seeds."""
    first, second = CHANNELS
    rank = ranks_for_budget(point["method"], float(point["budget"]), t=second, s=first)
    seeds = [compress_one_seed(point["method"], rank, seed, point) for seed in SEEDS]
    original = _trained(SEEDS[0], int(point["epochs"]), float(point["train_fraction"]))
    factorised = seeds[0].compressed  # the timing uses seed 0's network
    x = layer_input(original)
    original_time = time_layer(original[COMPRESSED], x, bench)
    factorised_time = time_layer(factorised[COMPRESSED], x, bench)
    parameters = parameter_count(factorised[COMPRESSED])
    return {
        "original_accuracy": over_seeds(r.original_accuracy for r in seeds),
        "compressed_accuracy": over_seeds(r.compressed_accuracy for r in seeds),
        "finetuned_accuracy": over_seeds(r.finetuned_accuracy for r in seeds),
        "accuracy_drop": over_seeds(r.original_accuracy - r.finetuned_accuracy for r in seeds),
        "reconstruction_error": over_seeds(r.reconstruction_error for r in seeds),
        "rank": rank_text(rank),
        "parameters": parameters,
        "parameter_share": parameters / parameter_count(original[COMPRESSED]),
        "network_parameters": parameter_count(factorised),
        "layer_time": factorised_time,
        "original_layer_time": original_time,
        "speedup": original_time.value / factorised_time.value,
    }
