"""Binary floating-point formats: an exact table, computed twice and cross-checked.

Each value is derived three independent ways and the entry point refuses to report a
value on which they disagree:

1. bit construction: the bit pattern is built from the format's fields and decoded with
   exact rational arithmetic following the IEEE 754 definition;
2. closed form: the textbook formulas in emin, emax and the precision p;
3. torch: the same bit pattern reinterpreted with ``Tensor.view`` and ``torch.finfo``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import torch


@dataclass(frozen=True)
class Format:
    name: str
    exponent_bits: int
    mantissa_bits: int  # width of the trailing significand field (the stored fraction)
    finite_only: bool = False  # OCP "fn" encoding: no infinities, NaN only at S.1111.111
    torch_dtype: torch.dtype | None = None  # the dtype whose bits hold this format
    pad_bits: int = 0  # low zero bits when stored inside a wider torch dtype (tf32 in float32)

    @property
    def total_bits(self) -> int:
        return 1 + self.exponent_bits + self.mantissa_bits

    @property
    def precision(self) -> int:
        return self.mantissa_bits + 1

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_bits - 1) - 1

    @property
    def exponent_all_ones(self) -> int:
        return 2**self.exponent_bits - 1

    @property
    def emax(self) -> int:
        top = self.exponent_all_ones if self.finite_only else self.exponent_all_ones - 1
        return top - self.bias

    @property
    def emin(self) -> int:
        return 1 - self.bias

    @property
    def has_own_torch_dtype(self) -> bool:
        return self.torch_dtype is not None and self.pad_bits == 0


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("float64", 11, 52, torch_dtype=torch.float64),
        Format("float32", 8, 23, torch_dtype=torch.float32),
        Format("tf32", 8, 10, torch_dtype=torch.float32, pad_bits=13),
        Format("bfloat16", 8, 7, torch_dtype=torch.bfloat16),
        Format("float16", 5, 10, torch_dtype=torch.float16),
        Format("float8_e4m3fn", 4, 3, finite_only=True, torch_dtype=torch.float8_e4m3fn),
        Format("float8_e5m2", 5, 2, torch_dtype=torch.float8_e5m2),
    )
}

_SIGNED_INT = {8: torch.int8, 16: torch.int16, 32: torch.int32, 64: torch.int64}


class FormatMismatch(AssertionError):
    """Two independent derivations of a format property disagree."""


def bits_of(fmt: Format, sign: int, exponent: int, mantissa: int) -> int:
    """The bit pattern with the given sign, biased-exponent and trailing-significand fields."""
    if not (0 <= exponent <= fmt.exponent_all_ones and 0 <= mantissa < 2**fmt.mantissa_bits):
        raise ValueError(f"field out of range for {fmt.name}: exponent={exponent}, mantissa={mantissa}")
    return (sign << (fmt.exponent_bits + fmt.mantissa_bits)) | (exponent << fmt.mantissa_bits) | mantissa


def fields_of(fmt: Format, bits: int) -> tuple[int, int, int]:
    m = fmt.mantissa_bits
    return bits >> (fmt.exponent_bits + m), (bits >> m) & fmt.exponent_all_ones, bits & (2**m - 1)


def decode(fmt: Format, bits: int) -> Fraction | float:
    """The exact value of a bit pattern (a Fraction), or a float inf/-inf/nan for special encodings."""
    sign, exponent, mantissa = fields_of(fmt, bits)
    if exponent == fmt.exponent_all_ones:
        if fmt.finite_only:
            if mantissa == 2**fmt.mantissa_bits - 1:
                return math.nan
        else:
            return math.nan if mantissa else (-math.inf if sign else math.inf)
    fraction = Fraction(mantissa, 2**fmt.mantissa_bits)
    if exponent == 0:  # subnormal: no implicit leading 1, exponent fixed at emin
        magnitude = fraction * Fraction(2) ** fmt.emin
    else:
        magnitude = (1 + fraction) * Fraction(2) ** (exponent - fmt.bias)
    return -magnitude if sign else magnitude


def is_quiet_nan(fmt: Format, bits: int) -> bool:
    """IEEE 754-2008 §6.2.1: a NaN is quiet when the first trailing-significand bit is 1."""
    _, exponent, mantissa = fields_of(fmt, bits)
    return (
        exponent == fmt.exponent_all_ones
        and mantissa >> (fmt.mantissa_bits - 1) == 1
        and (not fmt.finite_only or mantissa == 2**fmt.mantissa_bits - 1)
    )


def encodings(fmt: Format) -> dict[str, int | None]:
    """Named bit patterns, built field by field; None where the format has no such encoding."""
    top = fmt.exponent_all_ones
    full = 2**fmt.mantissa_bits - 1
    quiet = 2 ** (fmt.mantissa_bits - 1)
    return {
        "max_finite": bits_of(fmt, 0, top, full - 1) if fmt.finite_only else bits_of(fmt, 0, top - 1, full),
        "min_normal": bits_of(fmt, 0, 1, 0),
        "min_subnormal": bits_of(fmt, 0, 0, 1),
        "one": bits_of(fmt, 0, fmt.bias, 0),
        "after_one": bits_of(fmt, 0, fmt.bias, 1),
        "pos_inf": None if fmt.finite_only else bits_of(fmt, 0, top, 0),
        "neg_inf": None if fmt.finite_only else bits_of(fmt, 1, top, 0),
        "qnan": bits_of(fmt, 0, top, full) if fmt.finite_only else bits_of(fmt, 0, top, quiet),
    }


def closed_form(fmt: Format) -> dict[str, Fraction]:
    """The same quantities from the standard's formulas in p, emin and emax."""
    two, p = Fraction(2), fmt.precision
    # e4m3fn gives the all-ones mantissa at the top exponent to NaN, so its largest
    # significand is one ulp short of the IEEE one.
    top_significand = 2 - (2 if fmt.finite_only else 1) * two ** (1 - p)
    return {
        "max_finite": top_significand * two**fmt.emax,
        "min_normal": two**fmt.emin,
        "min_subnormal": two ** (fmt.emin - p + 1),
        "epsilon": two ** (1 - p),
    }


def torch_value(fmt: Format, bits: int) -> float:
    """The value torch gives the same bit pattern, reinterpreted in place with Tensor.view."""
    dtype = fmt.torch_dtype
    width = torch.finfo(dtype).bits
    raw = bits << fmt.pad_bits
    signed = raw - 2**width if raw >= 2 ** (width - 1) else raw
    return torch.tensor([signed], dtype=_SIGNED_INT[width]).view(dtype).item()


def torch_bits(dtype: torch.dtype, value: float) -> int:
    """The unsigned bit pattern torch stores for ``value`` in ``dtype``."""
    width = torch.finfo(dtype).bits
    return torch.tensor([value], dtype=dtype).view(_SIGNED_INT[width]).item() % 2**width


def largest_power_of_ten_below(power_of_two: int) -> int:
    """The largest d with 10**d <= 2**power_of_two, in exact integer arithmetic."""
    return len(str(2**power_of_two)) - 1


def hex_of(fmt: Format, bits: int | None) -> str:
    return "none" if bits is None else f"0x{bits:0{(fmt.total_bits + 3) // 4}X}"


def symbolic(value: Fraction) -> str:
    """A positive dyadic rational as 2^a or 2^a - 2^b (every entry of the table is one of these)."""
    num, den = value.numerator, value.denominator
    k = den.bit_length() - 1
    low = (num & -num).bit_length() - 1
    ones = num >> low
    if ones == 1:
        return f"2^{low - k}"
    if ones & (ones + 1) == 0:
        return f"2^{low + ones.bit_length() - k} - 2^{low - k}"
    raise ValueError(f"{value} is not of the form 2^a or 2^a - 2^b")


def decimal(value: Fraction, max_digits: int = 40) -> str:
    """Exact decimal expansion when it has at most ``max_digits`` significant digits, else ~17 digits."""
    num, den = value.numerator, value.denominator
    k = den.bit_length() - 1  # value = num * 5^k / 10^k for a dyadic rational
    digits = str(num * 5**k)
    exp10 = len(digits) - 1 - k
    significant = digits.rstrip("0") or "0"
    if len(significant) <= max_digits:
        if value.denominator == 1:
            return f"= {num}"
        mantissa = significant[0] + ("." + significant[1:] if len(significant) > 1 else "")
        return f"= {mantissa}e{exp10:+03d}"
    return f"≈ {float(value):.17g}"


def exact_text(value: Fraction) -> str:
    return f"{symbolic(value)} {decimal(value)}"


def derive(fmt: Format) -> tuple[dict, list[str]]:
    """The table row for one format, and the list of disagreements found while deriving it."""
    problems: list[str] = []

    def agree(what: str, *pairs: tuple[str, object]) -> None:
        values = [v for _, v in pairs]
        if any(v != values[0] for v in values[1:]):
            problems.append(f"{what}: " + ", ".join(f"{src}={v!r}" for src, v in pairs))

    enc = encodings(fmt)
    built = {name: decode(fmt, enc[name]) for name in ("max_finite", "min_normal", "min_subnormal")}
    built["epsilon"] = decode(fmt, enc["after_one"]) - decode(fmt, enc["one"])
    formula = closed_form(fmt)
    for name, value in built.items():
        agree(name, ("bits", value), ("formula", formula[name]))

    # torch, reading the very same bit patterns
    for name in ("max_finite", "min_normal", "min_subnormal", "one"):
        agree(
            f"{name} via view",
            ("bits", decode(fmt, enc[name])),
            ("torch", Fraction(torch_value(fmt, enc[name]))),
        )
    for name in ("pos_inf", "neg_inf"):
        if enc[name] is not None:
            agree(
                f"{name} via view", ("bits", decode(fmt, enc[name])), ("torch", torch_value(fmt, enc[name]))
            )
    if not math.isnan(torch_value(fmt, enc["qnan"])) or not math.isnan(decode(fmt, enc["qnan"])):
        problems.append(f"qnan {hex_of(fmt, enc['qnan'])} does not read back as NaN")

    decimal_digits = largest_power_of_ten_below(fmt.precision - 1)
    if fmt.has_own_torch_dtype:
        fi = torch.finfo(fmt.torch_dtype)
        agree("total bits", ("layout", fmt.total_bits), ("finfo", fi.bits))
        agree("max_finite", ("bits", built["max_finite"]), ("finfo", Fraction(fi.max)))
        agree("min_normal", ("bits", built["min_normal"]), ("finfo", Fraction(fi.smallest_normal)))
        agree("epsilon", ("bits", built["epsilon"]), ("finfo", Fraction(fi.eps)))
        agree("decimal digits", ("exact", decimal_digits), ("finfo", round(-math.log10(fi.resolution))))
        # and the other direction: which bits torch itself stores for inf and NaN
        if enc["pos_inf"] is not None:
            agree("+inf bits", ("built", enc["pos_inf"]), ("torch", torch_bits(fmt.torch_dtype, math.inf)))
            agree("-inf bits", ("built", enc["neg_inf"]), ("torch", torch_bits(fmt.torch_dtype, -math.inf)))
        torch_nan = torch_bits(fmt.torch_dtype, math.nan)
        if not is_quiet_nan(fmt, torch_nan):
            problems.append(f"torch's NaN {hex_of(fmt, torch_nan)} is not a quiet NaN by the field rule")

    row = {
        "total_bits": fmt.total_bits,
        "sign_bits": 1,
        "exponent_bits": fmt.exponent_bits,
        "mantissa_bits": fmt.mantissa_bits,
        "precision_bits": fmt.precision,
        "layout": f"1+{fmt.exponent_bits}+{fmt.mantissa_bits}",
        "exponent_bias": fmt.bias,
        "emin": fmt.emin,
        "emax": fmt.emax,
        "decimal_digits": decimal_digits,
        "roundtrip_digits": largest_power_of_ten_below(fmt.precision) + 2,
        "pos_inf_hex": hex_of(fmt, enc["pos_inf"]),
        "neg_inf_hex": hex_of(fmt, enc["neg_inf"]),
        "qnan_hex": hex_of(fmt, enc["qnan"]),
    }
    for name, value in built.items():
        row[name] = float(value)
        row[f"{name}_exact"] = exact_text(value)
    return row, problems


def run(point: dict, bench) -> dict:
    """Entry point: one format per parameter point; raises FormatMismatch on any disagreement."""
    fmt = FORMATS[point["format"]]
    row, problems = derive(fmt)
    if problems:
        raise FormatMismatch(f"{fmt.name}: " + "; ".join(problems))
    row["checked"] = "ok"
    return row
