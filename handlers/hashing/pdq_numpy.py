"""PDQ computed from a luma plane in numpy, without filtering every pixel.

PDQ (Meta's reference algorithm) blurs the luma image with a Jarosz filter (two
passes of a box filter of width ~dimension/128 along each axis), keeps 64x64
samples of the blurred image, takes a 16x16 DCT of that and sets each bit by
comparing a coefficient with the median. Everything before the median is
linear, so for each axis the blur-then-sample step is one fixed 64 x n matrix
``K`` (depending only on n): the 64x64 samples are ``K_rows @ luma @ K_cols.T``.
That costs two small matrix products instead of filtering and converting every
pixel four times, so full-resolution luma (the JPEG's own Y plane) hashes
several times faster than ``pdqhash.compute`` on the same pixels, with the same
result up to float rounding (tests compare both on every reference image).

The box filter follows the reference's edge handling: output ``o`` is the mean
of ``x[max(0, o - w + h) : min(n, o + h)]`` with ``h = (w + 2) // 2``; samples
are taken at ``int((i + 0.5) * n / 64)``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

SAMPLES = 64
DCT_SIZE = 16


def window_size(old: int, new: int = SAMPLES) -> int:
    """The Jarosz box width for reducing ``old`` pixels to ``new`` samples."""
    return (old + 2 * new - 1) // (2 * new)


@lru_cache(maxsize=256)
def sampling_kernel(n: int) -> npt.NDArray[np.float32]:
    """64 x n: two box passes along an axis of length n, then the 64 samples."""
    w = window_size(n)
    picks = [int((i + 0.5) * n / SAMPLES) for i in range(SAMPLES)]
    half = (w + 2) // 2
    kernel = np.zeros((SAMPLES, n), dtype=np.float64)
    for i, s in enumerate(picks):
        lo, hi = max(0, s - w + half), min(n, s + half)
        for p in range(lo, hi):  # second pass at s averages first-pass outputs p
            plo, phi = max(0, p - w + half), min(n, p + half)
            kernel[i, plo:phi] += 1.0 / ((hi - lo) * (phi - plo))
    out = kernel.astype(np.float32)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=256)
def _sparse_kernel(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """The kernel's non-zero band: for each sample, the indices of the (at most
    2w - 1) pixels it depends on and their weights (zeros pad the short rows)."""
    kernel = sampling_kernel(n)
    nonzero = [np.flatnonzero(row) for row in kernel]
    span = max(len(z) for z in nonzero)
    starts = np.array([min(int(z[0]), n - span) for z in nonzero], dtype=np.intp)
    index = starts[:, None] + np.arange(span, dtype=np.intp)[None, :]
    weights = np.take_along_axis(kernel, index, axis=1)
    index.setflags(write=False)
    weights.setflags(write=False)
    return index, weights


@lru_cache(maxsize=1)
def _dct_matrix() -> npt.NDArray[np.float64]:
    """16 x 64: PDQ's DCT rows 1..16 (the DC row is skipped)."""
    scale = math.sqrt(2.0 / SAMPLES)
    i = np.arange(1, DCT_SIZE + 1)[:, None]
    j = np.arange(SAMPLES)[None, :]
    out: npt.NDArray[np.float64] = scale * np.cos((math.pi / 2 / SAMPLES) * i * (2 * j + 1))
    return out


def quality(samples: npt.NDArray[np.floating]) -> int:
    """PDQ's image-domain quality (0..100) from the 64x64 samples."""
    a = samples.astype(np.float32)
    dv = np.trunc((a[:-1, :] - a[1:, :]) * np.float32(100) / np.float32(255))
    dh = np.trunc((a[:, :-1] - a[:, 1:]) * np.float32(100) / np.float32(255))
    total = int(np.abs(dv).sum() + np.abs(dh).sum())
    return min(100, total // 90)


def hash_from_samples(samples: npt.NDArray[np.floating]) -> str:
    """64 hex digits from the 64x64 samples (bits above the median set)."""
    d = _dct_matrix()
    return _bits_hex(d @ samples.astype(np.float64) @ d.T)


def samples_from_luma(luma: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The 64x64 blurred samples PDQ hashes, from an (H, W) uint8 luma plane.

    Rows first, through the kernel's band only (each sample row reads ~2w - 1
    image rows), then columns of that 64 x W result the same way.
    """
    if luma.ndim != 2 or luma.shape[0] < 1 or luma.shape[1] < 1:
        raise ValueError(f"expected a non-empty 2-D luma plane, got shape {luma.shape}")
    height, width = luma.shape
    index, weights = _sparse_kernel(height)
    band = np.take(luma, index.reshape(-1), axis=0).reshape(SAMPLES, index.shape[1], width)
    top = np.einsum("ksw,ks->kw", band.astype(np.float32), weights)
    # Columns the same way. (Not a BLAS product: small, and BLAS threads spin
    # when the cores are busy with other work.)
    index, weights = _sparse_kernel(width)
    cols = np.take(top, index.reshape(-1), axis=1).reshape(SAMPLES, SAMPLES, index.shape[1])
    out: npt.NDArray[np.float32] = np.einsum("iks,ks->ik", cols, weights)
    return out


def pdq_from_luma(luma: npt.NDArray[np.uint8]) -> tuple[str, int]:
    """PDQ hex and quality of an (H, W) uint8 luma plane."""
    samples = samples_from_luma(luma)
    return hash_from_samples(samples), quality(samples)


def _bits_hex(coeffs: npt.NDArray[np.float64]) -> str:
    flat = coeffs.reshape(-1)
    median = np.partition(flat, 127)[127]  # the reference's (Torben) lower median
    # Bit k = 16 * row + column; the hex shows bit 255 first.
    return np.packbits((flat > median).astype(np.uint8)[::-1]).tobytes().hex()


def pdq_dihedral_from_luma(luma: npt.NDArray[np.uint8]) -> tuple[list[str], int]:
    """The 8 dihedral PDQ hashes and the quality, from one 16x16 DCT (as the
    reference does): mirroring the image flips the sign of odd-order DCT
    terms, and transposing it transposes them. Order: original, rotate90,
    rotate180, rotate270, flip_x, flip_y, flip_plus1, flip_minus1 (pdqhash's)."""
    samples = samples_from_luma(luma)
    d = _dct_matrix()
    b = d @ samples.astype(np.float64) @ d.T
    sign = np.where(np.arange(DCT_SIZE) % 2 == 0, -1.0, 1.0)
    rows, cols = sign[:, None], sign[None, :]
    variants = [
        b,
        b.T * rows,
        b * rows * cols,
        b.T * cols,
        b * rows,
        b * cols,
        b.T,
        b.T * rows * cols,
    ]
    return [_bits_hex(v) for v in variants], quality(samples)
