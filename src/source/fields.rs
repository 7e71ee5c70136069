//! Where a record's fields wait between reading and writing.
//!
//! A JSONL or Parquet record's other fields (url, meta, raw HTML …) travel
//! to the output, but the analysis needs only its text: fields larger than
//! [`INLINE_BYTES`] wait in an unnamed temporary file (the [`FieldSpool`],
//! gone when the run ends, killed or not), so memory holds an offset per
//! record, not the metadata of the archive.

use std::io;
use std::sync::Arc;

use serde_json::{Map, Value};

pub use super::spool::Spool as FieldSpool;

/// Fields whose JSON is at most this long stay in memory (as JSON text).
pub const INLINE_BYTES: usize = 256;

/// A record's fields: in memory (as their JSON text, a fraction of the
/// parsed map's size, shared by clones), or in the run's [`FieldSpool`].
#[derive(Debug, Clone)]
pub enum Fields {
    Inline(Arc<str>),
    Spooled {
        spool: Arc<FieldSpool>,
        at: u64,
        len: usize,
    },
}

impl Default for Fields {
    fn default() -> Self {
        Fields::Inline(Arc::from("{}"))
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        match (self.load(), other.load()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Fields {
    /// `fields`, spooled when `spool` is given and they are long.
    pub fn new(fields: Map<String, Value>, spool: Option<&Arc<FieldSpool>>) -> Fields {
        if fields.is_empty() {
            return Fields::default();
        }
        // (A map of JSON values always serializes.)
        let json = serde_json::to_string(&fields).unwrap_or_else(|_| "{}".to_string());
        let Some(spool) = spool.filter(|_| json.len() > INLINE_BYTES) else {
            return Fields::Inline(Arc::from(json));
        };
        match spool.put(json.as_bytes()) {
            Ok(at) => Fields::Spooled {
                spool: Arc::clone(spool),
                at,
                len: json.len(),
            },
            // A spool that cannot be written: the fields stay in memory.
            Err(_) => Fields::Inline(Arc::from(json)),
        }
    }

    /// The fields (read back from the spool where they wait).
    pub fn load(&self) -> io::Result<Map<String, Value>> {
        match self {
            Fields::Inline(json) => serde_json::from_str(json).map_err(io::Error::other),
            Fields::Spooled { spool, at, len } => {
                let bytes = spool.get(*at, *len)?;
                serde_json::from_slice(&bytes).map_err(io::Error::other)
            }
        }
    }
}

/// On the wire (see [`crate::wire`]) fields travel as their JSON text,
/// read back from the spool where they wait, and arrive in memory.
impl serde::Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Fields::Inline(json) => s.serialize_str(json),
            Fields::Spooled { spool, at, len } => {
                let bytes = spool.get(*at, *len).map_err(serde::ser::Error::custom)?;
                let json = std::str::from_utf8(&bytes).map_err(serde::ser::Error::custom)?;
                s.serialize_str(json)
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = String::deserialize(d)?;
        Ok(Fields::Inline(Arc::from(json)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_wait_in_the_spool_and_come_back_whole() {
        let spool = FieldSpool::new().unwrap();
        let small: Map<String, Value> = serde_json::from_str(r#"{"url":"u"}"#).unwrap();
        let big: Map<String, Value> =
            serde_json::from_value(serde_json::json!({"html": "<p>".repeat(500), "n": 7})).unwrap();
        let a = Fields::new(small.clone(), Some(&spool));
        let b = Fields::new(big.clone(), Some(&spool));
        let c = Fields::new(big.clone(), Some(&spool));
        assert!(matches!(a, Fields::Inline(_)));
        assert!(matches!(b, Fields::Spooled { .. }));
        assert_eq!(a.load().unwrap(), small);
        assert_eq!(c.load().unwrap(), big);
        assert_eq!(b.load().unwrap(), big);
        assert!(matches!(Fields::new(big, None), Fields::Inline(_)));
    }
}
