//! The test with AVX-512 IFMA (x86-64 processors that have it, checked at run time): two
//! candidates at once, each held as 52-bit limbs in 64-bit vector lanes, which the
//! `vpmadd52{lo,hi}uq` instructions multiply and add eight at a time.
//!
//! Montgomery multiplication word by word, with `R = 2^(52L)` for `L` limbs (20 for 1024
//! bits, 40 for 2048: `R > 4n`): for each limb `b_i`, add `a * b_i` and `m * n` (with `m`
//! making the lowest limb zero), then shift down one lane. Lanes collect carries lazily (at
//! most `4L` products below `2^52` each, under `2^60`) and are normalised once per
//! multiplication. Inputs below `2n` give outputs below `2n` (almost Montgomery
//! multiplication), so nothing is reduced until the end. The choice of each `m` is a
//! chain of dependent steps (lane to scalar, multiply, broadcast, multiply-add); two
//! independent candidates interleave their chains, which nearly doubles the throughput.
//!
//! The exponent `n - 1` is read in windows of 5 bits: five squarings, then a multiplication
//! by `2^w` in Montgomery form, from a table of the 32 powers picked without a
//! data-dependent address (every entry is read, one is kept by mask).
//!
//! Safety: the `unsafe` functions here require AVX-512F and AVX-512 IFMA, and are called
//! only from [`pair`], after `is_x86_feature_detected!` said both are present. Vector loads
//! and stores go through arrays of `8V` words (at most 40), and `V` is 3 or 5.

// The loops walk parallel arrays (two candidates, V vectors) by index.
#![allow(clippy::needless_range_loop)]

use core::arch::x86_64::{
    __m512i, __mmask8, _mm_cvtsi128_si64, _mm512_alignr_epi64, _mm512_castsi512_si128,
    _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_mov_epi64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_storeu_si512,
};

use crate::portable::{double, exponent_bit, neg_inv, word_radix_mod};

/// The 52 bits of a limb.
const M52: u64 = (1 << 52) - 1;

/// Limbs of every number, as the words of `V` vectors (at most 5).
type Limbs = [u64; 40];

/// Whether this processor can run [`pair`].
pub fn available() -> bool {
    std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512ifma")
}

/// The test for two odd numbers of `64N` bits (top bit set), or `None` without IFMA.
pub fn pair<const N: usize>(a: &[u64; N], b: &[u64; N]) -> Option<[bool; 2]> {
    if !available() {
        return None;
    }
    // SAFETY: the features the functions are compiled for are present (checked above).
    unsafe {
        match N {
            16 => Some(fermat_pair::<N, 3>([a, b])),
            32 => Some(fermat_pair::<N, 5>([a, b])),
            _ => None,
        }
    }
}

/// `w` (words of 64 bits) as limbs of 52.
fn to_limbs(w: &[u64]) -> Limbs {
    let mut out = [0u64; 40];
    for (j, o) in out.iter_mut().enumerate() {
        let (q, r) = (52 * j / 64, 52 * j % 64);
        let lo = w.get(q).map_or(0, |x| x >> r);
        let hi = match w.get(q + 1) {
            Some(x) if r > 12 => x << (64 - r),
            _ => 0,
        };
        *o = (lo | hi) & M52;
    }
    out
}

/// What a candidate's multiplications need: its limbs, its lowest limb, `-n^-1 mod 2^52`,
/// and the table of `2^k * R mod n` for `k < 32`.
struct Modulus<const V: usize> {
    n: [__m512i; V],
    n0: u64,
    k0: u64,
    powers: [[__m512i; V]; 32],
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn load<const V: usize>(limbs: &Limbs) -> [__m512i; V] {
    let mut out = [_mm512_setzero_si512(); V];
    for (v, o) in out.iter_mut().enumerate() {
        // SAFETY: words 8v..8v+8 of a 40-word array, v < V <= 5.
        *o = unsafe { _mm512_loadu_si512(limbs[8 * v..8 * v + 8].as_ptr().cast()) };
    }
    out
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn store<const V: usize>(x: &[__m512i; V]) -> Limbs {
    let mut out = [0u64; 40];
    for (v, x) in x.iter().enumerate() {
        // SAFETY: as in `load`.
        unsafe { _mm512_storeu_si512(out[8 * v..8 * v + 8].as_mut_ptr().cast(), *x) };
    }
    out
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn modulus<const N: usize, const V: usize>(n: &[u64; N], l: usize) -> Modulus<V> {
    // R mod n: 2^(64N) mod n, doubled up to 2^(52L).
    let mut r = word_radix_mod(n);
    for _ in 0..52 * l - 64 * N {
        r = double(&r, n);
    }
    let mut powers = [[_mm512_setzero_si512(); V]; 32];
    for p in powers.iter_mut() {
        *p = load(&to_limbs(&r));
        r = double(&r, n);
    }
    let limbs = to_limbs(n);
    Modulus {
        n: load(&limbs),
        n0: limbs[0],
        k0: neg_inv(n[0]) & M52,
        powers,
    }
}

/// `a * b / R mod n` (below `2n` for inputs below `2n`) for both candidates, normalised
/// to 52-bit limbs.
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul2<const V: usize>(
    a: &[[__m512i; V]; 2],
    b: &[Limbs; 2],
    m: &[Modulus<V>; 2],
    l: usize,
) -> [[__m512i; V]; 2] {
    let zero = _mm512_setzero_si512();
    let mut acc = [[zero; V]; 2];
    let mut carry = [0u64; 2];
    for i in 0..l {
        let bi = [b[0][i], b[1][i]].map(|x| _mm512_set1_epi64(x as i64));
        for k in 0..2 {
            for v in 0..V {
                acc[k][v] = _mm512_madd52lo_epu64(acc[k][v], a[k][v], bi[k]);
            }
        }
        let mut mv = [zero; 2];
        for k in 0..2 {
            // The lowest lane, with the carry of the lane shifted out before it.
            let t0 = (_mm_cvtsi128_si64(_mm512_castsi512_si128(acc[k][0])) as u64)
                .wrapping_add(carry[k]);
            let mk = t0.wrapping_mul(m[k].k0) & M52;
            mv[k] = _mm512_set1_epi64(mk as i64);
            // t0 + lo(m * n0) is a multiple of 2^52; what is above goes to the next lane.
            carry[k] = (t0 + (mk.wrapping_mul(m[k].n0) & M52)) >> 52;
        }
        for k in 0..2 {
            for v in 0..V {
                acc[k][v] = _mm512_madd52lo_epu64(acc[k][v], m[k].n[v], mv[k]);
            }
            for v in 0..V - 1 {
                acc[k][v] = _mm512_alignr_epi64::<1>(acc[k][v + 1], acc[k][v]);
            }
            acc[k][V - 1] = _mm512_alignr_epi64::<1>(zero, acc[k][V - 1]);
        }
        for k in 0..2 {
            for v in 0..V {
                acc[k][v] = _mm512_madd52hi_epu64(acc[k][v], a[k][v], bi[k]);
                acc[k][v] = _mm512_madd52hi_epu64(acc[k][v], m[k].n[v], mv[k]);
            }
        }
    }
    let mut out = [[zero; V]; 2];
    for k in 0..2 {
        let mut limbs = store(&acc[k]);
        let mut c = carry[k];
        for x in limbs.iter_mut().take(8 * V) {
            let s = *x + c;
            *x = s & M52;
            c = s >> 52;
        }
        out[k] = load(&limbs);
    }
    out
}

/// Exponent bits `from..from + len` of candidate `n` (bits of `n - 1`).
fn window<const N: usize>(n: &[u64; N], from: usize, len: usize) -> usize {
    (from..from + len)
        .rev()
        .fold(0, |w, i| w << 1 | exponent_bit(n, i) as usize)
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn fermat_pair<const N: usize, const V: usize>(n: [&[u64; N]; 2]) -> [bool; 2] {
    let l = (64 * N + 2).div_ceil(52);
    let m = [modulus::<N, V>(n[0], l), modulus::<N, V>(n[1], l)];
    let bits = 64 * N;
    let first = match bits % 5 {
        0 => 5,
        f => f,
    };
    let pick = |k: usize, w: usize| {
        let mut x = [_mm512_setzero_si512(); V];
        for (t, power) in m[k].powers.iter().enumerate() {
            // All ones for the wanted entry, from the comparison's bit (no branch).
            let keep: __mmask8 = 0u8.wrapping_sub(u8::from(t == w));
            for v in 0..V {
                x[v] = _mm512_mask_mov_epi64(x[v], keep, power[v]);
            }
        }
        x
    };
    let mut x = [0, 1].map(|k| pick(k, window(n[k], bits - first, first)));
    let mut pos = bits - first;
    while pos > 0 {
        for _ in 0..5 {
            x = mul2(&x, &[store(&x[0]), store(&x[1])], &m, l);
        }
        pos -= 5;
        let p = [0, 1].map(|k| store(&pick(k, window(n[k], pos, 5))));
        x = mul2(&x, &p, &m, l);
    }
    // Out of Montgomery form: x * 1 / R, at most n; 2^(n-1) = 1 (mod n) when it is 1.
    let mut one = [0u64; 40];
    one[0] = 1;
    let out = mul2(&x, &[one, one], &m, l);
    [0, 1].map(|k| {
        let limbs = store(&out[k]);
        limbs[0] == 1 && limbs[1..].iter().all(|&w| w == 0)
    })
}
