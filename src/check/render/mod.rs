//! `check`'s output formats: one module per format, one [`render`] to pick.
//! A new format is a [`Format`] variant and a module here.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

pub use json::CheckReport;

use super::{errors, Finding, Severity};

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col: rule: message`, a block per file, then a summary.
    #[default]
    Human,
    /// One JSON document ([`CheckReport`]).
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
    Github,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
}

impl std::str::FromStr for Format {
    type Err = crate::UnknownChoice;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            "sarif" => Ok(Format::Sarif),
            other => Err(crate::UnknownChoice::new(
                "format",
                other,
                "human, json, github or sarif",
            )),
        }
    }
}

/// A format written as the findings come (file by file), so printing a
/// million findings holds none of them: [`Renderer::start`], then
/// [`Renderer::finding`] for each one in order, then [`Renderer::finish`].
///
/// A finding is its [`Renderer::lead`] (what depends on the findings
/// before it: a separator, a new file's break, a limit) and its
/// [`Renderer::body`] (what depends on it alone), so bodies can be
/// rendered ahead, in parallel, and written in order.
pub trait Renderer: Sync {
    /// What comes before the first finding.
    fn start(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    /// Writes what comes before `f` and says whether `f` is shown.
    fn lead(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<bool>;
    /// `f` itself, as [`Renderer::lead`] left it to be written.
    fn body(&self, out: &mut Vec<u8>, f: &Finding) -> io::Result<()>;
    /// [`Renderer::lead`], then [`Renderer::body`] when shown.
    fn finding(&mut self, out: &mut dyn Write, f: &Finding) -> io::Result<()> {
        if self.lead(out, f)? {
            let mut body = Vec::new();
            self.body(&mut body, f)?;
            out.write_all(&body)?;
        }
        Ok(())
    }
    /// What comes after the last finding.
    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()>;
    /// A copy, to render bodies while this one writes.
    fn clone_box(&self) -> Box<dyn Renderer>;
}

/// The renderer of `format`: `summary` is the run's counts (the JSON
/// format prints them first), `limits` how many GitHub annotations.
pub fn renderer(format: Format, summary: &Summary, limits: github::Limits) -> Box<dyn Renderer> {
    match format {
        Format::Human => Box::new(human::Human::new(summary)),
        Format::Json => Box::new(json::Json::new(summary)),
        Format::Github => Box::new(github::Github::new(limits)),
        Format::Sarif => Box::new(sarif::Sarif::new()),
    }
}

/// Renders findings in `format` (`limits`: how many GitHub annotations).
pub fn render(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    limits: github::Limits,
) -> String {
    let mut out = Vec::new();
    let mut r = renderer(format, summary, limits);
    // (Writing to memory does not fail.)
    let _ = r.start(&mut out);
    for f in findings {
        let _ = r.finding(&mut out, f);
    }
    let _ = r.finish(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A pretty-printed JSON document one of whose arrays is written item by
/// item (the findings of the JSON format, the results of SARIF): the same
/// bytes serde prints for the whole document.
#[derive(Clone)]
struct JsonArray {
    /// The document up to the array's `[`, and from its `]`.
    head: String,
    tail: String,
    /// Where the array's items sit (spaces).
    indent: usize,
    any: bool,
}

impl JsonArray {
    /// `document`'s array `key` (printed empty in it), whose items sit
    /// `indent` spaces in.
    fn new(document: &impl Serialize, key: &str, indent: usize) -> JsonArray {
        let s = serde_json::to_string_pretty(document).unwrap_or_else(|_| "{}".into());
        let marker = format!("\"{key}\": []");
        let (head, tail) = match s.find(&marker) {
            Some(i) => {
                let open = i + marker.len() - 1;
                (s[..open].to_string(), s[open..].to_string())
            }
            None => (s, String::new()),
        };
        JsonArray {
            head,
            tail,
            indent,
            any: false,
        }
    }

    fn start(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(self.head.as_bytes())
    }

    /// The separator before the next item.
    fn lead(&mut self, out: &mut dyn Write) -> io::Result<bool> {
        out.write_all(if self.any { b",\n" } else { b"\n" })?;
        self.any = true;
        Ok(true)
    }

    /// An item, indented (after [`JsonArray::lead`]): what
    /// `serde_json::to_vec_pretty` prints, each line `indent` spaces in,
    /// written in place.
    fn item(&self, out: &mut Vec<u8>, value: &impl Serialize) -> io::Result<()> {
        let start = out.len();
        out.resize(start + self.indent, b' ');
        let formatter = Indented {
            base: self.indent,
            level: 0,
            has_value: false,
        };
        let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
        if value.serialize(&mut ser).is_err() {
            out.truncate(start + self.indent);
            out.extend_from_slice(b"{}");
        }
        Ok(())
    }

    fn finish(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.any {
            write!(out, "\n{:1$}", "", self.indent - 2)?;
        }
        out.write_all(self.tail.as_bytes())?;
        out.write_all(b"\n")
    }
}

/// serde_json's pretty printer (two spaces a level) with every line
/// `base` spaces further in: a finding printed inside the findings array.
struct Indented {
    base: usize,
    level: usize,
    has_value: bool,
}

impl Indented {
    fn newline<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(b"\n")?;
        let mut n = self.base + 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.newline(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Counts shown with the findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Findings accepted by the baseline (not listed).
    pub baselined: usize,
}

impl Summary {
    pub fn new(findings: &[Finding], files: usize, baselined: usize) -> Self {
        let errors = errors(findings);
        Summary {
            files,
            errors,
            warnings: findings.len() - errors,
            baselined,
        }
    }

    /// Counts `f` (`accepted`: the baseline accepts it).
    pub fn add(&mut self, f: &Finding, accepted: bool) {
        if accepted {
            self.baselined += 1;
        } else if f.severity == Severity::Error {
            self.errors += 1;
        } else {
            self.warnings += 1;
        }
    }

    pub fn line(&self) -> String {
        let plural = crate::report::plural;
        let mut s = format!(
            "{} checked: {}, {}",
            plural(self.files, "file", "files"),
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
        );
        if self.baselined > 0 {
            s.push_str(&format!(" ({} in the baseline not shown)", self.baselined));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An item printed in place is `to_vec_pretty`'s text with every line
    /// indented, nested and empty arrays and objects included.
    #[test]
    fn items_print_as_pretty_json_indented() {
        let values = [
            json!({"rule": "fullwidth-comma", "line": 3, "fix": null, "message": "\"a\" → “b”\n\t"}),
            json!({"a": [], "b": {}, "c": [1, [2, {"d": [3]}], {}], "e": {"f": {"g": []}}}),
            json!([]),
            json!("text"),
            json!([{"x": 1}, [], [[]]]),
        ];
        for indent in [0, 4, 70] {
            let array = JsonArray {
                head: String::new(),
                tail: String::new(),
                indent,
                any: false,
            };
            for v in &values {
                let pretty = serde_json::to_vec_pretty(v).expect("json");
                let pad = " ".repeat(indent);
                let want: Vec<String> = String::from_utf8(pretty)
                    .expect("utf-8")
                    .split('\n')
                    .map(|l| format!("{pad}{l}"))
                    .collect();
                let mut got = b"before".to_vec();
                array.item(&mut got, v).expect("printed");
                assert_eq!(
                    String::from_utf8(got).expect("utf-8"),
                    format!("before{}", want.join("\n")),
                    "{v}"
                );
            }
        }
    }
}
