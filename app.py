"""RackWatch command line: the one place that wires models, monitors and ui together."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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


# -- collect ----------------------------------------------------------------------------------


def cmd_collect(args: argparse.Namespace) -> int:
    import asyncio

    from models.db import has_schema, make_engine
    from models.paths import DB_ENV
    from models.store.samples import Retention
    from monitors.collection.collector import (
        EXIT_CANNOT_WRITE,
        CannotWrite,
        Collector,
        CollectorOptions,
        supervise,
    )

    if args.site or args.config:
        return _collect_site(args)
    url = resolve_db_url(args.db)
    engine = make_engine(url)
    try:
        if not has_schema(engine):
            print(
                f"rackwatch collect: {_safe_url(url)} has no RackWatch schema; "
                "run `app.py db upgrade` and `app.py import FILE` first",
                file=sys.stderr,
            )
            return 2
    finally:
        engine.dispose()
    if args.workers > 1 and args.shard is None:
        # The URL may hold a password: children get it through their environment, never on
        # the command line (`ps` shows every process's arguments to every user).
        base = [sys.executable, str(Path(__file__).resolve()), "collect"]
        if args.once:
            base.append("--once")
        if args.duration is not None:
            base += ["--duration", str(args.duration)]
        if args.known_hosts:
            base += ["--known-hosts", args.known_hosts]
        base += [
            "--max-in-flight", str(args.max_in_flight),
            "--keep-raw-days", str(args.keep_raw_days),
            "--keep-5m-days", str(args.keep_5m_days),
            "--keep-1h-days", str(args.keep_1h_days),
            "--spool-mb", str(args.spool_mb),
        ]  # fmt: skip
        if args.spool:
            base += ["--spool", args.spool + ".{shard}"]
        env = {**os.environ, DB_ENV: url}
        return supervise(
            [[*base, "--shard", f"{i}/{args.workers}"] for i in range(args.workers)], env=env
        )
    shard, shards = _parse_shard(args.shard)
    drivers = _build_drivers(args.known_hosts)
    options = CollectorOptions(
        url=url,
        shard=shard,
        shards=shards,
        once=args.once,
        duration_s=args.duration,
        max_in_flight=args.max_in_flight,
        hooks=_collector_hooks(url),
        spool_path=args.spool.replace("{shard}", str(shard)) if args.spool else None,
        spool_max_bytes=int(args.spool_mb * 1024 * 1024),
        retention=Retention(
            raw_s=int(args.keep_raw_days * 86_400),
            rollup_5m_s=int(args.keep_5m_days * 86_400),
            rollup_1h_s=int(args.keep_1h_days * 86_400),
        ),
    )
    try:
        report = asyncio.run(Collector(options, drivers).run())
    except CannotWrite as exc:
        print(f"rackwatch collect: CANNOT WRITE, stopping: {exc}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    print(
        f"collected: {report.devices} devices, {report.polls_ok} polls ok, "
        f"{report.polls_failed} failed, {report.samples} samples"
    )
    if args.once and report.devices and not report.polls_ok:
        # A cron job or supervisor must see that nothing could be polled.
        top = ", ".join(f"{n}: {c}" for n, c in report.errors_by_device.most_common(3))
        print(f"rackwatch collect: no device could be polled ({top})", file=sys.stderr)
        return 1
    return 0


def _site_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Flags over the config file (resources/deploy/collector.example.toml shows every key)."""
    import tomllib

    conf: dict[str, Any] = {}
    if args.config:
        with open(args.config, "rb") as f:
            raw = tomllib.load(f)
        for section in ("central", "site", "leases"):
            conf.update(raw.get(section, {}))
    flags = {
        "db": args.db,
        "code": args.site,
        "vm_url": args.vm_url,
        "vmagent_url": args.vmagent_url,
        "collector_id": args.collector_id,
        "ttl_s": args.lease_ttl,
        "heartbeat_s": args.heartbeat,
        "known_hosts": args.known_hosts,
        "trace_polls": args.trace_polls,
        "outbox": args.outbox,
        "state": args.state,
    }
    conf.update({k: v for k, v in flags.items() if v is not None})
    return conf


def _collect_site(args: argparse.Namespace) -> int:
    """`collect --site CODE`: one collector of a site, leasing racks from the central database."""
    import asyncio
    import socket

    from models.db import make_engine
    from models.leases import DEFAULT_HEARTBEAT_S, DEFAULT_TTL_S
    from models.paths import data_dir
    from monitors.alarms.engine import collector_rules
    from monitors.collection.outbox import AlarmOutbox, OutboxAlarmEngine
    from monitors.collection.site import CENTRE_CONNECT_ARGS, SiteCollector, SiteOptions

    conf = _site_settings(args)
    missing = [k for k in ("db", "code", "vm_url") if not conf.get(k)]
    if missing:
        print(f"rackwatch collect --site: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    url = str(conf["db"])
    if not url.startswith("postgresql"):
        print("rackwatch collect --site: the central database must be PostgreSQL", file=sys.stderr)
        return 2
    site = str(conf["code"])
    # Stable across restarts (the outbox and the leases are found again by it); give each
    # collector its own --collector-id when a host runs several for one site.
    collector_id = str(conf.get("collector_id") or f"{site}:{socket.gethostname()}")
    local = collector_id.replace(":", "_").replace("/", "_")
    hooks: list[Any] = []
    alarm_engine = None
    if not args.no_alarms:
        outbox_path = conf.get("outbox") or data_dir() / f"outbox-{local}.db"
        alarm_engine = OutboxAlarmEngine(
            make_engine(url, connect_args=CENTRE_CONNECT_ARGS),
            collector_rules(),
            AlarmOutbox(outbox_path),
        )
        hooks.append(alarm_engine)
    options = SiteOptions(
        url=url,
        site=site,
        vm_url=str(conf["vm_url"]),
        vmagent_url=str(conf.get("vmagent_url") or conf["vm_url"]),
        collector_id=collector_id,
        ttl_s=int(conf.get("ttl_s", DEFAULT_TTL_S)),
        heartbeat_s=float(conf.get("heartbeat_s", DEFAULT_HEARTBEAT_S)),
        max_in_flight=args.max_in_flight,
        duration_s=args.duration,
        trace_polls=str(conf.get("trace_polls") or ""),
        hooks=hooks,
        state_path=str(conf.get("state") or data_dir() / f"site-state-{local}.db"),
    )
    if alarm_engine is not None:
        # Each collector judges only what it leases (rack rules stay with the rack's holder).
        engine_ = alarm_engine
        options.on_assignment.append(lambda a: engine_.restrict(a.devices))
    drivers = _build_drivers(conf.get("known_hosts"))
    report = asyncio.run(SiteCollector(options, drivers).run())
    print(
        f"collected: {report.polls_ok} polls ok, {report.polls_failed} failed, "
        f"{report.samples} samples"
    )
    return 0


def _parse_shard(value: str | None) -> tuple[int, int]:
    if not value:
        return 0, 1
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise SystemExit(f"--shard {value!r}: expected I/N, for example 0/2") from None
    if not 0 <= i < n:
        raise SystemExit(f"--shard {value!r}: I must be in 0..N-1")
    return i, n


def _build_drivers(known_hosts: str | None) -> dict[str, Any]:
    from models.paths import config_dir
    from monitors.collection.drivers import build_drivers
    from monitors.credentials import resolver

    creds = resolver()
    hosts = (
        known_hosts or os.environ.get("RACKWATCH_KNOWN_HOSTS") or str(config_dir() / "known_hosts")
    )
    return build_drivers(creds.snmp, creds.ssh, hosts, redfish_credentials=creds.redfish)


def _collector_hooks(url: str) -> list[Any]:
    """What runs after each written batch: the alarm engine (rules: docs/alarms.md)."""
    from monitors.alarms.engine import make_hook

    return [make_hook(url)]


# -- import -----------------------------------------------------------------------------------


def _check_profiles(directory: str | None = None) -> int:
    """Print every profile that cannot be loaded (file:line); its devices would not be polled."""
    import resources
    from monitors.profiles.schema import ProfileError, load_profile

    # The schema alone (not the SNMP engine): `import` stays quick to start.
    root = Path(directory) if directory else resources.PROFILES_DIR
    broken: dict[str, str] = {}
    for path in sorted(root.glob("*.yaml")):
        try:
            load_profile(path)
        except ProfileError as exc:
            broken[path.stem] = str(exc)
    for name, problem in sorted(broken.items()):
        print(
            f"profile problem: {problem} (devices using profile {name!r} will not be polled)",
            file=sys.stderr,
        )
    return len(broken)


def cmd_import(args: argparse.Namespace) -> int:
    from sqlalchemy import Engine

    from models.db import has_schema, make_engine, upgrade
    from models.inventory.importer import InventoryError, import_inventory

    _check_profiles(args.profiles_dir)
    url = resolve_db_url(args.db)
    engine = make_engine(url)
    try:
        target: Engine | None = engine
        if not has_schema(engine):
            if args.dry_run:  # a dry run writes nothing, not even the schema
                target = None
            else:
                upgrade(url)
        report = import_inventory(
            target,
            args.file,
            prune=args.prune,
            dry_run=args.dry_run,
            profile_dirs=[Path(args.profiles_dir)] if args.profiles_dir else None,
        )
    except InventoryError as exc:
        # The first problems say what is wrong; a broken file must not print a gigabyte.
        print(str(exc), file=sys.stderr)
        print(f"{args.file}: {exc.total} problem(s); nothing written", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(report.summary())
    return 0


# -- credentials ------------------------------------------------------------------------------

_SECRET_OPTIONS = ("community", "auth_key", "priv_key", "password", "key_passphrase")


def _secret_value(option: str, value: str | None) -> str | None:
    """'-' asks for the secret (hidden prompt on a terminal, else one line of stdin)."""
    if value != "-":
        return value
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{option.replace('_', ' ')}: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_credentials(args: argparse.Namespace) -> int:
    import json

    from monitors.credentials import (
        REDFISH_FIELDS,
        SNMP_FIELDS,
        SSH_FIELDS,
        CredentialError,
        describe,
        from_record,
        import_file,
        kind_of,
        open_store,
    )

    try:
        store = open_store(args.backend)
        if args.cred_command == "list":
            rows = []
            for name in store.names():
                try:
                    cred = store.get(name)
                    rows.append({"name": name, **describe(cred)})
                except CredentialError as exc:
                    rows.append({"name": name, "error": str(exc)})
            if args.json:
                print(json.dumps({"store": store.location, "credentials": rows}, indent=1))
                return 0
            print(f"credentials in {store.location}: {len(rows)}")
            for row in rows:
                name = row.pop("name")
                print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
            return 0
        if args.cred_command == "delete":
            if not store.delete(args.name):
                print(f"no credential named {args.name!r} in {store.location}", file=sys.stderr)
                return 1
            print(f"deleted {args.name!r} from {store.location}")
            return 0
        if args.cred_command == "import":
            names = import_file(Path(args.file), store)
            print(f"imported {len(names)} credentials into {store.location}: {', '.join(names)}")
            return 0
        fields = {"snmp": SNMP_FIELDS, "ssh": SSH_FIELDS, "redfish": REDFISH_FIELDS}[args.kind]
        record: dict[str, str] = {"kind": args.kind}
        for field in fields:
            value = getattr(args, field, None)
            if field in _SECRET_OPTIONS:
                value = _secret_value(field, value)
            if value:
                record[field] = "true" if value is True else value
        given = {
            f
            for f in (*SNMP_FIELDS, *SSH_FIELDS, *REDFISH_FIELDS)
            if getattr(args, f, None) and f not in fields
        }
        if given:
            opts = ", ".join("--" + f.replace("_", "-") for f in sorted(given))
            print(f"credentials set: {opts} do not apply to --kind {args.kind}", file=sys.stderr)
            return 2
        cred = from_record(record, f"credential {args.name!r}", Path.cwd())
        store.set(args.name, cred)
        print(f"stored {kind_of(cred)} credential {args.name!r} in {store.location}")
        return 0
    except CredentialError as exc:
        print(f"rackwatch credentials: {exc}", file=sys.stderr)
        return 2


def _credentials_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=("auto", "keyring", "file"),
        help="where secrets live (default: $RACKWATCH_CREDENTIALS, else keyring when usable)",
    )
    csub = p.add_subparsers(dest="cred_command", metavar="ACTION", required=True)
    q = csub.add_parser("set", help="add or replace a named credential")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--kind", choices=("snmp", "ssh", "redfish"), required=True)
    q.add_argument("--version", choices=("1", "2c", "3"), help="SNMP version (default 2c)")
    q.add_argument("--community", help="SNMP v1/v2c community ('-' to prompt)")
    q.add_argument("--user", help="SNMPv3, SSH or Redfish user name")
    q.add_argument("--auth-proto", dest="auth_proto", help="SNMPv3: md5, sha, sha224..sha512")
    q.add_argument("--auth-key", dest="auth_key", help="SNMPv3 auth passphrase ('-' to prompt)")
    q.add_argument("--priv-proto", dest="priv_proto", help="SNMPv3: des, aes, aes192, aes256")
    q.add_argument("--priv-key", dest="priv_key", help="SNMPv3 privacy passphrase ('-' to prompt)")
    q.add_argument("--context", help="SNMPv3 context name")
    q.add_argument("--password", help="SSH or Redfish password ('-' to prompt)")
    q.add_argument("--key-file", dest="key_file", help="SSH private key file")
    q.add_argument("--key-passphrase", dest="key_passphrase", help="key passphrase ('-' to prompt)")
    q.add_argument("--ca-file", dest="ca_file", help="Redfish: CA bundle of the BMC certificates")
    q.add_argument("--fingerprint", help="Redfish: pinned SHA-256 of the BMC certificate")
    q.add_argument(
        "--allow-http", dest="allow_http", action="store_true", help="Redfish: permit http://"
    )
    q = csub.add_parser("list", help="list names and non-secret fields")
    q.add_argument("--json", action="store_true", help="one JSON object")
    q = csub.add_parser("delete", help="remove a named credential")
    q.add_argument("name", metavar="NAME")
    q = csub.add_parser("import", help="import a YAML file of named credentials")
    q.add_argument("file", metavar="FILE", help="YAML, format in docs/credentials.md")
    p.set_defaults(func=cmd_credentials)


# -- probe ------------------------------------------------------------------------------------


def cmd_probe(args: argparse.Namespace) -> int:
    import asyncio
    import json

    if args.redfish:
        from monitors.redfish.probe import cli_probe

        return cli_probe(args)
    if args.address is None or not (args.community or args.v3_user or args.credential):
        print(
            "rackwatch probe: give HOST[:PORT] with --credential, --community or --v3-user, "
            "or --redfish URL",
            file=sys.stderr,
        )
        return 2

    from models.vocabulary import EXIT_CODES
    from monitors.collection.targets import SnmpCredential, SnmpTarget
    from monitors.profiles.engine import ProfileError, ProfileSet
    from monitors.snmp.probe import ProbeError, failure_json, probe_device

    host, _, port_text = (
        args.address.rpartition(":") if ":" in args.address else (args.address, "", "161")
    )
    try:
        port = int(port_text)
    except ValueError:
        print(f"rackwatch probe: bad port in {args.address!r}", file=sys.stderr)
        return 2
    if args.credential:
        from monitors.credentials import CredentialError, resolver

        try:
            cred = resolver().snmp(args.credential)
        except CredentialError as exc:
            print(f"rackwatch probe: {exc}", file=sys.stderr)
            return 2
    elif args.v3_user:
        cred = SnmpCredential(
            "3",
            user=args.v3_user,
            auth_proto=args.auth_proto,
            auth_key=_secret_value("auth_key", args.auth_key) or "",
            priv_proto=args.priv_proto,
            priv_key=_secret_value("priv_key", args.priv_key) or "",
        )
    else:
        cred = SnmpCredential(
            args.snmp_version, community=_secret_value("community", args.community) or ""
        )
    target = SnmpTarget(host, port, cred, timeout_s=args.timeout, retries=args.retries)
    try:
        profiles = ProfileSet.load(args.profiles_dir)
        result = asyncio.run(probe_device(target, args.profile, profiles))
    except ProfileError as exc:
        print(f"rackwatch probe: {exc}", file=sys.stderr)
        return 1
    except ProbeError as exc:
        # The exit code names the reason (docs/profiles.md: 5 auth, 6 timeout, 1 other).
        if args.json:
            print(json.dumps(failure_json(target, exc), indent=2))
        print(f"rackwatch probe: {exc.status}: {exc}", file=sys.stderr)
        return EXIT_CODES.get(exc.status, 1)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(result.as_table())
    if result.status != "ok":
        print(f"rackwatch probe: no data ({result.status}): {result.reason}", file=sys.stderr)
    return result.exit_code


def cmd_profile(args: argparse.Namespace) -> int:
    import asyncio

    from monitors.profiles.engine import ProfileSet
    from monitors.profiles.schema import check_profile, load_profile

    path = Path(args.file)
    errors = check_profile(path)
    for line in errors:
        print(line, file=sys.stderr)
    if args.action == "check":
        if not errors:
            print(f"{path}: ok")
        return 1 if errors else 0
    if errors:
        return 1
    from monitors.lab.walk import WalkError, test_profile_on_walk

    try:
        installed = list(ProfileSet.load(args.profiles_dir))
        result, note = asyncio.run(
            test_profile_on_walk(load_profile(path), Path(args.walk), installed)
        )
    except WalkError as exc:
        print(f"rackwatch profile test: {exc}", file=sys.stderr)
        return 1
    print(result.as_table())
    if note:
        print(f"match: {note}")
    if result.status != "ok":
        return result.exit_code
    return 3 if note else 0


# -- gui --------------------------------------------------------------------------------------


def cmd_lab(args: argparse.Namespace) -> int:
    from monitors.lab.cli import run

    return run(args)


def cmd_gui(args: argparse.Namespace) -> int:
    from ui.main import run

    return run(
        resolve_db_url(args.db),
        screenshot=args.screenshot,
        view=args.view,
        theme_name=args.theme,
        size=(args.width, args.height),
    )


# -- capacity ---------------------------------------------------------------------------------


def cmd_capacity(args: argparse.Namespace) -> int:
    import dataclasses
    import json

    from models.db import make_engine
    from models.read.power import capacity_answer, capacity_text, propose_mapping
    from models.read.racks import find_rack

    engine = make_engine(resolve_db_url(args.db))
    if args.propose_mapping:
        props = propose_mapping(engine)
        if args.json:
            print(json.dumps([dataclasses.asdict(p) for p in props], indent=1))
        else:
            for p in props:
                mark = "" if not p.mapped else "  # already in the inventory"
                print(
                    f"{p.site}/{p.rack} {p.server}: psu {{feed: {p.feed}, outlet: {p.outlet}}}"
                    f" (outlet name on {p.pdu}){mark}"
                )
            print(f"{len(props)} proposal(s), {sum(not p.mapped for p in props)} new")
        return 0
    if not args.rack:
        print("capacity: give --rack NAME (or --propose-mapping)", file=sys.stderr)
        return 2
    rack_id = find_rack(engine, args.rack)
    if rack_id is None:
        print(f"capacity: no rack {args.rack!r}", file=sys.stderr)
        return 1
    add = None
    if args.add:
        model, sep, count = args.add.rpartition(":")
        if not sep or not count.isdigit() or int(count) < 1 or not model:
            print("capacity: --add MODEL:N with N >= 1", file=sys.stderr)
            return 2
        add = (model, int(count))
    answer = capacity_answer(engine, rack_id, add)
    print(json.dumps(answer, indent=1) if args.json else capacity_text(answer, args.rack))
    return 0


# -- export / verify -------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    from models.db import has_schema, make_engine
    from models.snapshot.data import SnapshotError, parse_scope, parse_time
    from ui.snapshot_export import ensure_gui_app, export_snapshot

    url = resolve_db_url(args.db)
    try:
        scope = parse_scope(args.scope)
        start = parse_time(args.start, "--start")
        end = parse_time(args.end, "--end")
    except SnapshotError as exc:
        print(f"rackwatch export: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        if not has_schema(engine):
            print(f"rackwatch export: {_safe_url(url)} has no RackWatch schema", file=sys.stderr)
            return 2
        ensure_gui_app()
        last = [-10]

        def progress(pct: int, msg: str) -> None:
            if pct >= last[0] + 10 or pct == 100:
                last[0] = pct
                print(f"{pct:3d}% {msg}", file=sys.stderr)

        res = export_snapshot(
            engine,
            scope,
            start,
            end,
            args.output,
            user=args.user,
            database=_safe_url(url),
            note=args.note or "",
            progress=progress,
        )
    except SnapshotError as exc:
        print(f"rackwatch export: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(
        f"{res.path}: {len(res.files)} files, {res.sample_rows:,} samples, {res.alarms} alarms, "
        f"{res.racks_plotted} rack(s) plotted, {res.seconds:.1f} s"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from models.snapshot.bundle import verify_snapshot

    res = verify_snapshot(args.file)
    if res.ok:
        print(f"{args.file}: OK, {res.checked} files match manifest.json")
        return 0
    for line in res.lines():
        print(f"{args.file}: {line}", file=sys.stderr)
    print(f"{args.file}: FAILED verification", file=sys.stderr)
    return 1


# -- alarms -----------------------------------------------------------------------------------


def cmd_alarms(args: argparse.Namespace) -> int:
    import getpass
    import json

    from models.alarms.incidents import acknowledge_any, listing
    from models.db import has_schema, make_engine

    url = resolve_db_url(args.db)
    engine = make_engine(url)
    try:
        if not has_schema(engine):
            print(f"rackwatch alarms: {_safe_url(url)} has no RackWatch schema", file=sys.stderr)
            return 2
        if args.alarms_command == "list":
            from models.messages import locale_from_env

            # Messages in the reader's language (LC_ALL, LC_MESSAGES, LANG), English fallback.
            items = listing(
                engine, incidents_only=args.incidents, state=args.state, locale=locale_from_env()
            )
            if args.json:
                print(json.dumps(items, indent=2, ensure_ascii=False))
                return 0
            for it in items:
                ident = f"I{it['id']}" if it["kind"] == "incident" else str(it["id"])
                extra = f" [{it['alarms']} alarms]" if it["kind"] == "incident" else ""
                inside = f" (in I{it['incident']})" if it.get("incident") else ""
                print(
                    f"{ident:>7} {it['severity']:<8} {it['state']:<12} {it['site']:<6} "
                    f"{it['rack'] or '-':<10} {it['message']}{extra}{inside}"
                )
            return 0
        user = args.user or getpass.getuser()
        try:
            kind, num, count = acknowledge_any(engine, args.id, user, args.note)
        except (LookupError, ValueError) as exc:
            print(f"rackwatch alarms ack: {exc}", file=sys.stderr)
            return 1
        print(f"{kind} {num} acknowledged by {user} ({count} alarm{'s' if count != 1 else ''})")
        return 0
    finally:
        engine.dispose()


# -- demo -------------------------------------------------------------------------------------


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def cmd_demo(args: argparse.Namespace) -> int:
    import signal
    import time

    from models.paths import data_dir
    from monitors.lab.demo_stack import DemoError, DemoStack

    folder = data_dir() / "demo" / time.strftime("%Y%m%d-%H%M%S")
    url = args.db or f"sqlite:///{folder / 'rackwatch.db'}"
    stack = DemoStack(
        folder,
        url,
        sites=args.sites,
        racks=args.racks,
        servers=args.servers,
        interval_s=args.interval,
        backfill_days=args.backfill,
    )
    try:
        stack.start()
        site, row = stack.first_row()
        print(
            "demo running; inject an incident with:\n"
            f"  app.py lab --control {stack.lab_dir} inject cooling-failure "
            f"--site {site} --row {row}\n"
            "close the window or press Ctrl+C to stop everything",
            flush=True,
        )
        headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless and not args.no_gui:
            print(
                "no display: the lab and the collector keep running without a window; "
                f"open one elsewhere with: app.py gui --db {url}",
                flush=True,
            )
        if args.no_gui or headless:
            stop = time.monotonic() + (args.duration or float("inf"))
            # Also when started in the background, where the shell leaves SIGINT ignored.
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, _raise_interrupt)
            while time.monotonic() < stop:
                time.sleep(0.5)
                said = stack.check()
                if said:
                    print(said, flush=True)
            return 0
        from ui.main import run

        return run(url, quit_after_s=args.duration, watch=stack.check)
    except DemoError as exc:
        print(f"rackwatch demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


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
    p.add_argument("--screenshot", metavar="FILE", help="load the view, save it as PNG and exit")
    p.add_argument(
        "--view",
        metavar="VIEW",
        help="open a view: site:CODE, rack:NAME (or SITE/NAME), wall or alarms",
    )
    p.add_argument("--theme", choices=("light", "dark"), help="colour theme (default: remembered)")
    p.add_argument("--width", type=int, default=1600, help="window width for --screenshot")
    p.add_argument("--height", type=int, default=1000, help="window height for --screenshot")
    p.set_defaults(func=cmd_gui)

    p = sub.add_parser("demo", help="start a simulated data hall, collect it and open the GUI")
    p.add_argument("--db", metavar="URL", help="database (default: a fresh SQLite file)")
    p.add_argument("--sites", type=int, default=2, help="simulated sites (default 2)")
    p.add_argument("--racks", type=int, default=10, help="racks per site (default 10)")
    p.add_argument("--servers", type=int, default=20, help="servers per rack (default 20)")
    p.add_argument("--interval", type=int, default=10, help="poll interval in s (default 10)")
    p.add_argument("--backfill", type=float, default=1.0, help="days of history (default 1)")
    p.add_argument("--no-gui", action="store_true", help="run lab and collector only")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("lab", help="run simulated sites that speak SNMP and SSH on loopback")
    from monitors.lab.cli import add_arguments as add_lab_arguments

    add_lab_arguments(p)
    p.set_defaults(func=cmd_lab)

    p = sub.add_parser("collect", help="poll devices headless and write history")
    _add_db(p)
    p.add_argument("--once", action="store_true", help="poll every device once, then exit")
    p.add_argument("--workers", type=int, default=1, help="collector processes (shards)")
    p.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--shard", metavar="I/N", help=argparse.SUPPRESS)
    p.add_argument("--max-in-flight", type=int, default=48, help="concurrent polls per process")
    p.add_argument("--known-hosts", metavar="FILE", help="SSH known_hosts checked for servers")
    p.add_argument("--keep-raw-days", type=float, default=14, help="raw samples kept (14)")
    p.add_argument("--keep-5m-days", type=float, default=365, help="5-min rollups kept (365)")
    p.add_argument("--keep-1h-days", type=float, default=1825, help="1-h rollups kept (1825)")
    p.add_argument(
        "--spool",
        metavar="FILE",
        help="where results wait while the database is away (default: data dir/spool/)",
    )
    p.add_argument(
        "--spool-mb", type=float, default=256, help="spool size limit in MiB (256; docs/storage.md)"
    )
    g = p.add_argument_group("site collector (docs/deployment.md)")
    g.add_argument("--site", metavar="CODE", help="collect one site by leases from the centre")
    g.add_argument("--config", metavar="FILE", help="site collector config (TOML)")
    g.add_argument("--vm-url", metavar="URL", help="central VictoriaMetrics (history)")
    g.add_argument("--vmagent-url", metavar="URL", help="this site's vmagent (samples)")
    g.add_argument("--collector-id", metavar="ID", help="stable id of this collector")
    g.add_argument("--lease-ttl", type=int, metavar="S", help="lease lifetime (30)")
    g.add_argument("--heartbeat", type=float, metavar="S", help="lease heartbeat (10)")
    g.add_argument("--outbox", metavar="FILE", help="local alarm outbox (SQLite)")
    g.add_argument(
        "--state",
        metavar="FILE",
        help="local copy of the last assignment (SQLite), polled when started while cut off",
    )
    g.add_argument("--trace-polls", metavar="FILE", help=argparse.SUPPRESS)
    g.add_argument("--no-alarms", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("probe", help="identify one SNMP or Redfish device and print what it reads")
    p.add_argument(
        "address", metavar="HOST[:PORT]", nargs="?", help="SNMP agent address (default port 161)"
    )
    r = p.add_argument_group("Redfish (docs/redfish.md)")
    r.add_argument("--redfish", metavar="URL", help="probe a Redfish service (https://BMC)")
    r.add_argument("--user", help="Redfish user (with --password)")
    r.add_argument("--password", help="Redfish password ('-' to prompt)")
    r.add_argument(
        "--credential", metavar="NAME", help="SNMP or Redfish credential from the store; preferred"
    )
    r.add_argument("--allow-http", action="store_true", help="permit plain http:// (labs, tests)")
    r.add_argument("--ca", metavar="FILE", help="CA bundle the BMC certificate must chain to")
    r.add_argument("--fingerprint", metavar="SHA256", help="pinned certificate SHA-256")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--community", help="SNMP v2c community; '-' reads it from stdin")
    g.add_argument("--v3-user", metavar="USER", help="SNMPv3 user name")
    p.add_argument("--snmp-version", choices=("1", "2c"), default="2c", help="with --community")
    p.add_argument(
        "--auth-proto",
        default="none",
        choices=("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512"),
    )
    p.add_argument(
        "--auth-key", default="", help="SNMPv3 authentication pass phrase; '-' reads stdin"
    )
    p.add_argument(
        "--priv-proto", default="none", choices=("none", "des", "aes", "aes128", "aes192", "aes256")
    )
    p.add_argument("--priv-key", default="", help="SNMPv3 privacy pass phrase; '-' reads stdin")
    p.add_argument("--profile", metavar="NAME", help="force a profile (file stem)")
    p.add_argument("--profiles-dir", metavar="DIR", help="profile directory (default: built in)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--timeout", type=float, default=3.0, metavar="S", help="per request")
    p.add_argument("--retries", type=int, default=1)
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("profile", help="check a device profile, or test it against a walk")
    psub = p.add_subparsers(dest="action", required=True)
    q = psub.add_parser("check", help="schema and OID errors as file:line: message")
    q.add_argument("file", metavar="FILE", help="profile YAML")
    q = psub.add_parser("test", help="serve a walk on loopback and print what the profile reads")
    q.add_argument("file", metavar="FILE", help="profile YAML")
    q.add_argument("--walk", required=True, metavar="WALK.snmprec", help="snmpsim-format walk")
    q.add_argument("--profiles-dir", metavar="DIR", help="installed profiles (default: built in)")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("import", help="validate and import an inventory (YAML or CSV)")
    _add_db(p)
    p.add_argument(
        "file", metavar="FILE", help="inventory file: .yaml/.yml or .csv (docs/inventory.md)"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="validate and count changes, write nothing"
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove racks/devices of the file's sites it no longer lists",
    )
    p.add_argument("--profiles-dir", metavar="DIR", help="profile directory (default: built in)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("credentials", help="manage named credentials (keyring or 0600 file)")
    _credentials_parser(p)

    p = sub.add_parser(
        "capacity", help="failover headroom of a rack, what-if added servers, outlet mapping"
    )
    _add_db(p)
    p.add_argument("--rack", metavar="NAME", help="rack name or SITE/NAME")
    p.add_argument("--add", metavar="MODEL:N", help="add N servers of MODEL (measured peaks)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--propose-mapping",
        action="store_true",
        help="psu: entries from outlet names the PDUs report",
    )
    p.set_defaults(func=cmd_capacity)

    p = sub.add_parser("export", help="export an incident snapshot (zip)")
    _add_db(p)
    p.add_argument(
        "--scope",
        required=True,
        metavar="SCOPE",
        help="site:CODE, row:SITE/ROW, rack:NAME or device:NAME",
    )
    p.add_argument("--start", required=True, metavar="ISO", help="window start (UTC if no zone)")
    p.add_argument("--end", required=True, metavar="ISO", help="window end (UTC if no zone)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="zip file to write")
    p.add_argument("--user", help="name recorded as the exporter (default: login@host)")
    p.add_argument("--note", metavar="TEXT", help="root cause / notes, shown on page 1")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("alarms", help="list or acknowledge alarms and incidents")
    asub = p.add_subparsers(dest="alarms_command", metavar="ACTION", required=True)
    q = asub.add_parser("list", help="open incidents and alarms, most important first")
    _add_db(q)
    q.add_argument("--incidents", action="store_true", help="incidents only, not their alarms")
    q.add_argument("--state", choices=("active", "acknowledged", "all"), default="all")
    q.add_argument("--json", action="store_true", help="a JSON list of objects")
    q.set_defaults(func=cmd_alarms)
    q = asub.add_parser("ack", help="acknowledge an alarm or a whole incident (I12)")
    _add_db(q)
    q.add_argument("id", metavar="ID", help="alarm id, or incident id as I12 / incident:12")
    q.add_argument("--note", required=True, help="what was done, or why")
    q.add_argument("--user", help="who acknowledges (default: the login name)")
    q.set_defaults(func=cmd_alarms)

    p = sub.add_parser("verify", help="check an incident snapshot against its manifest")
    p.add_argument("file", metavar="FILE", help="snapshot zip written by `export`")
    p.set_defaults(func=cmd_verify)

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
    if args.command == "collect":
        # A headless collector on a server keeps its log where platformdirs says logs go.
        from logging.handlers import RotatingFileHandler

        from models.paths import log_dir

        handler = RotatingFileHandler(
            log_dir() / "collector.log", maxBytes=10_000_000, backupCount=5
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    func: Handler = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
