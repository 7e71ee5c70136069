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

use serde::de::DeserializeOwned;
use serde::Serialize;

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
