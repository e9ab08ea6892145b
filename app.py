"""RackWatch command line: the one place that wires models, monitors and ui together."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from models.paths import resolve_db_url

Handler = Callable[[argparse.Namespace], int]


def _not_yet(name: str) -> Handler:
    def run(_args: argparse.Namespace) -> int:
        print(f"rackwatch {name}: not yet available", file=sys.stderr)
        return 2

    return run


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: $RACKWATCH_DB, else SQLite in the user data dir)",
    )


# -- db ---------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from models.db import upgrade

    url = resolve_db_url(args.db)
    upgrade(url, args.revision)
    print(f"database at revision {args.revision}: {_safe_url(url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rackwatch",
        description="Power and temperature of server racks across data-center sites.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("gui", help="open the main window")
    _add_db(p)
    p.set_defaults(func=_not_yet("gui"))

    p = sub.add_parser("demo", help="start a simulated data hall, collect it and open the GUI")
    p.set_defaults(func=_not_yet("demo"))

    p = sub.add_parser("lab", help="run simulated sites that speak SNMP and SSH on loopback")
    p.set_defaults(func=_not_yet("lab"))

    p = sub.add_parser("collect", help="poll devices headless and write history")
    _add_db(p)
    p.set_defaults(func=_not_yet("collect"))

    p = sub.add_parser("probe", help="identify one SNMP device and print what it reads")
    p.set_defaults(func=_not_yet("probe"))

    p = sub.add_parser("import", help="validate and import an inventory (YAML or CSV)")
    _add_db(p)
    p.set_defaults(func=_not_yet("import"))

    p = sub.add_parser("credentials", help="manage named credentials (keyring or 0600 file)")
    p.set_defaults(func=_not_yet("credentials"))

    p = sub.add_parser("export", help="export an incident snapshot (zip)")
    _add_db(p)
    p.set_defaults(func=_not_yet("export"))

    p = sub.add_parser("verify", help="check an incident snapshot against its manifest")
    p.set_defaults(func=_not_yet("verify"))

    p = sub.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    q = dbsub.add_parser("upgrade", help="apply schema migrations")
    _add_db(q)
    q.add_argument("revision", nargs="?", default="head")
    q.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    func: Handler = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
