"""Fill Chinese translations into resources/translations/rackwatch_zh_CN.ts (a maintainer tool).

Run after pyside6-lupdate: every (context, source) below gets its translation, unfinished marks
are dropped, then pyside6-lrelease builds the .qm. Keys without a context apply to every
context that has the source text.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TS = Path(__file__).resolve().parent.parent / "resources" / "translations" / "rackwatch_zh_CN.ts"

ANY: dict[str, str] = {
    "New credential": "新建凭据",
    "SNMP v2c": "SNMP v2c",
    "SNMP v3": "SNMP v3",
    "SSH": "SSH",
    "Name": "名称",
    "Kind": "类型",
    "Community": "团体名",
    "User": "用户",
    "Auth protocol": "认证协议",
    "Auth key": "认证密钥",
    "Privacy protocol": "加密协议",
    "Privacy key": "加密密钥",
    "SSH password": "SSH 密码",
    "Secrets go to the credential store, never into the database.": "密钥保存在凭据库中，绝不写入数据库。",
    "A credential needs a name.": "凭据需要一个名称。",
    "Edit device": "编辑设备",
    "Add device": "添加设备",
    "PDU": "PDU",
    "Server": "服务器",
    "Sensor": "传感器",
    "Switch": "交换机",
    "IP address or host name": "IP 地址或主机名",
    "default": "默认",
    "none": "无",
    "not placed": "未安装",
    "automatic": "自动",
    "New…": "新建…",
    "Poll this device": "轮询此设备",
    "Site": "站点",
    "Rack": "机柜",
    "Address": "地址",
    "Port": "端口",
    "Protocol": "协议",
    "Lowest U": "最低 U 位",
    "Height (U)": "高度（U）",
    "Feed": "供电路",
    "Model": "型号",
    "Serial": "序列号",
    "Profile": "配置文件",
    "Credential": "凭据",
    "Poll interval": "轮询间隔",
    "Probe": "探测",
    "Probe reads the device once with its profile; nothing is saved.": "探测会按配置文件读取设备一次，不保存任何内容。",
    "Metric": "指标",
    "Channel": "通道",
    "Value": "数值",
    "Unit": "单位",
    "(no rack)": "（无机柜）",
    "(the store's default)": "（凭据库默认）",
    "Enter the device's address first.": "请先输入设备地址。",
    "Probing %1…": "正在探测 %1…",
    "Profile %1 reads %2 values. %3": "配置文件 %1 读取到 %2 个数值。%3",
    "Probe failed: %1": "探测失败：%1",
    "Probe found no readings: %1": "探测未得到读数：%1",
    "site code, e.g. GA1": "站点代码，例如 GA1",
    "cleared": "已清除",
    " · stale": " · 过期",
    "%n racks": "%n 个机柜",
    "1 alarm": "1 条告警",
    "%1 alarms": "%1 条告警",
    "Incident %1 · %2 · %3": "事件 %1 · %2 · %3",
    "%1 open alarms (%2 in all) on %3 racks": "%3 个机柜上 %1 条未处理告警（共 %2 条）",
    "First %1 UTC, last %2 UTC": "首次 %1 UTC，最近 %2 UTC",
    "Peak %1": "峰值 %1",
    "Data is stale: the value may have changed since": "数据已过期：数值此后可能已变化",
    "Acknowledge the selected incident (all its alarms) or alarm with a note (Ctrl+K)": "确认所选事件（含其全部告警）或告警并填写备注（Ctrl+K）",
    "%n new — show": "%n 条新 — 显示",
    "%1 incidents · %2 active alarms (%3 critical) · %4 acknowledged · %5 shelved": "%1 个事件 · %2 条活动告警（%3 条严重）· %4 条已确认 · %5 条已搁置",
    "Incident shelved for %1": "事件已搁置 %1",
    "Acknowledge incident": "确认事件",
    "%1\n\nAll %2 open alarms in it are acknowledged with this note.": "%1\n\n其中全部 %2 条未处理告警都将以此备注确认。",
    "Incident acknowledged by %1": "事件已由 %1 确认",
    "RackWatch": "RackWatch",
    "New critical incident: %1": "新的严重事件：%1",
    "Data stale: nothing new to follow": "数据过期：没有新数据可跟随",
    "Follow new samples as they arrive (L)": "新样本到达时自动跟随（L）",
    "S&nooze alarm sound for 5 minutes": "告警声音静音 5 分钟(&N)",
    "Sound for new critical incidents (repeats until acknowledged)": "新严重事件提示音（重复直到确认）",
    "Desktop notifications": "桌面通知",
    "Root cause / notes for page 1 (e.g. CRAC-3 compressor tripped at 10:02)": "第 1 页的根本原因 / 备注（例如 CRAC-3 压缩机于 10:02 跳闸）",
    "Root cause / notes": "根本原因 / 备注",
    "DATA STALE — no collector has reported for %1; newest sample %2": "数据过期 — %1 内没有采集器上报；最新样本 %2",
    "DATA STALE — no new sample for %1; newest sample %2": "数据过期 — %1 内没有新样本；最新样本 %2",
    "Not reporting: %1": "未上报：%1",
    "(%n acknowledged incidents)": "（%n 个已确认事件）",
    "(+%1 more)": "（另有 %1 条）",
    "STALE since %1": "自 %1 起过期",
    "%1 h %2 min": "%1 小时 %2 分钟",
    "%1 min %2 s": "%1 分钟 %2 秒",
    "No sites yet": "尚无站点",
    "RackWatch watches the sites, racks and devices of its inventory. Bring yours in, add one device by its address, or look around in a simulated data hall first.": "RackWatch 监视其资产清单中的站点、机柜和设备。请导入您的清单、按地址添加一台设备，或先在模拟机房中看看。",
    "Import inventory…": "导入资产清单…",
    "Add a device…": "添加设备…",
    "Start the demo": "启动演示",
    "Load sites, racks and devices from a YAML or CSV file.": "从 YAML 或 CSV 文件载入站点、机柜和设备。",
    "Enter a PDU or server by address, probe it and save it.": "按地址输入一台 PDU 或服务器，探测后保存。",
    "Start simulated sites on this machine, collect them and open them.": "在本机启动模拟站点，采集并打开它们。",
    "Import inventory": "导入资产清单",
    "YAML or CSV inventory file": "YAML 或 CSV 资产清单文件",
    "Browse…": "浏览…",
    "Nothing is written unless the whole file is valid.": "只有整个文件有效时才会写入。",
    "Import": "导入",
    "Cancel": "取消",
    "Problems:": "问题：",
    "Reading and checking the file…": "正在读取并检查文件…",
    "Checking against the database…": "正在与数据库核对…",
    "Writing…": "正在写入…",
    "Saving…": "正在保存…",
    "Done.": "完成。",
    "Inventory (*.yaml *.yml *.csv);;All files (*)": "资产清单 (*.yaml *.yml *.csv);;所有文件 (*)",
    "Cancelling…": "正在取消…",
    "Imported: sites %1; racks %2; devices %3.": "已导入：站点 %1；机柜 %2；设备 %3。",
    "Cancelled; nothing was written.": "已取消，未写入任何内容。",
    "%1 problem(s); nothing was written.": "%1 个问题，未写入任何内容。",
    "RackWatch — %1": "RackWatch — %1",
    "The demo is starting in its own window (it takes a minute).": "演示正在独立窗口中启动（约需一分钟）。",
    "Could not start the demo.": "无法启动演示。",
    "&Import inventory…": "导入资产清单(&I)…",
    "&Inventory": "资产(&I)",
    "Add &site…": "添加站点(&S)…",
    "Add &rack…": "添加机柜(&R)…",
    "Add &device…": "添加设备(&D)…",
    "&Edit selected…": "编辑所选(&E)…",
    "RackWatch — power and temperature of server racks.\nDatabase: %1": "RackWatch — 服务器机柜的功率与温度。\n数据库：%1",
    "%1 kW": "%1 kW",
    "Edit rack": "编辑机柜",
    "Add rack": "添加机柜",
    "not set": "未设置",
    "Row": "列",
    "Position in row": "列内位置",
    "Rated power": "额定功率",
    "Feed %1": "供电路 %1",
    "Breaker": "断路器",
    "Phases": "相数",
    "Voltage": "电压",
    "Edit site": "编辑站点",
    "Add site": "添加站点",
    "Code": "代码",
    "Time zone": "时区",
    "No matches for “%1”.\nSearch by name, IP address, IP:port, serial or model.": "没有与“%1”匹配的设备。\n可按名称、IP 地址、IP:端口、序列号或型号搜索。",
    "Zip (*.zip)": "Zip (*.zip)",
    "%1 (%2 ago)%3": "%1（%2前）%3",
    "15 minutes": "15 分钟",
    "1 hour": "1 小时",
    "4 hours": "4 小时",
    "8 hours (a shift)": "8 小时（一个班次）",
    "24 hours": "24 小时",
    "%1 racks · %2 kW · hottest inlet %3 °C · %4 racks critical, %5 warning · %6 devices down · local time %7": "%1 个机柜 · %2 kW · 最高进风 %3 °C · %4 个机柜严重、%5 个警告 · %6 台设备离线 · 当地时间 %7",
    "Collectors: …": "采集器：…",
    "No collector has reported": "尚无采集器上报",
    "Collectors alive: %1 of %2": "在线采集器：%1 / %2",
    "Devices OK %1 · unreachable %2 · stale %3": "设备正常 %1 · 无法访问 %2 · 数据过期 %3",
    "No samples yet": "尚无样本",
    "Newest sample %1 ago": "最新样本于 %1前",
    "%1 s": "%1 秒",
    "%1 min": "%1 分钟",
    "%1 h": "%1 小时",
    "%1 d": "%1 天",
    "15 min": "15 分钟",
    "1 h": "1 小时",
    "6 h": "6 小时",
    "24 h": "24 小时",
    "7 d": "7 天",
    "30 d": "30 天",
    "90 d": "90 天",
    "Start &collecting on this desk": "在本机开始采集(&C)",
    "Collecting on this desk until the window closes.": "本机正在采集，直到窗口关闭。",
    "Could not start the collector.": "无法启动采集器。",
    "No collector": "没有采集器",
    "No collector is polling this database, so the new device will not show live values. Start collecting on this desk now?": "没有采集器在轮询此数据库，新设备不会显示实时数值。现在在本机开始采集吗？",
}
BY_CONTEXT: dict[tuple[str, str], str] = {
    ("metric", "Power"): "功率",
    ("metric", "Apparent power"): "视在功率",
    ("metric", "Energy"): "电能",
    ("metric", "Current"): "电流",
    ("metric", "Voltage"): "电压",
    ("metric", "Frequency"): "频率",
    ("metric", "Temperature"): "温度",
    ("metric", "Humidity"): "湿度",
    ("metric", "Fan"): "风扇",
    ("metric", "Power factor"): "功率因数",
    ("metric", "State"): "状态",
    ("role", "inlet"): "进风",
    ("role", "outlet"): "出风",
    ("role", "exhaust"): "排风",
    ("role", "ambient"): "环境",
    ("role", "cpu"): "CPU",
    ("role", "memory"): "内存",
    ("role", "disk"): "硬盘",
    ("role", "psu"): "电源",
    ("role", "board"): "主板",
    ("role", "other"): "其他",
    ("state", "ok"): "正常",
    ("state", "warning"): "警告",
    ("state", "critical"): "严重",
    ("state", "stale"): "过期",
    ("state", "unreachable"): "无法访问",
    ("state", "unknown"): "未知",
}


def main() -> int:
    tree = ET.parse(TS)
    missing: list[str] = []
    for ctx in tree.getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for msg in ctx.iter("message"):
            source = msg.findtext("source") or ""
            tr = msg.find("translation")
            assert tr is not None
            text = BY_CONTEXT.get((name, source), ANY.get(source))
            if text is not None and msg.get("numerus") == "yes":
                # Chinese has one plural form: a single numerusform.
                for child in list(tr):
                    tr.remove(child)
                tr.text = None
                ET.SubElement(tr, "numerusform").text = text
                tr.attrib.pop("type", None)
            elif text is not None:
                tr.text = text
                tr.attrib.pop("type", None)
            elif tr.get("type") == "unfinished":
                missing.append(f"{name}: {source!r}")
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    for line in missing:
        print(f"untranslated: {line}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
