"""Writes tests-spec/db.json: run `python3 tests-spec/gen/db.py` after editing.

The format is described in tests-spec/README.md ("Shared database scenarios")."""

import json
from pathlib import Path


# Tagged expected values (see README): each language decodes them to its own types.
def i(v):
    return {"int": str(v)}  # int2 / int4: a number in Node


def big(v):
    return {"bigint": str(v)}  # int8, SQLite INTEGER: a bigint in Node


def f(v):
    return {"float": v}


def dec(v):
    return {"decimal": v}


def t(v):
    return {"text": v}


def lst(*v):
    return {"list": list(v)}


def n(v):
    return {"any_int": str(v)}  # an integer of either width (behaviour rows of both backends)


NULL = None

PG = []  # Postgres type rows


def pg(name, type_, literal, expect, requires=None, param=True):
    row = {"name": name, "type": type_, "select": f"SELECT {literal} AS v", "expect": expect}
    if param:
        row["param_sql"] = f"SELECT $1::{type_} AS v"
    if requires:
        row["requires"] = requires
    PG.append(row)


pg("bool true", "bool", "true", {"bool": True})
pg("bool false", "bool", "false", {"bool": False})
pg("int2 min", "int2", "(-32768)::int2", i(-32768))
pg("int4 max", "int4", "2147483647::int4", i(2147483647))
pg("int8 above 2^53", "int8", "9007199254740993::int8", big(9007199254740993))
pg("int8 min", "int8", "(-9223372036854775808)::int8", big(-9223372036854775808))
pg("float4 widened exactly", "float4", "0.1::float4", f(0.10000000149011612))
pg("float4 1.5", "float4", "1.5::float4", f(1.5))
pg("float8", "float8", "(-1.5e300)::float8", f(-1.5e300))
pg("float8 NaN", "float8", "'NaN'::float8", f("NaN"))
pg("float8 -Infinity", "float8", "'-Infinity'::float8", f("-Infinity"))
pg("numeric keeps its scale", "numeric", "1.10::numeric", dec("1.10"))
pg(
    "numeric big precision",
    "numeric",
    "'-123456789012345678901234567890.000000000000000000000000000001'::numeric",
    dec("-123456789012345678901234567890.000000000000000000000000000001"),
)
pg("numeric small", "numeric", "0.0001000::numeric", dec("0.0001000"))
pg("numeric zero", "numeric", "0::numeric", dec("0"))
pg("numeric NaN", "numeric", "'NaN'::numeric", dec("NaN"))
pg("numeric Infinity", "numeric", "'Infinity'::numeric", dec("Infinity"))
pg("text unicode", "text", "'h\u00e9llo \U0001f600'::text", t("h\u00e9llo \U0001f600"))
pg("text empty", "text", "''::text", t(""))
pg("varchar", "varchar(10)", "'v'::varchar(10)", t("v"))
pg("char pads to its length", "char(4)", "'ab'::char(4)", t("ab  "))
pg("name", "name", "'a_name'::name", t("a_name"))
pg("citext keeps its case", "citext", "'MiXed'::citext", t("MiXed"), requires="citext")
pg("bytea", "bytea", "'\\x00ff10'::bytea", {"bytes_hex": "00ff10"})
pg("bytea empty", "bytea", "''::bytea", {"bytes_hex": ""})
pg("uuid", "uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", {"uuid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"})
DOC = {"a": [1, 2.5, None, True], "b": "\u00e9", "c": {"d": []}}
pg("json object parsed", "json", "'" + json.dumps(DOC) + "'::json", {"json": DOC})
pg("jsonb object parsed", "jsonb", "'" + json.dumps(DOC) + "'::jsonb", {"json": DOC})
pg("date leap day", "date", "'2024-02-29'::date", {"date": "2024-02-29"})
pg("date before the epoch", "date", "'1901-07-04'::date", {"date": "1901-07-04"})
pg("date infinity", "date", "'infinity'::date", {"date": "infinity"})
pg("date -infinity", "date", "'-infinity'::date", {"date": "-infinity"})
pg("time with microseconds", "time", "'12:34:56.789012'::time", {"time": "12:34:56.789012"})
pg("time midnight", "time", "'00:00:00'::time", {"time": "00:00:00"})
pg("timestamp", "timestamp", "'2024-02-29 12:34:56.789012'::timestamp", {"timestamp": "2024-02-29T12:34:56.789012"})
pg("timestamp before the epoch", "timestamp", "'1960-01-01 00:00:01'::timestamp", {"timestamp": "1960-01-01T00:00:01"})
pg("timestamp infinity", "timestamp", "'infinity'::timestamp", {"timestamp": "infinity"})
pg(
    "timestamptz in UTC",
    "timestamptz",
    "'2024-01-01 00:00:00+00'::timestamptz",
    {"timestamptz": "2024-01-01T00:00:00Z"},
)
pg(
    "timestamptz from another offset",
    "timestamptz",
    "'2024-06-01 12:00:00.5+02'::timestamptz",
    {"timestamptz": "2024-06-01T10:00:00.500000Z"},
)
pg("timestamptz -infinity", "timestamptz", "'-infinity'::timestamptz", {"timestamptz": "-infinity"})
pg(
    "interval with months, days and time",
    "interval",
    "'1 year 2 mons 3 days 04:05:06.000007'::interval",
    {"interval": [14, 3, 14706000007]},
)
pg("interval negative", "interval", "'-1 days -00:00:01'::interval", {"interval": [0, -1, -1000000]})
pg(
    "interval of negative years and months",
    "interval",
    "'-2 years -13 mons 5 days'::interval",
    {"interval": [-37, 5, 0]},
)
pg("inet host", "inet", "'10.0.0.1'::inet", {"inet": "10.0.0.1/32"})
pg("inet with a prefix", "inet", "'10.1.2.3/8'::inet", {"inet": "10.1.2.3/8"})
pg("inet IPv6", "inet", "'::1'::inet", {"inet": "::1/128"})
pg("cidr", "cidr", "'192.168.0.0/16'::cidr", {"cidr": "192.168.0.0/16"})
pg("cidr IPv6", "cidr", "'2001:db8::/32'::cidr", {"cidr": "2001:db8::/32"})
pg("int4 array", "int4[]", "'{1,2,3}'::int4[]", lst(i(1), i(2), i(3)))
pg("text array with NULL", "text[]", "ARRAY['a', NULL, 'c']", lst(t("a"), NULL, t("c")))
pg("int8 array 2-d with NULL", "int8[]", "'{{1,NULL},{3,4}}'::int8[]", lst(lst(big(1), NULL), lst(big(3), big(4))))
pg("numeric array", "numeric[]", "'{1.5,NaN}'::numeric[]", lst(dec("1.5"), dec("NaN")))
pg("empty array", "int4[]", "'{}'::int4[]", lst())
pg("enum", "$schema.mood", "'happy'::$schema.mood", t("happy"))
pg("enum array", "$schema.mood[]", "'{sad,happy}'::$schema.mood[]", lst(t("sad"), t("happy")))
pg("domain over int4", "$schema.posint", "5::$schema.posint", i(5))
pg("NULL int4", "int4", "NULL::int4", NULL)
pg("NULL text", "text", "NULL::text", NULL)

SQLITE = []


def sq(name, literal, expect):
    SQLITE.append({"name": name, "select": f"SELECT {literal} AS v", "param_sql": "SELECT ? AS v", "expect": expect})


sq("INTEGER", "42", big(42))
sq("INTEGER negative", "-7", big(-7))
sq("INTEGER above 2^53", "9007199254740993", big(9007199254740993))
sq("INTEGER max", "9223372036854775807", big(9223372036854775807))
sq("REAL", "1.5", f(1.5))
sq("REAL negative", "-0.25", f(-0.25))  # SQLite parses literals like 1e-300 inexactly
sq("TEXT unicode", "'h\u00e9llo \U0001f600'", t("h\u00e9llo \U0001f600"))
sq("TEXT empty", "''", t(""))
sq("BLOB", "x'00ff10'", {"bytes_hex": "00ff10"})
sq("BLOB empty", "x''", {"bytes_hex": ""})
sq("NULL", "NULL", NULL)

# Behaviour scenarios. `$t` is a fresh table name per scenario (the suite drops it).
B = []


def sc(name, backends, steps, setup=(), teardown=()):
    case = {"name": name, "backends": backends, "setup": list(setup), "steps": steps}
    if teardown:
        case["teardown"] = list(teardown)
    B.append(case)


BOTH = ["postgres", "sqlite"]
PG_ONLY = ["postgres"]
SQLITE_ONLY = ["sqlite"]
ITEMS = "CREATE TABLE $t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER CHECK (qty >= 0))"


def step(call, sql=None, params=None, **kw):
    s = {"call": call}
    if sql is not None:
        s["sql"] = sql
    if params is not None:
        s["params"] = params
    s.update(kw)
    return s


sc(
    "fetch_one on no rows is E_NO_ROWS",
    BOTH,
    [
        step("fetch_one", "SELECT 1 AS v WHERE false", expect_error={"code": "E_NO_ROWS"}),
    ],
)
sc(
    "fetch_val on no rows is E_NO_ROWS",
    BOTH,
    [
        step("fetch_val", "SELECT 1 AS v WHERE false", expect_error={"code": "E_NO_ROWS"}),
    ],
)
sc(
    "fetch_optional on no rows is null",
    BOTH,
    [
        step("fetch_optional", "SELECT 1 AS v WHERE false", expect=None),
    ],
)
sc(
    "fetch_val gives the first column of the first row",
    BOTH,
    [
        step("fetch_val", "SELECT 'x' AS a, 2 AS b", expect=t("x")),
    ],
)
sc(
    "execute counts rows affected; fetch_all keeps order and column names",
    BOTH,
    [
        step("execute", "INSERT INTO $t (id, name, qty) VALUES (1, 'a', 5), (2, 'b', 0), (3, 'c', 9)", expect=3),
        step("execute", "UPDATE $t SET qty = qty + 1 WHERE qty < 9", expect=2),
        step("execute", "DELETE FROM $t WHERE id = 42", expect=0),
        step(
            "fetch_all",
            "SELECT id, name, qty FROM $t ORDER BY id",
            expect={
                "columns": ["id", "name", "qty"],
                "rows": [[n(1), t("a"), n(6)], [n(2), t("b"), n(1)], [n(3), t("c"), n(9)]],
            },
        ),
        step(
            "fetch_one",
            "SELECT name, qty FROM $t ORDER BY id DESC",
            expect={"columns": ["name", "qty"], "values": [t("c"), n(9)]},
        ),
    ],
    setup=[ITEMS],
)
sc(
    "unique violation is E_DB 23505 with its constraint (an integrity error)",
    PG_ONLY,
    [
        step("execute", "INSERT INTO $t (id, name) VALUES (1, 'a')", expect=1),
        step(
            "execute",
            "INSERT INTO $t (id, name) VALUES (2, 'a')",
            expect_error={
                "code": "E_DB",
                "integrity": True,
                "fields": {"sqlstate": "23505", "constraint": "$t_name_key", "table": "$t"},
            },
        ),
    ],
    setup=[ITEMS],
)
sc(
    "not-null violation is E_DB 23502 naming the column",
    PG_ONLY,
    [
        step(
            "execute",
            "INSERT INTO $t (id, name) VALUES (1, NULL)",
            expect_error={"code": "E_DB", "integrity": True, "fields": {"sqlstate": "23502", "column": "name"}},
        ),
    ],
    setup=[ITEMS],
)
sc(
    "check violation is E_DB 23514",
    PG_ONLY,
    [
        step(
            "execute",
            "INSERT INTO $t (id, name, qty) VALUES (1, 'a', -1)",
            expect_error={
                "code": "E_DB",
                "integrity": True,
                "fields": {"sqlstate": "23514", "constraint": "$t_qty_check"},
            },
        ),
    ],
    setup=[ITEMS],
)
sc(
    "SQLite unique violation is E_DB with sqlite_code 2067 (an integrity error)",
    SQLITE_ONLY,
    [
        step("execute", "INSERT INTO $t (id, name) VALUES (1, 'a')", expect=1),
        step(
            "execute",
            "INSERT INTO $t (id, name) VALUES (2, 'a')",
            expect_error={
                "code": "E_DB",
                "integrity": True,
                "fields": {"sqlite_code": 2067, "sqlite_name": "SQLITE_CONSTRAINT_UNIQUE"},
            },
        ),
    ],
    setup=[ITEMS],
)
sc(
    "SQLite not-null violation is an integrity error",
    SQLITE_ONLY,
    [
        step(
            "execute",
            "INSERT INTO $t (id, name) VALUES (1, NULL)",
            expect_error={
                "code": "E_DB",
                "integrity": True,
                "fields": {"sqlite_code": 1299, "sqlite_name": "SQLITE_CONSTRAINT_NOTNULL"},
            },
        ),
    ],
    setup=[ITEMS],
)
sc(
    "syntax error is E_DB 42601",
    PG_ONLY,
    [
        step("execute", "SELEC 1", expect_error={"code": "E_DB", "integrity": False, "fields": {"sqlstate": "42601"}}),
    ],
)
sc(
    "SQLite syntax error is E_DB with sqlite_code 1",
    SQLITE_ONLY,
    [
        step("execute", "SELEC 1", expect_error={"code": "E_DB", "integrity": False, "fields": {"sqlite_code": 1}}),
    ],
)
sc(
    "undefined table is E_DB 42P01",
    PG_ONLY,
    [
        step(
            "fetch_all",
            "SELECT * FROM fanio_no_such_table_anywhere",
            expect_error={"code": "E_DB", "fields": {"sqlstate": "42P01"}},
        ),
    ],
)
sc(
    "a parameter of the wrong type is E_INVALID_ARGUMENT with its index",
    PG_ONLY,
    [
        step(
            "fetch_val",
            "SELECT $1::int4 + $2::int4",
            [n(1), t("x")],
            expect_error={"code": "E_INVALID_ARGUMENT", "fields": {"index": 2}},
        ),
    ],
)
sc(
    "an integer out of range of its parameter is E_INVALID_ARGUMENT with its index",
    PG_ONLY,
    [
        step(
            "fetch_val",
            "SELECT $1::int2",
            [n(40000)],
            expect_error={"code": "E_INVALID_ARGUMENT", "fields": {"index": 1}},
        ),
    ],
)
sc(
    "a value SQLite cannot store is E_INVALID_ARGUMENT with its index",
    SQLITE_ONLY,
    [
        # A timestamptz: both hosts have a type for it (aware datetime, Date) and SQLite has none
        # (a date would be a plain string in JS, which SQLite stores).
        step(
            "fetch_val",
            "SELECT ? + ?",
            [big(1), {"timestamptz": "2024-01-01T00:00:00Z"}],
            expect_error={"code": "E_INVALID_ARGUMENT", "fields": {"index": 2}},
        ),
    ],
)
sc(
    "the wrong number of parameters is E_INVALID_ARGUMENT",
    BOTH,
    [
        step("fetch_val", "SELECT 1", [n(1)], expect_error={"code": "E_INVALID_ARGUMENT"}),
    ],
)
sc(
    "positional parameters bind in order",
    PG_ONLY,
    [
        step("fetch_val", "SELECT $2::text || $1::text", [t("a"), t("b")], expect=t("ba")),
    ],
)
sc(
    "SQLite positional parameters bind in order",
    SQLITE_ONLY,
    [
        step("fetch_val", "SELECT ? || ?", [t("a"), t("b")], expect=t("ab")),
    ],
)
sc(
    "SQLite named parameters bind by name",
    SQLITE_ONLY,
    [
        step("fetch_val", "SELECT :a - :b", {"b": big(2), "a": big(10)}, expect=big(8)),
    ],
)
sc(
    "execute_many sums rows affected",
    BOTH,
    [
        step(
            "execute_many",
            "INSERT INTO $t (id, name, qty) VALUES ($1, $2, $3)",
            params_seq=[[n(1), t("a"), n(1)], [n(2), t("b"), n(2)], [n(3), t("c"), n(3)]],
            expect=3,
        ),
        step("fetch_val", "SELECT sum(qty) FROM $t", expect=n(6)),
    ],
    setup=[ITEMS],
)
sc(
    "execute_many is one transaction: a failing row rolls back all",
    BOTH,
    [
        step(
            "execute_many",
            "INSERT INTO $t (id, name) VALUES ($1, $2)",
            params_seq=[[n(1), t("a")], [n(2), t("b")], [n(3), t("a")]],
            expect_error={"code": "E_DB", "integrity": True, "fields": {"row": 2}},
        ),
        step("fetch_val", "SELECT count(*) FROM $t", expect=n(0)),
    ],
    setup=[ITEMS],
)
# A statement-level trigger counts the INSERT statements the server ran: a plain INSERT
# ... VALUES goes as multi-row statements of a power-of-two number of rows each (300 =
# 256 + 32 + 8 + 4); INSERT ... SELECT one statement per row. A failing row is still named.
STMTS = "SELECT count(*) FROM $t_stmts"
sc(
    "execute_many sends a plain INSERT as multi-row statements, and names a failing row",
    PG_ONLY,
    [
        step(
            "execute_many",
            "INSERT INTO $t (id, name) VALUES ($1, $2::text)",
            params_seq=[[n(i), t(f"n{i}")] for i in range(1, 301)],
            expect=300,
        ),
        step("fetch_val", STMTS, expect=n(4)),
        step(
            "fetch_one",
            "SELECT sum(id) AS ids, count(DISTINCT name) AS names, min(qty) AS lo, max(qty) AS hi FROM $t",
            expect={"columns": ["ids", "names", "lo", "hi"], "values": [n(45150), n(300), n(7), n(7)]},
        ),
        step(
            "execute_many",
            "INSERT INTO $t (id, name) SELECT $1, $2",
            params_seq=[[n(i), t(f"n{i}")] for i in range(301, 304)],
            expect=3,
        ),
        step("fetch_val", STMTS, expect=n(7)),
        step(
            "execute_many",
            "INSERT INTO $t (id, name) VALUES ($1, $2)",
            params_seq=[[n(i), t("n5" if i == 1290 else f"n{i}")] for i in range(1000, 1300)],
            expect_error={
                "code": "E_DB",
                "integrity": True,
                "fields": {"row": 290, "sqlstate": "23505", "constraint": "$t_name_key"},
            },
        ),
        step("fetch_val", "SELECT count(*) FROM $t", expect=n(303)),
        step("fetch_val", STMTS, expect=n(7)),
    ],
    setup=[
        "CREATE TABLE $t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty INTEGER DEFAULT 7)",
        "CREATE TABLE $t_stmts (n INTEGER)",
        "CREATE FUNCTION $t_count() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN INSERT INTO $t_stmts VALUES (1); RETURN NULL; END'",
        "CREATE TRIGGER $t_count AFTER INSERT ON $t FOR EACH STATEMENT EXECUTE FUNCTION $t_count()",
    ],
    teardown=["DROP FUNCTION IF EXISTS $t_count() CASCADE", "DROP TABLE IF EXISTS $t_stmts"],
)
sc(
    "copy_records loads rows and counts them",
    BOTH,
    [
        step(
            "copy_records",
            table="$t",
            columns=["id", "name", "qty"],
            records=[[n(1), t("a"), n(1)], [n(2), t("b"), NULL]],
            expect=2,
        ),
        step(
            "fetch_all",
            "SELECT id, name, qty FROM $t ORDER BY id",
            expect={"columns": ["id", "name", "qty"], "rows": [[n(1), t("a"), n(1)], [n(2), t("b"), NULL]]},
        ),
    ],
    setup=[ITEMS],
)
sc(
    "copy_records with a row of the wrong width is E_INVALID_ARGUMENT",
    BOTH,
    [
        step(
            "copy_records",
            table="$t",
            columns=["id", "name"],
            records=[[n(1), t("a")], [n(2)]],
            expect_error={"code": "E_INVALID_ARGUMENT", "fields": {"row": 1}},
        ),
    ],
    setup=[ITEMS],
)

# TLS through the testbed's Postgres front: `url` is a testbed placeholder, `params`
# are joined onto it. A working connection answers SELECT 1.
TLS = [
    {
        "name": "verify-full trusts the given CA and checks the IP",
        "url": "$pg_tls",
        "params": ["sslmode=verify-full", "sslrootcert=$ca_pem"],
        "expect": 1,
    },
    {
        "name": "verify-full with a CA that signed nothing is E_TLS",
        "url": "$pg_tls",
        "params": ["sslmode=verify-full", "sslrootcert=$other_ca_pem"],
        "expect_error": {"code": "E_TLS", "message_has": "UnknownIssuer"},
    },
    {
        "name": "verify-ca with the system roots does not trust the testbed CA",
        "url": "$pg_tls",
        "params": ["sslmode=verify-ca"],
        "expect_error": {"code": "E_TLS", "message_has": "UnknownIssuer"},
    },
    {
        "name": "verify-full refuses a name the certificate lacks",
        "url": "$pg_tls_other_name",
        "params": ["sslmode=verify-full", "sslrootcert=$ca_pem"],
        "expect_error": {"code": "E_TLS", "message_has": "not valid for name"},
    },
    {
        "name": "verify-ca checks the chain, not the name",
        "url": "$pg_tls_other_name",
        "params": ["sslmode=verify-ca", "sslrootcert=$ca_pem"],
        "expect": 1,
    },
    {
        "name": "require encrypts without checking the certificate",
        "url": "$pg_tls",
        "params": ["sslmode=require"],
        "expect": 1,
    },
    {"name": "prefer takes the TLS the server offers", "url": "$pg_tls", "params": ["sslmode=prefer"], "expect": 1},
    {
        "name": "a bad sslrootcert path is E_INVALID_ARGUMENT before any I/O",
        "url": "$pg_tls",
        "params": ["sslmode=verify-full", "sslrootcert=/nonexistent/fanio-ca.pem"],
        "expect_error": {"code": "E_INVALID_ARGUMENT", "message_has": "sslrootcert"},
    },
]

out = {
    "postgres": {
        "setup": [
            "CREATE TYPE $schema.mood AS ENUM ('sad', 'happy')",
            "CREATE DOMAIN $schema.posint AS int4 CHECK (VALUE > 0)",
        ],
        "types": PG,
    },
    "sqlite": {"types": SQLITE},
    "scenarios": B,
    "tls": TLS,
}
path = Path(__file__).resolve().parent.parent / "db.json"
path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {path}: {len(PG)} Postgres types, {len(SQLITE)} SQLite types, {len(B)} scenarios, {len(TLS)} TLS cases")
