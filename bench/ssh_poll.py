"""SSH polls per second against a loopback sshd: persistent connections versus connect-per-poll."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitors.collection.targets import SshTarget  # noqa: E402
from monitors.lab.daemons.ssh import Sshd, ensure_test_user, sshd_binary  # noqa: E402
from monitors.ssh.client import SshPool, SshSession, poll_session, run_sync  # noqa: E402

OUT = REPO / "bench" / "out" / "ssh_poll.json"


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of a process tree, reaped children included (utime+stime+cutime+cstime)."""
    stats: dict[int, tuple[int, float]] = {}
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ppid = int(fields[1])
        ticks = sum(int(x) for x in fields[11:15])
        stats[int(path.parent.name)] = (ppid, ticks / CLK_TCK)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo += [child for child, (ppid, _) in stats.items() if ppid == pid]
    return total


SERVER_PIDS: list[int] = []  # sshd listeners whose trees are the server side of the runs


def _server_cpu_s() -> float:
    return sum(_tree_cpu_s(pid) for pid in SERVER_PIDS)


@dataclass
class Row:
    name: str
    polls: int
    wall_s: float
    cpu_s: float  # CPU of this (client) process, all threads: what a collector core pays
    readings_per_poll: float
    server_cpu_s: float | None = 0.0  # sshd + remote shell and tools; None: not measurable

    @property
    def polls_per_total_cpu_s(self) -> float | None:
        if self.server_cpu_s is None:
            return None
        total = self.cpu_s + self.server_cpu_s
        return self.polls / total if total > 0 else None

    @property
    def polls_per_s(self) -> float:
        return self.polls / self.wall_s if self.wall_s else 0.0

    @property
    def polls_per_cpu_s(self) -> float:
        return self.polls / self.cpu_s if self.cpu_s else 0.0


def _measure(name: str, polls: int, body: Callable[[], int]) -> Row:
    time.sleep(0.5)  # let sessions of the previous run exit, so their CPU is not miscounted
    server0 = _server_cpu_s()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    readings = body()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    server = _server_cpu_s() - server0
    return Row(name, polls, wall, cpu, readings / polls if polls else 0.0, server)


def bench_persistent(target: SshTarget, polls: int) -> Row:
    session = SshSession(target)
    poll_session(session, 0)  # connect and warm up outside the timing

    def body() -> int:
        readings = 0
        for _ in range(polls):
            result = poll_session(session, 0)
            if not result.ok:
                raise SystemExit(f"poll failed: {result.error}")
            readings += len(result.readings)
        return readings

    try:
        return _measure("persistent connection (1 host, sequential)", polls, body)
    finally:
        session.close()


def bench_persistent_parallel(targets: list[SshTarget], polls: int) -> Row:
    pool = SshPool()
    for i, t in enumerate(targets):
        pool.poll(i, t)

    def body() -> int:
        per_host = polls // len(targets)

        def run(t: SshTarget) -> int:
            n = 0
            for _ in range(per_host):
                result = pool.poll(0, t)
                if not result.ok:
                    raise SystemExit(f"poll failed: {result.error}")
                n += len(result.readings)
            return n

        with ThreadPoolExecutor(len(targets)) as ex:
            return sum(ex.map(run, targets))

    try:
        n = (polls // len(targets)) * len(targets)
        return _measure(f"persistent connections ({len(targets)} hosts, parallel)", n, body)
    finally:
        pool.close()


def bench_connect_per_poll(target: SshTarget, polls: int) -> Row:
    def body() -> int:
        readings = 0
        for _ in range(polls):
            session = SshSession(target)
            result = poll_session(session, 0)
            session.close()
            if not result.ok:
                raise SystemExit(f"poll failed: {result.error}")
            readings += len(result.readings)
        return readings

    row = _measure("new connection per poll", polls, body)
    # Session processes that exit are not all reaped inside the sshd tree (the grandchildren
    # go to init), so the server side of this run cannot be measured this way.
    row.server_cpu_s = None
    return row


def bench_transport_floor(target: SshTarget, polls: int) -> Row:
    """One exec of `true` per poll on a kept connection: the channel round trips alone."""
    session = SshSession(target)
    poll_session(session, 0)
    conn = session._conn
    assert conn is not None

    async def run_all() -> None:
        for _ in range(polls):
            await conn.run("true")

    def body() -> int:
        run_sync(run_all())
        return 0

    try:
        return _measure("floor: exec `true` on a kept connection", polls, body)
    finally:
        session.close()


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--polls", type=int, default=300, help="polls for persistent runs")
    ap.add_argument("--connect-polls", type=int, default=40, help="polls for connect-per-poll")
    ap.add_argument("--variant", default="dell", help="host variant in tests/fixtures/ssh/hosts")
    ap.add_argument("--hosts", type=int, default=2, help="sshd instances for the parallel run")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)

    binary = sshd_binary()
    if binary is None or os.geteuid() != 0:
        print("needs root and OpenSSH sshd (it adds the rwtest account)", file=sys.stderr)
        return 2
    ensure_test_user()
    base = Path(tempfile.mkdtemp(prefix="rackwatch-bench-ssh-"))
    os.chmod(base, 0o755)
    daemons = [Sshd(binary, base / f"h{i}", args.variant) for i in range(max(1, args.hosts))]
    try:
        for d in daemons:
            d.setup()
            d.start()
            assert d.proc is not None
            SERVER_PIDS.append(d.proc.pid)
        target = daemons[0].target()
        rows = [
            bench_transport_floor(target, args.polls),
            bench_persistent(target, args.polls),
            bench_persistent_parallel([d.target() for d in daemons], args.polls),
            bench_connect_per_poll(target, args.connect_polls),
        ]
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(base, ignore_errors=True)

    print(f"SSH polls against loopback sshd ({args.variant} host, fixed poll command)")
    print(
        f"{'run':48} {'polls':>6} {'polls/s':>9} {'client polls/CPU-s':>19} "
        f"{'all polls/CPU-s':>16} {'readings':>9}"
    )
    for r in rows:
        print(
            f"{r.name:48} {r.polls:6d} {r.polls_per_s:9.1f} {r.polls_per_cpu_s:19.1f} "
            f"{_fmt(r.polls_per_total_cpu_s):>16} {r.readings_per_poll:9.1f}"
        )
    persistent, connect = rows[1], rows[3]
    speedup = persistent.polls_per_s / connect.polls_per_s if connect.polls_per_s else 0.0
    print(f"persistent / connect-per-poll (wall): {speedup:.1f}x")
    print(
        "client polls/CPU-s: CPU of this process only (the collector's cost, all threads); "
        "all polls/CPU-s adds sshd and the remote shell and tools, which share the same "
        f"{os.cpu_count()} cores on loopback."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "variant": args.variant,
                "rows": [
                    {
                        **asdict(r),
                        "polls_per_s": r.polls_per_s,
                        "polls_per_cpu_s": r.polls_per_cpu_s,
                        "polls_per_total_cpu_s": r.polls_per_total_cpu_s,
                    }
                    for r in rows
                ],
                "persistent_vs_connect": speedup,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
