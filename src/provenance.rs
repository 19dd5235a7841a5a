//! Chart provenance, as Helm has it: a `NAME-VERSION.tgz.prov` file beside the archive, an
//! OpenPGP cleartext-signed message (SHA-512) whose text is the chart's Chart.yaml (keys
//! sorted), a `...` line, and a YAML map `files:` giving the archive's file name and its
//! `sha256:` digest. [`sign`] writes one (`kpack package --sign`); [`verify`] checks one
//! (`kpack verify`, `--verify` on pull, install, upgrade...): the signature against a
//! keyring, then the archive's digest against the signed one. OpenPGP is rPGP (`pgp`).
//!
//! Keyrings are read as Helm reads them: the legacy binary packet format of GnuPG
//! (`pubring.gpg`, `secring.gpg`, what `gpg --export` and `gpg --export-secret-keys`
//! write), ASCII-armored keys (several blocks may be concatenated), or GnuPG's keybox
//! (`pubring.kbx`, the default public keyring since GnuPG 2.1). The default keyring is
//! Helm's: `~/.gnupg/pubring.gpg`. A signing key is chosen by user id as Helm does: an
//! exact match, else the one key whose user id contains the text. A key protected by a
//! passphrase is unlocked with the one given (`--passphrase-file`, or
//! `KPACK_KEY_PASSPHRASE`).

use std::path::{Path, PathBuf};

use pgp::composed::{CleartextSignedMessage, PublicOrSecret, SignedPublicKey, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SignatureConfig, SignatureType, Subpacket, SubpacketData};
use pgp::types::{KeyDetails, Password, Timestamp};
use serde_json::Value as Json;

use crate::chart::Metadata;
use crate::{Error, Result};

/// The separator Helm puts between the metadata and the checksums (`---` is not allowed
/// at the start of a line in a cleartext-signed message).
const SEPARATOR: &str = "\n...\n";

/// Environment variable holding the passphrase of the signing key.
pub const PASSPHRASE_ENV: &str = "KPACK_KEY_PASSPHRASE";

/// Helm's default keyring: `~/.gnupg/pubring.gpg`.
pub fn default_keyring() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::usage("cannot find the default keyring (~/.gnupg/pubring.gpg): pass --keyring")
        })?;
    Ok(PathBuf::from(home).join(".gnupg").join("pubring.gpg"))
}

/// The keys of a keyring file.
pub struct Keyring {
    path: PathBuf,
    keys: Vec<PublicOrSecret>,
}

/// One user id of a key, as text.
fn user_ids(k: &PublicOrSecret) -> Vec<String> {
    let details = match k {
        PublicOrSecret::Public(p) => &p.details,
        PublicOrSecret::Secret(s) => &s.details,
    };
    details
        .users
        .iter()
        .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
        .collect()
}

fn public_of(k: &PublicOrSecret) -> SignedPublicKey {
    match k {
        PublicOrSecret::Public(p) => p.clone(),
        PublicOrSecret::Secret(s) => s.to_public_key(),
    }
}

/// Whether `data` is a GnuPG keybox (`pubring.kbx`): its first blob is a header blob
/// (type 1) with the magic `KBXf` at offset 8.
fn is_keybox(data: &[u8]) -> bool {
    data.len() >= 32 && data[4] == 1 && &data[8..12] == b"KBXf"
}

/// The OpenPGP key blocks of a keybox, concatenated (each blob of type 2 holds one).
fn keybox_keys(data: &[u8], path: &Path) -> Result<Vec<u8>> {
    let bad = || {
        Error::usage(format!(
            "{}: a malformed GnuPG keybox; export the keys with `gpg --export > pubring.gpg` and pass that",
            path.display()
        ))
    };
    let be32 = |b: &[u8], at: usize| -> Option<usize> {
        b.get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = be32(data, at).ok_or_else(bad)?;
        if len < 5 || at + len > data.len() {
            return Err(bad());
        }
        let blob = &data[at..at + len];
        if blob[4] == 2 {
            let off = be32(blob, 8).ok_or_else(bad)?;
            let n = be32(blob, 12).ok_or_else(bad)?;
            out.extend_from_slice(blob.get(off..off + n).ok_or_else(bad)?);
        }
        at += len;
    }
    Ok(out)
}

/// `data` (binary OpenPGP packets) without GnuPG's trust packets (tag 12), which GnuPG
/// keeps in keyboxes and in legacy keyrings between a user id and its signatures, where
/// they would hide the user id's self-signature. Data that does not parse as packets is
/// returned as it is (the OpenPGP reader then reports it).
fn without_trust_packets(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    while at < data.len() {
        let ctb = data[at];
        if ctb & 0x80 == 0 {
            return data.to_vec();
        }
        let (tag, header, len) = if ctb & 0x40 != 0 {
            let tag = ctb & 0x3f;
            match data.get(at + 1).copied() {
                Some(o) if o < 192 => (tag, 2, o as usize),
                Some(o) if o < 224 => match data.get(at + 2) {
                    Some(&o2) => (tag, 3, ((o as usize - 192) << 8) + o2 as usize + 192),
                    None => return data.to_vec(),
                },
                Some(255) => match data.get(at + 2..at + 6) {
                    Some(b) => (
                        tag,
                        6,
                        u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                    ),
                    None => return data.to_vec(),
                },
                _ => return data.to_vec(),
            }
        } else {
            let tag = (ctb >> 2) & 0x0f;
            match ctb & 3 {
                0 => match data.get(at + 1) {
                    Some(&l) => (tag, 2, l as usize),
                    None => return data.to_vec(),
                },
                1 => match data.get(at + 1..at + 3) {
                    Some(b) => (tag, 3, u16::from_be_bytes([b[0], b[1]]) as usize),
                    None => return data.to_vec(),
                },
                2 => match data.get(at + 1..at + 5) {
                    Some(b) => (
                        tag,
                        5,
                        u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                    ),
                    None => return data.to_vec(),
                },
                _ => return data.to_vec(),
            }
        };
        let end = at + header + len;
        if end > data.len() {
            return data.to_vec();
        }
        if tag != 12 {
            out.extend_from_slice(&data[at..end]);
        }
        at = end;
    }
    out
}

impl Keyring {
    /// Read a keyring file (binary, armored or keybox).
    pub fn load(path: &Path) -> Result<Keyring> {
        let data = std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::usage(format!(
                    "keyring {} does not exist: pass --keyring FILE (a public keyring such as `gpg --export > pubring.gpg`, or secret keys for signing: `gpg --export-secret-keys > secring.gpg`)",
                    path.display()
                ))
            } else {
                Error::io(format!("keyring {}", path.display()), e)
            }
        })?;
        let bad = |e: pgp::errors::Error| {
            Error::usage(format!(
                "keyring {}: cannot read OpenPGP keys from it ({e}); pass a keyring written by `gpg --export` or `gpg --export-secret-keys` (binary or --armor)",
                path.display()
            ))
        };
        let mut keys = Vec::new();
        let binary = if is_keybox(&data) {
            Some(without_trust_packets(&keybox_keys(&data, path)?))
        } else if data.first().is_some_and(|b| b & 0x80 != 0) {
            Some(without_trust_packets(&data))
        } else {
            None
        };
        match binary {
            Some(b) => {
                for k in PublicOrSecret::from_bytes_many(std::io::Cursor::new(b)).map_err(bad)? {
                    keys.push(k.map_err(bad)?);
                }
            }
            None => {
                // Armored: every block, as gpg imports concatenated exports.
                let text = String::from_utf8_lossy(&data);
                let starts: Vec<usize> = text
                    .match_indices("-----BEGIN PGP")
                    .map(|(i, _)| i)
                    .collect();
                for (n, &s) in starts.iter().enumerate() {
                    let end = starts.get(n + 1).copied().unwrap_or(text.len());
                    let (iter, _) = PublicOrSecret::from_armor_many(std::io::Cursor::new(
                        text[s..end].as_bytes().to_vec(),
                    ))
                    .map_err(bad)?;
                    for k in iter {
                        keys.push(k.map_err(bad)?);
                    }
                }
            }
        }
        if keys.is_empty() {
            return Err(Error::usage(format!(
                "keyring {} holds no OpenPGP keys",
                path.display()
            )));
        }
        Ok(Keyring {
            path: path.to_path_buf(),
            keys,
        })
    }

    /// The key whose user id is `id`, else the one key whose user id contains it.
    fn find(&self, id: &str) -> Result<&PublicOrSecret> {
        if let Some(k) = self
            .keys
            .iter()
            .find(|k| user_ids(k).iter().any(|u| u == id))
        {
            return Ok(k);
        }
        let matching: Vec<&PublicOrSecret> = self
            .keys
            .iter()
            .filter(|k| user_ids(k).iter().any(|u| u.contains(id)))
            .collect();
        match matching.as_slice() {
            [one] => Ok(one),
            [] => {
                let all: Vec<String> = self.keys.iter().flat_map(user_ids).collect();
                Err(Error::usage(format!(
                    "no key in keyring {} has a user id containing {id:?} (its keys: {})",
                    self.path.display(),
                    if all.is_empty() {
                        "none with a user id".to_string()
                    } else {
                        all.join("; ")
                    }
                )))
            }
            many => Err(Error::usage(format!(
                "more than one key in keyring {} contains the id {id:?} ({}); give the whole user id",
                self.path.display(),
                many.iter()
                    .flat_map(|k| user_ids(k))
                    .filter(|u| u.contains(id))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))),
        }
    }
}

/// The text Helm signs: Chart.yaml (keys sorted), `...`, and the archive's digest.
pub fn message(archive: &[u8], file_name: &str, meta: &Metadata) -> Result<String> {
    let meta = serde_json::to_value(meta)
        .map_err(|e| Error::chart(format!("cannot encode the chart metadata: {e}")))?;
    let mut text = crate::yaml::emit::to_yaml(&sorted(meta));
    text.push_str(SEPARATOR);
    let mut files = serde_json::Map::new();
    files.insert(
        file_name.to_string(),
        Json::String(crate::oci::cache::sha256_digest(archive)),
    );
    let mut sums = serde_json::Map::new();
    sums.insert("files".into(), Json::Object(files));
    text.push_str(&crate::yaml::emit::to_yaml(&Json::Object(sums)));
    Ok(text)
}

fn sorted(v: Json) -> Json {
    match v {
        Json::Object(m) => {
            let mut kv: Vec<(String, Json)> = m.into_iter().collect();
            kv.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(kv.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Json::Array(a) => Json::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Sign `archive` (named `file_name`, holding a chart with `meta`) with the key of
/// `keyring` whose user id matches `key`. Returns the `.prov` text.
pub fn sign(
    archive: &[u8],
    file_name: &str,
    meta: &Metadata,
    keyring: &Path,
    key: &str,
    passphrase: Option<&str>,
) -> Result<String> {
    let ring = Keyring::load(keyring)?;
    let found = ring.find(key)?;
    let PublicOrSecret::Secret(secret) = found else {
        return Err(Error::usage(format!(
            "the key {:?} in keyring {} is a public key; signing needs its secret key: pass a keyring with secret keys (`gpg --export-secret-keys > secring.gpg`)",
            user_ids(found).join("; "),
            keyring.display()
        )));
    };
    let text = message(archive, file_name, meta)?;
    clearsign(&text, secret, passphrase, keyring)
}

fn clearsign(
    text: &str,
    secret: &SignedSecretKey,
    passphrase: Option<&str>,
    keyring: &Path,
) -> Result<String> {
    let key = &secret.primary_key;
    let who = user_ids(&PublicOrSecret::Secret(secret.clone())).join("; ");
    let encrypted = key.secret_params().is_encrypted();
    let pw = match (encrypted, passphrase) {
        (false, _) => Password::empty(),
        (true, Some(p)) => Password::from(p),
        (true, None) => {
            return Err(Error::usage(format!(
                "the key {who:?} in keyring {} is protected by a passphrase: give it with --passphrase-file FILE (or - for standard input) or {PASSPHRASE_ENV}",
                keyring.display()
            )));
        }
    };
    let mut config =
        SignatureConfig::v4(SignatureType::Text, key.algorithm(), HashAlgorithm::Sha512);
    let sub = |d| Subpacket::regular(d).map_err(|e| Error::io_message(format!("cannot sign: {e}")));
    config.hashed_subpackets = vec![
        sub(SubpacketData::SignatureCreationTime(Timestamp::now()))?,
        sub(SubpacketData::IssuerFingerprint(key.fingerprint()))?,
    ];
    config.unhashed_subpackets = vec![sub(SubpacketData::IssuerKeyId(key.legacy_key_id()))?];
    let msg = CleartextSignedMessage::new(text, config, key, &pw).map_err(|e| {
        if encrypted {
            Error::usage(format!(
                "cannot sign with the key {who:?}: {e} (is the passphrase right?)"
            ))
        } else {
            Error::io_message(format!("cannot sign with the key {who:?}: {e}"))
        }
    })?;
    msg.to_armored_string(Default::default())
        .map_err(|e| Error::io_message(format!("cannot write the signature: {e}")))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The signer's user ids, `; `-separated.
    pub signed_by: String,
    /// The fingerprint of the key that made the signature (upper-case hex).
    pub fingerprint: String,
    /// `sha256:…` of the archive, as signed.
    pub file_hash: String,
    /// The archive's file name, as signed.
    pub file_name: String,
}

/// Check that `prov` is signed by a key of `keyring` and that it gives `archive` (named
/// `file_name`) its digest. `what` names the archive in errors.
pub fn verify(
    archive: &[u8],
    file_name: &str,
    prov: &[u8],
    keyring: &Path,
    what: &str,
) -> Result<Verification> {
    let ring = Keyring::load(keyring)?;
    let text = std::str::from_utf8(prov).map_err(|_| {
        Error::chart(format!(
            "provenance of {what}: not a text file; expected an OpenPGP cleartext-signed message"
        ))
    })?;
    let (msg, _) = CleartextSignedMessage::from_string(text).map_err(|e| {
        Error::chart(format!(
            "provenance of {what}: not an OpenPGP cleartext-signed message ({e})"
        ))
    })?;
    let signed = msg.signed_text().replace("\r\n", "\n");
    let mut signer = None;
    'keys: for k in &ring.keys {
        let public = public_of(k);
        if msg.verify(&public).is_ok() {
            signer = Some((k, public.fingerprint()));
            break;
        }
        for sub in &public.public_subkeys {
            if msg.verify(sub).is_ok() {
                signer = Some((k, sub.fingerprint()));
                break 'keys;
            }
        }
    }
    let Some((key, fp)) = signer else {
        let issuers: Vec<String> = msg
            .signatures()
            .iter()
            .flat_map(|s| {
                s.issuer_fingerprint()
                    .into_iter()
                    .map(|f| format!("{f:X}"))
                    .chain(
                        s.issuer_key_id()
                            .into_iter()
                            .map(|k| hex::encode_upper(k.as_ref())),
                    )
                    .collect::<Vec<_>>()
            })
            .collect();
        return Err(Error::chart(format!(
            "provenance of {what}: the signature does not verify with any key in keyring {} (signed by key {}); refusing the chart",
            keyring.display(),
            if issuers.is_empty() {
                "unknown".to_string()
            } else {
                issuers.join(" / ")
            }
        )));
    };
    let sums = signed.split(SEPARATOR).nth(1).ok_or_else(|| {
        Error::chart(format!(
            "provenance of {what}: the signed message has no checksums (no `...` line)"
        ))
    })?;
    let sums: Json = crate::yaml::parse(sums).map_err(|e| {
        Error::chart(format!(
            "provenance of {what}: its checksums: {}",
            e.message
        ))
    })?;
    let want = sums
        .get("files")
        .and_then(|f| f.get(file_name))
        .and_then(Json::as_str)
        .ok_or_else(|| {
            Error::chart(format!(
                "provenance of {what}: it has no checksum for a file named {file_name:?} (it signs: {})",
                sums.get("files")
                    .and_then(Json::as_object)
                    .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            ))
        })?;
    let have = crate::oci::cache::sha256_digest(archive);
    if want != have {
        return Err(Error::chart(format!(
            "provenance of {what}: the archive's sha256 does not match the signed one ({file_name}: signed {want}, archive {have}); refusing the chart"
        )));
    }
    Ok(Verification {
        signed_by: user_ids(key).join("; "),
        fingerprint: format!("{fp:X}"),
        file_hash: have,
        file_name: file_name.to_string(),
    })
}

/// Read a passphrase file (`-`: standard input), without its line end.
pub fn read_passphrase(path: &Path) -> Result<String> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| Error::io("standard input (passphrase)", e))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("--passphrase-file {}", path.display()), e))?
    };
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_helms() {
        let meta = Metadata {
            api_version: "v2".into(),
            name: "web".into(),
            version: "0.2.0-rc.1".into(),
            app_version: "1.16.0".into(),
            description: "A Helm chart for Kubernetes".into(),
            chart_type: "application".into(),
            ..Default::default()
        };
        let m = message(b"x", "web-0.2.0-rc.1.tgz", &meta).unwrap();
        // Helm's text for the same chart (helm package --sign), digest aside.
        assert_eq!(
            m,
            format!(
                "apiVersion: v2\nappVersion: 1.16.0\ndescription: A Helm chart for Kubernetes\nname: web\ntype: application\nversion: 0.2.0-rc.1\n\n...\nfiles:\n  web-0.2.0-rc.1.tgz: {}\n",
                crate::oci::cache::sha256_digest(b"x")
            )
        );
    }

    #[test]
    fn trust_packets_are_dropped() {
        // old-format tag 6 (len 2), old-format tag 12 (len 1), new-format tag 13 (len 1)
        let data = [0x98, 2, 1, 2, 0xb0, 1, 9, 0xcd, 1, b'x'];
        assert_eq!(without_trust_packets(&data), [0x98, 2, 1, 2, 0xcd, 1, b'x']);
        // Truncated or not packets: unchanged.
        assert_eq!(without_trust_packets(&[0x98, 5, 1]), [0x98, 5, 1]);
        assert_eq!(without_trust_packets(b"text"), b"text");
    }

    #[test]
    fn keybox_detection() {
        let mut kbx = vec![0, 0, 0, 32, 1, 1, 0, 0];
        kbx.extend_from_slice(b"KBXf");
        kbx.resize(32, 0);
        assert!(is_keybox(&kbx));
        assert!(keybox_keys(&kbx, Path::new("k")).unwrap().is_empty());
        assert!(!is_keybox(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        let mut broken = kbx.clone();
        broken[3] = 200;
        assert!(keybox_keys(&broken, Path::new("k")).is_err());
    }
}
