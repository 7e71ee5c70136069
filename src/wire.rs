//! The analysis on the wire: what one machine's stages hand another's.
//!
//! Input: the values the passes exchange when they run on several machines
//! (a unit's [`crate::FileResult`] with its text dropped, the copies a
//! document needs, a document's rendered parts). Output: compact bytes
//! (postcard, a varint serde format) and back.
//!
//! Invariants: `decode(encode(x)) == x` for every value the pipeline makes
//! (names of encodings come back as the same `&'static str`s, record fields
//! as their JSON text, in memory); bytes that are not a value of the asked
//! type are an error, never a panic.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::fingerprint::Signature;
use crate::model::{FileCopy, FileOutcome, FileResult};

/// Bytes that are not what they should be.
#[derive(Debug, thiserror::Error)]
#[error("bad bytes on the wire: {0}")]
pub struct WireError(#[from] postcard::Error);

/// `value` as bytes.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, WireError> {
    Ok(postcard::to_stdvec(value)?)
}

/// The value `bytes` hold.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    Ok(postcard::from_bytes(bytes)?)
}

/// A distinct text's MinHash signature by the key its copies share (`None`:
/// too short to sign). The signature is a function of the key (both come
/// from the copy's fold), so it need travel once per distinct text however
/// many copies hold it: the rest of a unit's analysis travels without it
/// ([`take_signatures`]) and gets it back where the run is planned
/// ([`put_signatures`]).
pub type KeyedSignature = ([u8; 32], Option<Arc<Signature>>);

/// Signatures by key, as [`put_signatures`] looks them up.
pub type Signatures = HashMap<[u8; 32], Option<Arc<Signature>>>;

/// A copy whose signature was taken, and no signature for its key.
#[derive(Debug, thiserror::Error)]
#[error("no signature arrived for a copy in {path} (key {key})")]
pub struct MissingSignature {
    pub path: String,
    pub key: String,
}

/// Calls `f` on every copy of `file` and on the whole copy each may
/// continue into (see [`crate::model::Continued`]).
fn for_each_copy(file: &mut FileResult, mut f: impl FnMut(&mut FileCopy)) {
    let FileOutcome::Text(t) = &mut file.outcome else {
        return;
    };
    for c in &mut t.copies {
        f(c);
        if let Some(w) = c.continued.as_deref_mut() {
            f(&mut w.whole);
        }
    }
}

/// Takes the signatures out of `file`'s copies: one per distinct key, in
/// the order the copies come (a unit holding one text eight times sends
/// one signature).
pub fn take_signatures(file: &mut FileResult) -> Vec<KeyedSignature> {
    let mut taken: Vec<KeyedSignature> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for_each_copy(file, |c| {
        let signature = c.signature.take();
        if seen.insert(c.fingerprint.key) {
            taken.push((c.fingerprint.key, signature));
        }
    });
    taken
}

/// Gives `file`'s copies, whose signatures [`take_signatures`] took, their
/// signatures back from `by_key` (one shared signature per key). A copy
/// whose key is not there is an error: a signature lost on the way would
/// otherwise read as a copy too short to sign.
pub fn put_signatures(file: &mut FileResult, by_key: &Signatures) -> Result<(), MissingSignature> {
    let mut missing = None;
    let path = file.path.clone();
    for_each_copy(file, |c| match by_key.get(&c.fingerprint.key) {
        Some(s) => c.signature = s.clone(),
        None => {
            missing.get_or_insert(c.fingerprint.key);
        }
    });
    match missing {
        None => Ok(()),
        Some(key) => Err(MissingSignature {
            path,
            key: blake3::Hash::from_bytes(key).to_hex().to_string(),
        }),
    }
}

/// `&'static str` fields (encoding names): written as strings, read back as
/// the one leaked copy of each distinct name (there are a few dozen).
pub mod static_str {
    use std::collections::HashSet;
    use std::sync::Mutex;

    use serde::{Deserialize, Deserializer, Serializer};

    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);

    pub fn serialize<S: Serializer>(name: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        let name = String::deserialize(d)?;
        Ok(intern(name))
    }

    /// The one `&'static str` equal to `name`.
    pub fn intern(name: String) -> &'static str {
        // An encoding_rs name is static already.
        if let Some(e) = encoding_rs::Encoding::for_label(name.as_bytes()) {
            if e.name() == name {
                return e.name();
            }
        }
        let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
        let set = names.get_or_insert_with(HashSet::new);
        if let Some(&known) = set.get(name.as_str()) {
            return known;
        }
        let leaked: &'static str = Box::leak(name.into_boxed_str());
        set.insert(leaked);
        leaked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::analyze_file;
    use crate::source::RawFile;
    use crate::{FileOutcome, FileResult, Options};

    fn analyzed(bytes: &[u8]) -> FileResult {
        analyze_file(
            RawFile {
                id: 3,
                path: "a/b.txt".into(),
                bytes: bytes.to_vec().into(),
                record: Some(Box::new(crate::source::Record {
                    id: Some("r7".into()),
                    fields: crate::source::fields::Fields::Inline(r#"{"url":"https://x"}"#.into()),
                })),
            },
            &Options::default(),
        )
    }

    #[test]
    fn analyses_come_back_as_they_left() {
        let doc = "第一段，内容很长的一行文字。\n第二行 text here, 还有更多的字。\n".repeat(40);
        let mut gbk = encoding_rs::GBK.encode(&doc).0.into_owned();
        gbk.extend_from_slice(b"\xff\xfe broken \x81\n");
        for bytes in [
            doc.repeat(3).into_bytes(),
            gbk,
            Vec::new(),
            b"\x00\x01bin".to_vec(),
        ] {
            let a = analyzed(&bytes);
            let back: FileResult = decode(&encode(&a).unwrap()).unwrap();
            assert_eq!(format!("{a:?}"), format!("{back:?}"));
            if let (FileOutcome::Text(x), FileOutcome::Text(y)) = (&a.outcome, &back.outcome) {
                assert!(std::ptr::eq(x.encoding, y.encoding) || x.encoding == y.encoding);
                assert_eq!(x.copies, y.copies);
            }
        }
    }

    #[test]
    fn bytes_that_are_no_analysis_are_an_error() {
        let a = encode(&analyzed(b"hello\n")).unwrap();
        for bad in [&a[..a.len() / 2], &[0xff; 40][..], &[][..]] {
            assert!(decode::<FileResult>(bad).is_err());
        }
    }

    use crate::pipeline::analyze::tests::report;

    /// Keys of every copy of `f` and of the whole copies they continue into.
    fn copy_keys(f: &FileResult) -> (Vec<[u8; 32]>, usize) {
        let mut keys = Vec::new();
        let mut continued = 0;
        for c in &f.text().unwrap().copies {
            keys.push(c.fingerprint.key);
            if let Some(w) = &c.continued {
                keys.push(w.whole.fingerprint.key);
                continued += 1;
            }
        }
        (keys, continued)
    }

    #[test]
    fn signatures_travel_once_per_text_and_come_back() {
        let (a, b) = (report("hebei-2026.txt"), report("qinghai-2026.txt"));
        let lines: Vec<&str> = a.lines().collect();
        let cut = lines[..lines.len() * 2 / 5].join("\n") + "\n";
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (a.repeat(3).into_bytes(), "one text three times"),
            (format!("{cut}{cut}{a}").into_bytes(), "a scrape retried"),
            (format!("{a}{b}{a}").into_bytes(), "two texts"),
            (encoding_rs::GBK.encode(&a.repeat(2)).0.into_owned(), "GBK"),
            (b"short\n".to_vec(), "too short to sign"),
        ];
        let mut continued = 0;
        for (bytes, what) in cases {
            let original = analyzed(&bytes);
            let (keys, c) = copy_keys(&original);
            continued += c;
            let mut slim = original.clone();
            let taken = take_signatures(&mut slim);
            let distinct: std::collections::HashSet<_> = keys.iter().collect();
            assert_eq!(taken.len(), distinct.len(), "{what}");
            if what == "one text three times" {
                assert!(
                    keys.len() >= 3 && taken.len() == 1,
                    "{what}: {}",
                    keys.len()
                );
            }
            // Apart, the analysis holds no signature; each travels alone.
            let slim: FileResult = decode(&encode(&slim).unwrap()).unwrap();
            let mut none = true;
            let mut probe = slim.clone();
            for_each_copy(&mut probe, |c| none &= c.signature.is_none());
            assert!(none, "{what}");
            let by_key: Signatures = taken
                .iter()
                .map(|(k, s)| (*k, decode(&encode(s).unwrap()).unwrap()))
                .collect();
            let mut back = slim;
            put_signatures(&mut back, &by_key).unwrap();
            assert_eq!(format!("{original:?}"), format!("{back:?}"), "{what}");
        }
        assert!(continued > 0, "no case had a copy continued into its rest");
    }

    #[test]
    fn a_signature_lost_on_the_way_is_an_error() {
        let mut slim = analyzed(report("ningxia-2026.txt").repeat(2).as_bytes());
        let mut by_key: Signatures = take_signatures(&mut slim).into_iter().collect();
        assert!(!by_key.is_empty());
        let key = *by_key.keys().next().unwrap();
        by_key.remove(&key);
        let e = put_signatures(&mut slim, &by_key).unwrap_err();
        assert_eq!(e.path, "a/b.txt");
        assert_eq!(e.key, blake3::Hash::from_bytes(key).to_hex().as_str());
    }

    #[test]
    fn names_are_interned_once() {
        let a = static_str::intern("x-made-up".to_string());
        let b = static_str::intern("x-made-up".to_string());
        assert!(std::ptr::eq(a, b));
        assert!(std::ptr::eq(
            static_str::intern("GBK".into()),
            encoding_rs::GBK.name()
        ));
    }
}
