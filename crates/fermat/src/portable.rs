//! The portable test: 64-bit words, Montgomery squaring by the cross products once, doubled,
//! then word-by-word reduction; the base's multiplications are doublings.

/// `-n^-1 mod 2^64` for odd `n0` (Newton's iteration: each step doubles the correct bits,
/// and `n0` is its own inverse modulo 8).
pub fn neg_inv(n0: u64) -> u64 {
    let mut x = n0;
    for _ in 0..5 {
        x = x.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(x)));
    }
    x.wrapping_neg()
}

/// `t + a*b + c` as (low word, high word); it cannot overflow 128 bits.
#[inline(always)]
fn mac(t: u64, a: u64, b: u64, c: u64) -> (u64, u64) {
    let s = u128::from(t) + u128::from(a) * u128::from(b) + u128::from(c);
    (s as u64, (s >> 64) as u64)
}

/// `t - n` (wrapping) and whether it borrowed (`t < n`).
#[inline(always)]
fn sub<const N: usize>(t: &[u64; N], n: &[u64; N]) -> ([u64; N], bool) {
    let mut d = [0u64; N];
    let mut borrow = false;
    for j in 0..N {
        let (x, b1) = t[j].overflowing_sub(n[j]);
        let (x, b2) = x.overflowing_sub(u64::from(borrow));
        d[j] = x;
        borrow = b1 | b2;
    }
    (d, borrow)
}

/// `x` becomes `y` where `keep` is all ones, stays where it is zero, without branching.
#[inline(always)]
fn select<const N: usize>(x: &mut [u64; N], y: &[u64; N], keep: u64) {
    for j in 0..N {
        x[j] = (y[j] & keep) | (x[j] & !keep);
    }
}

/// `t - n` when the value `hi * 2^(64N) + t` is at least `n`, else `t` (for values below
/// `2n`), without branching on it.
#[inline(always)]
pub(crate) fn reduce_once<const N: usize>(t: &mut [u64; N], hi: u64, n: &[u64; N]) {
    let (d, borrow) = sub(t, n);
    select(t, &d, (hi | u64::from(!borrow)).wrapping_neg());
}

/// `a^2 / 2^(64N) mod n` for `a < n` (Montgomery squaring): the square's cross products
/// once, doubled, plus the diagonal; then word-by-word Montgomery reduction.
#[inline(always)]
fn mont_sqr<const N: usize>(a: &[u64; N], n: &[u64; N], ninv: u64) -> [u64; N] {
    // 2N words of the square; N is at most 32.
    let mut t = [0u64; 64];
    for i in 0..N {
        let mut c = 0;
        for j in i + 1..N {
            (t[i + j], c) = mac(t[i + j], a[i], a[j], c);
        }
        t[i + N] = c;
    }
    let mut shifted_out = 0;
    for w in t.iter_mut().take(2 * N) {
        let v = *w;
        *w = v << 1 | shifted_out;
        shifted_out = v >> 63;
    }
    let mut c = 0u64;
    for i in 0..N {
        let (lo, hi) = mac(t[2 * i], a[i], a[i], c);
        t[2 * i] = lo;
        let s = u128::from(t[2 * i + 1]) + u128::from(hi);
        t[2 * i + 1] = s as u64;
        c = (s >> 64) as u64;
    }
    let mut extra = 0u64;
    for i in 0..N {
        let m = t[i].wrapping_mul(ninv);
        let mut c = 0;
        for j in 0..N {
            (t[i + j], c) = mac(t[i + j], m, n[j], c);
        }
        let s = u128::from(t[i + N]) + u128::from(c) + u128::from(extra);
        t[i + N] = s as u64;
        extra = (s >> 64) as u64;
    }
    let mut r = [0u64; N];
    r.copy_from_slice(&t[N..2 * N]);
    reduce_once(&mut r, extra, n);
    r
}

/// `2a mod n` for `a < n`.
#[inline(always)]
pub(crate) fn double<const N: usize>(a: &[u64; N], n: &[u64; N]) -> [u64; N] {
    let mut t = [0u64; N];
    let mut carry = 0;
    for j in 0..N {
        t[j] = a[j] << 1 | carry;
        carry = a[j] >> 63;
    }
    reduce_once(&mut t, carry, n);
    t
}

/// The test, for an odd `n` of exactly `64N` bits. Values are kept in Montgomery form
/// (`x * 2^(64N) mod n`); the exponent `n - 1` is read from its top bit down: square, then
/// double where the bit is set (computed always, kept by mask).
pub(crate) fn fermat<const N: usize>(n: &[u64; N]) -> bool {
    let ninv = neg_inv(n[0]);
    let one = word_radix_mod(n);
    let mut x = one;
    for i in (0..64 * N).rev() {
        x = mont_sqr(&x, n, ninv);
        let d = double(&x, n);
        select(&mut x, &d, exponent_bit(n, i).wrapping_neg());
    }
    x == one
}

/// Bit `i` of the exponent `n - 1`: `n`'s own, but for bit 0 (`n` is odd).
#[inline(always)]
pub(crate) fn exponent_bit<const N: usize>(n: &[u64; N], i: usize) -> u64 {
    if i == 0 { 0 } else { n[i / 64] >> (i % 64) & 1 }
}

/// `2^(64N) mod n` (1 in Montgomery form), for `n > 2^(64N-1)`: `2^(64N) - n`.
pub(crate) fn word_radix_mod<const N: usize>(n: &[u64; N]) -> [u64; N] {
    sub(&[0; N], n).0
}
