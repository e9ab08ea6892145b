"""A hostile sender: floods a UDP port with SNMP-shaped replies and garbage at a set rate."""

from __future__ import annotations

import argparse
import os
import random
import socket
import time

from monitors.snmp import ber


def flood_packets(count: int, seed: int = 1) -> list[bytes]:
    """Well-formed v2c Response-PDUs with random request ids, some large, some garbage."""
    rng = random.Random(seed)
    out: list[bytes] = []
    for i in range(count):
        if i % 10 == 9:
            out.append(os.urandom(rng.choice((3, 40, 1400))))
            continue
        n = rng.choice((1, 8, 40))
        vbs = [
            (
                ber.encode_oid((1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 6, 3, 1, 5, j)),
                ber.encode_value((ber.INTEGER, rng.randint(0, 9999))),
            )
            for j in range(n)
        ]
        out.append(
            ber.encode_response(ber.VERSION_2C, b"public", rng.randint(1, 0x7FFFFFFF), 0, 0, vbs)
        )
    return out


def flood(host: str, port: int, rate: float, seconds: float, source: str = "127.0.0.1") -> int:
    """Send about rate packets/s for seconds (bounded in count and time); returns packets sent."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((source, 0))
    sock.setblocking(False)
    packets = flood_packets(512)
    limit = int(rate * seconds)
    sent = 0
    started = time.monotonic()
    tick = 0.005
    while sent < limit:
        elapsed = time.monotonic() - started
        if elapsed > seconds * 1.5:
            break
        due = min(limit, int(rate * elapsed) + 1)
        while sent < due:
            try:
                sock.sendto(packets[sent % len(packets)], (host, port))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # the target went away (ICMP): keep the pace anyway
                pass
            sent += 1
        time.sleep(tick)
    sock.close()
    return sent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--rate", type=float, default=20_000)
    p.add_argument("--seconds", type=float, default=10)
    args = p.parse_args(argv)
    if not args.host.startswith("127.") and args.host != "::1":
        p.error("floods go to loopback only")
    sent = flood(args.host, args.port, args.rate, args.seconds)
    print(f"sent {sent}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
