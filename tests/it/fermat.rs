//! The Fermat screen of the RSA prime search (crates/fermat) against crypto-primes: primes
//! of both sizes pass, composites (random ones, the odd numbers next to a prime, products of
//! two primes) fail exactly where crypto-primes' Miller-Rabin to base 2 fails them, and sizes
//! the screen does not handle are left to the caller. Both arithmetics are checked: the
//! portable one everywhere, the AVX-512 IFMA one against it where the processor has IFMA
//! (elsewhere it must decline, and the pair functions fall back to the portable one).

use crypto_bigint::{BoxedUint, ConcatenatingMul, Odd};
use crypto_primes::hazmat::MillerRabin;
use crypto_primes::{Flavor, is_prime};
use kpack_fermat::{fermat_base2, fermat_base2_pair, scalar, vector_available, vector_pair};

/// What every entry point says of `a` and `b` (of equal size), checked to agree with each
/// other: the answers for `a` and for `b`.
fn screen(a: &[u64], b: &[u64]) -> [bool; 2] {
    let portable = [scalar(a).unwrap(), scalar(b).unwrap()];
    assert_eq!(fermat_base2(a), Some(portable[0]), "{a:x?}");
    assert_eq!(fermat_base2(b), Some(portable[1]), "{b:x?}");
    assert_eq!(fermat_base2_pair(a, b), Some(portable), "{a:x?}, {b:x?}");
    let vector = vector_pair(a, b);
    if vector_available() {
        assert_eq!(vector, Some(portable), "AVX-512 IFMA: {a:x?}, {b:x?}");
        assert_eq!(vector_pair(b, a), Some([portable[1], portable[0]]));
    } else {
        assert_eq!(vector, None, "no AVX-512 IFMA here");
    }
    portable
}

/// A fixed sequence of pseudo-random words (splitmix64), so a failure reproduces.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// An odd number of exactly `64 * len` bits.
    fn odd(&mut self, len: usize) -> Vec<u64> {
        let mut w: Vec<u64> = (0..len).map(|_| self.next()).collect();
        w[0] |= 1;
        w[len - 1] |= 1 << 63;
        w
    }
}

fn miller_rabin_base2(words: &[u64]) -> bool {
    let odd = Odd::new(BoxedUint::from_words(words.iter().copied())).unwrap();
    MillerRabin::new(odd).test_base_two().is_probably_prime()
}

/// Whether a prime below 2000 divides `words` (a cheap filter before crypto-primes).
fn small_factor(words: &[u64]) -> bool {
    (3u64..2000).step_by(2).any(|p| {
        words.iter().rev().fold(0u64, |r, &w| {
            ((u128::from(r) << 64 | u128::from(w)) % u128::from(p)) as u64
        }) == 0
    })
}

/// The first prime from `words` upwards (stepping by 2), by crypto-primes.
fn next_prime(mut words: Vec<u64>) -> Vec<u64> {
    loop {
        if !small_factor(&words)
            && is_prime(Flavor::Any, &BoxedUint::from_words(words.iter().copied()))
        {
            return words;
        }
        words[0] = words[0].wrapping_add(2);
        assert_ne!(words[0], 1, "the test's prime search ran past a word");
    }
}

#[test]
fn primes_of_both_sizes_pass_and_their_odd_neighbours_fail() {
    let mut rng = Words(1);
    for (len, count) in [(16, 4), (32, 2)] {
        for _ in 0..count {
            let p = next_prime(rng.odd(len));
            for delta in [2u64, 4] {
                let mut q = p.clone();
                q[0] += delta;
                assert_eq!(
                    screen(&p, &q),
                    [true, miller_rabin_base2(&q)],
                    "{p:x?} and {delta} after"
                );
            }
        }
    }
}

#[test]
fn random_odd_numbers_fail_where_miller_rabin_fails_them() {
    let mut rng = Words(2);
    for (len, count) in [(16, 30), (32, 5)] {
        for _ in 0..count {
            let (a, b) = (rng.odd(len), rng.odd(len));
            assert_eq!(
                screen(&a, &b),
                [miller_rabin_base2(&a), miller_rabin_base2(&b)]
            );
        }
    }
}

#[test]
fn a_product_of_two_primes_fails() {
    let mut rng = Words(3);
    // Top two bits set: the product has exactly 1024 bits.
    let mut half = || {
        let mut w = rng.odd(8);
        w[7] |= 1 << 62;
        BoxedUint::from_words(next_prime(w))
    };
    let (p, q) = (half(), half());
    let n = p.concatenating_mul(&q);
    let mut words = n.as_words().to_vec();
    words.resize(16, 0);
    assert_eq!(words[15] >> 63, 1);
    let prime = next_prime(rng.odd(16));
    assert_eq!(screen(&words, &prime), [false, true]);
}

#[test]
fn sizes_and_numbers_the_screen_does_not_handle_are_left_to_the_caller() {
    let mut rng = Words(4);
    let good = rng.odd(16);
    // 1536 bits: not a size sprig's keys use.
    let odd_size = rng.odd(24);
    let mut even = rng.odd(16);
    even[0] &= !1;
    let mut short = rng.odd(16);
    short[15] >>= 1;
    for n in [&odd_size[..], &[], &even, &short] {
        assert_eq!(fermat_base2(n), None);
        assert_eq!(scalar(n), None);
        assert_eq!(fermat_base2_pair(n, &good), None);
        assert_eq!(fermat_base2_pair(&good, n), None);
        assert_eq!(vector_pair(&good, n), None);
    }
    // Both handled, but of different sizes.
    assert_eq!(fermat_base2_pair(&good, &rng.odd(32)), None);
}
