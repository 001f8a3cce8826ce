"""Soak run from Python (`make soak`, not part of `make test`): a mixed fan-out of HTTP
GETs to the testbed, Postgres queries and SQLite queries at limit 256, for
SOAK_MINUTES minutes (default 10), sampling the process's RSS and open file
descriptors every SOAK_SAMPLE seconds (default 10) into target/soak/soak-py.csv.

At the end it prints the RSS growth per minute after warm-up (a least-squares slope of
the samples after the first SOAK_WARMUP seconds; default a sixth of the run, between 20
and 120 s) and the range of open fds. The goal after warm-up: under 1 MB/min, fds flat.

    python bench/soak.py            # the Python run
    python bench/soak.py --plot     # plots every target/soak/soak-*.csv into soak.png
                                    # (bench/soak.mjs writes soak-node.csv)
"""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "soak"
sys.path.insert(0, str(ROOT / "tests-py"))

LIMIT = 256
BATCH = 3000
PG_URL = os.environ.get("FANIO_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def warmup_seconds(total: float) -> float:
    raw = os.environ.get("SOAK_WARMUP")
    return float(raw) if raw else min(120.0, max(20.0, total / 6))


def summarize(rows: list[dict[str, float]], total: float, who: str) -> str:
    """RSS slope (MB/min) after warm-up and the fd range, as one line."""
    warm = warmup_seconds(total)
    after = [r for r in rows if r["t_s"] >= warm] or rows[-2:]
    n = len(after)
    ts = [r["t_s"] / 60 for r in after]
    ys = [r["rss_mb"] for r in after]
    mt, my = sum(ts) / n, sum(ys) / n
    var = sum((t - mt) ** 2 for t in ts)
    slope = sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else 0.0
    fds = [int(r["fds"]) for r in after]
    all_fds = [int(r["fds"]) for r in rows]
    ops = rows[-1]["ops"]
    return (
        f"{who}: {ops:.0f} ops in {rows[-1]['t_s']:.0f} s ({ops / max(rows[-1]['t_s'], 1e-9):.0f}/s), "
        f"{rows[-1]['errors']:.0f} errors; RSS {rows[0]['rss_mb']:.1f} -> {rows[-1]['rss_mb']:.1f} MB, "
        f"after {warm:.0f} s warm-up {slope:+.2f} MB/min over {n} samples "
        f"({min(ys):.1f}-{max(ys):.1f} MB); open fds {min(fds)}-{max(fds)} after warm-up "
        f"({min(all_fds)}-{max(all_fds)} overall)"
    )


async def soak(minutes: float, sample_every: float) -> None:
    import fanio

    from testbed import testbed

    OUT.mkdir(parents=True, exist_ok=True)
    total = minutes * 60
    with testbed() as tb, tempfile.TemporaryDirectory() as tmp:
        client = fanio.Client(tb.http, timeout=30)
        lite = await fanio.connect(f"sqlite://{tmp}/soak.db", max_connections=2)
        await lite.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
        await lite.execute_many("INSERT INTO t VALUES (?, ?)", [(i, f"name {i}") for i in range(1000)])
        try:
            pg: fanio.Database | None = await asyncio.wait_for(fanio.connect(PG_URL, max_connections=4), 10)
        except (fanio.FanioError, asyncio.TimeoutError) as e:
            print(f"soak.py: no Postgres at {PG_URL} ({e}): HTTP and SQLite only")
            pg = None

        rows: list[dict[str, float]] = []
        done = errors = 0
        t0 = time.monotonic()

        def sample() -> None:
            rows.append(
                {"t_s": time.monotonic() - t0, "rss_mb": rss_mb(), "fds": open_fds(), "ops": done, "errors": errors}
            )

        async def sampler() -> None:
            while True:
                sample()
                await asyncio.sleep(sample_every)

        sampling = asyncio.create_task(sampler())
        round_ = 0
        while time.monotonic() - t0 < total:
            ops: list[fanio.Op[object]] = []
            for k in range(BATCH):
                kind = k % 3
                if kind == 0:
                    ops.append(client.get("/bytes/1024"))
                elif kind == 1 and pg is not None:
                    ops.append(pg.fetch_val("SELECT $1::int + 1", [k]))
                else:
                    ops.append(lite.fetch_one("SELECT id, name FROM t WHERE id = ?", [k % 1000]))
            # Alternate the two batch shapes: all at once, and streamed as they complete.
            if round_ % 2 == 0:
                outcomes = await fanio.settle(ops, limit=LIMIT)
                errors += sum(o.status == "rejected" for o in outcomes)
            else:
                async for _, o in fanio.as_settled(ops, limit=LIMIT):
                    errors += o.status == "rejected"
            done += len(ops)
            round_ += 1
        sampling.cancel()
        sample()
        await client.close()
        await lite.close()
        if pg is not None:
            await pg.close()

    path = OUT / "soak-py.csv"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["t_s", "rss_mb", "fds", "ops", "errors"])
        w.writeheader()
        w.writerows(rows)
    print(summarize(rows, total, "python"))
    print(f"wrote {path.relative_to(ROOT)}")


def plot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = sorted(OUT.glob("soak-*.csv"))
    if not files:
        sys.exit("no target/soak/soak-*.csv to plot: run the soak first")
    fig, (ax_rss, ax_fd) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for path in files:
        with path.open() as f:
            rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
        who = path.stem.removeprefix("soak-")
        minutes = [r["t_s"] / 60 for r in rows]
        ax_rss.plot(minutes, [r["rss_mb"] for r in rows], marker=".", label=who)
        ax_fd.plot(minutes, [r["fds"] for r in rows], marker=".", label=who)
        print(summarize(rows, rows[-1]["t_s"], who))
    ax_rss.set_ylabel("RSS (MB)")
    ax_fd.set_ylabel("open fds")
    ax_fd.set_xlabel("minutes")
    for ax in (ax_rss, ax_fd):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(f"fanio soak: HTTP + Postgres + SQLite fan-out at limit {LIMIT}")
    fig.tight_layout()
    out = OUT / "soak.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    if "--plot" in sys.argv:
        plot()
    else:
        asyncio.run(soak(float(os.environ.get("SOAK_MINUTES", "10")), float(os.environ.get("SOAK_SAMPLE", "10"))))
