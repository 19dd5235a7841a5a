//! sprig's crypto helpers: certificates (`genCA`, `genSelfSignedCert`, `genSignedCert`, their
//! `WithKey` forms, `buildCustomCert`), keys (`genPrivateKey`), passwords (`derivePassword`,
//! `bcrypt`, `htpasswd`) and `encryptAES`/`decryptAES`, with sprig's outputs and error texts.
//! The DER and key work is in [`super::x509`].
//!
//! A certificate is a [`Certificate`] object with the fields `Cert` and `Key` (PEM text),
//! as sprig's `certificate` struct. `genCA`'s is made when first used: charts often call
//! it outside the `if` that uses it (bitnami's neo4j, twice per render), and a 2048-bit key
//! nothing reads is tens of milliseconds for nothing. Its arguments are checked at the
//! call, as sprig checks them.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use base64::Engine;
use minijinja::Error;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

use super::Args;
use super::value;
use super::x509::{self, CertSpec, PrivateKey};

/// A PEM certificate and its PEM private key.
#[derive(Debug, Clone)]
pub struct Pem {
    /// The certificate, PEM.
    pub cert: String,
    /// The private key, PEM.
    pub key: String,
}

/// sprig's `certificate`, made now or (`genCA`) when first used.
pub struct Certificate {
    pem: std::sync::OnceLock<Pem>,
    /// `genCA`'s certificate fields, while it is not made.
    deferred: Option<CertSpec>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pem.get() {
            Some(p) => p.fmt(f),
            None => f.write_str("Certificate(not made yet)"),
        }
    }
}

impl Certificate {
    /// The certificate and key, made first if they were deferred.
    pub fn pem(&self) -> &Pem {
        self.pem.get_or_init(|| {
            let spec = self
                .deferred
                .as_ref()
                .expect("a certificate without PEM has its fields");
            // What can fail here is the system's random source or a key just made being
            // refused by its own signer: nothing a chart's input can cause.
            let key = x509::generate_rsa(2048).unwrap_or_else(|e| panic!("genCA: {e}"));
            let cert = x509::create_certificate(spec, &key, None, &key)
                .unwrap_or_else(|e| panic!("genCA: {e}"));
            Pem {
                cert,
                key: key.to_pem(),
            }
        })
    }
}

impl Object for Certificate {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str()? {
            "Cert" => Some(Value::from(self.pem().cert.as_str())),
            "Key" => Some(Value::from(self.pem().key.as_str())),
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["Cert", "Key"])
    }

    /// Go prints a struct as `{field field}`.
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.pem();
        write!(f, "{{{} {}}}", p.cert, p.key)
    }
}

fn cert_value(cert: String, key: String) -> Value {
    Value::from_object(Certificate {
        pem: std::sync::OnceLock::from(Pem { cert, key }),
        deferred: None,
    })
}

/// The CA argument of `genSignedCert`: a [`Certificate`], or a map with `Cert` and `Key`.
fn certificate_arg(a: &Args, i: usize) -> Result<Pem, Error> {
    let v = a.get(i);
    if let Some(c) = v.downcast_object_ref::<Certificate>() {
        return Ok(c.pem().clone());
    }
    let field = |k: &str| {
        v.get_attr(k)
            .ok()
            .filter(|x| !x.is_undefined())
            .map(|x| value::go_string(&x))
    };
    match (field("Cert"), field("Key")) {
        (Some(cert), Some(key)) => Ok(Pem { cert, key }),
        _ => Err(a.err(format!(
            "expected a certificate (from genCA), got {}",
            value::type_of(v)
        ))),
    }
}

/// sprig's `getNetIPs`: every item must be a string holding an IP address.
fn ips_arg(a: &Args, i: usize) -> Result<Vec<IpAddr>, Error> {
    let mut out = Vec::new();
    for ip in a.list(i)? {
        let Some(s) = ip.as_str() else {
            return Err(a.err(format!(
                "error parsing ip: {} is not a string",
                value::go_v(&ip)
            )));
        };
        out.push(
            s.parse::<IpAddr>()
                .map_err(|_| a.err(format!("error parsing ip: {s}")))?,
        );
    }
    Ok(out)
}

/// sprig's `getAlternateDNSStrs`: every item must be a string.
fn dns_arg(a: &Args, i: usize) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for d in a.list(i)? {
        match d.as_str() {
            Some(s) => out.push(s.to_string()),
            None => {
                return Err(a.err(format!(
                    "error processing alternate dns name: {} is not a string",
                    value::go_v(&d)
                )));
            }
        }
    }
    Ok(out)
}

/// The PEM key argument of the `WithKey` helpers.
fn key_arg(a: &Args, i: usize) -> Result<PrivateKey, Error> {
    x509::parse_private_key_pem(&a.str(i)).map_err(|e| a.err(format!("parsing private key: {e}")))
}

fn rsa_2048(a: &Args) -> Result<PrivateKey, Error> {
    x509::generate_rsa(2048).map_err(|e| a.err(e))
}

fn build(a: &Args, spec: CertSpec, key: PrivateKey, ca: Option<&Pem>) -> Result<Value, Error> {
    let (issuer, signer) = match ca {
        Some(ca) => {
            let issuer = x509::parse_issuer(&ca.cert).map_err(|e| a.err(e))?;
            let signer = x509::parse_private_key_pem(&ca.key)
                .map_err(|e| a.err(format!("error parsing private key: {e}")))?;
            (Some(issuer), Some(signer))
        }
        None => (None, None),
    };
    let cert = x509::create_certificate(
        &spec,
        &key,
        issuer.as_ref(),
        signer.as_ref().unwrap_or(&key),
    )
    .map_err(|e| a.err(e))?;
    Ok(cert_value(cert, key.to_pem()))
}

/// The certificate fields of a call: `cn`, then (unless a CA) `ips` and `dnsNames`, then
/// the days of validity.
fn spec(a: &Args, is_ca: bool) -> Result<CertSpec, Error> {
    if is_ca {
        return Ok(CertSpec {
            common_name: a.str(0),
            ips: Vec::new(),
            dns_names: Vec::new(),
            days_valid: a.int(1)?,
            is_ca,
        });
    }
    Ok(CertSpec {
        common_name: a.str(0),
        ips: ips_arg(a, 1)?,
        dns_names: dns_arg(a, 2)?,
        days_valid: a.int(3)?,
        is_ca,
    })
}

/// `genCA cn days`: a self-signed CA certificate with a new 2048-bit RSA key, made when
/// first used (see the module's doc).
pub fn gen_ca(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, true)?;
    Ok(Value::from_object(Certificate {
        pem: std::sync::OnceLock::new(),
        deferred: Some(spec),
    }))
}

/// `genCAWithKey cn days key`: a CA certificate for the given PEM key.
pub fn gen_ca_with_key(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, true)?;
    build(a, spec, key_arg(a, 2)?, None)
}

/// `genSelfSignedCert cn ips dnsNames days`.
pub fn gen_self_signed_cert(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, false)?;
    build(a, spec, rsa_2048(a)?, None)
}

/// `genSelfSignedCertWithKey cn ips dnsNames days key`.
pub fn gen_self_signed_cert_with_key(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, false)?;
    build(a, spec, key_arg(a, 4)?, None)
}

/// `genSignedCert cn ips dnsNames days ca`.
pub fn gen_signed_cert(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, false)?;
    let ca = certificate_arg(a, 4)?;
    build(a, spec, rsa_2048(a)?, Some(&ca))
}

/// `genSignedCertWithKey cn ips dnsNames days ca key`.
pub fn gen_signed_cert_with_key(a: &Args) -> Result<Value, Error> {
    let spec = spec(a, false)?;
    let ca = certificate_arg(a, 4)?;
    build(a, spec, key_arg(a, 5)?, Some(&ca))
}

/// `buildCustomCert b64cert b64key`: a certificate object from base64-encoded PEM, checked.
pub fn build_custom_cert(a: &Args) -> Result<Value, Error> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let cert = b64
        .decode(a.str(0))
        .map_err(|_| a.err("unable to decode base64 certificate"))?;
    let key = b64
        .decode(a.str(1))
        .map_err(|_| a.err("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = x509::pem_decode(&cert).ok_or_else(|| a.err("unable to decode certificate"))?;
    x509::check_certificate(&der).map_err(|e| a.err(e))?;
    x509::parse_private_key_pem(&key)
        .map_err(|e| a.err(format!("error parsing private key: {e}")))?;
    Ok(cert_value(cert, key))
}

/// `genPrivateKey type`: a PEM private key; `rsa` (or empty) is 4096-bit RSA, `ecdsa` is
/// P-256, `ed25519`. An unknown type gives sprig's text, not an error. `dsa` is not
/// generated (a deliberate difference: DSA is obsolete and Go cannot sign with it either).
pub fn gen_private_key(a: &Args) -> Result<Value, Error> {
    let kind = a.str(0);
    let key = match kind.as_str() {
        "" | "rsa" => x509::generate_rsa(4096),
        "ecdsa" => x509::generate_ecdsa(),
        "ed25519" => x509::generate_ed25519(),
        "dsa" => Err(
            "DSA keys are not supported by kpack (DSA is obsolete); use ecdsa or ed25519".into(),
        ),
        other => return Ok(format!("Unknown type {other}").into()),
    };
    Ok(match key {
        Ok(k) => k.to_pem().into(),
        Err(e) => format!("failed to generate private key: {e}").into(),
    })
}

const MASTER_PASSWORD_SEED: &[u8] = b"com.lyndir.masterpassword";

/// The templates of each password type (Master Password's).
fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_characters(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// `derivePassword counter type password user site`: the Master Password algorithm
/// (scrypt N=32768 r=8 p=2, then HMAC-SHA256), as sprig.
pub fn derive_password(a: &Args) -> Result<Value, Error> {
    let counter = a.int(0)? as u32;
    let (kind, password, user, site) = (a.str(1), a.str(2), a.str(3), a.str(4));
    let Some(templates) = password_templates(&kind) else {
        return Ok(format!("cannot find password template {kind}").into());
    };
    let mut salt = MASTER_PASSWORD_SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2).map_err(|e| a.err(e))?;
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key)
        .map_err(|e| a.err(format!("failed to derive password: {e}")))?;
    let mut msg = MASTER_PASSWORD_SEED.to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let seed = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), &msg);
    let seed = seed.as_ref();
    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    let out: String = template
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let chars = template_characters(c);
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect();
    Ok(out.into())
}

/// Go's `bcrypt.GenerateFromPassword` at the default cost (10), `$2a$` form.
fn bcrypt_hash(password: &[u8]) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    match bcrypt::hash_with_result(password, 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

/// `bcrypt password`.
pub fn bcrypt_fn(a: &Args) -> Result<Value, Error> {
    Ok(bcrypt_hash(a.str(0).as_bytes()).into())
}

/// `htpasswd user password`: an Apache `user:bcrypt-hash` line.
pub fn htpasswd(a: &Args) -> Result<Value, Error> {
    let user = a.str(0);
    if user.contains(':') {
        return Ok(format!("invalid username: {user}").into());
    }
    Ok(format!("{user}:{}", bcrypt_hash(a.str(1).as_bytes())).into())
}

/// The AES-256 key sprig makes from a password: its bytes, cut or zero-padded to 32.
fn aes_key(password: &str) -> aes::Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    aes::Aes256::new(&key.into())
}

/// `encryptAES password plaintext`: AES-256-CBC with PKCS#7 padding and a random IV in
/// front, base64-encoded.
pub fn encrypt_aes(a: &Args) -> Result<Value, Error> {
    let text = a.str(1);
    if text.is_empty() {
        return Ok("".into());
    }
    let cipher = aes_key(&a.str(0));
    let mut data = text.into_bytes();
    let pad = 16 - data.len() % 16;
    data.extend(std::iter::repeat_n(pad as u8, pad));
    let mut out = vec![0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut out)
        .map_err(|_| a.err("no randomness"))?;
    let mut prev: [u8; 16] = out[..16].try_into().unwrap_or_default();
    for block in data.chunks(16) {
        let mut b = [0u8; 16];
        for (i, x) in block.iter().enumerate() {
            b[i] = x ^ prev[i];
        }
        let mut ga = b.into();
        cipher.encrypt_block(&mut ga);
        prev = ga.into();
        out.extend_from_slice(&prev);
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(out).into())
}

/// `decryptAES password ciphertext`: the inverse of `encryptAES` (Go's panics on malformed
/// input are errors with Go's text).
pub fn decrypt_aes(a: &Args) -> Result<Value, Error> {
    let text = a.str(1);
    if text.is_empty() {
        return Ok("".into());
    }
    let data = match super::encoding::std_b64_decode(text.as_bytes()) {
        Ok(d) => d,
        Err(at) => return Err(a.err(format!("illegal base64 data at input byte {at}"))),
    };
    if data.len() < 16 {
        return Err(a.err(format!(
            "runtime error: slice bounds out of range [:16] with capacity {}",
            data.len()
        )));
    }
    let (iv, body) = data.split_at(16);
    if body.len() % 16 != 0 {
        return Err(a.err("crypto/cipher: input not full blocks"));
    }
    let cipher = aes_key(&a.str(0));
    let mut prev: [u8; 16] = iv.try_into().unwrap_or_default();
    let mut plain = Vec::with_capacity(body.len());
    for block in body.chunks(16) {
        let mut ga: [u8; 16] = block.try_into().unwrap_or_default();
        let mut b = ga.into();
        cipher.decrypt_block(&mut b);
        ga = b.into();
        for i in 0..16 {
            plain.push(ga[i] ^ prev[i]);
        }
        prev = block.try_into().unwrap_or_default();
    }
    let Some(&last) = plain.last() else {
        return Err(a.err("runtime error: index out of range [-1]"));
    };
    let keep = plain.len() as i64 - last as i64;
    if keep < 0 {
        return Err(a.err(format!(
            "runtime error: slice bounds out of range [:{keep}]"
        )));
    }
    plain.truncate(keep as usize);
    Ok(super::strings::bytes_value(plain))
}
