"""A "site" as a network namespace joined to the centre by a veth link that can be cut."""

from __future__ import annotations

import os
import shutil
import subprocess


def missing_reason() -> str | None:
    """Why namespaces cannot be made here (not root, no iproute2), or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "iproute2 (ip) not installed"
    probe = subprocess.run(
        ["ip", "link", "add", "rwprobe0", "type", "veth", "peer", "name", "rwprobe1"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"cannot create veth links: {probe.stderr.strip()}"
    subprocess.run(["ip", "link", "del", "rwprobe0"], capture_output=True, check=False)
    return None


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


class SiteNamespace:
    """Namespace NAME with loopback up and a veth to the root namespace.

    The centre side gets 10.231.N.1/24 and the site side 10.231.N.2/24: private addresses
    that exist only on this link, so the site reaches the centre and nothing else.
    Devices of the site live on the namespace's own loopback and stay reachable from it
    while the link is down, as a real site's devices would.
    """

    def __init__(self, name: str, n: int) -> None:
        if not 1 <= n <= 254:
            raise ValueError("n must be 1..254")
        self.name = name
        self.centre_if = f"{name[:10]}c"
        self.site_if = f"{name[:10]}s"
        self.centre_ip = f"10.231.{n}.1"
        self.site_ip = f"10.231.{n}.2"
        self.created = False

    def create(self) -> None:
        self.delete()  # a leftover of a killed run
        _ip("netns", "add", self.name)
        self.created = True
        _ip("link", "add", self.centre_if, "type", "veth", "peer", "name", self.site_if)
        _ip("link", "set", self.site_if, "netns", self.name)
        _ip("addr", "add", f"{self.centre_ip}/24", "dev", self.centre_if)
        _ip("link", "set", self.centre_if, "up")
        _ip("-n", self.name, "addr", "add", f"{self.site_ip}/24", "dev", self.site_if)
        _ip("-n", self.name, "link", "set", self.site_if, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """The site loses its link to the centre."""
        _ip("link", "set", self.centre_if, "down")

    def restore(self) -> None:
        _ip("link", "set", self.centre_if, "up")

    def delete(self) -> None:
        subprocess.run(["ip", "link", "del", self.centre_if], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        self.created = False
