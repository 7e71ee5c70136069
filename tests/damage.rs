//! Damaged UTF-8 stays UTF-8: a bad byte costs the character it hits (one
//! U+FFFD, counted as undecodable), never a re-decoding of its line in
//! another encoding; encoded surrogate pairs are joined. Each case here
//! came out as mojibake on the session-start main.

use canon::decode::{decode, DecodeOptions};
use canon::report::Report;
use proptest::prelude::*;
use similar::{ChangeTag, TextDiff};

mod common;
use common::*;

/// Characters of `original` lost in `decoded`, and characters `decoded`
/// adds (a character diff).
fn lost_and_added(original: &str, decoded: &str) -> (usize, usize) {
    let diff = TextDiff::from_chars(original, decoded);
    let (mut lost, mut added) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => lost += 1,
            ChangeTag::Insert => added += 1,
            ChangeTag::Equal => {}
        }
    }
    (lost, added)
}

fn decoded_text(bytes: &[u8]) -> String {
    decode(bytes, &DecodeOptions::default()).unwrap().text
}

#[test]
fn one_bad_byte_costs_one_character_wherever_it_falls() {
    let original = corpus("hebei");
    let text = String::from_utf8(original.clone()).unwrap();
    // Every byte of the tenth line and of a long paragraph, one at a time.
    let starts: Vec<usize> = original
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    for line in [9, 40] {
        let (from, to) = (starts[line - 1], starts[line] - 1);
        for at in from..to {
            let mut damaged = original.clone();
            damaged[at] = 0xFF;
            let got = decoded_text(&damaged);
            let (lost, added) = lost_and_added(&text, &got);
            assert!(
                lost <= 1 && added <= 1,
                "byte {at} of line {}: lost {lost}, added {added}",
                line + 1
            );
            assert_eq!(got.matches('\u{FFFD}').count(), 1, "byte {at}");
        }
    }
}

#[test]
fn a_bad_byte_is_reported_counted_and_strict() {
    let dir = tempfile::tempdir().unwrap();
    let mut damaged = corpus("hebei");
    let line10 = damaged
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(8)
        .map(|(i, _)| i + 1)
        .unwrap();
    damaged[line10 + 4] = 0xFF; // the first byte of 年 in 2026年
    std::fs::write(dir.path().join("hebei.txt"), &damaged).unwrap();
    let out = dir.path().join("out");
    let status = canon()
        .args(["clean", "--quiet", "--out"])
        .arg(&out)
        .arg(dir.path().join("hebei.txt"))
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(0));
    let report: Report =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report.files[0].encoding.as_deref(), Some("UTF-8"));
    assert_eq!(report.totals.undecodable_bytes, 3, "the damaged character");
    let doc = std::fs::read_to_string(out.join("hebei.txt")).unwrap();
    let want = normalized("hebei").replacen("2026年河北", "2026\u{FFFD}河北", 1);
    assert_eq!(doc, want);
    let strict = canon()
        .args(["clean", "--quiet", "--strict", "--out"])
        .arg(dir.path().join("out2"))
        .arg(dir.path().join("hebei.txt"))
        .output()
        .unwrap()
        .status;
    assert_eq!(strict.code(), Some(2));
    let check = canon()
        .args(["check", "--no-config", "--format", "json"])
        .arg(dir.path().join("hebei.txt"))
        .output()
        .unwrap();
    let found: canon::check::CheckReport = serde_json::from_slice(&check.stdout).unwrap();
    assert!(
        found
            .findings
            .iter()
            .any(|f| f.rule == "encoding-undecodable"),
        "{:?}",
        found.findings
    );
    assert!(!found.findings.iter().any(|f| f.rule == "encoding-mixed"));
}

#[test]
fn twenty_random_corruptions_cost_a_few_dozen_characters() {
    let original = corpus("hebei");
    let text = String::from_utf8(original.clone()).unwrap();
    for seed in 0..5u64 {
        let mut damaged = original.clone();
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for _ in 0..20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % damaged.len() as u64) as usize;
            damaged[at] = (x >> 32) as u8;
        }
        let (lost, added) = lost_and_added(&text, &decoded_text(&damaged));
        assert!(
            lost <= 20 && added <= 60,
            "seed {seed}: lost {lost}, added {added}"
        );
    }
}

#[test]
fn encoded_surrogate_pairs_are_joined_and_the_line_stays_utf8() {
    // 中文 U+1D11E 结束, the musical symbol written as two encoded halves.
    let mut bytes = "第一行：二〇二六年\n中文".as_bytes().to_vec();
    bytes.extend_from_slice(&[0xED, 0xA0, 0xB4, 0xED, 0xB4, 0x9E]);
    bytes.extend_from_slice("结束\n".as_bytes());
    let d = decode(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(d.text, "第一行：二〇二六年\n中文\u{1D11E}结束\n");
    assert!(d.undecodable.is_empty());
    assert_eq!(d.repairs.len(), 1);
    assert_eq!(d.repairs[0].kind.as_str(), "cesu-8");
    // A lone half is marked, not a reason to change encodings.
    let mut lone = "中文".as_bytes().to_vec();
    lone.extend_from_slice(&[0xED, 0xA0, 0xB4]);
    lone.extend_from_slice("结束".as_bytes());
    assert_eq!(decoded_text(&lone), "中文\u{FFFD}结束");
}

#[test]
fn a_gbk_stretch_inside_utf8_is_still_gbk() {
    // Real evidence of another encoding still wins: a GBK paragraph
    // appended to a UTF-8 file.
    let utf8 = "二〇二六年河北省政府工作报告\n";
    let (gbk, _, _) = encoding_rs::GBK.encode("各位代表：现在，我代表省人民政府向大会报告工作。\n");
    let bytes = [utf8.as_bytes(), &gbk].concat();
    assert_eq!(
        decoded_text(&bytes),
        "二〇二六年河北省政府工作报告\n各位代表：现在，我代表省人民政府向大会报告工作。\n"
    );
}

/// Found by `k_corruptions_cost_at_most_k_characters`: three bad bytes in a
/// short line of rare Han (its first character's lead byte became 0x87,
/// two bytes became 0x01) left the line's UTF-8 part too damaged to win,
/// and it was read as Shift_JIS — `㈱餌♂謌歛 … 蟀｡ … 荳`, no kana, seven
/// characters lost for three bad bytes. A Japanese reading among UTF-8
/// lines needs kana (or bytes that read as UTF-8 as nearly all damage).
#[test]
fn bad_bytes_in_a_line_of_rare_han_are_no_shift_jis() {
    let text = "劉a灉戟a aa  婡0a0aa一0a一\n a0a 一一一 一 a一0aa一0aa一a一 0一aa一000a  一一一0 a一0\nàü àaüüaö ü.,Añçaö aàAaa,\n";
    let mut bytes = text.as_bytes().to_vec();
    for (at, value) in [(0, 0x87), (4, 0x01), (26, 0x01)] {
        bytes[at] = value;
    }
    let opts = DecodeOptions {
        no_repair: true,
        ..DecodeOptions::default()
    };
    let got = decode(&bytes, &opts).unwrap().text;
    let first = got.lines().next().unwrap_or("");
    assert!(
        first.ends_with("戟a aa  婡0a0aa\u{FFFD}\u{1}0a一"),
        "{first:?}"
    );
    assert_eq!(
        got.lines().skip(1).collect::<Vec<_>>(),
        text.lines().skip(1).collect::<Vec<_>>()
    );
}

/// ...while a Shift_JIS heading of kanji alone among UTF-8 lines stays
/// Shift_JIS: its bytes read as UTF-8 are nearly all damage.
#[test]
fn a_shift_jis_heading_of_kanji_alone_among_utf8_lines_stays_shift_jis() {
    let around = "第一行是中文的文字内容，用于测试。\n";
    for heading in [
        "東京都議会議員選挙結果報告書",
        "令和六年度予算案概要説明資料",
    ] {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(heading);
        let bytes = [around.as_bytes(), &sjis, b"\n", around.as_bytes()].concat();
        assert_eq!(
            decoded_text(&bytes),
            format!("{around}{heading}\n{around}"),
            "{heading}"
        );
    }
}

/// A page: lines of Han, Latin with accents, and both with digits.
fn text_strategy() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        "[一-龥，。、]{20,60}",
        "[a-zA-Z ,.éèàüöçñ]{20,60}",
        "[0-9一-龥a-z ]{20,60}",
    ];
    prop::collection::vec(line, 4..16).prop_map(|ls| ls.join("\n") + "\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Valid UTF-8 with k random byte corruptions decodes within k
    /// characters of the original: at most k characters lost, at most three
    /// added per corruption (a damaged character, the letter a byte became,
    /// an orphaned rest) — never a line read in another encoding.
    #[test]
    fn k_corruptions_cost_at_most_k_characters(
        text in text_strategy(),
        // (A NUL byte makes a file binary, by design: not a corruption here.)
        hits in prop::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 1..5),
    ) {
        let mut bytes = text.clone().into_bytes();
        for (at, value) in &hits {
            let i = at.index(bytes.len());
            bytes[i] = *value;
        }
        // Decoding alone: random Han (rare characters side by side) can look
        // like GBK mojibake to the repair, which is not what is tested here.
        let opts = DecodeOptions { no_repair: true, ..DecodeOptions::default() };
        let got = decode(&bytes, &opts).unwrap().text;
        let (lost, added) = lost_and_added(&text, &got);
        let k = hits.len();
        prop_assert!(lost <= k && added <= 3 * k, "lost {} added {} for {} hits: {:?}", lost, added, k, got);
    }
}
