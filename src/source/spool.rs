//! A run's spool: an unnamed temporary file where bytes wait until the
//! run needs them again (record fields until their record is written,
//! `check`'s findings until they are printed in order), so memory holds an
//! offset per item, not the items. The file has no name: it is gone when
//! the run ends, killed or not.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// An unnamed temporary file, appended to by any thread.
#[derive(Debug)]
pub struct Spool {
    file: Mutex<fs::File>,
}

impl Spool {
    pub fn new() -> io::Result<Arc<Spool>> {
        Ok(Arc::new(Spool {
            file: Mutex::new(tempfile::tempfile()?),
        }))
    }

    /// Appends `bytes`; returns where they start.
    pub fn put(&self, bytes: &[u8]) -> io::Result<u64> {
        let mut f = self.file.lock().map_err(|_| io::Error::other("poisoned"))?;
        let at = f.seek(SeekFrom::End(0))?;
        f.write_all(bytes)?;
        Ok(at)
    }

    /// The `len` bytes put at `at`.
    pub fn get(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut f = self.file.lock().map_err(|_| io::Error::other("poisoned"))?;
        f.seek(SeekFrom::Start(at))?;
        let mut buf = vec![0; len];
        f.read_exact(&mut buf)?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_back_from_where_they_were_put() {
        let spool = Spool::new().unwrap();
        let a = spool.put(b"first").unwrap();
        let b = spool.put(b"").unwrap();
        let c = spool.put("第二".as_bytes()).unwrap();
        assert_eq!(spool.get(c, 6).unwrap(), "第二".as_bytes());
        assert_eq!(spool.get(a, 5).unwrap(), b"first");
        assert_eq!(spool.get(b, 0).unwrap(), b"");
        assert!(spool.get(c, 7).is_err());
    }
}
