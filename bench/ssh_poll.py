"""SSH polls per second against a loopback sshd: persistent transports versus connect-per-poll."""

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

from monitors.ssh_client import SshPool, SshSession, poll_session  # noqa: E402
from monitors.targets import SshTarget  # noqa: E402
from tests.ssh_daemons import Sshd, ensure_test_user, sshd_binary  # noqa: E402

OUT = REPO / "bench" / "out" / "ssh_poll.json"


@dataclass
class Row:
    name: str
    polls: int
    wall_s: float
    cpu_s: float  # CPU of this (client) process, all threads: what a collector core pays
    readings_per_poll: float

    @property
    def polls_per_s(self) -> float:
        return self.polls / self.wall_s if self.wall_s else 0.0

    @property
    def polls_per_cpu_s(self) -> float:
        return self.polls / self.cpu_s if self.cpu_s else 0.0


def _measure(name: str, polls: int, body: Callable[[], int]) -> Row:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    readings = body()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Row(name, polls, wall, cpu, readings / polls if polls else 0.0)


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
        return _measure("persistent transport (1 host, sequential)", polls, body)
    finally:
        session.close()


def bench_persistent_parallel(targets: list[SshTarget], polls: int) -> Row:
    pool = SshPool(max_workers=len(targets))
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
        return _measure(f"persistent transports ({len(targets)} hosts, parallel)", n, body)
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

    return _measure("new connection per poll", polls, body)


def bench_transport_floor(target: SshTarget, polls: int) -> Row:
    """One exec of `true` per poll on a kept transport: the channel round trips alone."""
    session = SshSession(target)
    poll_session(session, 0)
    transport = session._transport
    assert transport is not None

    def body() -> int:
        for _ in range(polls):
            channel = transport.open_session()
            channel.exec_command("true")
            channel.recv_exit_status()
            channel.close()
        return 0

    try:
        return _measure("floor: exec `true` on a kept transport", polls, body)
    finally:
        session.close()


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
    print(f"{'run':48} {'polls':>6} {'polls/s':>9} {'polls/CPU-s':>12} {'readings':>9}")
    for r in rows:
        print(
            f"{r.name:48} {r.polls:6d} {r.polls_per_s:9.1f} {r.polls_per_cpu_s:12.1f} "
            f"{r.readings_per_poll:9.1f}"
        )
    persistent, connect = rows[1], rows[3]
    speedup = persistent.polls_per_s / connect.polls_per_s if connect.polls_per_s else 0.0
    print(f"persistent / connect-per-poll (wall): {speedup:.1f}x")
    print(
        "polls/CPU-s counts this process only (client side, all threads); sshd and the remote "
        f"tools share the same {os.cpu_count()} cores on loopback."
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
