//! The screening test of kpack's RSA prime search: is `2^(n-1) = 1 (mod n)`, a Fermat test
//! to base 2, for an odd `n` of exactly 1024 or 2048 bits (the primes of sprig's 2048- and
//! 4096-bit keys); and the Miller-Rabin rounds that confirm the one that passes.
//!
//! A random candidate that no small prime divides is still composite about 29 times in 30
//! (1024 bits), and each of those costs one modular exponentiation: that is most of the time
//! a key takes. This crate does that exponentiation with the modulus size fixed at compile
//! time (16 or 32 64-bit words: no allocation, loops the compiler can unroll), two ways:
//!
//! - [`scalar`], anywhere: base 2, where square-and-multiply only ever multiplies by 2, a
//!   doubling rather than a Montgomery multiplication. About 1.6 times as fast as a
//!   Miller-Rabin test to base 2 with crypto-bigint's `BoxedUint` at 1024 bits.
//! - `ifma`, on x86-64 processors with AVX-512 IFMA (checked at run time): two candidates
//!   at once in vector lanes, about twice as fast again at 1024 bits and six times at 2048.
//!
//! Both give the same answers (the tests compare them); [`fermat_base2_pair`] takes the
//! faster one the processor has.
//!
//! A candidate that passes is not thereby a prime: the caller confirms it with Miller-Rabin
//! rounds to random bases, which [`miller_rabin_pair`] runs two at a time with the same
//! vector arithmetic (where the processor lacks it, kpack confirms with crypto-primes'
//! Baillie-PSW test instead). The tests compare every answer with crypto-primes'
//! Miller-Rabin. The exponentiations do not
//! branch on the candidate's bits (the one that passes is a secret prime).
//!
//! It is a crate of its own so that debug builds (the test suite, whose corpus charts make
//! dozens of keys) can compile it optimised, as they do crypto-bigint.

#[cfg(target_arch = "x86_64")]
mod ifma;
mod portable;

pub use portable::neg_inv;

/// Whether `2^(a-1) = 1 (mod a)` and `2^(b-1) = 1 (mod b)`, for `a` and `b` given as
/// little-endian 64-bit words. `None` when they are not numbers this crate handles: both
/// 16 or both 32 words, odd, with their top bit set.
pub fn fermat_base2_pair(a: &[u64], b: &[u64]) -> Option<[bool; 2]> {
    if !pair_handled(a, b) {
        return None;
    }
    vector_pair(a, b).or_else(|| Some([scalar(a)?, scalar(b)?]))
}

/// Whether `2^(n-1) = 1 (mod n)` (see [`fermat_base2_pair`] for which `n`): for a lone
/// candidate (the vector arithmetic tests it as a pair with itself, still the faster).
pub fn fermat_base2(n: &[u64]) -> Option<bool> {
    match vector_pair(n, n) {
        Some([passes, _]) => Some(passes),
        None => scalar(n),
    }
}

/// Two Miller-Rabin rounds for one odd `n`, to the bases `bases[0]` and `bases[1]`: with
/// `n - 1 = d * 2^s` (`d` odd), whether `a^d = 1` or `a^(d * 2^j) = -1 (mod n)` for some
/// `j < s`, as crypto-primes' `MillerRabin::test` answers. By AVX-512 IFMA only: `None`
/// where the processor lacks it, for an `n` this crate does not handle (see
/// [`fermat_base2_pair`]), and for a base not of `n`'s length or outside `2..=n - 2`.
pub fn miller_rabin_pair(n: &[u64], bases: [&[u64]; 2]) -> Option<[bool; 2]> {
    if !handled(n) {
        return None;
    }
    let minus_one = minus_one(n);
    let in_range = |a: &[u64]| {
        a.len() == n.len() && (a[0] >= 2 || a[1..].iter().any(|&w| w != 0)) && less(a, &minus_one)
    };
    if !bases.iter().all(|a| in_range(a)) {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match n.len() {
            16 => ifma::miller_rabin_pair::<16>(
                n.try_into().ok()?,
                [bases[0].try_into().ok()?, bases[1].try_into().ok()?],
            ),
            _ => ifma::miller_rabin_pair::<32>(
                n.try_into().ok()?,
                [bases[0].try_into().ok()?, bases[1].try_into().ok()?],
            ),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// `n - 1` for an odd `n`.
fn minus_one(n: &[u64]) -> Vec<u64> {
    let mut m = n.to_vec();
    m[0] -= 1;
    m
}

/// Whether `a < b`, both little-endian words of one length.
fn less(a: &[u64], b: &[u64]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// Whether the processor runs [`vector_pair`] (x86-64 with AVX-512 IFMA).
pub fn vector_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        ifma::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Whether `2^(n-1) = 1 (mod n)` (see [`fermat_base2_pair`] for which `n`), by the portable
/// arithmetic whatever the processor.
pub fn scalar(n: &[u64]) -> Option<bool> {
    if !handled(n) {
        return None;
    }
    match n.len() {
        16 => Some(portable::fermat::<16>(n.try_into().ok()?)),
        _ => Some(portable::fermat::<32>(n.try_into().ok()?)),
    }
}

/// [`fermat_base2_pair`] by AVX-512 IFMA only: `None` where the processor lacks it (or
/// is not x86-64), and for numbers the crate does not handle.
pub fn vector_pair(a: &[u64], b: &[u64]) -> Option<[bool; 2]> {
    if !pair_handled(a, b) {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        match a.len() {
            16 => ifma::pair::<16>(a.try_into().ok()?, b.try_into().ok()?),
            _ => ifma::pair::<32>(a.try_into().ok()?, b.try_into().ok()?),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// Whether the arithmetic here handles `a` and `b` together: both handled, of one size.
fn pair_handled(a: &[u64], b: &[u64]) -> bool {
    handled(a) && handled(b) && a.len() == b.len()
}

/// Whether the arithmetic here handles `n`: 16 or 32 words, odd, top bit set.
fn handled(n: &[u64]) -> bool {
    matches!(n.len(), 16 | 32) && n[0] & 1 == 1 && n[n.len() - 1] >> 63 == 1
}
