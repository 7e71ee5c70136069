//! Converts a JSONL file to Parquet with canon's writer (for benches and
//! test data): `cargo run --release --example jsonl_to_parquet IN.jsonl OUT.parquet`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: jsonl_to_parquet IN.jsonl OUT.parquet");
        std::process::exit(2);
    };
    let out = std::fs::File::create(output).expect("create the output");
    canon::emit::columnar::jsonl_to_parquet(std::path::Path::new(input), out, &["id", "text"])
        .expect("convert");
}
