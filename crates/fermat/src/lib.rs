//! The screening test of kpack's RSA prime search: is `2^(n-1) = 1 (mod n)`, a Fermat test
//! to base 2, for an odd `n` of exactly 1024 or 2048 bits (the primes of sprig's 2048- and
//! 4096-bit keys).
//!
//! A random candidate that no small prime divides is still composite about 29 times in 30
//! (1024 bits), and each of those costs one modular exponentiation: that is most of the time
//! a key takes. This crate does that exponentiation with the modulus size fixed at compile
//! time (16 or 32 64-bit words, so every loop is unrolled and nothing is allocated) and with
//! base 2, where square-and-multiply only ever multiplies by 2: a doubling, not a Montgomery
//! multiplication. About 1.6 times as fast as a Miller-Rabin test to base 2 with
//! crypto-bigint's `BoxedUint`.
//!
//! A candidate that passes is not thereby a prime: the caller confirms it with a full
//! primality test (kpack: crypto-primes' Baillie-PSW). A wrong answer here can therefore
//! only cost time, never a composite "prime"; the tests still compare every answer with
//! crypto-primes' Miller-Rabin. The arithmetic does not branch on the candidate's bits (the
//! one that passes is a secret prime).
//!
//! It is a crate of its own so that debug builds (the test suite) can compile it optimised,
//! as they do crypto-bigint: unoptimised, a key took many seconds.

/// Whether `2^(n-1) = 1 (mod n)`, for `n` given as little-endian 64-bit words. `None` when
/// the size is not one this crate handles: 16 or 32 words, `n` odd with its top bit set.
pub fn fermat_base2(n: &[u64]) -> Option<bool> {
    let top = *n.last()?;
    if n[0] & 1 == 0 || top >> 63 == 0 {
        return None;
    }
    match n.len() {
        16 => Some(fermat::<16>(n.try_into().ok()?)),
        32 => Some(fermat::<32>(n.try_into().ok()?)),
        _ => None,
    }
}

/// `-n^-1 mod 2^64` for odd `n0` (Newton's iteration: each step doubles the correct bits,
/// and `n0` is its own inverse modulo 8).
fn neg_inv(n0: u64) -> u64 {
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

/// `t - n` when the value `hi * 2^(64N) + t` is at least `n`, else `t` (for values below
/// `2n`), without branching on it.
#[inline(always)]
fn reduce_once<const N: usize>(t: &mut [u64; N], hi: u64, n: &[u64; N]) {
    let mut d = [0u64; N];
    let mut borrow = false;
    for j in 0..N {
        let (x, b1) = t[j].overflowing_sub(n[j]);
        let (x, b2) = x.overflowing_sub(u64::from(borrow));
        d[j] = x;
        borrow = b1 | b2;
    }
    let take = (hi | u64::from(!borrow)).wrapping_neg();
    for j in 0..N {
        t[j] = (d[j] & take) | (t[j] & !take);
    }
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
fn double<const N: usize>(a: &[u64; N], n: &[u64; N]) -> [u64; N] {
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
fn fermat<const N: usize>(n: &[u64; N]) -> bool {
    let ninv = neg_inv(n[0]);
    // 1 in Montgomery form: 2^(64N) mod n = 2^(64N) - n, as n > 2^(64N-1).
    let mut one = [0u64; N];
    let mut borrow = false;
    for j in 0..N {
        let (x, b1) = 0u64.overflowing_sub(n[j]);
        let (x, b2) = x.overflowing_sub(u64::from(borrow));
        one[j] = x;
        borrow = b1 | b2;
    }
    let mut x = one;
    for i in (0..64 * N).rev() {
        x = mont_sqr(&x, n, ninv);
        // Bit i of n - 1: n's own, but for bit 0 (n is odd).
        let bit = if i == 0 { 0 } else { n[i / 64] >> (i % 64) & 1 };
        let d = double(&x, n);
        let keep = bit.wrapping_neg();
        for j in 0..N {
            x[j] = (d[j] & keep) | (x[j] & !keep);
        }
    }
    x == one
}
