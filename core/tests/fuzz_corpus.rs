//! Every input the fuzzers kept (`fuzz/corpus/<target>/`, minimized with `cargo fuzz
//! cmin`) runs through the same target body on stable Rust, so `make test` fails when
//! a change breaks what fuzzing once found to hold.

use std::path::Path;

#[test]
fn every_corpus_input_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, target) in fanio_core::fuzzing::TARGETS {
        let dir = root.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a corpus entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no corpus for {name}");
        for path in inputs {
            let data = std::fs::read(&path).expect("a corpus file");
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name}: {} fails", path.display());
        }
    }
}
