//! `/__connections`: counts follow sockets opening and closing, control connections stay
//! out of the numbers.

use crate::client::{Conn, eventually, get};
use testbed::{Config, Connections, Server};

#[test]
fn open_goes_up_and_down_with_sockets() {
    let server = Server::start(Config::default()).unwrap();
    let url = server.http_url();
    let mut conns: Vec<Conn> = (0..3).map(|_| Conn::open(&url)).collect();
    for conn in &mut conns {
        assert_eq!(conn.get("/bytes/1").status, 200);
        // Keep-alive: a second request on the same socket counts no new connection.
        assert_eq!(conn.get("/bytes/1").status, 200);
    }
    let c = server.connections();
    assert_eq!((c.open, c.total, c.peak, c.pending), (3, 3, 3, 0));

    // Asked over HTTP from a fresh socket: the asker is not in any number.
    let reported = get(&url, "/__connections").json();
    assert_eq!(
        reported,
        serde_json::json!({"open": 3, "total": 3, "peak": 3, "pending": 0, "proxied": 0})
    );

    conns.truncate(1);
    assert!(
        eventually(|| server.connections().open == 1),
        "{:?}",
        server.connections()
    );
    let mut reset = Conn::open(&url);
    reset
        .send(
            "POST /__connections/reset HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
            b"",
        )
        .unwrap();
    let after = reset.read_reply().unwrap().json();
    assert_eq!(
        after,
        serde_json::json!({"open": 1, "total": 0, "peak": 1, "pending": 0, "proxied": 0})
    );
    assert_eq!(get(&url, "/__connections/reset").status, 405);

    // The control socket that now asks for bytes is an ordinary connection from then on.
    assert_eq!(reset.get("/bytes/1").status, 200);
    assert_eq!(server.connections().open, 2);
    drop(reset);
    drop(conns);
    assert!(
        eventually(|| server.connections()
            == Connections {
                open: 0,
                total: 1,
                peak: 2,
                pending: 0,
                proxied: 0
            }),
        "{:?}",
        server.connections()
    );
}

#[test]
fn a_never_answered_request_is_released_when_the_client_leaves() {
    let server = Server::start(Config {
        threads: 2,
        dir: None,
    })
    .unwrap();
    let mut conn = Conn::open(&server.http_url());
    conn.send("GET /never HTTP/1.1\r\nHost: t\r\n\r\n", b"")
        .unwrap();
    assert!(eventually(|| server.connections().open == 1));
    drop(conn);
    assert!(
        eventually(|| server.connections().open == 0),
        "{:?}",
        server.connections()
    );
    assert_eq!(server.connections().total, 1);
}

#[test]
fn sockets_without_requests_are_pending() {
    let server = Server::start(Config::default()).unwrap();
    let idle =
        std::net::TcpStream::connect(server.http_url().trim_start_matches("http://")).unwrap();
    assert!(eventually(|| server.connections().pending == 1));
    assert_eq!(server.connections().open, 0);
    drop(idle);
    assert!(eventually(|| server.connections().pending == 0));
}
