//! The Fermat screen of the RSA prime search (crates/fermat) against crypto-primes: primes
//! of both sizes pass, composites (random ones, the odd numbers next to a prime, products of
//! two primes) fail exactly where crypto-primes' Miller-Rabin to base 2 fails them, and sizes
//! the screen does not handle are left to the caller. Both arithmetics are checked: the
//! portable one everywhere, the AVX-512 IFMA one against it where the processor has IFMA
//! (elsewhere it must decline, and the pair functions fall back to the portable one).
//!
//! The Miller-Rabin rounds that confirm a prime (IFMA only) answer as crypto-primes'
//! `MillerRabin::test` does for the same bases: on primes, random composites, and two
//! composites built for it (the constants below, made with Python's integers, are checked
//! here with crypto-primes): a base that is a Fermat liar but a strong witness, which the
//! rounds must fail, and a strong liar, which they must pass as crypto-primes does.

use crypto_bigint::{BoxedUint, ConcatenatingMul, Odd};
use crypto_primes::hazmat::MillerRabin;
use crypto_primes::{Flavor, is_prime};
use kpack_fermat::{
    fermat_base2, fermat_base2_pair, miller_rabin_pair, scalar, vector_available, vector_pair,
};

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

/// A 1024-bit composite `n = p * q`, `q = 2p - 1`, `p = 1 (mod 4)` (so `n - 1 = d * 2^s`
/// with `s` = 2), with a strong liar whose `a^d` is not 1 or -1 but squares to -1, and a
/// Fermat liar (1 modulo `p`, -1 modulo `q`) that squares to 1 without passing -1: `n`, the
/// strong liar and the Fermat liar as hex digits (made by Python's integers).
const COMPOSITE_1024: [&[&str]; 3] = [
    &[
        "c6567b80c4cd18ee6d8bd4e28d90f46ead5a73fca77f7ce1700174770a5a0b01",
        "45309d00e5ff2ac626fe45f6e10611a97a67e2094a43128abbf0011f93918c67",
        "15f9e880ade653156b153adba7605581b0590819a1b9a4fc895f55a8b643a4f5",
        "2b941f31106a999062e2a45e37b21b8178f2ea91980360e502fc98d4ea34c8bd",
    ],
    &[
        "8807880227dbe34002daa4a8cc8d47cce05400c02daf787e165de3d49185a2ea",
        "e4715cb3ca8ef589aee6c32df363c6204828ca6bbd535e170ab6484728a35b2b",
        "2cab5d9faa94ac901d99953a2c3e59572981530c73403592d30ad05506b44cdc",
        "91ff95f6616d156e97187e7074a4f691c498b2b908dedffa8efe1875d6c5161d",
    ],
    &[
        "c6567b80c4cd18ee6d8bd4e28d90f46ead5a73fca77f7ce1700174770a5a0b01",
        "45309d00e5ff2ac626fe45f6e10611a97a67e2094a43128abbf0011f93918c64",
        "98a4282413806771b4a9f7a5feb2bf4d7f8cd39414ed1135f5f75cf53f6d7559",
        "f660e972961d16f1d47b53eb9b3a33581bc8e9615d240c8b93e3f811ecca43ea",
    ],
];

/// As [`COMPOSITE_1024`], of 2048 bits (`s` = 4).
const COMPOSITE_2048: [&[&str]; 3] = [
    &[
        "a7a960a5ba8ff772f5357235d492b46bae6b6f6a8698e67f3a41cb7a5f0105f3",
        "381aa203f5b634bb97d78719da4d291a059794795722980d393de548baa687ce",
        "cfaf6bdf2b72ae6bddfd816b3be3925d349d5ebb779aa16c0b712393f6da4f11",
        "6598ae4c57c7e95f34e0ed33104daee56c9614ea676dba64e388f44a72cf3abf",
        "693075e008361ffecdf1b719e4a2fc7a643159685562d0f6cb97485af0a98a2e",
        "a056c3c19001c9c8784c33379d044bed6bf256fb781f78d12cafe883be3cf28a",
        "ee465134b1b98697bdb2bed98cb8db2023dc17d3b61ea37e7da769526d6855d3",
        "e0a06fb3fe21405f09977cb87bbb8b5d5ccbc7904dbab55bce1f0a04b9dcf991",
    ],
    &[
        "2be634faad397688a2288847f2663389f5063906f9d17e6cf478d5a10478506e",
        "bab039a5d0859f5bc26d40a6bada7304faa4b77167e1b85fb832659d0034ba2e",
        "a6fdb90dd2dacd08c821393d606244f54f9c525d026d814db3b5597968259458",
        "f218ba0ff3ee8d75ad43d38a8f38236760f684d7fd9f5a7d37cf00ab9a704a4c",
        "fcceea249d5f529149d2f23846c5d51ab607801c799ac842b40f7ef38572d2e3",
        "1dfa8c465cb39cebdc469dea2bb5b6b8e570cf53628cb9531649a73015f4b090",
        "e2247bf5c89c7ff4b4881cff0bc7d4bd2dc947cd892c8cd067ae18eaa385da59",
        "fe0e536b0b7c7c75f658c7b82663f53e393a0f069e4eb20ce5093734d87031",
    ],
    &[
        "a7a960a5ba8ff772f5357235d492b46bae6b6f6a8698e67f3a41cb7a5f0105f3",
        "381aa203f5b634bb97d78719da4d291a059794795722980d393de548baa687ce",
        "cfaf6bdf2b72ae6bddfd816b3be3925d349d5ebb779aa16c0b712393f6da4f11",
        "6598ae4c57c7e95f34e0ed33104daee56c9614ea676dba64e388f44a72cf3abd",
        "1f35eab8b3be6f30cbfb0a06d65722011dba564fc80ab25917622b036a1f493f",
        "79789adb2b7a5af1e56d98fa22aeba0da384d9f48dd674dc488b9dd202f1a4b4",
        "f5d66c90ebc6d0692daff06f6ee6c16db9e6080144fe5389212e382772cae3b2",
        "776d30713cf1ab411933725fbca44054d36558eade85ae15edd05c1cd430c4ce",
    ],
];

/// Little-endian 64-bit words of `len` words from hex digits.
fn words_from_hex(parts: &[&str], len: usize) -> Vec<u64> {
    let hex: String = parts.concat();
    let mut out: Vec<u64> = hex
        .as_bytes()
        .rchunks(16)
        .map(|c| u64::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
    out.resize(len, 0);
    out
}

/// crypto-primes' answer for `n` and base `a`.
fn crypto_primes_round(n: &[u64], a: &[u64]) -> bool {
    let odd = Odd::new(BoxedUint::from_words(n.iter().copied())).unwrap();
    MillerRabin::new(odd)
        .test(&BoxedUint::from_words(a.iter().copied()))
        .is_probably_prime()
}

/// The rounds for `n` to bases `a` and `b`, checked against crypto-primes (and to decline
/// without IFMA): the two answers.
fn rounds(n: &[u64], a: &[u64], b: &[u64]) -> Option<[bool; 2]> {
    let got = miller_rabin_pair(n, [a, b]);
    if !vector_available() {
        assert_eq!(got, None, "no AVX-512 IFMA here");
        return None;
    }
    let want = [crypto_primes_round(n, a), crypto_primes_round(n, b)];
    assert_eq!(got, Some(want), "n {n:x?}, bases {a:x?}, {b:x?}");
    assert_eq!(miller_rabin_pair(n, [b, a]), Some([want[1], want[0]]));
    got
}

/// A base below `n` (one word shorter in value, so below it), of `n`'s length.
fn base(rng: &mut Words, len: usize) -> Vec<u64> {
    let mut a = rng.odd(len);
    a[len - 1] = 0;
    a
}

#[test]
fn miller_rabin_rounds_answer_as_crypto_primes() {
    let mut rng = Words(5);
    for (len, count) in [(16, 3), (32, 2)] {
        for _ in 0..count {
            let p = next_prime(rng.odd(len));
            let mut two = vec![0; len];
            two[0] = 2;
            let mut minus_two = p.clone();
            minus_two[0] -= 3;
            let a = base(&mut rng, len);
            for (x, y) in [(&two, &a), (&a, &minus_two)] {
                if let Some(passed) = rounds(&p, x, y) {
                    assert_eq!(passed, [true, true], "a prime passes every round");
                }
            }
            let n = rng.odd(len);
            let (a, b) = (base(&mut rng, len), base(&mut rng, len));
            if let Some(passed) = rounds(&n, &a, &b) {
                assert_eq!(passed, [false, false], "a random odd number fails");
            }
        }
    }
}

#[test]
fn a_strong_liar_passes_and_a_fermat_liar_fails() {
    for (len, [n, strong_liar, fermat_liar]) in [(16, COMPOSITE_1024), (32, COMPOSITE_2048)] {
        let (n, strong_liar, fermat_liar) = (
            words_from_hex(n, len),
            words_from_hex(strong_liar, len),
            words_from_hex(fermat_liar, len),
        );
        assert!(!is_prime(
            Flavor::Any,
            &BoxedUint::from_words(n.iter().copied())
        ));
        assert_eq!(n[len - 1] >> 63, 1, "n has exactly {} bits", 64 * len);
        assert_eq!(n[0] & 3, 1, "4 divides n - 1: the rounds go on squaring");
        // The Fermat liar is one: fermat_liar^(n - 1) = 1 (mod n).
        let modulus = Odd::new(BoxedUint::from_words(n.iter().copied())).unwrap();
        let params = crypto_bigint::modular::BoxedMontyParams::new(modulus);
        let x = crypto_bigint::modular::BoxedMontyForm::new(
            BoxedUint::from_words(fermat_liar.iter().copied()),
            &params,
        );
        let mut n_minus_one = n.clone();
        n_minus_one[0] -= 1;
        assert_eq!(
            x.pow(&BoxedUint::from_words(n_minus_one.iter().copied()))
                .retrieve(),
            BoxedUint::one_with_precision(64 * len as u32)
        );
        if let Some(passed) = rounds(&n, &strong_liar, &fermat_liar) {
            assert_eq!(passed, [true, false]);
        }
    }
}

#[test]
fn bases_and_numbers_the_rounds_do_not_handle_are_left_to_the_caller() {
    let mut rng = Words(6);
    let n = next_prime(rng.odd(16));
    let good = base(&mut rng, 16);
    let word = |x: u64| {
        let mut w = vec![0; 16];
        w[0] = x;
        w
    };
    let mut minus_one = n.clone();
    minus_one[0] -= 1;
    let mut minus_two = n.clone();
    minus_two[0] -= 3;
    let short = good[..8].to_vec();
    // 0, 1, n - 1, n and numbers not of n's length are not bases; 2 and n - 2 are.
    for bad in [word(0), word(1), minus_one, n.clone(), short] {
        assert_eq!(miller_rabin_pair(&n, [&good, &bad]), None, "{bad:x?}");
        assert_eq!(miller_rabin_pair(&n, [&bad, &good]), None, "{bad:x?}");
    }
    assert_eq!(
        miller_rabin_pair(&n, [&word(2), &minus_two]).is_some(),
        vector_available()
    );
    // An even n, or one of a size the crate does not handle.
    let mut even = n.clone();
    even[0] -= 1;
    assert_eq!(miller_rabin_pair(&even, [&good, &good]), None);
    let odd_size = rng.odd(24);
    let base24 = base(&mut rng, 24);
    assert_eq!(miller_rabin_pair(&odd_size, [&base24, &base24]), None);
}
