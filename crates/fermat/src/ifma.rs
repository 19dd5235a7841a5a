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
//! The Fermat test reads the exponent `n - 1` bit by bit: a squaring, then a doubling by the
//! bit, which for base 2 is a shift of the limbs rather than a multiplication. The
//! Miller-Rabin rounds ([`miller_rabin_pair`]), for one `n` in both lanes, read theirs in
//! windows of 5 bits: five squarings, then a multiplication by `a^w` from a table of the
//! base's 32 powers, picked without a data-dependent address (every entry is read, one is
//! kept by mask).
//!
//! Safety: the `unsafe` functions here require AVX-512F and AVX-512 IFMA, and are called
//! only from [`pair`] and [`miller_rabin_pair`], after `is_x86_feature_detected!` said both
//! are present. Vector loads
//! and stores go through arrays of `8V` words (at most 40), and `V` is 3 or 5.

// The loops walk parallel arrays (two candidates, V vectors) by index.
#![allow(clippy::needless_range_loop)]

use core::arch::x86_64::{
    __m512i, __mmask8, _mm_cvtsi128_si64, _mm512_alignr_epi64, _mm512_and_si512,
    _mm512_castsi512_si128, _mm512_loadu_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
    _mm512_mask_mov_epi64, _mm512_or_si512, _mm512_set1_epi64, _mm512_setzero_si512,
    _mm512_sllv_epi64, _mm512_srlv_epi64, _mm512_storeu_si512,
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
/// and 1 and 2 in Montgomery form (`R mod n`, `2R mod n`).
#[derive(Clone, Copy)]
struct Modulus<const V: usize> {
    n: [__m512i; V],
    n0: u64,
    k0: u64,
    one: [__m512i; V],
    two: [__m512i; V],
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
    let limbs = to_limbs(n);
    Modulus {
        n: load(&limbs),
        n0: limbs[0],
        k0: neg_inv(n[0]) & M52,
        one: load(&to_limbs(&r)),
        two: load(&to_limbs(&double(&r, n))),
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

/// Table of the 32 values `x^w` (Montgomery form) an exponentiation picks from by window.
type Table<const V: usize> = [[__m512i; V]; 32];

/// Bits `from..from + len` of an exponent whose bit `i` is `bit(i)`, as a window value.
fn window(bit: impl Fn(usize) -> u64, from: usize, len: usize) -> usize {
    (from..from + len)
        .rev()
        .fold(0, |w, i| w << 1 | bit(i) as usize)
}

/// `x_k^(e_k)` in Montgomery form for both lanes, where `tables[k]` holds `x_k^w` and
/// `bit(k, i)` is bit `i` (below `len`) of `e_k`: the exponent is read in windows of 5
/// bits from the top, five squarings then one multiplication by the table entry, picked
/// without a data-dependent address (every entry is read, one is kept by mask).
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_pair<const V: usize>(
    tables: [&Table<V>; 2],
    bit: impl Fn(usize, usize) -> u64,
    len: usize,
    m: &[Modulus<V>; 2],
    l: usize,
) -> [[__m512i; V]; 2] {
    let first = match len % 5 {
        0 => 5,
        f => f,
    };
    let pick = |k: usize, w: usize| {
        let mut x = [_mm512_setzero_si512(); V];
        for (t, power) in tables[k].iter().enumerate() {
            // All ones for the wanted entry, from the comparison's bit (no branch).
            let keep: __mmask8 = 0u8.wrapping_sub(u8::from(t == w));
            for v in 0..V {
                x[v] = _mm512_mask_mov_epi64(x[v], keep, power[v]);
            }
        }
        x
    };
    let mut x = [0, 1].map(|k| pick(k, window(|i| bit(k, i), len - first, first)));
    let mut pos = len - first;
    while pos > 0 {
        for _ in 0..5 {
            x = mul2(&x, &[store(&x[0]), store(&x[1])], m, l);
        }
        pos -= 5;
        let p = [0, 1].map(|k| store(&pick(k, window(|i| bit(k, i), pos, 5))));
        x = mul2(&x, &p, m, l);
    }
    x
}

/// `x / R mod n` for Montgomery forms below `2n`, as limbs: a value in `0..=n` (`n` only
/// for a multiple of `n`), so it compares with 1 or `n - 1` word by word.
#[target_feature(enable = "avx512f,avx512ifma")]
fn from_montgomery<const V: usize>(
    x: &[[__m512i; V]; 2],
    m: &[Modulus<V>; 2],
    l: usize,
) -> [Limbs; 2] {
    let mut one = [0u64; 40];
    one[0] = 1;
    let out = mul2(x, &[one, one], m, l);
    [store(&out[0]), store(&out[1])]
}

/// `x * 2^b` for `b` 0 or 1: every limb shifted up by `b` bits, the bit it loses moved into
/// the limb above. Exact, and left unreduced: `x < 2n` gives `2x < 4n`, which still fits
/// the `L` limbs, and the squaring that follows brings it back below `2n` (its result is
/// below `a^2 / R + n`, and `a < 4n` with `R > 2^16 n`). The shift counts are vectors, so
/// nothing branches on `b`.
#[target_feature(enable = "avx512f,avx512ifma")]
fn double_by<const V: usize>(x: &[__m512i; V], b: u64) -> [__m512i; V] {
    let up = _mm512_set1_epi64(b as i64);
    let down = _mm512_set1_epi64(52 - b as i64);
    let mask = _mm512_set1_epi64(M52 as i64);
    let zero = _mm512_setzero_si512();
    let mut out = [zero; V];
    for v in 0..V {
        // Lane j of `below` is limb j - 1 (for lane 0, the previous vector's last lane).
        let below = _mm512_alignr_epi64::<7>(x[v], if v == 0 { zero } else { x[v - 1] });
        out[v] = _mm512_or_si512(
            _mm512_and_si512(_mm512_sllv_epi64(x[v], up), mask),
            _mm512_srlv_epi64(below, down),
        );
    }
    out
}

/// `2^(e_k)` in Montgomery form for both lanes, where `bit(k, i)` is bit `i` of `e_k`, below
/// `len`, whose top bit is set: from 2, a squaring per bit then a doubling by the bit
/// ([`double_by`]: no table of powers, nothing picked by the exponent's bits). The result
/// is below `4n`, which a multiplication still takes.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow2_pair<const V: usize>(
    bit: impl Fn(usize, usize) -> u64,
    len: usize,
    m: &[Modulus<V>; 2],
    l: usize,
) -> [[__m512i; V]; 2] {
    let mut x = [m[0].two, m[1].two];
    for i in (0..len - 1).rev() {
        x = mul2(&x, &[store(&x[0]), store(&x[1])], m, l);
        x = [0, 1].map(|k| double_by(&x[k], bit(k, i)));
    }
    x
}

/// The Fermat test of two candidates: `2^(n-1)` by [`pow2_pair`].
#[target_feature(enable = "avx512f,avx512ifma")]
fn fermat_pair<const N: usize, const V: usize>(n: [&[u64; N]; 2]) -> [bool; 2] {
    let l = (64 * N + 2).div_ceil(52);
    let m = [modulus::<N, V>(n[0], l), modulus::<N, V>(n[1], l)];
    let x = pow2_pair(|k, i| exponent_bit(n[k], i), 64 * N, &m, l);
    // 2^(n-1) = 1 (mod n) when it is 1 out of Montgomery form.
    from_montgomery(&x, &m, l).map(|limbs| limbs[0] == 1 && limbs[1..].iter().all(|&w| w == 0))
}

/// Miller-Rabin rounds for one odd `n` of `64N` bits (top bit set) to two bases, each in
/// `2..n - 1`, or `None` without IFMA.
pub fn miller_rabin_pair<const N: usize>(n: &[u64; N], bases: [&[u64; N]; 2]) -> Option<[bool; 2]> {
    if !available() {
        return None;
    }
    // SAFETY: the features the functions are compiled for are present (checked above).
    unsafe {
        match N {
            16 => Some(miller_rabin::<N, 3>(n, bases)),
            32 => Some(miller_rabin::<N, 5>(n, bases)),
            _ => None,
        }
    }
}

/// With `n - 1 = d * 2^s`, `d` odd: whether `a^d = 1`, or `a^(d * 2^j) = -1` for some
/// `j < s`, modulo `n`, for each base `a`. The exponentiation to `d` does not branch on
/// its bits; the `s - 1` squarings after it stop once both bases are decided (`s` is the
/// number of trailing zero bits of `n - 1`).
#[target_feature(enable = "avx512f,avx512ifma")]
fn miller_rabin<const N: usize, const V: usize>(n: &[u64; N], bases: [&[u64; N]; 2]) -> [bool; 2] {
    let l = (64 * N + 2).div_ceil(52);
    let m = modulus::<N, V>(n, l);
    let m = [m, m];
    // R^2 mod n: 2^(52L) in Montgomery form (2^(52L) * R).
    let e = 52 * l;
    let e_len = (usize::BITS - e.leading_zeros()) as usize;
    let r2 = pow2_pair(|_, i| (e >> i & 1) as u64, e_len, &m, l);
    let r2 = store(&r2[0]);
    // Each base in Montgomery form (a * R^2 / R), then its 32 powers.
    let a = mul2(
        &[load(&to_limbs(bases[0])), load(&to_limbs(bases[1]))],
        &[r2, r2],
        &m,
        l,
    );
    let a_limbs = [store(&a[0]), store(&a[1])];
    let mut tables = [[[_mm512_setzero_si512(); V]; 32]; 2];
    for k in 0..2 {
        tables[k][0] = m[0].one;
        tables[k][1] = a[k];
    }
    for w in 2..32 {
        let next = mul2(&[tables[0][w - 1], tables[1][w - 1]], &a_limbs, &m, l);
        tables[0][w] = next[0];
        tables[1][w] = next[1];
    }
    // n - 1 = d * 2^s; bit i of d is bit i + s of n - 1.
    let s = (1..64 * N)
        .find(|&i| exponent_bit(n, i) == 1)
        .unwrap_or(64 * N - 1);
    let mut x = pow_pair(
        [&tables[0], &tables[1]],
        |_, i| exponent_bit(n, i + s),
        64 * N - s,
        &m,
        l,
    );
    let one = to_limbs(&[1]);
    let mut minus_one = *n;
    minus_one[0] -= 1;
    let minus_one = to_limbs(&minus_one);
    let mut verdict = [None; 2];
    let y = from_montgomery(&x, &m, l);
    for k in 0..2 {
        if y[k] == one || y[k] == minus_one {
            verdict[k] = Some(true);
        }
    }
    for _ in 1..s {
        if verdict.iter().all(Option::is_some) {
            break;
        }
        x = mul2(&x, &[store(&x[0]), store(&x[1])], &m, l);
        let y = from_montgomery(&x, &m, l);
        for k in 0..2 {
            if verdict[k].is_none() {
                if y[k] == minus_one {
                    verdict[k] = Some(true);
                } else if y[k] == one {
                    verdict[k] = Some(false);
                }
            }
        }
    }
    verdict.map(|v| v.unwrap_or(false))
}
