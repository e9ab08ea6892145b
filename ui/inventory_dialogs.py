"""Inventory dialogs: import a file, add or edit a site, rack or device, probe, credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Engine, select

from models.inventory.edit import import_file, rack_entry, save_device, save_rack, save_site
from models.inventory.format import DEFAULT_PORTS, PHASES
from models.inventory.importer import ImportCancelled, ImportReport, InventoryError
from models.schema import Device, Rack, Site
from models.vocabulary import DEVICE_KINDS, OK, PROTOCOLS
from monitors.collection.targets import SnmpCredential, SnmpTarget, SshCredential
from monitors.credentials import AUTH_PROTOS, PRIV_PROTOS, CredentialError, open_store
from monitors.profiles.engine import ProfileError, ProfileSet
from monitors.snmp.probe import ProbeError, ProbeResult, probe_device
from ui import fmt

COMMON_ZONES = ("Asia/Shanghai", "UTC", "Asia/Hong_Kong", "Asia/Singapore", "Europe/Berlin")
DEFAULT_CREDENTIAL = "default"


class _Job(QThread):
    """Runs one function off the GUI thread; result or error come back as signals."""

    succeeded = Signal(object)
    errored = Signal(object)

    def __init__(self, fn: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # handed to the dialog, which says what went wrong
            self.errored.emit(exc)
        else:
            self.succeeded.emit(result)


def _problem_lines(exc: BaseException) -> list[str]:
    if isinstance(exc, InventoryError):
        return [str(p) for p in exc.problems]
    return [str(exc) or type(exc).__name__]


# -- import ----------------------------------------------------------------------------------


class ImportDialog(QDialog):
    """Choose a YAML or CSV file, import it with progress; cancel or problems write nothing."""

    imported = Signal(object)
    progressed = Signal(str, float)

    def __init__(self, engine: Engine, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import inventory"))
        self.engine, self.user = engine, user
        self.path = QLineEdit(self)
        self.path.setPlaceholderText(self.tr("YAML or CSV inventory file"))
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage = QLabel(self.tr("Nothing is written unless the whole file is valid."), self)
        self.stage.setWordWrap(True)
        self.problems = QListWidget(self)
        self.problems.setObjectName("importProblems")
        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            self.tr("Import"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(
            self.tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.progress)
        lay.addWidget(self.stage)
        lay.addWidget(QLabel(self.tr("Problems:"), self))
        lay.addWidget(self.problems, 1)
        lay.addWidget(self.buttons)
        self.resize(720, 420)
        self.job: _Job | None = None
        self.report: ImportReport | None = None
        self._cancelled = False
        self.progressed.connect(self._show_progress)
        self._stages = {
            "read": self.tr("Reading and checking the file…"),
            "check": self.tr("Checking against the database…"),
            "write": self.tr("Writing…"),
            "commit": self.tr("Saving…"),
            "done": self.tr("Done."),
        }

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Import inventory"),
            str(Path.home()),
            self.tr("Inventory (*.yaml *.yml *.csv);;All files (*)"),
        )
        if name:
            self.path.setText(name)

    def start(self) -> None:
        path = self.path.text().strip()
        if not path or self.job is not None:
            return
        self.problems.clear()
        self._cancelled = False
        self.import_button.setEnabled(False)
        engine, user = self.engine, self.user

        def progress(stage: str, fraction: float) -> bool:
            self.progressed.emit(stage, fraction)  # queued to the GUI thread
            return not self._cancelled

        self.job = _Job(lambda: import_file(engine, path, user=user, progress=progress), self)
        self.job.succeeded.connect(self._done)
        self.job.errored.connect(self._failed)
        self.job.start()

    def _show_progress(self, stage: str, fraction: float) -> None:
        self.progress.setValue(int(fraction * 100))
        self.stage.setText(self._stages.get(stage, stage))

    def _cancel(self) -> None:
        if self.job is not None:
            self._cancelled = True
            self.stage.setText(self.tr("Cancelling…"))
        else:
            self.reject()

    def _finish(self) -> None:
        if self.job is not None:
            self.job.wait()
            self.job = None
        self.import_button.setEnabled(True)

    def _done(self, report: ImportReport) -> None:
        self._finish()
        self.report = report
        self.progress.setValue(100)
        self.stage.setText(
            self.tr("Imported: sites %1; racks %2; devices %3.")
            .replace("%1", str(report.sites))
            .replace("%2", str(report.racks))
            .replace("%3", str(report.devices))
        )
        self.imported.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.progress.setValue(0)
        if isinstance(exc, ImportCancelled):
            self.stage.setText(self.tr("Cancelled; nothing was written."))
            return
        lines = _problem_lines(exc)
        self.problems.addItems(lines)
        self.stage.setText(
            self.tr("%1 problem(s); nothing was written.").replace("%1", str(len(lines)))
        )

    def wait_done(self) -> None:
        """Tests and closing: block until a running import has finished."""
        if self.job is not None:
            self.job.wait()


# -- credentials -----------------------------------------------------------------------------


class CredentialDialog(QDialog):
    """Add a named SNMP or SSH credential to the store (keyring or 0600 file)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New credential"))
        self.name = QLineEdit(self)
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("SNMP v2c"), "2c")
        self.kind.addItem(self.tr("SNMP v3"), "3")
        self.kind.addItem(self.tr("SSH"), "ssh")
        self.community = QLineEdit(self)
        self.community.setEchoMode(QLineEdit.EchoMode.Password)
        self.user = QLineEdit(self)
        self.auth_proto = QComboBox(self)
        self.auth_proto.addItems(list(AUTH_PROTOS))
        self.auth_proto.setCurrentText("sha256")
        self.auth_key = QLineEdit(self)
        self.auth_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.priv_proto = QComboBox(self)
        self.priv_proto.addItems(list(PRIV_PROTOS))
        self.priv_proto.setCurrentText("aes")
        self.priv_key = QLineEdit(self)
        self.priv_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Kind"), self.kind)
        form.addRow(self.tr("Community"), self.community)
        form.addRow(self.tr("User"), self.user)
        form.addRow(self.tr("Auth protocol"), self.auth_proto)
        form.addRow(self.tr("Auth key"), self.auth_key)
        form.addRow(self.tr("Privacy protocol"), self.priv_proto)
        form.addRow(self.tr("Privacy key"), self.priv_key)
        form.addRow(self.tr("SSH password"), self.password)
        self.form = form
        note = QLabel(self.tr("Secrets go to the credential store, never into the database."), self)
        note.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self._kind_changed()

    def _kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        by_kind: dict[str, set[QWidget]] = {
            "2c": {self.community},
            "3": {self.user, self.auth_proto, self.auth_key, self.priv_proto, self.priv_key},
            "ssh": {self.user, self.password},
        }
        shown = by_kind[kind]
        for w in (
            self.community,
            self.user,
            self.auth_proto,
            self.auth_key,
            self.priv_proto,
            self.priv_key,
            self.password,
        ):
            self.form.setRowVisible(w, w in shown)

    def credential(self) -> SnmpCredential | SshCredential:
        kind = self.kind.currentData()
        if kind == "2c":
            return SnmpCredential("2c", community=self.community.text())
        if kind == "3":
            return SnmpCredential(
                "3",
                user=self.user.text(),
                auth_proto=self.auth_proto.currentText(),  # type: ignore[arg-type]
                auth_key=self.auth_key.text(),
                priv_proto=self.priv_proto.currentText(),  # type: ignore[arg-type]
                priv_key=self.priv_key.text(),
            )
        return SshCredential(self.user.text(), password=self.password.text())

    def save(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.error.setText(self.tr("A credential needs a name."))
            return
        try:
            open_store().set(name, self.credential())
        except CredentialError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


# -- site and rack ---------------------------------------------------------------------------


def site_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(Site.code).order_by(Site.code))]


def rack_names(engine: Engine, site_code: str) -> list[str]:
    with engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                select(Rack.name)
                .join(Site, Site.id == Rack.site_id)
                .where(Site.code == site_code)
                .order_by(Rack.name)
            )
        ]


class _SaveDialog(QDialog):
    """A form whose Save runs an inventory change and lists its problems (nothing saved)."""

    saved = Signal(object)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.problems = QListWidget(self)
        self.problems.setObjectName("dialogProblems")
        self.problems.setMaximumHeight(110)
        self.problems.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addLayout(self.form)
        self.report: ImportReport | None = None

    def _finish_layout(self) -> None:
        self.body.addWidget(self.problems)
        self.body.addWidget(self.buttons)

    def change(self) -> ImportReport:
        raise NotImplementedError

    def save(self) -> None:
        self.problems.clear()
        try:
            self.report = self.change()
        except InventoryError as exc:
            self.problems.addItems(_problem_lines(exc))
            self.problems.show()
            return
        self.saved.emit(self.report)
        self.accept()


class SiteDialog(_SaveDialog):
    def __init__(
        self, engine: Engine, user: str, code: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(self.tr("Edit site") if code else self.tr("Add site"), parent)
        self.engine, self.user = engine, user
        self.code = QLineEdit(self)
        self.name = QLineEdit(self)
        self.tz = QComboBox(self)
        self.tz.setEditable(True)
        self.tz.addItems(list(COMMON_ZONES))
        self.form.addRow(self.tr("Code"), self.code)
        self.form.addRow(self.tr("Name"), self.name)
        self.form.addRow(self.tr("Time zone"), self.tz)
        if code:
            from models.inventory.edit import site_entry

            entry = site_entry(engine, code) or {}
            self.code.setText(code)
            self.code.setReadOnly(True)
            self.name.setText(str(entry.get("name", "")))
            self.tz.setCurrentText(str(entry.get("timezone", "UTC")))
        self._finish_layout()

    def change(self) -> ImportReport:
        return save_site(
            self.engine,
            {
                "code": self.code.text().strip(),
                "name": self.name.text().strip(),
                "timezone": self.tz.currentText().strip(),
            },
            user=self.user,
        )


class RackDialog(_SaveDialog):
    def __init__(
        self,
        engine: Engine,
        user: str,
        site: str | None = None,
        name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Edit rack") if name else self.tr("Add rack"), parent)
        self.engine, self.user = engine, user
        self.site = QComboBox(self)
        self.site.addItems(site_codes(engine))
        if site:
            self.site.setCurrentText(site)
        self.name = QLineEdit(self)
        self.row = QLineEdit(self)
        self.position = QSpinBox(self)
        self.position.setRange(0, 100_000)
        self.height_u = QSpinBox(self)
        self.height_u.setRange(1, 60)
        self.height_u.setValue(42)
        self.rated = QDoubleSpinBox(self)
        self.rated.setRange(0, 1_000_000)
        self.rated.setDecimals(0)
        self.rated.setSuffix(" W")
        self.rated.setSpecialValueText(self.tr("not set"))
        self.form.addRow(self.tr("Site"), self.site)
        self.form.addRow(self.tr("Name"), self.name)
        self.form.addRow(self.tr("Row"), self.row)
        self.form.addRow(self.tr("Position in row"), self.position)
        self.form.addRow(self.tr("Height (U)"), self.height_u)
        self.form.addRow(self.tr("Rated power"), self.rated)
        self.feeds: dict[str, tuple[QGroupBox, QDoubleSpinBox, QComboBox, QDoubleSpinBox]] = {}
        for feed in ("A", "B"):
            box = QGroupBox(self.tr("Feed %1").replace("%1", feed), self)
            box.setCheckable(True)
            box.setChecked(False)
            breaker = QDoubleSpinBox(box)
            breaker.setRange(1, 1000)
            breaker.setValue(32)
            breaker.setSuffix(" A")
            phases = QComboBox(box)
            for p in PHASES:
                phases.addItem(str(p), p)
            volts = QDoubleSpinBox(box)
            volts.setRange(90, 480)
            volts.setValue(230)
            volts.setSuffix(" V")
            f = QFormLayout(box)
            f.addRow(self.tr("Breaker"), breaker)
            f.addRow(self.tr("Phases"), phases)
            f.addRow(self.tr("Voltage"), volts)
            self.body.addWidget(box)
            self.feeds[feed] = (box, breaker, phases, volts)
        if site and name:
            self._load(site, name)
        self._finish_layout()

    def _load(self, site: str, name: str) -> None:
        entry = rack_entry(self.engine, site, name) or {}
        self.site.setEnabled(False)
        self.name.setText(name)
        self.name.setReadOnly(True)
        self.row.setText(str(entry.get("row", "")))
        self.position.setValue(int(entry.get("position", 0)))
        self.height_u.setValue(int(entry.get("height_u", 42)))
        self.rated.setValue(float(entry.get("rated_power_w") or 0))
        for feed, values in dict(entry.get("feeds", {})).items():
            box, breaker, phases, volts = self.feeds[feed]
            box.setChecked(True)
            breaker.setValue(float(values["breaker_a"]))
            phases.setCurrentText(str(values["phases"]))
            volts.setValue(float(values["voltage_v"]))

    def change(self) -> ImportReport:
        rack: dict[str, Any] = {
            "name": self.name.text().strip(),
            "row": self.row.text().strip(),
            "position": self.position.value(),
            "height_u": self.height_u.value(),
            "rated_power_w": self.rated.value() or None,
        }
        feeds = {
            feed: {"breaker_a": b.value(), "phases": p.currentData(), "voltage_v": v.value()}
            for feed, (box, b, p, v) in self.feeds.items()
            if box.isChecked()
        }
        if feeds:
            rack["feeds"] = feeds
        return save_rack(self.engine, self.site.currentText(), rack, user=self.user)


# -- device ----------------------------------------------------------------------------------


def _snmp_credential(name: str | None) -> SnmpCredential:
    """The chosen credential, else the store's default, else v2c 'public' (as the collector)."""
    store = open_store()
    key = name or DEFAULT_CREDENTIAL
    try:
        cred = store.get(key)
    except CredentialError:
        if name:
            raise
        return SnmpCredential()
    if not isinstance(cred, SnmpCredential):
        raise CredentialError(f"credential {key!r} is for SSH, not SNMP")
    return cred


def run_probe(host: str, port: int, credential: str | None, profile: str | None) -> ProbeResult:
    """Probe one SNMP device (called off the GUI thread): what its profile reads, once."""
    target = SnmpTarget(host, port, _snmp_credential(credential), timeout_s=2.0, retries=1)
    profiles = ProfileSet.load()
    return asyncio.run(probe_device(target, profile, profiles))


class DeviceDialog(_SaveDialog):
    """Add or edit a device; Probe shows what its profile reads before anything is saved."""

    probed = Signal(object)

    def __init__(
        self,
        engine: Engine,
        user: str,
        *,
        site: str | None = None,
        rack: str | None = None,
        device: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(self.tr("Edit device") if device else self.tr("Add device"), parent)
        self.engine, self.user = engine, user
        # Editable: a code or rack name not in the list is created (with defaults) on save,
        # as a CSV import does, so the first device needs no site or rack set up before it.
        self.site = QComboBox(self)
        self.site.setEditable(True)
        self.site.addItems(site_codes(engine))
        edit = self.site.lineEdit()
        if edit is not None:
            edit.setPlaceholderText(self.tr("site code, e.g. GA1"))
        self.rack = QComboBox(self)
        self.rack.setEditable(True)
        self.name = QLineEdit(self)
        self.kind = QComboBox(self)
        kind_names = {
            "pdu": self.tr("PDU"),
            "server": self.tr("Server"),
            "sensor": self.tr("Sensor"),
            "switch": self.tr("Switch"),
        }
        for k in DEVICE_KINDS:
            self.kind.addItem(kind_names.get(k, k), k)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText(self.tr("IP address or host name"))
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText(self.tr("default"))
        self.protocol = QComboBox(self)
        for p in PROTOCOLS:
            self.protocol.addItem(p.upper() if p != "none" else self.tr("none"), p)
        self.u = QSpinBox(self)
        self.u.setRange(0, 60)
        self.u.setSpecialValueText(self.tr("not placed"))
        self.height_u = QSpinBox(self)
        self.height_u.setRange(1, 60)
        self.feed = QComboBox(self)
        self.feed.addItem(self.tr("none"), "")
        self.feed.addItem("A", "A")
        self.feed.addItem("B", "B")
        self.model = QLineEdit(self)
        self.serial = QLineEdit(self)
        self.profile = QComboBox(self)
        self.profile.addItem(self.tr("automatic"), "")
        try:
            for name in ProfileSet.load().names:
                self.profile.addItem(name, name)
        except ProfileError:
            pass
        self.credential = QComboBox(self)
        new_cred = QPushButton(self.tr("New…"), self)
        new_cred.clicked.connect(self._new_credential)
        cred_row = QHBoxLayout()
        cred_row.addWidget(self.credential, 1)
        cred_row.addWidget(new_cred)
        self.interval = QSpinBox(self)
        self.interval.setRange(5, 86_400)
        self.interval.setValue(60)
        self.interval.setSuffix(" s")
        self.enabled = QCheckBox(self.tr("Poll this device"), self)
        self.enabled.setChecked(True)
        for label, w in (
            (self.tr("Site"), self.site),
            (self.tr("Rack"), self.rack),
            (self.tr("Name"), self.name),
            (self.tr("Kind"), self.kind),
            (self.tr("Address"), self.address),
            (self.tr("Port"), self.port),
            (self.tr("Protocol"), self.protocol),
            (self.tr("Lowest U"), self.u),
            (self.tr("Height (U)"), self.height_u),
            (self.tr("Feed"), self.feed),
            (self.tr("Model"), self.model),
            (self.tr("Serial"), self.serial),
            (self.tr("Profile"), self.profile),
        ):
            self.form.addRow(label, w)
        self.form.addRow(self.tr("Credential"), cred_row)
        self.form.addRow(self.tr("Poll interval"), self.interval)
        self.form.addRow("", self.enabled)
        self.probe_button = QPushButton(self.tr("Probe"), self)
        self.probe_button.clicked.connect(self.probe)
        self.probe_status = QLabel(
            self.tr("Probe reads the device once with its profile; nothing is saved."), self
        )
        self.probe_status.setWordWrap(True)
        self.readings = QTableWidget(0, 4, self)
        self.readings.setObjectName("probeReadings")
        self.readings.setHorizontalHeaderLabels(
            [self.tr("Metric"), self.tr("Channel"), self.tr("Value"), self.tr("Unit")]
        )
        self.readings.verticalHeader().setVisible(False)
        self.readings.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.readings.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        probe_row = QHBoxLayout()
        probe_row.addWidget(self.probe_button)
        probe_row.addWidget(self.probe_status, 1)
        self.body.addLayout(probe_row)
        self.body.addWidget(self.readings, 1)
        self.site.currentTextChanged.connect(self._fill_racks)
        self.protocol.currentIndexChanged.connect(lambda _i: self._protocol_changed())
        self.job: _Job | None = None
        self.probe_result: ProbeResult | None = None
        self._fill_credentials()
        if site:
            self.site.setCurrentText(site)
        self._fill_racks(self.site.currentText())
        if rack:
            self.rack.setCurrentIndex(max(0, self.rack.findData(rack)))
        if site and device:
            self._load(site, device)
        self._protocol_changed()
        self._finish_layout()
        self.resize(620, 760)

    def _fill_racks(self, site: str) -> None:
        current = self.rack.currentData()
        self.rack.clear()
        self.rack.addItem(self.tr("(no rack)"), "")
        for name in rack_names(self.engine, site) if site else []:
            self.rack.addItem(name, name)
        if current:
            self.rack.setCurrentIndex(max(0, self.rack.findData(current)))

    def _fill_credentials(self, select_name: str | None = None) -> None:
        self.credential.clear()
        self.credential.addItem(self.tr("(the store's default)"), "")
        try:
            names = open_store().names()
        except CredentialError:
            names = []
        for name in names:
            self.credential.addItem(name, name)
        if select_name:
            self.credential.setCurrentIndex(max(0, self.credential.findData(select_name)))

    def _new_credential(self) -> None:
        dlg = CredentialDialog(self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._fill_credentials(dlg.name.text().strip())

    def _protocol_changed(self) -> None:
        self.probe_button.setEnabled(self.protocol.currentData() == "snmp" and self.job is None)

    def _load(self, site: str, name: str) -> None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Device, Rack.name)
                .join(Site, Site.id == Device.site_id)
                .outerjoin(Rack, Rack.id == Device.rack_id)
                .where(Site.code == site, Device.name == name)
            ).first()
        if row is None:
            return
        d, rack = row[0], row[1]
        self.site.setEnabled(False)
        self.name.setText(d.name)
        self.name.setReadOnly(True)
        self.rack.setCurrentIndex(max(0, self.rack.findData(rack or "")))
        self.kind.setCurrentIndex(max(0, self.kind.findData(d.kind)))
        self.address.setText(d.address or "")
        self.port.setValue(d.port or 0)
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(d.protocol)))
        self.u.setValue(d.u_position or 0)
        self.height_u.setValue(d.u_height or 1)
        self.feed.setCurrentIndex(max(0, self.feed.findData(d.feed or "")))
        self.model.setText(d.model or "")
        self.serial.setText(d.serial or "")
        self.profile.setCurrentIndex(max(0, self.profile.findData(d.profile or "")))
        if d.credential and self.credential.findData(d.credential) < 0:
            self.credential.addItem(d.credential, d.credential)
        self.credential.setCurrentIndex(max(0, self.credential.findData(d.credential or "")))
        self.interval.setValue(d.poll_interval_s)
        self.enabled.setChecked(bool(d.enabled))

    def _rack_name(self) -> str | None:
        text = self.rack.currentText().strip()
        if not text or self.rack.findText(text) == 0:  # "(no rack)"
            return None
        return text

    def values(self) -> dict[str, Any]:
        """The device as one CSV row of the inventory format (empty = default)."""
        return {
            "site": self.site.currentText().strip(),
            "rack": self._rack_name(),
            "name": self.name.text().strip(),
            "kind": self.kind.currentData(),
            "u": self.u.value() or None,
            "height_u": self.height_u.value(),
            "feed": self.feed.currentData() or None,
            "model": self.model.text().strip(),
            "serial": self.serial.text().strip(),
            "address": self.address.text().strip(),
            "port": self.port.value() or None,
            "protocol": self.protocol.currentData(),
            "profile": self.profile.currentData() or None,
            "credential": self.credential.currentData() or None,
            "poll_interval_s": self.interval.value(),
            "enabled": "true" if self.enabled.isChecked() else "false",
        }

    def change(self) -> ImportReport:
        return save_device(self.engine, self.values(), user=self.user)

    # -- probe ------------------------------------------------------------------------------

    def probe(self) -> None:
        host = self.address.text().strip()
        if not host or self.job is not None:
            if not host:
                self.probe_status.setText(self.tr("Enter the device's address first."))
            return
        port = self.port.value() or DEFAULT_PORTS["snmp"] or 161
        cred = self.credential.currentData() or None
        profile = self.profile.currentData() or None
        self.probe_status.setText(self.tr("Probing %1…").replace("%1", f"{host}:{port}"))
        self.readings.setRowCount(0)
        self.job = _Job(lambda: run_probe(host, port, cred, profile), self)
        self.job.succeeded.connect(self._probe_done)
        self.job.errored.connect(self._probe_failed)
        self._protocol_changed()
        self.job.start()

    def _probe_finished(self) -> None:
        if self.job is not None:
            self.job.wait()
            self.job = None
        self._protocol_changed()

    def _probe_done(self, result: ProbeResult) -> None:
        self._probe_finished()
        self.probe_result = result
        ident = result.identity
        first = ident.sys_descr.splitlines()[0] if ident.sys_descr else ""
        if result.profile is None or result.status != OK:
            # It answered but gave nothing to save readings from: say why (probe's reason).
            self.probe_status.setText(
                self.tr("Probe found no readings: %1").replace("%1", result.reason)
            )
        else:
            self.probe_status.setText(
                self.tr("Profile %1 reads %2 values. %3")
                .replace("%1", result.profile)
                .replace("%2", str(len(result.readings)))
                .replace("%3", first[:120])
            )
        self.readings.setRowCount(len(result.readings))
        for i, r in enumerate(result.readings):
            for col, text in enumerate(
                (fmt.metric_name(r.metric), r.channel, f"{r.value:.6g}", r.unit)
            ):
                self.readings.setItem(i, col, QTableWidgetItem(text))
        self.readings.resizeColumnToContents(0)
        if not self.name.text().strip() and ident.sys_name:
            self.name.setText(ident.sys_name)
        self.probed.emit(result)

    def _probe_failed(self, exc: BaseException) -> None:
        self._probe_finished()
        if isinstance(exc, ProbeError | CredentialError | ProfileError | OSError):
            self.probe_status.setText(self.tr("Probe failed: %1").replace("%1", str(exc)))
        else:
            self.probe_status.setText(self.tr("Probe failed: %1").replace("%1", repr(exc)))

    def done(self, result: int) -> None:
        if self.job is not None:
            self.job.wait()
        super().done(result)
