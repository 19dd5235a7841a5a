//! The Fermat screen of the RSA prime search (crates/fermat) against crypto-primes: primes
//! of both sizes pass, composites (random ones, the odd numbers next to a prime, products of
//! two primes) fail exactly where crypto-primes' Miller-Rabin to base 2 fails them, and sizes
//! the screen does not handle are left to the caller.

use crypto_bigint::{BoxedUint, ConcatenatingMul, Odd};
use crypto_primes::hazmat::MillerRabin;
use crypto_primes::{Flavor, is_prime};
use kpack_fermat::fermat_base2;

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
            assert_eq!(fermat_base2(&p), Some(true), "the prime {p:x?}");
            for delta in [2u64, 4] {
                let mut q = p.clone();
                q[0] += delta;
                assert_eq!(
                    fermat_base2(&q),
                    Some(miller_rabin_base2(&q)),
                    "{q:x?}, {delta} after a prime"
                );
            }
        }
    }
}

#[test]
fn random_odd_numbers_fail_where_miller_rabin_fails_them() {
    let mut rng = Words(2);
    for (len, count) in [(16, 60), (32, 10)] {
        for _ in 0..count {
            let n = rng.odd(len);
            assert_eq!(fermat_base2(&n), Some(miller_rabin_base2(&n)), "{n:x?}");
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
    assert_eq!(fermat_base2(&words), Some(false));
}

#[test]
fn sizes_and_numbers_the_screen_does_not_handle_are_left_to_the_caller() {
    let mut rng = Words(4);
    // 1536 bits: not a size sprig's keys use.
    assert_eq!(fermat_base2(&rng.odd(24)), None);
    assert_eq!(fermat_base2(&[]), None);
    let mut even = rng.odd(16);
    even[0] &= !1;
    assert_eq!(fermat_base2(&even), None);
    let mut short = rng.odd(16);
    short[15] >>= 1;
    assert_eq!(fermat_base2(&short), None);
}
