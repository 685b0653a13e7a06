"""The floating-point formats experiment against IEEE 754 definitions, numpy and Python's struct."""

from __future__ import annotations

import math
import re
import struct
from fractions import Fraction

import numpy as np
import pytest
import torch
from support.paths import REPO

from cortex.runner.run import check_metrics
from cortex.timing import Harness

EXPERIMENT = "fp_formats"  # the spec, entry and module fixtures (conftest) load it
DECLARATION = REPO / "experiments" / f"{EXPERIMENT}.md"
TWO = Fraction(2)


@pytest.fixture(scope="module")
def rows(spec, entry):
    bench = Harness("cpu")
    return {p["format"]: entry(p, bench) for p in spec.points()}


# (bits, exponent bits, fraction bits, bias, largest finite, smallest normal, smallest subnormal,
#  epsilon, +inf, -inf, a quiet NaN) written from the definitions, not from the code under test
IEEE = {
    "float64": (
        64,
        11,
        52,
        1023,
        (2 - TWO**-52) * TWO**1023,
        TWO**-1022,
        TWO**-1074,
        TWO**-52,
        "0x7FF0000000000000",
        "0xFFF0000000000000",
        "0x7FF8000000000000",
    ),
    "float32": (
        32,
        8,
        23,
        127,
        (2 - TWO**-23) * TWO**127,
        TWO**-126,
        TWO**-149,
        TWO**-23,
        "0x7F800000",
        "0xFF800000",
        "0x7FC00000",
    ),
    "tf32": (
        19,
        8,
        10,
        127,
        (2 - TWO**-10) * TWO**127,
        TWO**-126,
        TWO**-136,
        TWO**-10,
        "0x3FC00",
        "0x7FC00",
        "0x3FE00",
    ),
    "bfloat16": (
        16,
        8,
        7,
        127,
        (2 - TWO**-7) * TWO**127,
        TWO**-126,
        TWO**-133,
        TWO**-7,
        "0x7F80",
        "0xFF80",
        "0x7FC0",
    ),
    "float16": (16, 5, 10, 15, Fraction(65504), TWO**-14, TWO**-24, TWO**-10, "0x7C00", "0xFC00", "0x7E00"),
    "float8_e4m3fn": (8, 4, 3, 7, Fraction(448), TWO**-6, TWO**-9, TWO**-3, "none", "none", "0x7F"),
    "float8_e5m2": (8, 5, 2, 15, Fraction(57344), TWO**-14, TWO**-16, TWO**-2, "0x7C", "0xFC", "0x7E"),
}


def test_declaration_has_one_point_per_format(spec):
    assert [p["format"] for p in spec.points()] == list(IEEE)
    assert spec.device == "cpu"


@pytest.mark.parametrize("name", list(IEEE))
def test_row_matches_ieee_definition(rows, spec, name):
    bits, e, m, bias, largest, normal, subnormal, eps, pinf, ninf, qnan = IEEE[name]
    row = rows[name]
    assert row["checked"] == "ok"
    assert (row["total_bits"], row["sign_bits"], row["exponent_bits"], row["mantissa_bits"]) == (
        bits,
        1,
        e,
        m,
    )
    assert row["layout"] == f"1+{e}+{m}" and row["precision_bits"] == m + 1
    assert row["exponent_bias"] == bias == 2 ** (e - 1) - 1
    for key, exact in (
        ("max_finite", largest),
        ("min_normal", normal),
        ("min_subnormal", subnormal),
        ("epsilon", eps),
    ):
        assert row[key] == float(exact), key
        assert Fraction(row[key]) == exact, key  # float64 holds every one of these exactly
    assert (row["pos_inf_hex"], row["neg_inf_hex"], row["qnan_hex"]) == (pinf, ninf, qnan)
    # C's FLT_DIG / DBL_DIG definition, and its round-trip counterpart, in exact arithmetic
    p = m + 1
    assert row["decimal_digits"] == max(d for d in range(20) if 10**d <= 2 ** (p - 1))
    assert row["roundtrip_digits"] == math.ceil(1 + p * math.log10(2))
    _, problems = check_metrics(spec, row)
    assert problems == []


def test_exact_strings(rows):
    assert rows["float16"]["max_finite_exact"] == "2^16 - 2^5 = 65504"
    assert rows["float16"]["min_subnormal_exact"] == "2^-24 = 5.9604644775390625e-08"
    assert rows["float8_e4m3fn"]["max_finite_exact"] == "2^9 - 2^6 = 448"
    assert rows["float8_e5m2"]["max_finite_exact"] == "2^16 - 2^13 = 57344"
    assert rows["bfloat16"]["epsilon_exact"] == "2^-7 = 7.8125e-03"
    assert rows["float64"]["max_finite_exact"] == "2^1024 - 2^971 ≈ 1.7976931348623157e+308"
    assert rows["float64"]["min_subnormal_exact"].startswith("2^-1074 ≈ 4.94065645841246")


@pytest.mark.parametrize(
    ("name", "np_type"), [("float16", np.float16), ("float32", np.float32), ("float64", np.float64)]
)
def test_agrees_with_numpy(rows, name, np_type):
    fi, row = np.finfo(np_type), rows[name]
    assert row["max_finite"] == float(fi.max)
    assert row["min_normal"] == float(fi.smallest_normal)
    assert row["min_subnormal"] == float(fi.smallest_subnormal)
    assert row["epsilon"] == float(fi.eps)
    assert row["decimal_digits"] == fi.precision
    assert row["exponent_bits"] == fi.nexp and row["mantissa_bits"] == fi.nmant


@pytest.mark.parametrize(("name", "code"), [("float16", "e"), ("float32", "f"), ("float64", "d")])
def test_special_patterns_agree_with_struct(rows, name, code):
    def hex_of(x: float) -> str:
        return "0x" + struct.pack(">" + code, x).hex().upper()

    row = rows[name]
    assert row["pos_inf_hex"] == hex_of(math.inf)
    assert row["neg_inf_hex"] == hex_of(-math.inf)
    nan = struct.unpack(">" + code, bytes.fromhex(row["qnan_hex"][2:]))[0]
    assert math.isnan(nan)


def test_disagreement_is_detected(module):
    # float16 bits described with a 9-bit fraction, and e4m3fn described with IEEE specials
    wrong_width = module.Format("float16", 5, 9, torch_dtype=torch.float16)
    ieee_e4m3 = module.Format("float8_e4m3fn", 4, 3, torch_dtype=torch.float8_e4m3fn)
    for fmt in (wrong_width, ieee_e4m3):
        _, problems = module.derive(fmt)
        assert problems, fmt
    assert any("max_finite" in p and "448" in p for p in module.derive(ieee_e4m3)[1])
    assert module.closed_form(ieee_e4m3)["max_finite"] == 240


def seed_corrections() -> list[list[str]]:
    """The rows of the page's table of errors in a half-precision cheat sheet."""
    text = DECLARATION.read_text(encoding="utf-8")
    section = text.split("## Errors in a half-precision cheat sheet", 1)[1]
    lines = [ln for ln in section.splitlines() if ln.startswith("| ") and not ln.startswith("| Its label")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def binary16(bits: int) -> float:
    return struct.unpack("<e", struct.pack("<H", bits))[0]


def parse_pattern(cell: str) -> int:
    bits = int(code_spans(cell)[0].replace(" ", ""), 2)
    assert re.search(rf"\(0x{bits:04X}\)", cell), f"hex in {cell!r} does not match its bits"
    return bits


def check_value(module, bits: int, cell: str) -> None:
    fmt = module.FORMATS["float16"]
    stated = code_spans(cell)[0]
    decoded, by_struct = module.decode(fmt, bits), binary16(bits)
    if stated == "NaN":
        assert math.isnan(decoded) and math.isnan(by_struct)
        assert module.is_quiet_nan(fmt, bits) == ("quiet" in cell)
    elif stated == "+inf":
        assert decoded == by_struct == math.inf
    else:
        assert decoded == Fraction(stated) == Fraction(by_struct), cell


def test_seed_corrections_in_the_page_are_right(module):
    rows = seed_corrections()
    assert len(rows) == 9
    for label, seed_cell, seed_meaning, correct_cell, correct_value in rows:
        seed_bits, correct_bits = parse_pattern(seed_cell), parse_pattern(correct_cell)
        check_value(module, seed_bits, seed_meaning)
        check_value(module, correct_bits, correct_value)
        assert seed_bits != correct_bits or "factor" in correct_value, label
