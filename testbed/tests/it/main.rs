//! Integration tests of the testbed: real sockets against a started server (one test
//! binary, so the TLS stack links once).

mod client;
mod connections;
mod routes;
mod tls;
