//! Keys and X.509 certificates as Go's `crypto/x509` writes them for sprig's `genCA`,
//! `genSelfSignedCert`, `genSignedCert` and `genPrivateKey`: the same DER structure (field
//! order, string types, extensions and their criticality, key encodings), so kpack's PEM
//! blocks have the shape and length of Helm's. Key generation uses `rsa` (RSA) and `ring`
//! (ECDSA P-256, Ed25519), signing uses `ring`; DER is written and read here.

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

// --- DER writing --------------------------------------------------------------------------

/// One DER TLV: tag, length, value.
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes (minimal, with a leading zero
/// when the top bit is set).
fn uint(be: &[u8]) -> Vec<u8> {
    let skip = be.iter().take_while(|&&b| b == 0).count();
    let mut v: Vec<u8> = be[skip..].to_vec();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

fn small_int(n: u8) -> Vec<u8> {
    tlv(0x02, &[n])
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn bits(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(b.len() + 1);
    v.push(0);
    v.extend_from_slice(b);
    tlv(0x03, &v)
}

fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// An OBJECT IDENTIFIER from its arcs.
fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut push = |mut n: u64| {
        let mut tmp = vec![(n & 0x7f) as u8];
        n >>= 7;
        while n > 0 {
            tmp.push(0x80 | (n & 0x7f) as u8);
            n >>= 7;
        }
        tmp.reverse();
        v.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    tlv(0x06, &v)
}

const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const EC_PUBLIC_KEY: &[u64] = &[1, 2, 840, 10045, 2, 1];
const PRIME256V1: &[u64] = &[1, 2, 840, 10045, 3, 1, 7];
const ECDSA_WITH_SHA256: &[u64] = &[1, 2, 840, 10045, 4, 3, 2];
const ED25519: &[u64] = &[1, 3, 101, 112];
const DSA: &[u64] = &[1, 2, 840, 10040, 4, 1];

// --- PEM ----------------------------------------------------------------------------------

/// A PEM block as Go's `pem.Encode` writes it: 64 base64 characters a line.
pub fn pem(kind: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {kind}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {kind}-----\n"));
    out
}

/// The first PEM block of a text, as Go's `pem.Decode`: its type and bytes.
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let (kind, rest) = rest.split_once("-----")?;
    let end_marker = format!("-----END {kind}-----");
    let end = rest.find(&end_marker)?;
    let body: String = rest[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((kind.to_string(), der))
}

// --- DER reading --------------------------------------------------------------------------

/// A cursor over DER bytes.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next TLV: its tag and value.
    fn next(&mut self) -> Result<(u8, &'a [u8]), String> {
        let b = self.0;
        let bad = || "asn1: syntax error: data truncated".to_string();
        let tag = *b.first().ok_or_else(bad)?;
        let first = *b.get(1).ok_or_else(bad)?;
        let (len, head) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err("asn1: structure error: length too large".into());
            }
            let bytes = b.get(2..2 + n).ok_or_else(bad)?;
            (
                bytes.iter().fold(0usize, |acc, &x| (acc << 8) | x as usize),
                2 + n,
            )
        };
        let value = b.get(head..head + len).ok_or_else(bad)?;
        self.0 = &b[head + len..];
        Ok((tag, value))
    }

    fn expect(&mut self, want: u8) -> Result<&'a [u8], String> {
        let (tag, v) = self.next()?;
        if tag != want {
            return Err(format!(
                "asn1: structure error: tags don't match (expected tag {want:#x}, got {tag:#x})"
            ));
        }
        Ok(v)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An INTEGER's magnitude without leading zeros.
fn int_bytes(v: &[u8]) -> &[u8] {
    let skip = v.iter().take_while(|&&b| b == 0).count();
    &v[skip..]
}

// --- keys ---------------------------------------------------------------------------------

/// A private key of one of the kinds sprig generates and reads.
pub enum PrivateKey {
    /// RSA, as PKCS#1 `RSAPrivateKey` DER.
    Rsa(Vec<u8>),
    /// ECDSA P-256: the private scalar and the uncompressed public point.
    EcP256 { scalar: Vec<u8>, public: Vec<u8> },
    /// Ed25519, by its 32-byte seed.
    Ed25519([u8; 32]),
    /// DSA: the components of Go's `DSAKeyFormat` (P, Q, G, Y, X).
    Dsa(Vec<Vec<u8>>),
}

/// Odd primes below this bound sieve the candidates of [`rsa_prime`] for 2048-bit primes
/// (4096-bit keys): crypto-primes' own sieve stops at 17863, which leaves about 81
/// candidates to test (one modular exponentiation each) per prime; this bound leaves about
/// 57, and the sieve costs a few of those exponentiations.
const SIEVE_BOUND: u32 = 1 << 20;

/// The bound for primes of up to 1024 bits (2048-bit keys, the size of `genCA` and the
/// certificates): their tests cost a quarter as much, so a deeper sieve stops paying
/// sooner. Against 2^20 it leaves 11% more candidates (about 32 per prime) but sieves
/// a quarter of the primes, and the sieve had become a fifth of the search.
const SIEVE_BOUND_1024: u32 = 1 << 18;

/// How deep and how long [`sieve`] runs for primes of `bits` bits: the bound of its
/// primes and how many odd numbers from the start it covers. Primes are ln(2^bits) apart
/// on average, so `4 * bits` odd numbers hold about 11.5 of them (the chance of none is
/// 1 in 100,000; the search then starts again).
fn sieve_size(bits: u32) -> (u32, usize) {
    let bound = if bits <= 1024 {
        SIEVE_BOUND_1024
    } else {
        SIEVE_BOUND
    };
    (bound, (4 * bits as usize).max(1024))
}

/// A product of odd primes below 2^64, with what [`residues`] needs to reduce a number by it
/// without dividing: `-P^-1 mod 2^64`, and `2^(64(n+1)) mod P` for numbers of `n` = 16 and
/// 32 words (the primes of 2048- and 4096-bit keys).
struct Product {
    product: u64,
    neg_inv: u64,
    radix: [u64; 2],
    primes: Vec<u32>,
}

impl Product {
    fn new(product: u64, primes: Vec<u32>) -> Product {
        let neg_inv = kpack_fermat::neg_inv(product);
        // 2^128 mod P by division, then R^(2k-1) from R^k by Montgomery squaring (R = 2^64):
        // R^3, R^5, R^9, R^17, R^33.
        let r2 = pow_mod(two_to_64_mod(product), 2, product);
        let square = |x: u64| redc(u128::from(x) * u128::from(x), product, neg_inv);
        let r17 = square(square(square(square(r2))));
        Product {
            product,
            neg_inv,
            radix: [r17, square(r17)],
            primes,
        }
    }

    /// `2^(64(n+1)) mod P` for numbers of `n` words.
    fn radix(&self, words: usize) -> u64 {
        match words {
            16 => self.radix[0],
            32 => self.radix[1],
            n => pow_mod(two_to_64_mod(self.product), n as u64 + 1, self.product),
        }
    }
}

/// `2^64 mod m`.
fn two_to_64_mod(m: u64) -> u64 {
    ((1u128 << 64) % u128::from(m)) as u64
}

/// `x^e mod m` (square and multiply, by division: for the tables, not the search).
fn pow_mod(x: u64, mut e: u64, m: u64) -> u64 {
    let mul = |a: u64, b: u64| (u128::from(a) * u128::from(b) % u128::from(m)) as u64;
    let (mut base, mut out) = (x % m, 1 % m);
    while e > 0 {
        if e & 1 == 1 {
            out = mul(out, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    out
}

/// The odd primes below [`SIEVE_BOUND`], packed into products below 2^64 (so a candidate's
/// residue by several primes takes one reduction by their product), in increasing order.
fn sieve_primes() -> &'static [Product] {
    static PRIMES: std::sync::OnceLock<Vec<Product>> = std::sync::OnceLock::new();
    PRIMES.get_or_init(|| {
        // Bit i of `composite` stands for the odd number 2i + 1.
        let half = SIEVE_BOUND as usize / 2;
        let mut composite = vec![0u64; half.div_ceil(64)];
        let mut out = Vec::new();
        let mut product = 1u64;
        let mut group = Vec::new();
        for i in 1..half {
            if composite[i / 64] >> (i % 64) & 1 == 1 {
                continue;
            }
            let n = 2 * i + 1;
            for j in (n * n / 2..half).step_by(n) {
                composite[j / 64] |= 1 << (j % 64);
            }
            match product.checked_mul(n as u64) {
                Some(p) => product = p,
                None => {
                    out.push(Product::new(product, std::mem::take(&mut group)));
                    product = n as u64;
                }
            }
            group.push(n as u32);
        }
        out.push(Product::new(product, group));
        out
    })
}

/// `words mod P` (little-endian 64-bit words) for each of `K` products at once, without
/// dividing: Montgomery reduction word by word from the lowest (add the word, then divide by
/// 2^64 modulo the odd `P`) leaves `words * 2^(-64n) mod P`, and one more reduction of its
/// product with `2^(64(n+1)) mod P` takes that factor out. The `K` reductions are
/// independent chains of multiplications, interleaved so the processor overlaps them (one
/// long division per word, as before, took a tenth of a 4096-bit key's search).
fn residues<const K: usize>(words: &[u64], products: [&Product; K]) -> [u64; K] {
    // Each step keeps r <= P: (r + w + m * P) / 2^64 <= (2^64 * P + 2^64 - 1) / 2^64.
    let mut r = [0u64; K];
    for &w in words {
        for (r, p) in r.iter_mut().zip(products) {
            let t = u128::from(*r) + u128::from(w);
            let m = (t as u64).wrapping_mul(p.neg_inv);
            *r = ((t + u128::from(m) * u128::from(p.product)) >> 64) as u64;
        }
    }
    let mut out = [0u64; K];
    for ((o, &r), p) in out.iter_mut().zip(&r).zip(products) {
        *o = redc(
            u128::from(r) * u128::from(p.radix(words.len())),
            p.product,
            p.neg_inv,
        );
    }
    out
}

/// `t * 2^(-64) mod p` for an odd `p` and `t < p * 2^64` (Montgomery reduction), below `p`:
/// `(t + m * p) / 2^64` with `m` making the low word zero is below `2p` (it may take 129
/// bits before the shift), then one subtraction.
fn redc(t: u128, p: u64, neg_inv: u64) -> u64 {
    let m = (t as u64).wrapping_mul(neg_inv);
    let (s, carry) = t.overflowing_add(u128::from(m) * u128::from(p));
    let x = (s >> 64) | u128::from(carry) << 64;
    let p = u128::from(p);
    (if x >= p { x - p } else { x }) as u64
}

/// Which of the `span` odd numbers from `start` (odd, its little-endian 64-bit words) an
/// odd prime below `bound` (at most [`SIEVE_BOUND`]) divides: `composite[k]` for
/// `start + 2k`.
fn sieve(start: &[u64], bound: u32, span: usize) -> Vec<bool> {
    let mut composite = vec![false; span];
    let products = sieve_primes();
    let used = products.partition_point(|p| p.primes[0] < bound);
    for chunk in products[..used].chunks(4) {
        let rs = match chunk {
            [a, b, c, d] => residues(start, [a, b, c, d]).to_vec(),
            _ => chunk.iter().map(|p| residues(start, [p])[0]).collect(),
        };
        for (product, r) in chunk.iter().zip(rs) {
            for &p in product.primes.iter().take_while(|&&p| p < bound) {
                let p = u64::from(p);
                // start + 2k = 0 (mod p), p odd: k = (p - r) / 2 when r is odd, p - r / 2
                // when it is even (and 0 for r = 0): one division per prime.
                let r = r % p;
                let first = match r {
                    0 => 0,
                    r if r % 2 == 1 => (p - r) / 2,
                    r => p - r / 2,
                };
                for k in (first as usize..span).step_by(p as usize) {
                    composite[k] = true;
                }
            }
        }
    }
    composite
}

/// A random prime of `bits` bits with its top two bits set (so two of them make a modulus
/// of exactly twice the bits), as Go's `crypto/rsa` picks them: a random odd start, then
/// the first number after it that no small prime divides (see [`sieve_size`]) and that
/// [`first_prime`] takes.
/// The search gives up, returning `None`, once `stop` is set (another thread has found
/// what was needed).
fn rsa_prime(bits: u32, stop: &AtomicBool) -> Result<Option<rsa::BoxedUint>, String> {
    use crypto_primes::hazmat::{SetBits, random_odd_integer};
    let err = |e: &dyn std::fmt::Display| format!("error generating rsa key: {e}");
    let nz = std::num::NonZeroU32::new(bits).ok_or_else(|| err(&"no bits"))?;
    let (bound, span) = sieve_size(bits);
    loop {
        let start: crypto_bigint::Odd<rsa::BoxedUint> =
            random_odd_integer(&mut rand::rng(), nz, SetBits::TwoMsb).map_err(|e| err(&e))?;
        let composite = sieve(start.as_ref().as_words(), bound, span);
        let mut candidate = start.get();
        let two =
            rsa::BoxedUint::from_be_slice(&[2], candidate.bits_precision()).map_err(|e| err(&e))?;
        let mut waiting = None;
        for (k, &c) in composite.iter().enumerate() {
            if stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            if k > 0 {
                candidate = candidate.wrapping_add(&two);
            }
            if c {
                continue;
            }
            if candidate.bit_width_vartime() != bits {
                break;
            }
            // Survivors go to the screen two at a time (the vector arithmetic tests two
            // candidates in about the time of one), still taken in order.
            let Some(first) = waiting.take() else {
                waiting = Some(candidate.clone());
                continue;
            };
            if let Some(p) = first_prime(&[first, candidate.clone()])? {
                return Ok(Some(p));
            }
        }
        if let Some(last) = waiting
            && let Some(p) = first_prime(&[last])?
        {
            return Ok(Some(p));
        }
    }
}

/// The first of `candidates` (one or two, in order) that passes a Fermat test to base 2
/// (`kpack_fermat`, or crypto-primes' Miller-Rabin to base 2 for sizes it does not
/// handle) and then the full test of [`confirm`].
fn first_prime(candidates: &[rsa::BoxedUint]) -> Result<Option<rsa::BoxedUint>, String> {
    use crypto_primes::hazmat::MillerRabin;
    let miller_rabin = |c: &rsa::BoxedUint| -> Result<bool, String> {
        let odd = crypto_bigint::Odd::new(c.clone())
            .into_option()
            .ok_or("error generating rsa key: even candidate")?;
        Ok(MillerRabin::new(odd).test_base_two().is_probably_prime())
    };
    let screened = match candidates {
        [a, b] => match kpack_fermat::fermat_base2_pair(a.as_words(), b.as_words()) {
            Some(passed) => passed.to_vec(),
            None => vec![miller_rabin(a)?, miller_rabin(b)?],
        },
        _ => candidates
            .iter()
            .map(|c| match kpack_fermat::fermat_base2(c.as_words()) {
                Some(passed) => Ok(passed),
                None => miller_rabin(c),
            })
            .collect::<Result<_, String>>()?,
    };
    Ok(candidates
        .iter()
        .zip(screened)
        .find(|(c, passed)| *passed && confirm(c))
        .map(|(c, _)| c.clone()))
}

/// How many Miller-Rabin rounds to random bases [`confirm`] runs after the one to base 2:
/// more than Go's `crypto/rsa` runs for its random candidates (5 for 1024-bit primes, 4 for
/// 2048-bit ones, from BoringSSL's bounds), and with base 2 an even number, as
/// `kpack_fermat` runs them two at a time.
const RANDOM_ROUNDS: usize = 5;

/// Whether a candidate that passed the Fermat screen is prime. With AVX-512 IFMA: Miller-Rabin
/// rounds to base 2 and to [`RANDOM_ROUNDS`] random bases in `2..=n - 2`, by `kpack_fermat`
/// two at a time (a round costs what screening one candidate does, where crypto-primes'
/// Baillie-PSW test costs about twenty-five); Go's fewer rounds are already chosen (from
/// BoringSSL's bounds for random candidates) to make a composite passing them negligible.
/// Without IFMA (or for sizes the crate does not handle): crypto-primes' Baillie-PSW test.
fn confirm(c: &rsa::BoxedUint) -> bool {
    use crypto_bigint::{NonZero, RandomMod};
    use crypto_primes::{Flavor, is_prime};
    let baillie_psw = || is_prime(Flavor::Any, c);
    if !kpack_fermat::vector_available() {
        return baillie_psw();
    }
    let precision = c.bits_precision();
    let two = rsa::BoxedUint::from_be_slice(&[2], precision);
    let three = rsa::BoxedUint::from_be_slice(&[3], precision);
    let (Ok(two), Ok(three)) = (two, three) else {
        return baillie_psw();
    };
    // Bases in 2..=n - 2: 2 + a random number below n - 3.
    let Some(range) = NonZero::new(c.wrapping_sub(&three)).into_option() else {
        return baillie_psw();
    };
    let mut rng = rand::rng();
    let mut bases = vec![two.clone()];
    bases.extend(
        (0..RANDOM_ROUNDS)
            .map(|_| rsa::BoxedUint::random_mod_vartime(&mut rng, &range).wrapping_add(&two)),
    );
    for pair in bases.chunks(2) {
        let [a, b] = pair else {
            return baillie_psw();
        };
        match kpack_fermat::miller_rabin_pair(c.as_words(), [a.as_words(), b.as_words()]) {
            Some([true, true]) => {}
            Some(_) => return false,
            None => return baillie_psw(),
        }
    }
    true
}

/// Two distinct primes of `bits` bits (see [`rsa_prime`]), searched for by every thread of
/// the current worker pool at once: each tests its own random candidates, and the first
/// two primes found, by whichever threads, are taken. The search is most of the time a
/// key takes, and its length varies widely: one search for p and another for q would wait
/// for the slower of the two (1.5 times the mean with two threads), a shared one waits for
/// two primes among all threads (the mean).
fn two_primes(bits: u32) -> Result<(rsa::BoxedUint, rsa::BoxedUint), String> {
    let found: Mutex<Vec<rsa::BoxedUint>> = Mutex::new(Vec::with_capacity(2));
    let failed: Mutex<Option<String>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let search = || {
        while !stop.load(Ordering::Relaxed) {
            match rsa_prime(bits, &stop) {
                Ok(Some(p)) => {
                    let mut found = found.lock().unwrap_or_else(|e| e.into_inner());
                    if found.len() < 2 && !found.contains(&p) {
                        found.push(p);
                    }
                    if found.len() == 2 {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    rayon::scope(|s| {
        for _ in 1..rayon::current_num_threads() {
            s.spawn(|_| search());
        }
        search();
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    match (found.pop(), found.pop()) {
        (Some(q), Some(p)) => Ok((p, q)),
        _ => Err("error generating rsa key: the prime search stopped early".into()),
    }
}

/// A new RSA key of `bits` bits, as PKCS#1 DER.
pub fn generate_rsa(bits: usize) -> Result<PrivateKey, String> {
    let half = (bits / 2) as u32;
    let key = loop {
        let (p, q) = two_primes(half)?;
        // e must be coprime with p-1 and q-1; from_p_q refuses otherwise: try again.
        if let Ok(k) = rsa::PrivateKey::from_p_q(p, q, rsa::BoxedUint::from(65537u64)) {
            break k;
        }
    };
    let bytes = |x: &rsa::BoxedUint| x.to_be_bytes_trimmed_vartime().to_vec();
    let primes = key.primes();
    let (dp, dq, qinv) = match (key.dp(), key.dq(), key.crt_coefficient()) {
        (Some(dp), Some(dq), Some(qinv)) => (bytes(dp), bytes(dq), bytes(&qinv)),
        _ => return Err("error generating rsa key: no CRT values".into()),
    };
    let der = seq(&[
        small_int(0),
        uint(&key.n_bytes()),
        uint(&key.e_bytes()),
        uint(&bytes(key.d())),
        uint(&bytes(primes[0].as_ref())),
        uint(&bytes(primes[1].as_ref())),
        uint(&dp),
        uint(&dq),
        uint(&qinv),
    ]);
    Ok(PrivateKey::Rsa(der))
}

/// A new ECDSA P-256 key.
pub fn generate_ecdsa() -> Result<PrivateKey, String> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|_| "failed to generate private key: ecdsa".to_string())?;
    ec_from_pkcs8(pkcs8.as_ref())
}

/// A new Ed25519 key.
pub fn generate_ed25519() -> Result<PrivateKey, String> {
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut seed)
        .map_err(|_| "failed to generate private key: ed25519".to_string())?;
    Ok(PrivateKey::Ed25519(seed))
}

/// The scalar and public point of an EC key in PKCS#8 (whose private key is SEC 1).
fn ec_from_pkcs8(pkcs8: &[u8]) -> Result<PrivateKey, String> {
    let mut outer = Der(Der(pkcs8).expect(0x30)?);
    outer.expect(0x02)?;
    outer.expect(0x30)?;
    let sec1 = outer.expect(0x04)?;
    ec_from_sec1(sec1)
}

/// An EC key from SEC 1 `ECPrivateKey` DER (P-256 only, as sprig generates).
fn ec_from_sec1(der: &[u8]) -> Result<PrivateKey, String> {
    let mut d = Der(Der(der).expect(0x30)?);
    d.expect(0x02)?;
    let scalar = d.expect(0x04)?.to_vec();
    let mut public = None;
    let mut curve_ok = true;
    while !d.is_empty() {
        let (tag, v) = d.next()?;
        match tag {
            0xa0 => curve_ok = v == oid(PRIME256V1).as_slice(),
            0xa1 => {
                let b = Der(v).expect(0x03)?;
                public = b.get(1..).map(<[u8]>::to_vec);
            }
            _ => {}
        }
    }
    if !curve_ok {
        return Err("x509: unknown elliptic curve".into());
    }
    let public = public.ok_or("x509: EC private key without public key")?;
    let mut padded = vec![0u8; 32usize.saturating_sub(scalar.len())];
    padded.extend_from_slice(&scalar);
    Ok(PrivateKey::EcP256 {
        scalar: padded,
        public,
    })
}

impl PrivateKey {
    /// The PEM block sprig writes for the key (Go's `pemBlockForKey`).
    pub fn to_pem(&self) -> String {
        match self {
            PrivateKey::Rsa(der) => pem("RSA PRIVATE KEY", der),
            PrivateKey::EcP256 { scalar, public } => pem(
                "EC PRIVATE KEY",
                &seq(&[
                    small_int(1),
                    octets(scalar),
                    tlv(0xa0, &oid(PRIME256V1)),
                    tlv(0xa1, &bits(public)),
                ]),
            ),
            PrivateKey::Ed25519(seed) => pem(
                "PRIVATE KEY",
                &seq(&[small_int(0), seq(&[oid(ED25519)]), octets(&octets(seed))]),
            ),
            PrivateKey::Dsa(parts) => {
                let mut fields = vec![small_int(0)];
                fields.extend(parts.iter().map(|p| uint(p)));
                pem("DSA PRIVATE KEY", &seq(&fields))
            }
        }
    }

    /// The DER of the key's `SubjectPublicKeyInfo`, and the bytes of its public key.
    fn public_key_info(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        let (alg, key) = match self {
            PrivateKey::Rsa(der) => {
                let mut d = Der(Der(der).expect(0x30)?);
                d.expect(0x02)?;
                let n = int_bytes(d.expect(0x02)?).to_vec();
                let e = int_bytes(d.expect(0x02)?).to_vec();
                (
                    seq(&[oid(RSA_ENCRYPTION), null()]),
                    seq(&[uint(&n), uint(&e)]),
                )
            }
            PrivateKey::EcP256 { public, .. } => {
                (seq(&[oid(EC_PUBLIC_KEY), oid(PRIME256V1)]), public.clone())
            }
            PrivateKey::Ed25519(seed) => {
                let pair = Ed25519KeyPair::from_seed_unchecked(seed)
                    .map_err(|e| format!("invalid ed25519 key: {e}"))?;
                (seq(&[oid(ED25519)]), pair.public_key().as_ref().to_vec())
            }
            PrivateKey::Dsa(_) => {
                return Err(
                    "x509: cannot sign with key of type *dsa.PrivateKey: only RSA, ECDSA and Ed25519 keys supported"
                        .into(),
                );
            }
        };
        Ok((seq(&[alg, bits(&key)]), key))
    }

    /// The signature algorithm identifier Go uses with this key, and a signature of `msg`.
    fn sign(&self, msg: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
        let rng = SystemRandom::new();
        let fail = |e: &dyn std::fmt::Display| format!("error creating certificate: {e}");
        match self {
            PrivateKey::Rsa(der) => {
                let pair = RsaKeyPair::from_der(der).map_err(|e| fail(&e))?;
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
                    .map_err(|e| fail(&e))?;
                Ok((seq(&[oid(SHA256_WITH_RSA), null()]), sig))
            }
            PrivateKey::EcP256 { scalar, public } => {
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                    scalar,
                    public,
                    &rng,
                )
                .map_err(|e| fail(&e))?;
                let sig = pair.sign(&rng, msg).map_err(|e| fail(&e))?;
                Ok((seq(&[oid(ECDSA_WITH_SHA256)]), sig.as_ref().to_vec()))
            }
            PrivateKey::Ed25519(seed) => {
                let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| fail(&e))?;
                Ok((seq(&[oid(ED25519)]), pair.sign(msg).as_ref().to_vec()))
            }
            PrivateKey::Dsa(_) => Err(
                "x509: cannot sign with key of type *dsa.PrivateKey: only RSA, ECDSA and Ed25519 keys supported"
                    .into(),
            ),
        }
    }
}

/// Go's `parsePrivateKeyPEM` (sprig): the key in the first PEM block, with sprig's errors.
pub fn parse_private_key_pem(text: &str) -> Result<PrivateKey, String> {
    let (kind, der) = pem_decode(text).ok_or("no PEM data in input")?;
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => {
            RsaKeyPair::from_der(&der)
                .map_err(|e| format!("parsing RSA private key from PEM: {e}"))?;
            Ok(PrivateKey::Rsa(der))
        }
        "EC" => ec_from_sec1(&der).map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => {
            let mut d = Der(Der(&der)
                .expect(0x30)
                .map_err(|e| format!("parsing DSA private key from PEM: {e}"))?);
            let mut parts = Vec::new();
            d.expect(0x02)
                .map_err(|e| format!("parsing DSA private key from PEM: {e}"))?;
            for _ in 0..5 {
                let v = d
                    .expect(0x02)
                    .map_err(|e| format!("parsing DSA private key from PEM: {e}"))?;
                parts.push(int_bytes(v).to_vec());
            }
            Ok(PrivateKey::Dsa(parts))
        }
        _ => Err(format!("invalid private key type {kind}")),
    }
}

/// A PKCS#8 private key (RSA, EC P-256 or Ed25519).
fn parse_pkcs8(der: &[u8]) -> Result<PrivateKey, String> {
    let mut d = Der(Der(der).expect(0x30)?);
    d.expect(0x02)?;
    let alg = d.expect(0x30)?;
    let key = d.expect(0x04)?;
    let alg_oid = Der(alg).expect(0x06)?;
    if tlv(0x06, alg_oid) == oid(RSA_ENCRYPTION) {
        RsaKeyPair::from_der(key)
            .map_err(|e| format!("x509: failed to parse RSA private key: {e}"))?;
        Ok(PrivateKey::Rsa(key.to_vec()))
    } else if tlv(0x06, alg_oid) == oid(EC_PUBLIC_KEY) {
        ec_from_sec1(key)
    } else if tlv(0x06, alg_oid) == oid(ED25519) {
        let seed = Der(key).expect(0x04)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| "x509: invalid Ed25519 private key length".to_string())?;
        Ok(PrivateKey::Ed25519(seed))
    } else if tlv(0x06, alg_oid) == oid(DSA) {
        Err(
            "x509: PKCS#8 wrapping contained private key with unknown algorithm: 1.2.840.10040.4.1"
                .into(),
        )
    } else {
        Err("x509: PKCS#8 wrapping contained private key with unknown algorithm".into())
    }
}

// --- certificates -------------------------------------------------------------------------

/// What sprig puts in a certificate.
pub struct CertSpec {
    pub common_name: String,
    pub ips: Vec<std::net::IpAddr>,
    pub dns_names: Vec<String>,
    pub days_valid: i64,
    pub is_ca: bool,
}

/// The parts of a signer certificate that Go copies into the certificates it signs.
pub struct Issuer {
    /// The DER of its subject name.
    pub subject: Vec<u8>,
    /// Its subject key identifier, if it has one.
    pub key_id: Option<Vec<u8>>,
}

/// A Name with one common name, as Go's `pkix.Name{CommonName: cn}` marshals it
/// (PrintableString when the text allows it, otherwise UTF8String).
fn name(cn: &str) -> Vec<u8> {
    let printable = cn
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*".contains(&b));
    let value = tlv(if printable { 0x13 } else { 0x0c }, cn.as_bytes());
    seq(&[tlv(0x31, &seq(&[oid(&[2, 5, 4, 3]), value]))])
}

/// Go's ASN.1 time: UTCTime from 1950 to 2049, GeneralizedTime otherwise (seconds).
fn time(t: chrono::DateTime<chrono::Utc>) -> Vec<u8> {
    use chrono::Datelike;
    if (1950..2050).contains(&t.year()) {
        tlv(0x17, t.format("%y%m%d%H%M%SZ").to_string().as_bytes())
    } else {
        tlv(0x18, t.format("%Y%m%d%H%M%SZ").to_string().as_bytes())
    }
}

fn extension(id: &[u64], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(tlv(0x01, &[0xff]));
    }
    parts.push(octets(&value));
    seq(&parts)
}

/// Build and sign a certificate for `key`'s public key, signed by `signer` (itself for a
/// self-signed one), as Go's `x509.CreateCertificate` does from sprig's template. Returns
/// the PEM of the certificate.
pub fn create_certificate(
    spec: &CertSpec,
    key: &PrivateKey,
    issuer: Option<&Issuer>,
    signer: &PrivateKey,
) -> Result<String, String> {
    let (spki, public_key) = key.public_key_info()?;
    let subject = name(&spec.common_name);
    let issuer_name = issuer.map_or_else(|| subject.clone(), |i| i.subject.clone());
    let mut serial = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut serial)
        .map_err(|_| "error creating certificate: no randomness".to_string())?;
    let now = chrono::Utc::now();
    // Go's `time.Hour * 24 * time.Duration(days)`: nanoseconds in an int64 that wraps (a
    // huge `days` gives a date within 292 years of now, never a panic).
    let not_after =
        now + chrono::Duration::nanoseconds(86_400_000_000_000i64.wrapping_mul(spec.days_valid));

    // Extensions, in Go's order.
    let key_usage: u8 = if spec.is_ca { 0xa4 } else { 0xa0 };
    let unused = key_usage.trailing_zeros() as u8;
    let mut exts = vec![
        extension(&[2, 5, 29, 15], true, tlv(0x03, &[unused, key_usage])),
        extension(
            &[2, 5, 29, 37],
            false,
            seq(&[
                oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
                oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
            ]),
        ),
        extension(
            &[2, 5, 29, 19],
            true,
            if spec.is_ca {
                seq(&[tlv(0x01, &[0xff])])
            } else {
                seq(&[])
            },
        ),
    ];
    if spec.is_ca {
        // Go 1.25+: the first 20 bytes of the SHA-256 of the public key.
        let digest = ring::digest::digest(&ring::digest::SHA256, &public_key);
        exts.push(extension(
            &[2, 5, 29, 14],
            false,
            octets(&digest.as_ref()[..20]),
        ));
    }
    if let Some(id) = issuer
        .filter(|i| i.subject != subject)
        .and_then(|i| i.key_id.as_ref())
    {
        exts.push(extension(&[2, 5, 29, 35], false, seq(&[tlv(0x80, id)])));
    }
    if !spec.dns_names.is_empty() || !spec.ips.is_empty() {
        let mut names: Vec<Vec<u8>> = spec
            .dns_names
            .iter()
            .map(|d| tlv(0x82, d.as_bytes()))
            .collect();
        for ip in &spec.ips {
            let bytes = match ip {
                std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
                std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            names.push(tlv(0x87, &bytes));
        }
        exts.push(extension(
            &[2, 5, 29, 17],
            spec.common_name.is_empty(),
            seq(&names),
        ));
    }

    // The algorithm goes into the TBS too: sign a throwaway message to learn it.
    let (alg, _) = signer.sign(b"")?;
    let tbs = seq(&[
        tlv(0xa0, &small_int(2)),
        uint(&serial),
        alg.clone(),
        issuer_name,
        seq(&[time(now), time(not_after)]),
        subject,
        spki,
        tlv(0xa3, &seq(&exts)),
    ]);
    let (_, sig) = signer.sign(&tbs)?;
    let cert = seq(&[tbs, alg, bits(&sig)]);
    Ok(pem("CERTIFICATE", &cert))
}

/// The subject name and subject key identifier of a PEM certificate (sprig parses the CA's
/// certificate before signing with it). Errors are Go's wording.
pub fn parse_issuer(cert_pem: &str) -> Result<Issuer, String> {
    let (_, der) = pem_decode(cert_pem).ok_or("unable to decode certificate")?;
    let bad = |e: String| format!("error parsing certificate: decodedSignerCert.Bytes: {e}");
    parse_cert(&der).map_err(bad)
}

/// Check that DER is a certificate (buildCustomCert); errors as Go's.
pub fn check_certificate(der: &[u8]) -> Result<(), String> {
    parse_cert(der)
        .map(|_| ())
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))
}

fn parse_cert(der: &[u8]) -> Result<Issuer, String> {
    let mut cert = Der(Der(der).expect(0x30)?);
    let mut tbs = Der(cert.expect(0x30)?);
    let (mut tag, _) = tbs.next()?;
    if tag == 0xa0 {
        tag = tbs.next()?.0; // serial
    }
    if tag != 0x02 {
        return Err("x509: malformed serial number".into());
    }
    tbs.expect(0x30)?; // signature algorithm
    tbs.expect(0x30)?; // issuer
    tbs.expect(0x30)?; // validity
    let subject_value = tbs.expect(0x30)?;
    tbs.expect(0x30)?; // public key info
    let mut key_id = None;
    while !tbs.is_empty() {
        let (tag, v) = tbs.next()?;
        if tag != 0xa3 {
            continue;
        }
        let mut exts = Der(Der(v).expect(0x30)?);
        while !exts.is_empty() {
            let mut ext = Der(exts.expect(0x30)?);
            let id = ext.expect(0x06)?;
            let (mut tag, mut value) = ext.next()?;
            if tag == 0x01 {
                (tag, value) = ext.next()?;
            }
            if tag == 0x04 && tlv(0x06, id) == oid(&[2, 5, 29, 14]) {
                key_id = Some(Der(value).expect(0x04)?.to_vec());
            }
        }
    }
    Ok(Issuer {
        subject: tlv(0x30, subject_value),
        key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_days_of_validity_make_a_certificate_as_go_wraps_them() {
        let key = PrivateKey::Ed25519([7; 32]);
        for days in [365, -1, 106_752, 1_000_000_000_000_000, i64::MAX, i64::MIN] {
            let spec = CertSpec {
                common_name: "x".into(),
                ips: Vec::new(),
                dns_names: Vec::new(),
                days_valid: days,
                is_ca: true,
            };
            let pem = create_certificate(&spec, &key, None, &key).expect("certificate");
            let (_, der) = pem_decode(&pem).expect("PEM");
            check_certificate(&der).expect("readable");
        }
    }

    #[test]
    fn the_sieve_holds_every_odd_prime_below_its_bound_once() {
        let groups = sieve_primes();
        let primes: Vec<u32> = groups
            .iter()
            .flat_map(|g| g.primes.iter().copied())
            .collect();
        // pi(2^20) = 82025, less the prime 2.
        assert_eq!(primes.len(), 82024);
        assert_eq!(&primes[..5], &[3, 5, 7, 11, 13]);
        assert_eq!(primes.last(), Some(&1048573));
        for group in groups {
            assert_eq!(
                group
                    .primes
                    .iter()
                    .map(|&p| u128::from(p))
                    .product::<u128>(),
                u128::from(group.product)
            );
        }
    }

    #[test]
    fn residues_are_the_remainders_by_each_product() {
        // Numbers of 1, 2, 16, 24 and 32 words (all ones, then pseudo-random words), by
        // every product, against one long division per word.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut word = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let products = sieve_primes();
        for len in [1, 2, 16, 24, 32] {
            for all_ones in [true, false] {
                let words: Vec<u64> = (0..len)
                    .map(|_| if all_ones { u64::MAX } else { word() })
                    .collect();
                let expected = |p: &Product| {
                    words.iter().rev().fold(0u64, |r, &w| {
                        ((u128::from(r) << 64 | u128::from(w)) % u128::from(p.product)) as u64
                    })
                };
                for chunk in products.chunks(4) {
                    if let [a, b, c, d] = chunk {
                        let want = [a, b, c, d].map(expected);
                        assert_eq!(residues(&words, [a, b, c, d]), want, "{len} words");
                    }
                    for p in chunk {
                        assert_eq!(residues(&words, [p]), [expected(p)], "{len} words");
                    }
                }
            }
        }
    }

    #[test]
    fn the_sieve_marks_exactly_the_numbers_a_small_prime_divides() {
        let primes: Vec<u128> = sieve_primes()
            .iter()
            .flat_map(|g| g.primes.iter().map(|&p| u128::from(p)))
            .collect();
        // An odd start of 128 bits; start + 2k fits in a u128.
        let start: u128 = (0xc3a5_c85c_97cb_3127_u128 << 64) | 0xb492_b66f_be98_f273;
        // About 1 - 1.12 / ln(bound) of odd numbers have a factor below the bound.
        for (bound, span, expected) in [(SIEVE_BOUND, 1 << 15, 230..290), (1 << 18, 1024, 220..280)]
        {
            let composite = sieve(&[start as u64, (start >> 64) as u64], bound, span);
            assert_eq!(composite.len(), span);
            let mut marked = 0;
            for (k, &c) in composite.iter().enumerate().take(300) {
                let n = start + 2 * k as u128;
                assert_eq!(
                    c,
                    primes
                        .iter()
                        .any(|&p| p < u128::from(bound) && n.is_multiple_of(p)),
                    "start + 2 * {k}, bound {bound}"
                );
                marked += usize::from(c);
            }
            assert!(
                expected.contains(&marked),
                "{marked} of 300 marked below {bound}"
            );
        }
    }

    #[test]
    fn rsa_primes_have_their_top_two_bits_set_and_are_prime() {
        use crypto_primes::{Flavor, is_prime};
        for bits in [128, 512] {
            for _ in 0..20 {
                let p = rsa_prime(bits, &AtomicBool::new(false)).unwrap().unwrap();
                assert_eq!(p.bit_width_vartime(), bits);
                assert!(p.bit_vartime(bits - 2), "second bit of {p}");
                assert!(is_prime(Flavor::Any, &p), "{p}");
            }
        }
    }

    #[test]
    fn primes_of_the_key_sizes_are_confirmed_and_products_of_primes_refused() {
        use crypto_bigint::ConcatenatingMul;
        use crypto_primes::{Flavor, is_prime};
        let stop = AtomicBool::new(false);
        for bits in [1024, 2048] {
            let p = rsa_prime(bits, &stop).unwrap().unwrap();
            assert!(is_prime(Flavor::Any, &p), "{p}");
            assert!(confirm(&p), "{p}");
            // Two primes of half the size: a number of this size that is not prime.
            let half = || rsa_prime(bits / 2, &stop).unwrap().unwrap();
            let n = half().concatenating_mul(&half());
            assert_eq!(n.bit_width_vartime(), bits);
            assert!(!confirm(&n), "{n}");
        }
    }

    #[test]
    fn rsa_keys_have_the_size_asked_for_and_sign() {
        let t = std::time::Instant::now();
        let key = generate_rsa(2048).unwrap();
        eprintln!("2048-bit RSA key in {:?}", t.elapsed());
        let PrivateKey::Rsa(der) = &key else {
            panic!("not RSA")
        };
        let pair = RsaKeyPair::from_der(der).unwrap();
        assert_eq!(pair.public().modulus_len(), 256);
        let pem = key.to_pem();
        assert!(
            pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            "{pem}"
        );
        // PKCS#1 DER of a 2048-bit key: 25 or 26 full lines and a short one.
        let lines = pem.lines().count();
        assert!((27..=29).contains(&lines), "{lines} lines");
        key.sign(b"x").unwrap();
    }
}
