#![no_main]
// The body is fanio_core::fuzzing::json, shared with the corpus regression test.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fanio_core::fuzzing::json(data));
