"""Writes tests-spec/http.json: run `python3 tests-spec/gen/http.py` after editing."""

import json

S = []


def sc(name, req=None, expect=None, client=None, requests=None, error=None, client_error=None, **kw):
    d = {"name": name}
    if client:
        d["client"] = client
    if requests is None and req is not None:
        r = dict(req)
        if expect is not None:
            r["expect"] = expect
        if error is not None:
            r["expect_error"] = error
        requests = [r]
    if client_error:
        d["expect_client_error"] = client_error
    else:
        d["requests"] = requests
    d.update(kw)
    S.append(d)


def G(url, **kw):
    return {"method": "GET", "url": url, **kw}


sc(
    "GET of 1 KiB: status, reason, version and body",
    G("$http/bytes/1024"),
    {
        "status": 200,
        "reason": "OK",
        "http_version": "HTTP/1.1",
        "body_len": 1024,
        "url": "$http/bytes/1024",
        "attempts": 1,
    },
)
sc(
    "a 404 is a response unless errors on status are asked for",
    G("$http/status/404"),
    {"status": 404, "reason": "Not Found", "text": "status 404"},
)
sc(
    "error_for_status on the request turns a 404 into E_HTTP_STATUS",
    G("$http/status/404", error_for_status=True),
    error={"code": "E_HTTP_STATUS", "fields": {"status": 404, "url": "$http/status/404"}},
)
sc(
    "error_for_status on the client turns a 503 into E_HTTP_STATUS",
    G("$http/status/503"),
    client={"error_for_status": True},
    error={"code": "E_HTTP_STATUS", "fields": {"status": 503}},
)
sc(
    "the request can turn client-level error_for_status off",
    G("$http/status/500", error_for_status=False),
    client={"error_for_status": True},
    expect={"status": 500},
)
sc(
    "params append to the query, repeated names kept, unicode encoded",
    G("$http/echo?x=1", params=[["a", "1"], ["a", "2"], ["b", "\u00e9 &"]]),
    {"status": 200, "echo": {"method": "GET", "args": {"x": ["1"], "a": ["1", "2"], "b": ["\u00e9 &"]}}},
)
sc(
    "client headers and request headers are both sent",
    G("$http/echo", headers=[["x-one", "1"], ["X-Two", "2"]]),
    client={"headers": [["x-client", "c"]]},
    expect={"echo": {"headers": {"x-one": "1", "x-two": "2", "x-client": "c"}}},
)
sc(
    "a request header replaces the client's header of the same name",
    G("$http/echo", headers=[["x-client", "mine"]]),
    client={"headers": [["x-client", "c"]]},
    expect={"echo": {"headers": {"x-client": "mine"}}},
)
sc(
    "a json body is serialized with its content type",
    {"method": "POST", "url": "$http/echo", "json": {"a": 1, "b": [True, None, "\u00e9"]}},
    {
        "status": 200,
        "echo": {
            "method": "POST",
            "json_body": {"a": 1, "b": [True, None, "\u00e9"]},
            "headers": {"content-type": "application/json"},
        },
    },
)
sc(
    "a form body is url-encoded with its content type",
    {"method": "POST", "url": "$http/echo", "form": [["k", "v"], ["s", "a b&c"]]},
    {"echo": {"body": "k=v&s=a+b%26c", "headers": {"content-type": "application/x-www-form-urlencoded"}}},
)
sc(
    "raw content is sent as given",
    {"method": "PUT", "url": "$http/echo", "content": "raw \u00e9"},
    {"echo": {"method": "PUT", "body": "raw \u00e9"}},
)
sc(
    "PATCH, DELETE and OPTIONS reach the server with their method",
    requests=[
        {"method": m, "url": "$http/echo", "expect": {"echo": {"method": m}}} for m in ["PATCH", "DELETE", "OPTIONS"]
    ],
)
sc(
    "HEAD has a status and headers but no body",
    {"method": "HEAD", "url": "$http/bytes/100"},
    {"status": 200, "body_len": 0, "headers": {"content-length": "100"}},
)
sc(
    "a relative URL joins the client's base_url",
    G("/echo/sub"),
    client={"base_url": "$http"},
    expect={"echo": {"path": "/echo/sub"}, "url": "$http/echo/sub"},
)
sc(
    "a custom user_agent is sent",
    G("$http/echo"),
    client={"user_agent": "probe/1"},
    expect={"echo": {"headers": {"user-agent": "probe/1"}}},
)
sc("the default user agent names fanio", G("$http/echo"), expect={"echo": {"header_prefix": {"user-agent": "fanio/"}}})
sc(
    "headers are case-insensitive and multi-valued",
    G("$http/cookies/set?a=1&b=2"),
    {"status": 200, "header_all": {"Set-Cookie": 2}},
)
# invalid input, found before any I/O
sc(
    "a body given twice is invalid",
    {"method": "POST", "url": "$http/echo", "json": {"a": 1}, "content": "x"},
    error={"code": "E_INVALID_ARGUMENT"},
    before_io=True,
)
sc("a URL that does not parse is invalid", G("not a url"), error={"code": "E_INVALID_ARGUMENT"}, before_io=True)
sc("an unsupported scheme is invalid", G("ftp://127.0.0.1/x"), error={"code": "E_INVALID_ARGUMENT"}, before_io=True)
sc(
    "CRLF in a header value is invalid",
    G("$http/echo", headers=[["x-a", "a\r\nInjected: 1"]]),
    error={"code": "E_INVALID_ARGUMENT"},
    before_io=True,
)
sc(
    "a space in a header name is invalid",
    G("$http/echo", headers=[["bad name", "1"]]),
    error={"code": "E_INVALID_ARGUMENT"},
    before_io=True,
)
sc(
    "a method with a space is invalid",
    {"method": "GE T", "url": "$http/echo"},
    error={"code": "E_INVALID_ARGUMENT"},
    before_io=True,
)
# A URL parser strips CR and LF and encodes NUL: what would be sent is not what was
# given, so they are refused wherever URL text comes from.
for what, url in [
    ("CRLF in the path", "$http/echo\r\nX-Injected: 1"),
    ("CRLF in the query", "$http/echo?a=1\r\nb=2"),
    ("LF alone in the path", "$http/echo\nx"),
    ("CR alone in the path", "$http/echo\rx"),
    ("NUL in the path", "$http/echo\u0000x"),
    ("CRLF in the host", "http://127.0.\r\n0.1:1/x"),
    ("NUL in the host", "http://127.0.0.1\u0000:1/x"),
]:
    sc(f"{what} of a URL is invalid", G(url), error={"code": "E_INVALID_ARGUMENT"}, before_io=True)
sc(
    "CRLF in a URL joined onto base_url is invalid",
    G("echo\r\nX-Injected: 1"),
    client={"base_url": "$http/"},
    error={"code": "E_INVALID_ARGUMENT"},
    before_io=True,
)
for what, opts in [
    ("CRLF in base_url", {"base_url": "$http/\r\n"}),
    ("LF in the host of base_url", {"base_url": "http://127.0.\n0.1:1/"}),
    ("NUL in base_url", {"base_url": "$http/\u0000"}),
    ("CRLF in the proxy URL", {"proxy": "$proxy\r\n"}),
    ("NUL in the proxy URL", {"proxy": "$proxy/\u0000"}),
]:
    sc(f"{what} is invalid", client=opts, client_error="E_INVALID_ARGUMENT")
sc(
    "params are data: CRLF and NUL in a value are sent percent-encoded, as given",
    G("$http/echo", params=[["a", "1\r\n2"], ["b", "x\u0000y"]]),
    {"status": 200, "echo": {"args": {"a": ["1\r\n2"], "b": ["x\u0000y"]}}},
)
sc("an unknown http2 mode is invalid", client={"http2": "sometimes"}, client_error="E_INVALID_ARGUMENT")
sc(
    "max_connections_per_host of 0 is invalid",
    client={"max_connections_per_host": 0},
    client_error="E_INVALID_ARGUMENT",
)
sc("a negative timeout is invalid", client={"timeout": -1}, client_error="E_INVALID_ARGUMENT")
sc("a retry with 0 attempts is invalid", client={"retry": {"attempts": 0}}, client_error="E_INVALID_ARGUMENT")
sc("a proxy URL that does not parse is invalid", client={"proxy": "::nope"}, client_error="E_INVALID_ARGUMENT")
# redirects
sc(
    "302 turns a POST into a GET without body",
    {"method": "POST", "url": "$http/redirect-to?url=/echo&code=302", "json": {"a": 1}},
    {"status": 200, "url": "$http/echo", "echo": {"method": "GET", "body_len": 0}},
)
sc(
    "303 turns a PUT into a GET",
    {"method": "PUT", "url": "$http/redirect-to?url=/echo&code=303", "content": "x"},
    {"echo": {"method": "GET", "body_len": 0}},
)
sc(
    "301 turns a POST into a GET",
    {"method": "POST", "url": "$http/redirect-to?url=/echo&code=301", "content": "x"},
    {"echo": {"method": "GET"}},
)
sc(
    "307 keeps the method and the body",
    {"method": "POST", "url": "$http/redirect-to?url=/echo&code=307", "content": "keep"},
    {"echo": {"method": "POST", "body": "keep"}},
)
sc(
    "308 keeps the method and the body",
    {"method": "PUT", "url": "$http/redirect-to?url=/echo&code=308", "json": [1, 2]},
    {"echo": {"method": "PUT", "json_body": [1, 2]}},
)
sc(
    "a chain of relative redirects ends at /echo",
    G("$http/redirect/3?kind=relative"),
    {"status": 200, "url": "$http/echo"},
)
sc(
    "a chain of absolute redirects ends at /echo",
    G("$http/redirect/3?kind=absolute"),
    {"status": 200, "url": "$http/echo"},
)
sc(
    "more redirects than max_redirects fail",
    G("$http/redirect/5"),
    client={"max_redirects": 2},
    error={"code": "E_PROTOCOL"},
)
sc(
    "follow_redirects false gives the 3xx itself",
    G("$http/redirect/1"),
    client={"follow_redirects": False},
    expect={"status": 302, "headers": {"location": "/redirect/0"}},
)
# encodings and decoding
for enc in ["gzip", "br", "zstd", "deflate"]:
    # Every /encoding/* route serves the testbed's JSON document (testbed::JSON_DOC), compressed.
    sc(
        f"a {enc} body is decoded",
        G(f"$http/encoding/{enc}"),
        {"status": 200, "json_has": {"name": "fanio testbed", "big": 1152921504606846976}},
    )
sc("a corrupt gzip body is E_DECODE", G("$http/encoding/gzip/corrupt"), error={"code": "E_DECODE"})
sc("text() decodes latin-1 from the charset", G("$http/text/latin1"), {"text": "caf\u00e9 \u00fcber"})
sc("text() decodes UTF-16 from the charset", G("$http/text/utf16"), {"text": "caf\u00e9 \u00fcber"})
sc("text() without a charset is UTF-8", G("$http/text/none"), {"text": "caf\u00e9 \u00fcber"})
sc("text() of bad UTF-8 is E_DECODE", G("$http/text/bad-utf8"), {"status": 200, "text_error": "E_DECODE"})
sc("json() of a bad document is E_DECODE", G("$http/json/bad"), {"status": 200, "json_error": "E_DECODE"})
sc(
    "json() keeps big integers, unicode and nesting",
    G("$http/json"),
    {
        "json_has": {
            "big": 1152921504606846976,
            "unicode": "caf\u00e9 \u00fcber \u65e5\u672c \U0001f600",
            "raw_unicode": "na\u00efve \u2615",
            "exponent": 1.5e-7,
            "nested": {"a": {"b": {"c": [1, 2, 3]}}, "empty_list": [], "empty_object": {}},
        }
    },
)
# cookies
sc(
    "cookies set by a response are sent back",
    requests=[G("$http/cookies/set?a=1"), {**G("$http/cookies"), "expect": {"json": {"cookies": {"a": "1"}}}}],
)
sc(
    "cookies=false neither keeps nor sends cookies",
    client={"cookies": False},
    requests=[G("$http/cookies/set?a=1"), {**G("$http/cookies"), "expect": {"json": {"cookies": {}}}}],
)
# failures and timeouts
sc(
    "a server that never answers times out (phase total)",
    G("$http/never"),
    client={"timeout": 200},
    error={"code": "E_TIMEOUT", "fields": {"phase": "total"}},
)
sc(
    "the request's timeout overrides the client's",
    G("$http/never", timeout=150),
    client={"timeout": 30000},
    error={"code": "E_TIMEOUT", "fields": {"phase": "total"}},
)
sc(
    "a body that stalls past read_timeout times out (phase read)",
    G("$http/slow-body?delay_ms=3000"),
    client={"read_timeout": 200},
    error={"code": "E_TIMEOUT", "fields": {"phase": "read"}},
)
sc("a refused connection is E_CONNECT", G("$closed/x"), error={"code": "E_CONNECT"})
sc("a connection dropped mid-body is E_PROTOCOL", G("$http/drop"), error={"code": "E_PROTOCOL"})
sc("a malformed response is E_PROTOCOL", G("$http/malformed"), error={"code": "E_PROTOCOL"})
sc("a malformed chunked body is E_PROTOCOL", G("$http/bad-chunking"), error={"code": "E_PROTOCOL"})
sc(
    "a gzip bomb is refused at the default max_response_size (64 MiB) while it is decoded",
    G("$http/encoding/gzip/bomb"),
    error={"code": "E_BODY_TOO_LARGE", "fields": {"limit": 64 * 1024 * 1024}},
)
sc(
    "a body over max_response_size is E_BODY_TOO_LARGE",
    G("$http/bytes/5000"),
    client={"max_response_size": 1000},
    error={"code": "E_BODY_TOO_LARGE"},
)
sc(
    "a chunked body over max_response_size is E_BODY_TOO_LARGE",
    G("$http/bytes/5000?chunked=1"),
    client={"max_response_size": 1000},
    error={"code": "E_BODY_TOO_LARGE"},
)
sc(
    "a body within max_response_size is read",
    G("$http/bytes/1000"),
    client={"max_response_size": 1000},
    expect={"body_len": 1000},
)
# TLS and HTTP/2
sc("TLS to an unknown CA fails with E_TLS", G("$https/bytes/10"), error={"code": "E_TLS"})
sc(
    "TLS with the CA in ca_certs negotiates HTTP/2 by ALPN",
    G("$https/bytes/10"),
    client={"ca_certs": "$ca_pem"},
    expect={"status": 200, "http_version": "HTTP/2", "body_len": 10},
)
sc(
    "http2 never keeps TLS on HTTP/1.1",
    G("$https/bytes/10"),
    client={"ca_certs": "$ca_pem", "http2": "never"},
    expect={"http_version": "HTTP/1.1"},
)
sc("verify false accepts the unknown CA", G("$https/bytes/10"), client={"verify": False}, expect={"status": 200})
sc(
    "a CA that did not sign the server fails with E_TLS",
    G("$https/bytes/10"),
    client={"ca_certs": "$other_ca_pem"},
    error={"code": "E_TLS"},
)
sc(
    "mTLS with a client certificate works",
    G("$mtls/echo"),
    client={"ca_certs": "$ca_pem", "client_cert": "$client_cert", "client_key": "$client_key"},
    expect={"status": 200},
)
sc(
    "mTLS without a client certificate fails",
    G("$mtls/echo"),
    client={"ca_certs": "$ca_pem"},
    error={"code_in": ["E_TLS", "E_PROTOCOL", "E_CONNECT"]},
)
sc(
    "h2 prior knowledge speaks HTTP/2 over plain TCP",
    G("$http/echo"),
    client={"http2": "prior_knowledge"},
    expect={"http_version": "HTTP/2", "echo": {"http_version": "HTTP/2"}},
)
sc(
    "HEAD over HTTP/2 has headers and no body",
    {"method": "HEAD", "url": "$http/bytes/100"},
    client={"http2": "prior_knowledge"},
    expect={"status": 200, "http_version": "HTTP/2", "body_len": 0, "headers": {"content-length": "100"}},
)
sc(
    "a request through the HTTP proxy reaches the server",
    G("$http/echo"),
    client={"proxy": "$proxy"},
    expect={"echo": {"proxied": True}},
)
# retries
R = {"attempts": 3, "backoff": 1, "jitter": False}
sc(
    "retry repeats a 503 until it succeeds and counts attempts",
    G("$http/flaky?key=$unique&fail=2&status=503&retry_after=0"),
    client={"retry": R},
    expect={"status": 200, "attempts": 3, "json": {"attempts": 3}},
)
sc(
    "retry honours Retry-After as an HTTP date",
    G("$http/flaky?key=$unique&fail=1&status=429&retry_after=1&date=1"),
    client={"retry": {**R, "backoff_max": 5000}},
    expect={"status": 200, "attempts": 2},
    min_elapsed_ms=0,
)
sc(
    "retry gives the last response when attempts run out",
    G("$http/flaky?key=$unique&fail=5&status=502&retry_after=0"),
    client={"retry": {**R, "attempts": 2}},
    expect={"status": 502, "attempts": 2},
)
sc(
    "retry gives up with E_HTTP_STATUS and attempts when errors on status are asked for",
    G("$http/flaky?key=$unique&fail=5&status=504&retry_after=0", error_for_status=True),
    client={"retry": {**R, "attempts": 2}},
    error={"code": "E_HTTP_STATUS", "fields": {"status": 504, "attempts": 2}},
)
sc(
    "a POST is not retried by default",
    {"method": "POST", "url": "$http/flaky?key=$unique&fail=1&status=503&retry_after=0"},
    client={"retry": R},
    expect={"status": 503, "attempts": 1},
)
sc(
    "a status outside on_status is not retried",
    G("$http/flaky?key=$unique&fail=1&status=500&retry_after=0"),
    client={"retry": R},
    expect={"status": 500, "attempts": 1},
)
sc(
    "connect errors are retried and counted",
    G("$closed/x"),
    client={"retry": R},
    error={"code": "E_CONNECT", "fields": {"attempts": 3}},
)
json.dump(
    {"scenarios": S},
    open(__import__("pathlib").Path(__file__).resolve().parent.parent / "http.json", "w"),
    indent=1,
    ensure_ascii=False,
)
print(len(S))
