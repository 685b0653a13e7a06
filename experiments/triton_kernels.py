"""Triton kernels of our own: a compensated sum reduction (with a plain twin and a dot-product
variant) and a fused RMSNorm forward.

The vocabulary is that of the CPU experiment on compensated summation
(``experiments/compensated_summation.py``): *naive* or *plain* summation adds each term to a
running sum; *Neumaier's variant* of Kahan's compensated summation keeps the running sum
exactly as plain summation does and accumulates the exact error of every addition,
computed with Knuth's branch-free TwoSum, in a separate compensation term c; the result is
s + c.

Why Neumaier (TwoSum) and not Kahan here:

- The accumulators are float32 for every input dtype, and a float16 or bfloat16 term
  converts to float32 exactly, so n·u stays small (u = 2^-24) for every lane: the regime
  where Neumaier's variant is the more accurate of the two (its first-order error is
  relative to |Σx|, not Σ|x|, which matters for cancelling sums). Its weakness in the CPU
  experiment, a 16-bit compensation that stagnates, does not arise with float32 lanes.
- A GPU reduction is not one sequential sum: each lane sums its own sequence, and the lanes
  (and then the programs) are combined in a tree. A (sum, compensation) pair combines with
  another exactly the same way a term is added: TwoSum the two sums, add the two
  compensations and the new error. Kahan's feedback form has no such symmetric pairwise
  step.
- The kernel is bound by memory bandwidth, so TwoSum's six floating-point operations per
  term (Kahan's takes four) cost nothing measurable.

``tl.sum`` is a tree reduction of plain additions, so it cannot carry a compensation. The
kernels therefore compensate *per lane across blocks*: each program strides over many
blocks of the input and keeps a vector of BLOCK float32 running sums and compensations;
only at the end are the lanes combined, by ``tl.reduce`` with the compensated pairwise
step as its combine function. The per-program (sum, compensation) pairs are combined by a
second, one-program kernel with the same step, on the device, so nothing is handed to a
float64 or host-side sum. The plain twin has the same structure with plain additions.

The compiler must not re-associate ``(s - (t - z)) + (x - z)`` into zero: Triton does not
enable fast-math re-association, and the launchers pass ``enable_fp_fusion=False`` on a GPU
so that no addition of a product is contracted into a fused multiply-add whose rounding
TwoSum does not expect.

Every launcher works on CUDA tensors, and on CPU tensors under Triton's interpreter
(``TRITON_INTERPRET=1`` set before this module is imported), which is how the tests run.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

# Defaults sized for a large GPU: BLOCK lanes per program and iteration, PROGRAMS_PER_SM
# programs per streaming multiprocessor, so every SM has several programs' loads in flight.
BLOCK = 4096
NUM_WARPS = 8
PROGRAMS_PER_SM = 4
MAX_PROGRAMS = 4096  # the combine kernel reads every partial in one block of this size at most

SUPPORTED = (torch.float32, torch.float16, torch.bfloat16)


# -- compensated building blocks ------------------------------------------------------------


@triton.jit
def _two_sum(a, b):
    """Knuth's TwoSum: s = fl(a + b) and the exact error e, so that a + b = s + e exactly.

    Branch-free (six operations), valid whatever the relative sizes of a and b, unlike Dekker's
    FastTwoSum, which needs |a| >= |b| and so a comparison per lane."""
    s = a + b
    z = s - a
    e = (a - (s - z)) + (b - z)
    return s, e


@triton.jit
def _combine_compensated(s1, c1, s2, c2):
    """Add two (sum, compensation) pairs: TwoSum the sums and fold its error into the
    compensations. Used as the combine function of ``tl.reduce``, so the lanes and the
    programs are merged in a tree without dropping any compensation."""
    s, e = _two_sum(s1, s2)
    return s, (c1 + c2) + e


@triton.jit
def _combine_plain(s1, c1, s2, c2):
    """The plain twin's combine: the sums are added, the (zero) compensations are carried."""
    return s1 + s2, c1 + c2


# -- pass 1: per-program partial sums -------------------------------------------------------


@triton.jit
def _partial_sum_kernel(
    x_ptr,
    y_ptr,
    partial_sum_ptr,
    partial_comp_ptr,
    n,
    BLOCK: tl.constexpr,
    COMPENSATED: tl.constexpr,
    DOT: tl.constexpr,
):
    """Program p sums blocks p, p + P, p + 2P, ... of x (or of x*y when DOT) into one
    (sum, compensation) pair per program.

    Each lane keeps its own float32 running sum s and, when COMPENSATED, the running sum c of
    the exact errors of its additions (Neumaier). Loads are converted to float32 first, so a
    float16 or bfloat16 input is summed at float32 precision. The masked tail loads zeros,
    which add exactly. Blocks are interleaved between programs, so at any moment the
    programs read neighbouring blocks and the reads stay contiguous in memory."""
    pid = tl.program_id(0).to(tl.int64)
    programs = tl.num_programs(0).to(tl.int64)
    lanes = tl.arange(0, BLOCK)
    s = tl.zeros([BLOCK], dtype=tl.float32)
    c = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(pid * BLOCK, n, programs * BLOCK):
        offsets = start + lanes
        mask = offsets < n
        term = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
        if DOT:
            # a product of two float16 or bfloat16 values is exact in float32 (at most 22
            # significant bits); of two float32 values it is rounded once, an error this
            # kernel does not compensate (the sum's compensation does not see it)
            term = term * tl.load(y_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
        if COMPENSATED:
            s, e = _two_sum(s, term)
            c += e
        else:
            s += term
    if COMPENSATED:
        total, comp = tl.reduce((s, c), 0, _combine_compensated)
    else:
        total, comp = tl.reduce((s, c), 0, _combine_plain)
    tl.store(partial_sum_ptr + pid, total)
    tl.store(partial_comp_ptr + pid, comp)


# -- pass 2: one program combines the partials ----------------------------------------------


@triton.jit
def _combine_partials_kernel(
    partial_sum_ptr,
    partial_comp_ptr,
    out_ptr,
    programs,
    BLOCK: tl.constexpr,
    COMPENSATED: tl.constexpr,
):
    """Merge the per-program pairs with the same pairwise step as the lanes, then round
    s + c once to float32: the only rounding of the result the compensation does not undo."""
    idx = tl.arange(0, BLOCK)
    mask = idx < programs
    s = tl.load(partial_sum_ptr + idx, mask=mask, other=0.0)
    c = tl.load(partial_comp_ptr + idx, mask=mask, other=0.0)
    if COMPENSATED:
        total, comp = tl.reduce((s, c), 0, _combine_compensated)
    else:
        total, comp = tl.reduce((s, c), 0, _combine_plain)
    tl.store(out_ptr, total + comp)


# -- launchers ------------------------------------------------------------------------------


def default_programs(x: torch.Tensor, block: int = BLOCK) -> int:
    """PROGRAMS_PER_SM programs per SM on a GPU (never more than there are blocks); 4 elsewhere."""
    blocks = triton.cdiv(max(x.numel(), 1), block)
    if x.is_cuda:
        sms = torch.cuda.get_device_properties(x.device).multi_processor_count
        return max(1, min(blocks, PROGRAMS_PER_SM * sms, MAX_PROGRAMS))
    return max(1, min(blocks, 4))


def _launch_options(x: torch.Tensor, num_warps: int) -> dict:
    # the interpreter takes no compiler options; on a GPU, no FMA contraction (see the module)
    return {"num_warps": num_warps, "enable_fp_fusion": False} if x.is_cuda else {}


def _reduce(
    x: torch.Tensor,
    y: torch.Tensor | None,
    *,
    compensated: bool,
    block: int,
    programs: int | None,
    num_warps: int,
) -> torch.Tensor:
    if x.dtype not in SUPPORTED:
        raise TypeError(f"expected float32, float16 or bfloat16, not {x.dtype}")
    x = x.reshape(-1)
    if not x.is_contiguous():
        x = x.contiguous()
    if y is not None:
        if y.shape != x.shape and y.numel() != x.numel():
            raise ValueError(f"x has {x.numel()} elements and y {y.numel()}")
        y = y.reshape(-1).contiguous()
    programs = programs or default_programs(x, block)
    if not 1 <= programs <= MAX_PROGRAMS:
        raise ValueError(f"programs must be in 1..{MAX_PROGRAMS}, not {programs}")
    partial_sum = torch.empty(programs, dtype=torch.float32, device=x.device)
    partial_comp = torch.empty(programs, dtype=torch.float32, device=x.device)
    out = torch.empty(1, dtype=torch.float32, device=x.device)
    _partial_sum_kernel[(programs,)](
        x,
        y if y is not None else x,
        partial_sum,
        partial_comp,
        x.numel(),
        BLOCK=block,
        COMPENSATED=compensated,
        DOT=y is not None,
        **_launch_options(x, num_warps),
    )
    _combine_partials_kernel[(1,)](
        partial_sum,
        partial_comp,
        out,
        programs,
        BLOCK=triton.next_power_of_2(programs),
        COMPENSATED=compensated,
        **_launch_options(x, 4),
    )
    return out[0]


def compensated_sum(
    x: torch.Tensor, *, block: int = BLOCK, programs: int | None = None, num_warps: int = NUM_WARPS
) -> torch.Tensor:
    """Σx in float32 with per-lane Neumaier compensation: a 0-d float32 tensor on x's device."""
    return _reduce(x, None, compensated=True, block=block, programs=programs, num_warps=num_warps)


def plain_sum(
    x: torch.Tensor, *, block: int = BLOCK, programs: int | None = None, num_warps: int = NUM_WARPS
) -> torch.Tensor:
    """The twin of ``compensated_sum`` with the same blocking and no compensation."""
    return _reduce(x, None, compensated=False, block=block, programs=programs, num_warps=num_warps)


def compensated_dot(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    block: int = BLOCK,
    programs: int | None = None,
    num_warps: int = NUM_WARPS,
) -> torch.Tensor:
    """Σ x_i y_i: products in float32, summed with the same compensation as ``compensated_sum``."""
    return _reduce(x, y, compensated=True, block=block, programs=programs, num_warps=num_warps)


# -- fused RMSNorm forward ------------------------------------------------------------------


@triton.jit
def _to_bfloat16_rne(y):
    """Round float32 to bfloat16, to nearest with ties to even, with integer operations.

    On a GPU ``y.to(tl.bfloat16)`` does the same in one instruction, but Triton's interpreter
    truncates that conversion, which would make the tests measure the interpreter instead of
    the kernel. Adding 0x7FFF plus the lowest kept bit and dropping the 16 low bits is the
    standard round-to-nearest-even; it costs a few integer operations per element in a
    kernel bound by memory, and it is the same code on the GPU and in the tests. (A NaN may
    come out as another NaN or as an infinity; the inputs here are finite.)"""
    bits = y.to(tl.uint32, bitcast=True)
    bits = bits + 0x7FFF + ((bits >> 16) & 1)
    return (bits >> 16).to(tl.uint16).to(tl.bfloat16, bitcast=True)


@triton.jit
def _rmsnorm_kernel(
    x_ptr,
    w_ptr,
    y_ptr,
    hidden,
    stride_x,
    stride_y,
    eps,
    BLOCK: tl.constexpr,
    OUT_BF16: tl.constexpr,
):
    """One program per row: y = x / sqrt(mean(x²) + eps) * w.

    The row is read once into registers (BLOCK is the next power of two above ``hidden``;
    the lanes past it are masked and load zeros, which add nothing to the sum of squares,
    and the mean divides by the true ``hidden``). Squares and their sum are float32, the
    scaling too, and the result is rounded to the output dtype once, at the store. Fusing
    the two passes means the activations cross memory once each way, where an eager
    implementation reads them at least twice and writes intermediates."""
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < hidden
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    mean_square = tl.sum(x * x, axis=0) / hidden
    rstd = 1.0 / tl.sqrt(mean_square + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = x * rstd * w
    if OUT_BF16:  # noqa: SIM108 - a compile-time branch: only one side is compiled
        out = _to_bfloat16_rne(y)
    else:
        out = y.to(y_ptr.dtype.element_ty)
    tl.store(y_ptr + row * stride_y + cols, out, mask=mask)


def rmsnorm_warps(hidden: int) -> int:
    """Warps per row program: enough threads that each holds at most about 16 elements."""
    return max(1, min(16, triton.next_power_of_2(hidden) // (32 * 16)))


def rmsnorm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Fused RMSNorm over the last dimension of a 2-D (rows, hidden) tensor, output in x's dtype."""
    if x.dim() != 2 or weight.shape != (x.shape[1],):
        raise ValueError(
            f"expected x (rows, hidden) and weight (hidden,), got {tuple(x.shape)}, {tuple(weight.shape)}"
        )
    if x.stride(1) != 1:
        x = x.contiguous()
    weight = weight.contiguous()
    rows, hidden = x.shape
    y = torch.empty_like(x, memory_format=torch.contiguous_format)
    options = {"num_warps": rmsnorm_warps(hidden)} if x.is_cuda else {}
    _rmsnorm_kernel[(rows,)](
        x,
        weight,
        y,
        hidden,
        x.stride(0),
        y.stride(0),
        eps,
        BLOCK=triton.next_power_of_2(hidden),
        OUT_BF16=x.dtype == torch.bfloat16,
        **options,
    )
    return y


def rmsnorm_reference(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The explicit formula in float32 (the accuracy reference): x / sqrt(mean(x²) + eps) * w."""
    x32 = x.float()
    return x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps) * weight.float()


def rmsnorm_eager(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """PyTorch eager: ``torch.nn.functional.rms_norm`` where torch has it, else the formula."""
    rms_norm = getattr(torch.nn.functional, "rms_norm", None)
    if rms_norm is not None:
        return rms_norm(x, (x.shape[-1],), weight, eps)
    return rmsnorm_reference(x, weight, eps).to(x.dtype)
