"""A small knowledge base with known near-duplicates, for related notes and reviews: two notes on
compensated summation, two on attention kernels, one on gardening that resembles nothing, one
that links a summation note, and papers on both subjects."""

from __future__ import annotations

from pathlib import Path

from support.paths import write_tree

KAHAN = (
    "Kahan summation keeps a running compensation term that captures the rounding error lost when "
    "a small floating-point number is added to a large running sum, so the error of the total "
    "stays bounded independently of how many numbers are summed."
)
ATTENTION = (
    "Flash attention computes softmax attention on the GPU in tiles that stay in shared memory, "
    "so the attention matrix is never written to global memory and the kernel runs at the memory "
    "bandwidth of the device for long sequences."
)

FILES = {
    "mkdocs.yml": "site_name: Related\ndocs_dir: content\n",
    "content/numerics/Kahan Summation.md": f"---\naliases: [compensated sum]\n---\n# Kahan Summation\n\n{KAHAN}\n",
    "content/numerics/Compensated Sums.md": (
        "# Compensated Sums\n\nA compensated sum carries a second variable holding the rounding error "
        "of each floating-point addition; adding it back keeps the error of the running sum bounded "
        "however many numbers are summed (Kahan's method).\n"
    ),
    "content/gpu/Attention Kernels.md": f"# Attention Kernels\n\n{ATTENTION}\n",
    "content/gpu/Tiled Softmax.md": (
        "# Tiled Softmax\n\nTiling the softmax of attention keeps each block of queries and keys in "
        "the GPU's shared memory: the full attention matrix never reaches global memory, so long "
        "sequences run at memory bandwidth.\n"
    ),
    "content/garden/Tomatoes.md": (
        "# Tomatoes\n\nPlant tomatoes after the last frost in rich soil, water them deeply twice a "
        "week and pinch out the side shoots so the fruit ripens before autumn.\n"
    ),
    "content/numerics/Error Bounds.md": (
        "# Error Bounds\n\nSee [[Kahan Summation]]. Summing floating-point numbers with a running "
        "compensation keeps the rounding error of the sum bounded, independently of how many "
        "numbers are added.\n"
    ),
    "refs/papers.bib": (
        "@article{higham1993accuracy, title = {The Accuracy of Floating Point Summation},\n"
        "  author = {Higham, Nicholas J.}, year = {1993}, journal = {SIAM J. Sci. Comput.},\n"
        "  abstract = {The accuracy of recursive, pairwise and compensated summation of floating "
        "point numbers is analysed: compensated summation keeps the rounding error bounded "
        "independently of the number of terms.}}\n"
        "@misc{dao2022flashattention, title = {FlashAttention: Fast and Memory-Efficient Exact "
        "Attention with IO-Awareness}, author = {Dao, Tri}, year = {2022},\n"
        "  abstract = {Attention is computed in tiles kept in GPU shared memory so that the attention "
        "matrix is never written to global memory, running at memory bandwidth for long sequences.}}\n"
        "@book{hessayon2010vegetable, title = {The Vegetable and Herb Expert}, author = {Hessayon, D. G.},"
        " year = {2010}}\n"
    ),
}


def related_project(root: Path, extra: dict[str, str] | None = None) -> Path:
    """The project written under ``root`` (with ``extra`` files); returns ``root``."""
    return write_tree(root, {**FILES, **(extra or {})})
