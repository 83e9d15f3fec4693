#!/usr/bin/env python3
"""Soak and fault runs against the released `sitepack serve` (issue 12 item 2), on 127.0.0.1 only.

Run it through benchmarks/soak.sh (which raises the open-file limit and unmounts what part 7 mounts).
Each part prints its figures and one verdict line `PASS`/`FAIL`/`SKIPPED` against the issue's bar; the
exit status is 1 when any part failed. Python 3.11 standard library only.

Parts (PARTS=herd,loris,stall,vanish,sigterm,kill9,diskfull picks some):
  herd      HERD_CONNS (1000) clients download the artifact at once, at least twice each and again until
            HERD_SECONDS (30) have passed, while HERD_VERSIONS (3) new versions are published into the server
            (`sitepack publish --to URL`); every second download follows /sites/<name>/latest to the newest.
            Every body's sha256 must be the digest in its URL, 0 errors.
  loris     LORIS_CONNS (300) connections dribble request headers a byte every LORIS_INTERVAL (0.5 s),
            reconnecting when closed; the p99 latency of real 1 KiB requests (new connection each, paced at
            PROBE_RATE/s) under them must be <= 2x the idle p99 of the same run (LORIS_SECONDS per phase,
            best of LORIS_ROUNDS (3) quiet rounds, at most LORIS_MAX_ROUNDS (8) tried: a round counts when other
            processes used at most LORIS_QUIET (0.15) of a core meanwhile; the slowloris connections are opened
            over LORIS_RAMP, 10 s, serve's header timeout, before each measured phase, so they time out and
            reconnect steadily).
  stall     STALL_CONNS (500) GETs of the artifact that never read a byte, held STALL_SECONDS (30); the
            server's VmRSS, sampled every 0.25 s, must grow less than STALL_BOUND_MIB (64) MiB.
  vanish    VANISH_CONNS (1000) downloads cut mid-body (RST via SO_LINGER 0, some RST before the answer,
            some FIN): the server must stay up and then serve the artifact byte-exactly.
  sigterm   SIGTERM_CONNS (50) slow downloads (each paced to take SIGTERM_DOWNLOAD_SECONDS, 8) in flight at
            SIGTERM with --grace-period GRACE (30s): all must finish whole, new connections be refused, exit 0.
  kill9     kill -9 of serve in the middle of an upload body, and after the archive but before its manifest,
            and of `sitepack build -o` in the middle of a build: after a restart no partial version is
            visible, the crash's leftovers are gone (an accepted archive waiting for its manifest is kept
            for an hour), and the versions can be published again.
  diskfull  (root) a DISKFULL_MB (32) MiB tmpfs holding a store with a good version; a larger site is built
            into it, published into it as a folder, and published into a serve of it (--min-free 0), and a
            chunked PUT runs out of space: each a clear error, the good version intact, nothing left behind.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITEPACK = os.environ.get("SITEPACK", str(ROOT / ".build/release/sitepack"))
DOCS = os.environ.get("DOCS", "/usr/share/doc/python3.11/html")
MIB = 1 << 20


def knob(name: str, default):
    value = os.environ.get(name)
    return default if value is None else type(default)(value)


def now() -> float:
    return time.monotonic()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
    return ordered[int(index)]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (all cores; /proc/stat, idle and iowait left out)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}: {result.stderr.strip()[-800:]}")
    return result


def build(site: Path, store: Path, name: str) -> str:
    """`sitepack build SITE -o STORE --name NAME` → the new version's sha256."""
    out = run(SITEPACK, "build", str(site), "-o", str(store), "--name", name, "--follow-symlinks", "--quiet").stdout
    return out.split()[0]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def leftovers(store: Path) -> list[str]:
    """Hidden temporary entries (`.tmp-*`, `.gc-*`) anywhere in a store's site folders."""
    sites = store / "sites"
    if not sites.is_dir():
        return []
    return sorted(str(p.relative_to(store)) for site in sites.iterdir() for p in site.iterdir()
                  if p.name.startswith((".tmp-", ".gc-")))


def random_site(path: Path, megabytes: int, seed: int, files: int = 16) -> None:
    """A site of incompressible bytes (seeded), so its archive is as large as the site."""
    generator = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    (path / "index.html").write_text(f"<h1>soak {seed}</h1>\n")
    per_file = max(1, megabytes * MIB // files)
    for i in range(files):
        (path / f"blob-{i:03}.bin").write_bytes(generator.randbytes(per_file))


class Serve:
    """A `sitepack serve STORE --host 127.0.0.1 --port 0` child; its port is read from stderr."""

    def __init__(self, store: Path, work: Path, *extra: str, label: str = "serve"):
        self.store = store
        self.stderr_path = work / f"{label}-{int(time.time() * 1000)}.err"
        self.stdout_path = self.stderr_path.with_suffix(".out")
        self.process = subprocess.Popen(
            [SITEPACK, "serve", str(store), "--host", "127.0.0.1", "--port", "0", "--access-log", "off", *extra],
            stdout=open(self.stdout_path, "w"), stderr=open(self.stderr_path, "w"))
        self.pid = self.process.pid
        deadline = now() + 60
        while True:
            match = re.search(r"on http://127\.0\.0\.1:([0-9]+)", self.stderr_path.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
                break
            if self.process.poll() is not None or now() > deadline:
                raise RuntimeError(f"serve did not start: {self.stderr_path.read_text(errors='replace')[-800:]}")
            time.sleep(0.05)
        while http_get(self.port, "/healthz")[0] != 200:
            if now() > deadline:
                raise RuntimeError("serve does not answer /healthz")
            time.sleep(0.05)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def metric(self, name: str) -> float:
        status, _, body = http_get(self.port, "/metrics")
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return float("nan")

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill9(self) -> None:
        self.process.kill()
        self.process.wait()


def http_request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                 timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """One blocking HTTP/1.1 request on a new connection (Connection: close) → status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        for key, value in (headers or {}).items():
            head += f"{key}: {value}\r\n"
        if body or method in ("PUT", "POST"):
            head += f"Content-Length: {len(body)}\r\n"
        sock.sendall(head.encode() + b"\r\n" + body)
        data = bytearray()
        while chunk := sock.recv(MIB):
            data += chunk
    head_bytes, _, rest = bytes(data).partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if method != "HEAD" and "content-length" in fields:
        rest = rest[:int(fields["content-length"])]
    return status, fields, rest


def http_get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        return http_request(port, "GET", path)
    except OSError:
        return 0, {}, b""


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    return status, {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}


async def open_loopback(port: int, rcvbuf: int | None = None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock, limit=4 * MIB)


def rst_close(writer: asyncio.StreamWriter) -> None:
    """Closes with SO_LINGER 0: the peer gets an RST, not a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def download(port: int, path: str, rate: float | None = None, rcvbuf: int | None = None,
                   on_first_byte=None) -> tuple[int, dict[str, str], int, str]:
    """GET PATH on a new connection, hashing the body → status, headers, body length, sha256 hex.
    With RATE (bytes/s), the body is read no faster than that."""
    reader, writer = await open_loopback(port, rcvbuf)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        status, headers = await read_head(reader)
        length = int(headers.get("content-length", "0"))
        digest = hashlib.sha256()
        received = 0
        start = now()
        while received < length:
            chunk = await reader.read(min(length - received, 64 * 1024 if rate else 4 * MIB))
            if not chunk:
                break
            if received == 0 and on_first_byte:
                on_first_byte()
            digest.update(chunk)
            received += len(chunk)
            if rate:
                ahead = received / rate - (now() - start)
                if ahead > 0:
                    await asyncio.sleep(ahead)
        return status, headers, received, digest.hexdigest()
    finally:
        writer.close()


class Results:
    def __init__(self):
        self.verdicts: list[tuple[str, str, str]] = []

    def verdict(self, part: str, ok: bool | None, figure: str, why: str = "") -> None:
        word = "SKIPPED" if ok is None else ("PASS" if ok else "FAIL")
        self.verdicts.append((part, word, figure + (f" ({why})" if why else "")))
        print(f"==> {part}: {word} — {figure}" + (f" ({why})" if why else ""), flush=True)


# ---------------------------------------------------------------- part 1: herd while publishing

def part_herd(work: Path, results: Results, site: Path) -> None:
    conns, seconds, versions = knob("HERD_CONNS", 1000), knob("HERD_SECONDS", 30.0), knob("HERD_VERSIONS", 3)
    source, store, token = work / "herd-source", work / "herd-store", work / "token"
    token.write_text(os.urandom(32).hex() + "\n")
    token.chmod(0o600)
    copy = work / "herd-site"
    shutil.copytree(site, copy, symlinks=False, ignore_dangling_symlinks=True)
    (copy / "soak-version.txt").write_text("0\n")
    first = build(copy, store, "soak")
    shas = []
    for v in range(1, versions + 1):  # the versions to publish, built before the measured window
        (copy / "soak-version.txt").write_text(f"{v}\n")
        shas.append(build(copy, source, "soak"))
    size = (store / "sites/soak" / first / "content.tar.gz").stat().st_size
    serve = Serve(store, work, "--publish-token-file", str(token), label="herd")
    print(f"herd: {conns} clients for {seconds:.0f} s, artifact {size / MIB:.1f} MiB, "
          f"{versions} versions published over HTTP (sitepack publish --to {serve.origin})", flush=True)
    rss_start = rss_kib(serve.pid)

    known = [f"/sites/soak/{first}/content.tar.gz"]
    stats = {"downloads": 0, "bytes": 0, "latest": 0, "errors": 0, "in_flight": 0, "peak_in_flight": 0}
    per_version: dict[str, int] = {}
    errors: list[str] = []
    publishes: list[str] = []
    rss_peak = [rss_start]

    async def client(index: int, deadline: float) -> None:
        n = 0
        while n < 2 or now() < deadline:  # the second one asks latest, after the first publishes
            try:
                if n % 2 == 1:  # ask latest, as an agent with a latest URL would
                    reader, writer = await open_loopback(serve.port)
                    writer.write(f"GET /sites/soak/latest/content.tar.gz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    status, headers = await read_head(reader)
                    writer.close()
                    if status != 307 or "location" not in headers:
                        raise RuntimeError(f"latest answered {status}")
                    path = headers["location"]
                    stats["latest"] += 1
                else:
                    path = random.choice(known)
                stats["in_flight"] += 1
                stats["peak_in_flight"] = max(stats["peak_in_flight"], stats["in_flight"])
                try:
                    status, headers, received, digest = await download(serve.port, path)
                finally:
                    stats["in_flight"] -= 1
                expected = path.split("/")[-2]
                if status != 200 or received != int(headers.get("content-length", -1)) or digest != expected:
                    raise RuntimeError(f"{path}: status {status}, {received} bytes, sha256 {digest[:12]}…")
                stats["downloads"] += 1
                stats["bytes"] += received
                per_version[expected] = per_version.get(expected, 0) + 1
            except Exception as error:  # noqa: BLE001 — every failure is counted and shown
                stats["errors"] += 1
                if len(errors) < 5:
                    errors.append(f"client {index}: {error!r}")
            n += 1

    async def publisher(start: float) -> None:
        for i, sha in enumerate(shas):
            await asyncio.sleep(max(0.0, start + seconds * (i + 1) / (versions + 1) - now()))
            t0 = now()
            proc = await asyncio.create_subprocess_exec(
                SITEPACK, "publish", str(source), "--to", serve.origin, "--token-file", str(token),
                "--name", "soak", "--sha256", sha, "--quiet",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await proc.communicate()
            took = now() - t0
            if proc.returncode != 0:
                stats["errors"] += 1
                errors.append(f"publish {sha[:12]} exited {proc.returncode}: {err.decode().strip()[-300:]}")
            else:
                known.append(f"/sites/soak/{sha}/content.tar.gz")
                publishes.append(f"{sha[:12]} in {took:.2f} s at t={t0 - start:.1f} s ({stats['in_flight']} downloads in flight)")

    async def sampler(stop: asyncio.Event) -> None:
        while not stop.is_set():
            rss_peak[0] = max(rss_peak[0], rss_kib(serve.pid))
            await asyncio.sleep(0.25)

    async def main() -> float:
        start = now()
        stop = asyncio.Event()
        sample = asyncio.create_task(sampler(stop))
        await asyncio.gather(publisher(start), *(client(i, start + seconds) for i in range(conns)))
        stop.set()
        await sample
        return now() - start

    elapsed = asyncio.run(main())
    alive = serve.process.poll() is None
    rc = serve.stop()
    for line in publishes:
        print(f"  published {line}")
    for line in errors:
        print(f"  error: {line}")
    late = sum(count for sha, count in per_version.items() if sha != first)
    print(f"  {stats['downloads']} downloads ({stats['latest']} through latest), {stats['bytes'] / 1e9:.1f} GB in "
          f"{elapsed:.1f} s ({stats['bytes'] / elapsed / 1e9:.2f} GB/s), peak {stats['peak_in_flight']} in flight; "
          f"{late} of the published versions; serve RSS {rss_start // 1024} → peak {rss_peak[0] // 1024} MiB")
    ok = (stats["errors"] == 0 and len(publishes) == versions and stats["peak_in_flight"] >= conns
          and late > 0 and alive and rc == 0)
    results.verdict("1 herd while publishing", ok,
                    f"{stats['downloads']} downloads ({stats['peak_in_flight']} at once), {len(publishes)}/{versions} "
                    f"versions published during them ({late} downloads of those), {stats['errors']} errors, every sha256 = its URL's",
                    "bar: 0 errors, every body's sha256 equal to the digest in its URL")


# ---------------------------------------------------------------- part 2: slowloris

def probe_main(port: int, seconds: float, rate: float, threads: int) -> None:
    """Child process: real 1 KiB requests, a new connection each, paced; prints latencies (ms) as JSON."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = now() + seconds
    interval = threads / rate
    request = f"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()

    def worker(offset: float) -> None:
        due = now() + offset
        while due < deadline:
            pause = due - now()
            if pause > 0:
                time.sleep(pause)
            t0 = now()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    sock.sendall(request)
                    data = b""
                    while chunk := sock.recv(65536):
                        data += chunk
                ok = data.startswith(b"HTTP/1.1 200") and len(data) > 1024
            except OSError:
                ok = False
            elapsed = (now() - t0) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    failures[0] += 1
            due += interval

    pool = [threading.Thread(target=worker, args=(i * interval / threads,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"latencies": latencies, "failures": failures[0]}))


def loris_main(port: int, conns: int, seconds: float, interval: float, ramp: float) -> None:
    """Child process: CONNS connections dribbling a request head, one byte per connection every INTERVAL,
    each reconnected when the server closes it; the connections are opened evenly over RAMP seconds (a
    steady state: as many time out and reconnect each second); prints "ready" once all are open, then,
    at SIGTERM or after SECONDS more, its counters as JSON.
    One ticker writes the bytes and the connections are plain protocols, so the attacker itself costs
    little CPU (its cost would otherwise show as latency of the real requests on this shared machine)."""
    stats = {"connects": 0, "closed_by_server": 0, "answers": {}, "connect_errors": 0, "bytes": 0}
    head = b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    filler = b"X-Slow-Loris: " + b"a" * 40 + b"\r\n"
    live: set = set()

    class Loris(asyncio.Protocol):
        def __init__(self):
            self.transport = None
            self.position = 0
            self.answered = False
            self.slot = random.randrange(50)

        def connection_made(self, transport):
            self.transport = transport
            stats["connects"] += 1
            live.add(self)

        def data_received(self, data):
            if not self.answered and data.startswith(b"HTTP/"):
                code = data.split(b" ", 2)[1].decode(errors="replace")
                stats["answers"][code] = stats["answers"].get(code, 0) + 1
                self.answered = True

        def connection_lost(self, exc):
            live.discard(self)
            stats["closed_by_server"] += 1
            if not stopping.is_set():
                asyncio.get_running_loop().create_task(connect())

        def dribble(self):
            p = self.position
            byte = head[p:p + 1] if p < len(head) else filler[(p - len(head)) % len(filler):][:1]
            self.transport.write(byte)
            self.position += 1
            stats["bytes"] += 1

    stopping = asyncio.Event()

    async def connect() -> None:
        while not stopping.is_set():
            try:
                await asyncio.get_running_loop().create_connection(Loris, "127.0.0.1", port)
                return
            except OSError:
                stats["connect_errors"] += 1
                await asyncio.sleep(interval)

    async def ticker(deadline: float) -> None:
        # Each connection writes once per INTERVAL, spread over it in SLOTS steps, as independent
        # attackers would (one burst of all of them at once would measure a synchronised burst instead).
        slots, tick = 50, 0
        while now() < deadline and not stopping.is_set():
            for connection in list(live):
                if connection.slot == tick % slots and not connection.transport.is_closing():
                    connection.dribble()
            tick += 1
            await asyncio.sleep(interval / slots)

    async def main() -> None:
        deadline = now() + ramp + seconds
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        tick = asyncio.create_task(ticker(deadline))
        connecting = []
        for _ in range(conns):  # spread over RAMP, so the server's header timeouts (and reconnects) are too
            connecting.append(asyncio.create_task(connect()))
            await asyncio.sleep(ramp / conns)
        await asyncio.gather(*connecting)
        print("ready", flush=True)
        await tick
        stopping.set()
        for connection in list(live):
            connection.transport.abort()
        await asyncio.sleep(0.1)

    asyncio.run(main())
    print(json.dumps(stats), flush=True)


def part_loris(work: Path, results: Results, site: Path) -> None:
    conns, seconds, rounds = knob("LORIS_CONNS", 300), knob("LORIS_SECONDS", 8.0), knob("LORIS_ROUNDS", 3)
    interval, rate, threads = knob("LORIS_INTERVAL", 0.5), knob("PROBE_RATE", 400.0), knob("PROBE_THREADS", 4)
    ramp = knob("LORIS_RAMP", 10.0)  # serve's default --header-timeout: connections open that long before measuring
    # A round counts only when other processes (outside serve, the probe and the slowloris) used at most
    # LORIS_QUIET of a core during both phases: a sub-millisecond p99 measures the neighbours otherwise.
    quiet_limit, max_rounds = knob("LORIS_QUIET", 0.15), knob("LORIS_MAX_ROUNDS", 8)
    folder = work / "loris-www"
    folder.mkdir()
    (folder / "1k.bin").write_bytes(os.urandom(1024))
    serve = Serve(folder, work, label="loris")
    print(f"loris: {conns} slowloris connections (a byte every {interval} s), real 1 KiB requests at {rate:.0f}/s "
          f"on {threads} threads, {seconds:.0f} s a phase, {rounds} rounds; the slowloris connections opened over {ramp:.0f} s "
          f"before each measured phase (serve's default --header-timeout, 10s, then closes and they reconnect as many a second)",
          flush=True)

    def probe(loris_pid: int | None = None) -> tuple[float, int, int, float]:
        """→ p99, requests, failures, and the CPU seconds per second that processes other than serve,
        the probe and the slowloris used meanwhile (another agent's build on this shared machine)."""
        marks = (busy_seconds(), cpu_seconds(serve.pid), cpu_seconds(loris_pid) if loris_pid else 0.0,
                 resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF), now())
        out = run(sys.executable, __file__, "--probe", str(serve.port), str(seconds), str(rate), str(threads),
                  timeout=seconds * 4 + 60).stdout
        children, me = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        serve_cpu.append(cpu_seconds(serve.pid) - marks[1])
        ours = (serve_cpu[-1] + ((cpu_seconds(loris_pid) - marks[2]) if loris_pid else 0.0)
                + children.ru_utime + children.ru_stime - marks[3].ru_utime - marks[3].ru_stime
                + me.ru_utime + me.ru_stime - marks[4].ru_utime - marks[4].ru_stime)
        other = max(0.0, busy_seconds() - marks[0] - ours) / (now() - marks[5])
        data = json.loads(out)
        return percentile(data["latencies"], 99), len(data["latencies"]), data["failures"], other

    idle, busy, failures, loris_stats, answers, serve_cpu = [], [], 0, {}, {}, []
    attempts = 0
    while len(idle) < rounds and attempts < max_rounds:
        attempts += 1
        p99, n, failed, other_idle = probe()
        failures += failed
        loris = subprocess.Popen([sys.executable, __file__, "--loris", str(serve.port), str(conns),
                                  str(seconds + 60), str(interval), str(ramp)], stdout=subprocess.PIPE, text=True)
        assert loris.stdout is not None
        line = loris.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"slowloris did not connect: {line!r}")
        open_during = serve.metric("sitepack_http_open_connections")
        p99_busy, n_busy, failed, other_busy = probe(loris.pid)
        open_after = serve.metric("sitepack_http_open_connections")
        failures += failed
        loris.send_signal(signal.SIGTERM)
        counters = json.loads(loris.communicate(timeout=60)[0].splitlines()[-1])
        for key in ("connects", "closed_by_server", "connect_errors"):
            loris_stats[key] = loris_stats.get(key, 0) + counters[key]
        for code, count in counters["answers"].items():
            answers[code] = answers.get(code, 0) + count
        quiet = max(other_idle, other_busy) <= quiet_limit
        if quiet:
            idle.append(p99)
            busy.append(p99_busy)
        print(f"  round {attempts}: idle p99 {p99:.3f} ms ({n} requests); under slowloris p99 {p99_busy:.3f} ms ({n_busy} "
              f"requests, {p99_busy / p99:.2f}x); server's open connections {open_during:.0f} at start, {open_after:.0f} "
              f"at end; serve's CPU time {serve_cpu[-2]:.2f} s idle, {serve_cpu[-1]:.2f} s under slowloris; other processes "
              f"{other_idle:.2f} / {other_busy:.2f} cores{'' if quiet else ' — busy machine, round not counted'}", flush=True)
    if not idle:
        results.verdict("2 slowloris", None, f"no quiet round in {attempts}",
                        f"other processes used more than {quiet_limit} of a core in every round; run it on a quieter machine")
        serve.stop()
        return
    alive = serve.process.poll() is None
    rc = serve.stop()
    best_idle, best_busy = min(idle), min(busy)
    ratio = best_busy / best_idle if best_idle else float("inf")
    print(f"  slowloris, all rounds: {loris_stats['connects']} connections, {loris_stats['closed_by_server']} closed "
          f"(by the server's header timeout, or at the end of a round), answers before closing: {answers or 'none'}, "
          f"{loris_stats['connect_errors']} connect errors")
    results.verdict("2 slowloris", failures == 0 and ratio <= 2.0 and alive and rc == 0,
                    f"p99 of 1 KiB requests idle {best_idle:.3f} ms, under {conns} slowloris {best_busy:.3f} ms, "
                    f"ratio {ratio:.2f}x, {failures} failed requests, {len(idle)} quiet rounds of {attempts}",
                    "bar: ratio <= 2x, best quiet round of each")


# ---------------------------------------------------------------- part 3: clients that stop reading

def part_stall(work: Path, results: Results, site: Path) -> None:
    conns, seconds, bound = knob("STALL_CONNS", 500), knob("STALL_SECONDS", 30.0), knob("STALL_BOUND_MIB", 64)
    store = work / "stall-store"
    sha = build(site, store, "soak")
    size = (store / "sites/soak" / sha / "content.tar.gz").stat().st_size
    path = f"/sites/soak/{sha}/content.tar.gz"
    (store / "1k.bin").write_bytes(os.urandom(1024))
    serve = Serve(store, work, label="stall")
    asyncio.run(download(serve.port, path))  # warm: the catalog, the file cache
    start = rss_kib(serve.pid)
    print(f"stall: {conns} GETs of a {size / MIB:.1f} MiB artifact that read nothing, held {seconds:.0f} s "
          f"({conns * size / 1e9:.1f} GB asked for); serve RSS sampled every 0.25 s", flush=True)
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", serve.port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        socks.append(s)
    peak, samples, deadline = start, [], now() + seconds
    small_ok, small_worst = 0, 0.0
    while now() < deadline:
        value = rss_kib(serve.pid)
        peak = max(peak, value)
        samples.append(value)
        t0 = now()
        status, _, body = http_get(serve.port, "/1k.bin")
        small_worst = max(small_worst, (now() - t0) * 1000)
        small_ok += status == 200 and len(body) == 1024
        time.sleep(0.25)
    open_connections = serve.metric("sitepack_http_open_connections")
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    time.sleep(2)
    end = rss_kib(serve.pid)
    alive = serve.process.poll() is None
    rc = serve.stop()
    growth = (peak - start) / 1024
    print(f"  serve VmRSS start {start / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, end {end / 1024:.1f} MiB "
          f"({len(samples)} samples); {open_connections:.0f} connections open at the end of the stall; 1 KiB requests meanwhile: {small_ok}/{len(samples)} ok, "
          f"worst {small_worst:.1f} ms")
    results.verdict("3 clients that stop reading", growth < bound and alive and rc == 0 and small_ok == len(samples),
                    f"RSS {start / 1024:.1f} → peak {peak / 1024:.1f} → end {end / 1024:.1f} MiB (growth {growth:.1f} MiB) "
                    f"with {conns} stalled downloads",
                    f"bar: growth < {bound} MiB; buffering each stalled response would need {conns * size / MIB:.0f} MiB, "
                    "the kernel's socket buffers are not the server's RSS")


# ---------------------------------------------------------------- part 4: clients that vanish mid-body

def part_vanish(work: Path, results: Results, site: Path) -> None:
    conns, concurrency = knob("VANISH_CONNS", 1000), knob("VANISH_CONCURRENCY", 200)
    store = work / "vanish-store"
    sha = build(site, store, "soak")
    size = (store / "sites/soak" / sha / "content.tar.gz").stat().st_size
    path = f"/sites/soak/{sha}/content.tar.gz"
    serve = Serve(store, work, label="vanish")
    start = rss_kib(serve.pid)
    counts = {"rst_mid_body": 0, "rst_before_answer": 0, "fin_mid_body": 0, "connect_errors": 0}
    read_bytes = [0]

    async def one(i: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            try:
                reader, writer = await open_loopback(serve.port)
            except OSError:
                counts["connect_errors"] += 1
                return
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await writer.drain()
            shape = i % 10
            if shape == 0:  # gone before the answer
                rst_close(writer)
                counts["rst_before_answer"] += 1
                return
            await read_head(reader)
            want = random.randint(1, size // 2)
            got = 0
            while got < want:
                chunk = await reader.read(want - got)
                if not chunk:
                    break
                got += len(chunk)
            read_bytes[0] += got
            if shape == 1:  # a polite close mid-body
                writer.close()
                counts["fin_mid_body"] += 1
            else:
                rst_close(writer)
                counts["rst_mid_body"] += 1

    async def main() -> None:
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(one(i, gate) for i in range(conns)))

    t0 = now()
    asyncio.run(main())
    elapsed = now() - t0
    deadline = now() + 30
    while serve.metric("sitepack_http_open_connections") > 1 and now() < deadline:
        time.sleep(0.2)
    open_after = serve.metric("sitepack_http_open_connections")
    alive = serve.process.poll() is None
    status, headers, received, digest = asyncio.run(download(serve.port, path))
    exact = status == 200 and received == size and digest == sha
    end = rss_kib(serve.pid)
    rc = serve.stop()
    print(f"  {conns} clients in {elapsed:.1f} s ({concurrency} at a time): {counts['rst_mid_body']} RST mid-body, "
          f"{counts['rst_before_answer']} RST before the answer, {counts['fin_mid_body']} FIN mid-body, "
          f"{counts['connect_errors']} connect errors; {read_bytes[0] / 1e9:.1f} GB read before vanishing; "
          f"{open_after:.0f} connection(s) open afterwards (the /metrics one); RSS {start // 1024} → {end // 1024} MiB")
    results.verdict("4 clients that vanish mid-body", alive and exact and rc == 0 and counts["connect_errors"] == 0 and open_after <= 1,
                    f"{conns - counts['connect_errors']} vanished clients, server up, next download "
                    f"{'byte-exact' if exact else f'WRONG (status {status}, {received} bytes)'}",
                    "bar: still up, every connection released, the artifact served byte-exactly after")


# ---------------------------------------------------------------- part 5: SIGTERM during downloads

def part_sigterm(work: Path, results: Results, site: Path) -> None:
    conns, download_seconds, grace = knob("SIGTERM_CONNS", 50), knob("SIGTERM_DOWNLOAD_SECONDS", 8.0), knob("GRACE", "30s")
    store = work / "sigterm-store"
    sha = build(site, store, "soak")
    size = (store / "sites/soak" / sha / "content.tar.gz").stat().st_size
    path = f"/sites/soak/{sha}/content.tar.gz"
    serve = Serve(store, work, "--grace-period", grace, label="sigterm")
    grace_seconds = float(re.sub(r"[a-z]+$", "", grace)) * {"ms": 0.001, "s": 1, "m": 60}[re.sub(r"^[0-9.]+", "", grace)]
    started = [0]
    probes = {"refused": 0, "answered": 0, "other": 0}
    events: dict[str, float] = {}

    async def probe_loop(stop: asyncio.Event) -> None:
        await asyncio.sleep(0.5)
        while not stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", serve.port), 5)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = await asyncio.wait_for(reader.read(100), 5)
                writer.close()
                probes["answered" if data.startswith(b"HTTP/") else "other"] += 1
            except ConnectionRefusedError:
                probes["refused"] += 1
            except (OSError, asyncio.TimeoutError):
                probes["other"] += 1
            await asyncio.sleep(0.2)

    async def main() -> list:
        rate = size / download_seconds
        tasks = [asyncio.create_task(download(serve.port, path, rate=rate, rcvbuf=64 * 1024,
                                              on_first_byte=lambda: started.__setitem__(0, started[0] + 1)))
                 for _ in range(conns)]
        while started[0] < conns:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)
        events["sigterm"] = now()
        serve.process.send_signal(signal.SIGTERM)
        stop = asyncio.Event()
        prober = asyncio.create_task(probe_loop(stop))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        events["downloads_done"] = now()
        while serve.process.poll() is None and now() - events["sigterm"] < grace_seconds + 30:
            await asyncio.sleep(0.05)
        events["exited"] = now()
        stop.set()
        await prober
        return outcomes

    outcomes = asyncio.run(main())
    rc = serve.stop()
    whole = sum(1 for o in outcomes if not isinstance(o, BaseException) and o[0] == 200 and o[2] == size and o[3] == sha)
    failures = [repr(o) if isinstance(o, BaseException) else f"status {o[0]}, {o[2]} bytes" for o in outcomes
                if isinstance(o, BaseException) or not (o[0] == 200 and o[2] == size and o[3] == sha)]
    finished_after = events["downloads_done"] - events["sigterm"]
    exited_after = events["exited"] - events["sigterm"]
    print(f"  {conns} downloads paced to {download_seconds:.0f} s each, SIGTERM 1 s after all had started; "
          f"grace period {grace}; last download done {finished_after:.1f} s after SIGTERM, serve exited "
          f"{exited_after:.1f} s after SIGTERM with status {rc}; new connections after SIGTERM: {probes['refused']} refused, "
          f"{probes['answered']} answered, {probes['other']} other")
    for line in failures[:5]:
        print(f"  failed download: {line}")
    ok = (whole == conns and rc == 0 and probes["answered"] == 0 and probes["refused"] > 0
          and exited_after <= grace_seconds + 2 and finished_after > 1)
    results.verdict("5 SIGTERM during downloads", ok,
                    f"{whole}/{conns} in-flight downloads finished whole {finished_after:.1f} s after SIGTERM, "
                    f"{probes['refused']} new connections refused / {probes['answered']} answered, exit {rc} "
                    f"{exited_after:.1f} s after SIGTERM",
                    f"bar: all finish within --grace-period {grace}, no new connection answered, exit 0")


# ---------------------------------------------------------------- part 6: kill -9 during upload and build

def put_raw(port: int, token: str, path: str, body: bytes, send: int | None = None) -> socket.socket:
    """Starts a PUT of BODY with its full Content-Length but sends only SEND bytes of it; returns the socket."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode())
    sock.sendall(body[:len(body) if send is None else send])
    return sock


def wait_for(condition, seconds: float = 30, step: float = 0.01) -> bool:
    deadline = now() + seconds
    while now() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def part_kill9(work: Path, results: Results, site: Path) -> None:
    upload_mb = knob("KILL9_UPLOAD_MB", 64)
    store, source, token = work / "kill9-store", work / "kill9-source", work / "kill9-token"
    token.write_text(os.urandom(32).hex() + "\n")
    secret = token.read_text().strip()
    good = build(site, store, "soak")
    big_site = work / "kill9-big-site"
    random_site(big_site, upload_mb, seed=6)
    big = build(big_site, source, "soak")
    big_archive = (source / "sites/soak" / big / "content.tar.gz").read_bytes()
    small_site = work / "kill9-small-site"
    random_site(small_site, 1, seed=7, files=2)
    small = build(small_site, source, "soak")
    small_dir = source / "sites/soak" / small
    checks: list[tuple[str, bool]] = []
    site_folder = store / "sites/soak"

    def invisible(serve: Serve, sha: str) -> bool:
        listed = json.loads(http_get(serve.port, "/sites")[2])["artifacts"]
        latest = http_request(serve.port, "GET", "/sites/soak/latest/content.tar.gz")[1].get("location", "")
        return (http_get(serve.port, f"/sites/soak/{sha}/content.tar.gz")[0] == 404
                and http_get(serve.port, f"/sites/soak/{sha}/manifest.json")[0] == 404
                and all(a["sha256"] != sha for a in listed) and good in latest)

    # a) kill -9 in the middle of the archive's body
    serve = Serve(store, work, "--publish-token-file", str(token), "--min-free", "0", label="kill9")
    sock = put_raw(serve.port, secret, f"/sites/soak/{big}/content.tar.gz", big_archive, send=len(big_archive) // 2)
    temp_seen = wait_for(lambda: any(p.name.startswith(".tmp-upload-") and p.stat().st_size > 0
                                     for p in site_folder.iterdir()))
    time.sleep(0.3)
    serve.kill9()
    sock.close()
    after_a = leftovers(store)
    serve = Serve(store, work, "--publish-token-file", str(token), "--min-free", "0", label="kill9")
    after_restart_a = leftovers(store)
    checks.append((f"a: mid-body kill, version invisible after restart, partial upload removed by the restart ({after_restart_a or 'none left'})",
                   temp_seen and invisible(serve, big) and bool(after_a) and not after_restart_a))

    # b) kill -9 after the archive was accepted (waiting for its manifest)
    status_archive = http_request(serve.port, "PUT", f"/sites/soak/{small}/content.tar.gz",
                                  (small_dir / "content.tar.gz").read_bytes(), {"Authorization": f"Bearer {secret}"})[0]
    status_checksum = http_request(serve.port, "PUT", f"/sites/soak/{small}/content.tar.gz.sha256",
                                   (small_dir / "content.tar.gz.sha256").read_bytes(), {"Authorization": f"Bearer {secret}"})[0]
    pending = any(p.name == f".tmp-upload-{small}.tar.gz" for p in site_folder.iterdir())
    serve.kill9()
    after_b = leftovers(store)
    serve = Serve(store, work, "--publish-token-file", str(token), "--min-free", "0", label="kill9")
    after_restart_b = leftovers(store)
    checks.append((f"b: the accepted archive (whole, digest checked) is what the restart keeps: {after_restart_b}",
                   [Path(p).name for p in after_restart_b] == [f".tmp-upload-{small}.tar.gz"]))
    checks.append((f"b: archive accepted ({status_archive}, checksum {status_checksum}, pending file {pending}) then kill, "
                   "version invisible after restart", status_archive == 201 and pending and invisible(serve, small)))

    # c) kill -9 of `sitepack build -o` of the big site into the served store, mid-build
    build_proc = subprocess.Popen([SITEPACK, "build", str(big_site), "-o", str(store), "--name", "soak", "--quiet"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    staged = wait_for(lambda: any(p.name.startswith(".tmp-") and not p.name.startswith(".tmp-upload-")
                                  for p in site_folder.iterdir()), step=0.002)
    build_proc.kill()
    build_proc.wait()
    after_c = leftovers(store)
    checks.append((f"c: build killed mid-build (staging folder seen: {staged}), version invisible",
                   staged and invisible(serve, big) and not (site_folder / big).exists()))
    serve.kill9()
    serve = Serve(store, work, "--publish-token-file", str(token), "--min-free", "0", label="kill9")
    after_restart_c = [p for p in leftovers(store) if not Path(p).name.startswith(f".tmp-upload-{small}")]
    checks.append((f"c: the killed build's staging folder removed by the next restart ({after_restart_c or 'none left'})",
                   not after_restart_c))

    # After the crashes: the versions can be published again, whole.
    published = run(SITEPACK, "publish", str(source), "--to", serve.origin, "--token-file", str(token), "--all", "--quiet",
                    check=False)
    exact = all(asyncio.run(download(serve.port, f"/sites/soak/{sha}/content.tar.gz"))[3] == sha for sha in (big, small, good))
    checks.append((f"publish --all after the crashes exit {published.returncode}, all three versions byte-exact",
                   published.returncode == 0 and exact))
    # Nothing hidden is ever served, and nothing is left once the versions are published again.
    served_leftover = any(http_get(serve.port, "/" + p)[0] != 404 for p in after_a + after_b + after_c)
    remaining = leftovers(store)
    checks.append((f"leftovers never served; none left after the republish ({remaining or 'none'})",
                   not served_leftover and not remaining))
    rc = serve.stop()
    checks.append((f"serve exit {rc}", rc == 0))
    print(f"  leftovers after a) {after_a or 'none'}; after b) {after_b or 'none'}; after c) {after_c or 'none'}")
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    results.verdict("6 kill -9 during upload and build", all(ok for _, ok in checks),
                    "3 crashes (mid-body, before the manifest, mid-build): no partial version visible after restart, "
                    "partial files and staging folders removed by the restart, the accepted archive kept until its manifest",
                    "bar: GET 404 for the cut version, republish works, leftovers cleaned")


# ---------------------------------------------------------------- part 7: disk full

def part_diskfull(work: Path, results: Results, site: Path) -> None:
    megabytes = knob("DISKFULL_MB", 32)
    if os.geteuid() != 0:
        results.verdict("7 disk full", None, "not run", "needs root to mount a tmpfs")
        return
    mount = work / "full"
    mount.mkdir()
    probe = run("mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(mount), check=False)
    if probe.returncode != 0:
        results.verdict("7 disk full", None, "not run", f"mount -t tmpfs refused: {probe.stderr.strip()}")
        return
    (work / "mounted").write_text(str(mount))  # soak.sh's trap unmounts it if we die
    checks: list[tuple[str, bool]] = []
    try:
        store = mount / "store"
        small_site = work / "full-small-site"
        random_site(small_site, 1, seed=1, files=2)
        good = build(small_site, store, "soak")
        good_dir = store / "sites/soak" / good
        big_site = work / "full-big-site"
        random_site(big_site, megabytes + 16, seed=2)
        source = work / "full-source"
        big = build(big_site, source, "soak")

        def intact() -> bool:
            return (sha256_file(good_dir / "content.tar.gz") == good
                    and (good_dir / "content.tar.gz.sha256").read_text().startswith(good)
                    and sha256_file(store / "content.tar.gz") == good)

        def used() -> int:
            st = os.statvfs(mount)
            return (st.f_blocks - st.f_bfree) * st.f_frsize

        base = used()
        # build into the full disk
        result = run(SITEPACK, "build", str(big_site), "-o", str(store), "--name", "soak", check=False)
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        clear = result.returncode != 0 and ("space" in message.lower() or str(mount) in message)
        checks.append((f"build: exit {result.returncode}, \"{message[:200]}\"", clear))
        checks.append((f"build: good version intact, nothing left ({leftovers(store) or 'no .tmp-*'}, "
                       f"{(used() - base) // 1024} KiB more used)", intact() and not leftovers(store) and used() - base < MIB))
        # publish into it as a folder
        result = run(SITEPACK, "publish", str(source), "--to", str(store), "--quiet", check=False)
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        clear = result.returncode != 0 and ("space" in message.lower() or str(mount) in message)
        checks.append((f"publish --to DIR: exit {result.returncode}, \"{message[:200]}\"", clear))
        checks.append((f"publish --to DIR: good version intact, nothing left ({leftovers(store) or 'no .tmp-*'})",
                       intact() and not leftovers(store) and used() - base < MIB))
        # publish into a serve of it
        token = work / "full-token"
        token.write_text(os.urandom(32).hex() + "\n")
        serve = Serve(store, work, "--publish-token-file", str(token), "--min-free", "0", label="full")
        result = run(SITEPACK, "publish", str(source), "--to", serve.origin, "--token-file", str(token), "--quiet", check=False)
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        clear = result.returncode != 0 and ("space" in message.lower() or "507" in message or "full" in message.lower())
        checks.append((f"publish --to URL: exit {result.returncode}, \"{message[:200]}\"", clear))
        # a chunked upload (no length announced) that runs out of space while it is written
        sock = socket.create_connection(("127.0.0.1", serve.port), timeout=60)
        sock.sendall(f"PUT /sites/soak/{big}/content.tar.gz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     f"{token.read_text().strip()}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode())
        archive = (source / "sites/soak" / big / "content.tar.gz").read_bytes()
        try:
            for offset in range(0, len(archive), 256 * 1024):
                piece = archive[offset:offset + 256 * 1024]
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed mid-body
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        sock.close()
        chunked_status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "no answer"
        checks.append((f"chunked PUT past the disk's end: {chunked_status}", chunked_status == "507"))
        time.sleep(0.5)
        status, _, body = http_request(serve.port, "GET", f"/sites/soak/{good}/content.tar.gz")
        served = status == 200 and hashlib.sha256(body).hexdigest() == good
        checks.append((f"serve: good version still served byte-exactly, the big one {http_get(serve.port, f'/sites/soak/{big}/content.tar.gz')[0]}, "
                       f"nothing left ({leftovers(store) or 'no .tmp-*'})",
                       served and intact() and not leftovers(store) and used() - base < MIB
                       and http_get(serve.port, f"/sites/soak/{big}/content.tar.gz")[0] == 404))
        rc = serve.stop()
        checks.append((f"serve exit {rc}", rc == 0))
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        (work / "mounted").unlink(missing_ok=True)
    for text, ok in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    results.verdict("7 disk full during build and publish", all(ok for _, ok in checks),
                    f"{megabytes} MiB tmpfs, a {megabytes + 16} MiB site: build, publish --to DIR, publish --to URL and a "
                    f"chunked PUT each refused with a clear error, the previous version intact, nothing left",
                    "bar: non-zero exit naming the space or path, previous artifact's sha256 unchanged")


PARTS = {"herd": part_herd, "loris": part_loris, "stall": part_stall, "vanish": part_vanish,
         "sigterm": part_sigterm, "kill9": part_kill9, "diskfull": part_diskfull}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        probe_main(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--loris":
        loris_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]))
        return 0
    selected = [p.strip() for p in os.environ.get("PARTS", ",".join(PARTS)).split(",") if p.strip()]
    unknown = [p for p in selected if p not in PARTS]
    if unknown:
        print(f"soak.py: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    if not os.access(SITEPACK, os.X_OK):
        print(f"soak.py: {SITEPACK} is missing: make release", file=sys.stderr)
        return 1
    work = Path(os.environ.get("SOAK_WORK") or tempfile.mkdtemp(prefix="sitepack-soak."))
    work.mkdir(parents=True, exist_ok=True)
    site = Path(os.environ.get("SITE", DOCS))
    if not site.is_dir():
        site = work / "generated-site"
        random_site(site, knob("SITE_MB", 12), seed=0, files=200)
        print(f"soak: {DOCS} is missing (apt-get install python3.11-doc); using a generated {knob('SITE_MB', 12)} MiB site")
    results = Results()
    t0 = now()
    print(f"soak: {SITEPACK}, site {site}, work {work}, {os.cpu_count()} cores; parts {', '.join(selected)}", flush=True)
    try:
        for name in selected:
            t = now()
            print(f"\n=== {name}", flush=True)
            try:
                PARTS[name](work, results, site)
            except Exception as error:  # noqa: BLE001 — a part that breaks is a failed part
                results.verdict(name, False, f"the part itself broke: {error!r}")
            print(f"    ({now() - t:.0f} s)", flush=True)
    finally:
        if not os.environ.get("KEEP_WORK"):
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nsummary ({now() - t0:.0f} s):")
    for part, word, figure in results.verdicts:
        print(f"  {word:<7} {part}: {figure}")
    return 1 if any(word == "FAIL" for _, word, _ in results.verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
