<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlarmModel</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="110" />
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="111" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="112" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="113" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="114" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="115" />
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="116" />
        <source>Message</source>
        <translation>信息</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="117" />
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="274" />
        <source>shelved until %1</source>
        <translation>搁置至 %1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="279" />
        <source>active</source>
        <translation>活动</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="280" />
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="281" />
        <source>cleared</source>
        <translation>已清除</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="283" />
        <source> · stale</source>
        <translation> · 过期</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="321" />
        <source>CRITICAL</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="321" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="330" />
        <source>%1 (%2 ago)%3</source>
        <translation>%1（%2前）%3</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/alarm_dock.py" line="353" />
        <source>%n racks</source>
        <translation><numerusform>%n 个机柜</numerusform></translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="357" />
        <source>1 alarm</source>
        <translation>1 条告警</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="358" />
        <source>%1 alarms</source>
        <translation>%1 条告警</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="366" />
        <source>Incident %1 · %2 · %3</source>
        <translation>事件 %1 · %2 · %3</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="368" />
        <source>%1 open alarms (%2 in all) on %3 racks</source>
        <translation>%3 个机柜上 %1 条未处理告警（共 %2 条）</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="370" />
        <source>First %1 UTC, last %2 UTC</source>
        <translation>首次 %1 UTC，最近 %2 UTC</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="374" />
        <source>Peak %1</source>
        <translation>峰值 %1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="404" />
        <source>Raised %1 UTC</source>
        <translation>触发于 %1 UTC</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="408" />
        <source>Value %1, threshold %2</source>
        <translation>数值 %1，阈值 %2</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="414" />
        <source>Acknowledged by %1: %2</source>
        <translation>由 %1 确认：%2</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="419" />
        <source>Data is stale: the value may have changed since</source>
        <translation>数据已过期：数值此后可能已变化</translation>
    </message>
</context>
<context>
    <name>AlarmPanel</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="47" />
        <source>15 minutes</source>
        <translation>15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="48" />
        <source>1 hour</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="49" />
        <source>4 hours</source>
        <translation>4 小时</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="50" />
        <source>8 hours (a shift)</source>
        <translation>8 小时（一个班次）</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="51" />
        <source>24 hours</source>
        <translation>24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="496" />
        <source>Acknowledge…</source>
        <translation>确认…</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="499" />
        <source>Acknowledge the selected incident (all its alarms) or alarm with a note (Ctrl+K)</source>
        <translation>确认所选事件（含其全部告警）或告警并填写备注（Ctrl+K）</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/alarm_dock.py" line="629" />
        <source>%n new — show</source>
        <translation><numerusform>%n 条新 — 显示</numerusform></translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="640" />
        <source>%1 incidents · %2 active alarms (%3 critical) · %4 acknowledged · %5 shelved</source>
        <translation>%1 个事件 · %2 条活动告警（%3 条严重）· %4 条已确认 · %5 条已搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="854" />
        <source>Incident shelved for %1</source>
        <translation>事件已搁置 %1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="504" />
        <source>Shelve</source>
        <translation>搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="508" />
        <source>for %1</source>
        <translation>%1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="512" />
        <source>Show acknowledged and shelved</source>
        <translation>显示已确认和已搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="608" />
        <source>Could not change the alarm: %1</source>
        <translation>无法更改告警：%1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="750" />
        <source>History: </source>
        <translation>历史：</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="801" />
        <source>Acknowledge incident</source>
        <translation>确认事件</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="802" />
        <source>%1

All %2 open alarms in it are acknowledged with this note.</source>
        <translation>%1

其中全部 %2 条未处理告警都将以此备注确认。</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="811" />
        <source>Acknowledge alarm</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="820" />
        <source>Alarm acknowledged by %1</source>
        <translation>告警已由 %1 确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="828" />
        <source>Incident acknowledged by %1</source>
        <translation>事件已由 %1 确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="845" />
        <source>Alarm shelved for %1</source>
        <translation>告警已搁置 %1</translation>
    </message>
</context>
<context>
    <name>Alerter</name>
    <message>
        <location filename="../../ui/alerts.py" line="101" />
        <source>RackWatch</source>
        <translation>RackWatch</translation>
    </message>
</context>
<context>
    <name>CredentialDialog</name>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="214" />
        <source>New credential</source>
        <translation>新建凭据</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="217" />
        <source>SNMP v2c</source>
        <translation>SNMP v2c</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="218" />
        <source>SNMP v3</source>
        <translation>SNMP v3</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="219" />
        <source>SSH</source>
        <translation>SSH</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="236" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="237" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="238" />
        <source>Community</source>
        <translation>团体名</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="239" />
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="240" />
        <source>Auth protocol</source>
        <translation>认证协议</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="241" />
        <source>Auth key</source>
        <translation>认证密钥</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="242" />
        <source>Privacy protocol</source>
        <translation>加密协议</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="243" />
        <source>Privacy key</source>
        <translation>加密密钥</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="244" />
        <source>SSH password</source>
        <translation>SSH 密码</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="246" />
        <source>Secrets go to the credential store, never into the database.</source>
        <translation>密钥保存在凭据库中，绝不写入数据库。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="301" />
        <source>A credential needs a name.</source>
        <translation>凭据需要一个名称。</translation>
    </message>
</context>
<context>
    <name>DeviceDialog</name>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="542" />
        <source>Edit device</source>
        <translation>编辑设备</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="542" />
        <source>Add device</source>
        <translation>添加设备</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="551" />
        <source>site code, e.g. GA1</source>
        <translation>站点代码，例如 GA1</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="557" />
        <source>PDU</source>
        <translation>PDU</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="558" />
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="559" />
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="560" />
        <source>Switch</source>
        <translation>交换机</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="565" />
        <source>IP address or host name</source>
        <translation>IP 地址或主机名</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="568" />
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="571" />
        <location filename="../../ui/inventory_dialogs.py" line="578" />
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="574" />
        <source>not placed</source>
        <translation>未安装</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="584" />
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="591" />
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="600" />
        <source>Poll this device</source>
        <translation>轮询此设备</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="603" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="604" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="605" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="606" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="607" />
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="608" />
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="609" />
        <source>Protocol</source>
        <translation>协议</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="610" />
        <source>Lowest U</source>
        <translation>最低 U 位</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="611" />
        <source>Height (U)</source>
        <translation>高度（U）</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="612" />
        <source>Feed</source>
        <translation>供电路</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="613" />
        <source>Model</source>
        <translation>型号</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="614" />
        <source>Serial</source>
        <translation>序列号</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="615" />
        <source>Profile</source>
        <translation>配置文件</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="618" />
        <source>Credential</source>
        <translation>凭据</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="619" />
        <source>Poll interval</source>
        <translation>轮询间隔</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="621" />
        <source>Probe</source>
        <translation>探测</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="624" />
        <source>Probe reads the device once with its profile; nothing is saved.</source>
        <translation>探测会按配置文件读取设备一次，不保存任何内容。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="630" />
        <source>Metric</source>
        <translation>指标</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="630" />
        <source>Channel</source>
        <translation>通道</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="630" />
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="630" />
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="659" />
        <source>(no rack)</source>
        <translation>（无机柜）</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="667" />
        <source>(the store's default)</source>
        <translation>（凭据库默认）</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="752" />
        <source>Enter the device's address first.</source>
        <translation>请先输入设备地址。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="757" />
        <source>Probing %1…</source>
        <translation>正在探测 %1…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="779" />
        <source>Probe found no readings: %1</source>
        <translation>探测未得到读数：%1</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="783" />
        <source>Profile %1 reads %2 values. %3</source>
        <translation>配置文件 %1 读取到 %2 个数值。%3</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="802" />
        <location filename="../../ui/inventory_dialogs.py" line="804" />
        <source>Probe failed: %1</source>
        <translation>探测失败：%1</translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <location filename="../../ui/first_run.py" line="89" />
        <source>No sites yet</source>
        <translation>尚无站点</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="97" />
        <source>RackWatch watches the sites, racks and devices of its inventory. Bring yours in, add one device by its address, or look around in a simulated data hall first.</source>
        <translation>RackWatch 监视其资产清单中的站点、机柜和设备。请导入您的清单、按地址添加一台设备，或先在模拟机房中看看。</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="104" />
        <source>Import inventory…</source>
        <translation>导入资产清单…</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="105" />
        <source>Add a device…</source>
        <translation>添加设备…</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="106" />
        <source>Start the demo</source>
        <translation>启动演示</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="114" />
        <source>Load sites, racks and devices from a YAML or CSV file.</source>
        <translation>从 YAML 或 CSV 文件载入站点、机柜和设备。</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="119" />
        <source>Enter a PDU or server by address, probe it and save it.</source>
        <translation>按地址输入一台 PDU 或服务器，探测后保存。</translation>
    </message>
    <message>
        <location filename="../../ui/first_run.py" line="124" />
        <source>Start simulated sites on this machine, collect them and open them.</source>
        <translation>在本机启动模拟站点，采集并打开它们。</translation>
    </message>
</context>
<context>
    <name>ExportWorker</name>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="84" />
        <source>Export cancelled; no file was written.</source>
        <translation>导出已取消，未写入文件。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="88" />
        <source>Export failed: {0}</source>
        <translation>导出失败：{0}</translation>
    </message>
</context>
<context>
    <name>FloorMapWidget</name>
    <message>
        <location filename="../../ui/floor_map.py" line="238" />
        <source>Loading floor map…</source>
        <translation>正在加载平面图…</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="244" />
        <source>This site has no racks</source>
        <translation>此站点没有机柜</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="362" />
        <source>Hottest inlet °C</source>
        <translation>最高进风温度 °C</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="363" />
        <source>Power % of rated</source>
        <translation>功率占额定 %</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="364" />
        <source>Worst state</source>
        <translation>最差状态</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="365" />
        <source>Feed A lost: % of B</source>
        <translation>A 路失电：占 B 路 %</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="374" />
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="375" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="376" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="377" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="378" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="379" />
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="420" />
        <source>no data</source>
        <translation>无数据</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="430" />
        <source>device down</source>
        <translation>设备离线</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="458" />
        <source>Row %1, position %2</source>
        <translation>第 %1 排，位置 %2</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="463" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="464" />
        <source>Hottest inlet: %1 °C</source>
        <translation>最高进风：%1 °C</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="465" />
        <source>Power: %1 kW</source>
        <translation>功率：%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="469" />
        <source> of %1 kW (%2 %)</source>
        <translation> / %1 kW（%2 %）</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="475" />
        <source>Devices: %1 OK, %2 unreachable, %3 stale</source>
        <translation>设备：%1 正常，%2 不可达，%3 过期</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="482" />
        <source>Alarms: %1 critical, %2 warning</source>
        <translation>告警：%1 严重，%2 警告</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="488" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>FloorPanel</name>
    <message>
        <location filename="../../ui/floor_map.py" line="512" />
        <source>Hottest inlet</source>
        <translation>最高进风温度</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="513" />
        <source>Power % of rated</source>
        <translation>功率占额定 %</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="514" />
        <source>Alarm state</source>
        <translation>告警状态</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="515" />
        <source>Headroom if feed A is lost</source>
        <translation>A 路失电时的余量</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="518" />
        <source>Wall mode</source>
        <translation>大屏模式</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="519" />
        <source>Full screen, large type, cycling through sites (F11)</source>
        <translation>全屏、大字体、轮播各站点 (F11)</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="525" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="528" />
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="624" />
        <source>%1 racks · %2 kW · hottest inlet %3 °C · %4 racks critical, %5 warning · %6 devices down · local time %7</source>
        <translation>%1 个机柜 · %2 kW · 最高进风 %3 °C · %4 个机柜严重、%5 个警告 · %6 台设备离线 · 当地时间 %7</translation>
    </message>
</context>
<context>
    <name>HeadroomModel</name>
    <message>
        <location filename="../../ui/power_truth.py" line="133" />
        <source>If lost</source>
        <translation>失电路</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="134" />
        <source>Phase</source>
        <translation>相</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="135" />
        <source>Peak 1 d</source>
        <translation>1 天峰值</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="136" />
        <source>Peak 7 d</source>
        <translation>7 天峰值</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="137" />
        <source>Limit</source>
        <translation>限值</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="138" />
        <source>Headroom 7 d</source>
        <translation>7 天余量</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="159" />
        <source>feed %1 → %2 carries</source>
        <translation>%1 路失电 → %2 路承载</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="86" />
        <location filename="../../ui/inventory_dialogs.py" line="134" />
        <source>Import inventory</source>
        <translation>导入资产清单</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="89" />
        <source>YAML or CSV inventory file</source>
        <translation>YAML 或 CSV 资产清单文件</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="90" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="98" />
        <source>Nothing is written unless the whole file is valid.</source>
        <translation>只有整个文件有效时才会写入。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="104" />
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="107" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="115" />
        <source>Problems:</source>
        <translation>问题：</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="124" />
        <source>Reading and checking the file…</source>
        <translation>正在读取并检查文件…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="125" />
        <source>Checking against the database…</source>
        <translation>正在与数据库核对…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="126" />
        <source>Writing…</source>
        <translation>正在写入…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="127" />
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="128" />
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="136" />
        <source>Inventory (*.yaml *.yml *.csv);;All files (*)</source>
        <translation>资产清单 (*.yaml *.yml *.csv);;所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="166" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="181" />
        <source>Imported: sites %1; racks %2; devices %3.</source>
        <translation>已导入：站点 %1；机柜 %2；设备 %3。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="192" />
        <source>Cancelled; nothing was written.</source>
        <translation>已取消，未写入任何内容。</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="197" />
        <source>%1 problem(s); nothing was written.</source>
        <translation>%1 个问题，未写入任何内容。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="64" />
        <source>RackWatch — %1</source>
        <translation>RackWatch — %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="81" />
        <source>Sites</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="87" />
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="96" />
        <source>Floor map</source>
        <translation>平面图</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="97" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="229" />
        <source>New critical incident: %1</source>
        <translation>新的严重事件：%1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="231" />
        <source>New critical alarm: %1</source>
        <translation>新的严重告警：%1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="235" />
        <source> (+%1 more)</source>
        <translation>（另有 %1 条）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="298" />
        <source>Reading %1 failed: %2</source>
        <translation>读取 %1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="371" />
        <source>Data stale: nothing new to follow</source>
        <translation>数据过期：没有新数据可跟随</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="373" />
        <source>Follow new samples as they arrive (L)</source>
        <translation>新样本到达时自动跟随（L）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="507" />
        <source>Collecting on this desk until the window closes.</source>
        <translation>本机正在采集，直到窗口关闭。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="510" />
        <source>Could not start the collector.</source>
        <translation>无法启动采集器。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="517" />
        <source>No collector</source>
        <translation>没有采集器</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="519" />
        <source>No collector is polling this database, so the new device will not show live values. Start collecting on this desk now?</source>
        <translation>没有采集器在轮询此数据库，新设备不会显示实时数值。现在在本机开始采集吗？</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="529" />
        <source>The demo is starting in its own window (it takes a minute).</source>
        <translation>演示正在独立窗口中启动（约需一分钟）。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="532" />
        <source>Could not start the demo.</source>
        <translation>无法启动演示。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="538" />
        <source>Wall mode</source>
        <translation>大屏模式</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="539" />
        <source>Show each site for (seconds):</source>
        <translation>每个站点显示（秒）：</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="586" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="587" />
        <source>&amp;Refresh now</source>
        <translation>立即刷新(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="588" />
        <source>&amp;Export incident snapshot…</source>
        <translation>导出事件快照(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="589" />
        <source>&amp;Import inventory…</source>
        <translation>导入资产清单(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="591" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="592" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="594" />
        <source>&amp;Floor map</source>
        <translation>平面图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="597" />
        <source>&amp;Rack view</source>
        <translation>机柜视图(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="599" />
        <source>&amp;Find device…</source>
        <translation>查找设备(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="600" />
        <source>&amp;Wall mode</source>
        <translation>大屏模式(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="601" />
        <source>&amp;Power truth of all servers…</source>
        <translation>全部服务器功率核对(&amp;P)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="602" />
        <source>Wall mode &amp;cycle interval…</source>
        <translation>大屏轮播间隔(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="603" />
        <source>&amp;Not monitored…</source>
        <translation>未监控的设备(&amp;N)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="608" />
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="611" />
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="611" />
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="617" />
        <source>&amp;Toggle light/dark</source>
        <translation>切换浅色/深色(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="618" />
        <source>&amp;Rack</source>
        <translation>机柜(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="619" />
        <source>&amp;Poll now</source>
        <translation>立即轮询(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="620" />
        <source>&amp;Focus this rack</source>
        <translation>聚焦此机柜(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="622" />
        <source>Toggle &amp;live follow</source>
        <translation>切换实时跟随(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="624" />
        <source>Plot &amp;window</source>
        <translation>曲线时间窗(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="629" />
        <source>&amp;Inventory</source>
        <translation>资产(&amp;I)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="630" />
        <source>Add &amp;site…</source>
        <translation>添加站点(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="631" />
        <source>Add &amp;rack…</source>
        <translation>添加机柜(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="632" />
        <source>Add &amp;device…</source>
        <translation>添加设备(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="633" />
        <source>&amp;Edit selected…</source>
        <translation>编辑所选(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="635" />
        <source>Start &amp;collecting on this desk</source>
        <translation>在本机开始采集(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="636" />
        <source>&amp;Alarms</source>
        <translation>告警(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="637" />
        <source>&amp;Mute alarm sound</source>
        <translation>告警静音(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="641" />
        <source>Mute alarm sound</source>
        <translation>告警静音</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="645" />
        <source>S&amp;nooze alarm sound for 5 minutes</source>
        <translation>告警声音静音 5 分钟(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="648" />
        <source>Sound for new critical incidents (repeats until acknowledged)</source>
        <translation>新严重事件提示音（重复直到确认）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="655" />
        <source>Desktop notifications</source>
        <translation>桌面通知</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="661" />
        <source>&amp;Acknowledge selected…</source>
        <translation>确认所选(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="665" />
        <source>&amp;Shelve selected for 1 hour</source>
        <translation>搁置所选 1 小时(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="669" />
        <source>Go to alarm &amp;list</source>
        <translation>转到告警列表(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="670" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="671" />
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="672" />
        <source>&amp;About RackWatch</source>
        <translation>关于 RackWatch(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="685" />
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="687" />
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="687" />
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="706" />
        <source>About RackWatch</source>
        <translation>关于 RackWatch</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="707" />
        <source>RackWatch — power and temperature of server racks.
Database: %1</source>
        <translation>RackWatch — 服务器机柜的功率与温度。
数据库：%1</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="430" />
        <source>What was done, or why (recorded with your user name)</source>
        <translation>已采取的措施或原因（将与您的用户名一起记录）</translation>
    </message>
</context>
<context>
    <name>PduPanel</name>
    <message>
        <location filename="../../ui/rack_view.py" line="280" />
        <source>No PDU in this rack</source>
        <translation>此机柜没有 PDU</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="295" />
        <source>feed %1</source>
        <translation>%1 路供电</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="297" />
        <source>values are stale</source>
        <translation>数值已过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="304" />
        <source>%1 kW</source>
        <translation>%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="306" />
        <source>breaker %1 A</source>
        <translation>断路器 %1 A</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="371" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="392" />
        <source>Outlets</source>
        <translation>插座</translation>
    </message>
</context>
<context>
    <name>PlotPanel</name>
    <message>
        <location filename="../../ui/plots.py" line="154" />
        <source>Rack: inlet temperatures</source>
        <translation>机柜：进风温度</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="155" />
        <source>Rack: PDU power</source>
        <translation>机柜：PDU 功率</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="156" />
        <source>Rack: PDU phase currents</source>
        <translation>机柜：PDU 相电流</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="157" />
        <source>Device: temperatures</source>
        <translation>设备：温度</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="158" />
        <source>Device: power</source>
        <translation>设备：功率</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="179" />
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="181" />
        <source>Follow new samples as they arrive (L)</source>
        <translation>新样本到达时自动跟随（L）</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="276" />
        <source>Chosen sensor</source>
        <translation>所选传感器</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="356" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="491" />
        <source>raw samples</source>
        <translation>原始采样</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="493" />
        <source>%1 buckets (min–max band)</source>
        <translation>%1 区间（最小–最大带）</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="496" />
        <source>%1 series · %2 points · %3 · times in %4</source>
        <translation>%1 条曲线 · %2 个点 · %3 · 时间为 %4</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="502" />
        <source>No series to plot for this choice</source>
        <translation>此选项没有可绘制的曲线</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="611" />
        <source>+%1 more</source>
        <translation>另有 %1</translation>
    </message>
</context>
<context>
    <name>PowerTruthDialog</name>
    <message>
        <location filename="../../ui/power_truth.py" line="341" />
        <source>Power truth: servers against their outlets</source>
        <translation>功率核对：服务器与其插座</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="345" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="365" />
        <source>%1 mapped servers, %2 mismatching</source>
        <translation>%1 台已映射服务器，%2 台不一致</translation>
    </message>
</context>
<context>
    <name>PowerTruthPanel</name>
    <message>
        <location filename="../../ui/power_truth.py" line="197" />
        <source>Add servers…</source>
        <translation>添加服务器…</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="199" />
        <source>Will N more servers of a model fit? From that model's measured peaks</source>
        <translation>再加 N 台某型号服务器能否容纳？依据该型号的实测峰值</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="210" />
        <source>Power truth</source>
        <translation>功率核对</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="211" />
        <source>Failover headroom</source>
        <translation>失电切换余量</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="215" />
        <source>Power truth and failover</source>
        <translation>功率核对与失电切换</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="256" />
        <source>%1 of %2 mapped servers checked against their outlets</source>
        <translation>%2 台已映射服务器中 %1 台已与插座核对</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="261" />
        <source>%1 MISMATCH</source>
        <translation>%1 台不一致</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="272" />
        <source>survives</source>
        <translation>可承受</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="272" />
        <source>WOULD NOT SURVIVE</source>
        <translation>无法承受</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="274" />
        <source>If feed %1 is lost, %2 %3 its weekly peak (%4 % headroom)</source>
        <translation>%1 路失电时，%2 路%3其周峰值（余量 %4 %）</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="280" />
        <source>No phase currents from both feeds yet</source>
        <translation>尚无两路的相电流</translation>
    </message>
</context>
<context>
    <name>RackDialog</name>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="418" />
        <source>Edit rack</source>
        <translation>编辑机柜</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="418" />
        <source>Add rack</source>
        <translation>添加机柜</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="435" />
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="436" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="437" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="438" />
        <source>Row</source>
        <translation>列</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="439" />
        <source>Position in row</source>
        <translation>列内位置</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="440" />
        <source>Height (U)</source>
        <translation>高度（U）</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="441" />
        <source>Rated power</source>
        <translation>额定功率</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="444" />
        <source>Feed %1</source>
        <translation>供电路 %1</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="459" />
        <source>Breaker</source>
        <translation>断路器</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="460" />
        <source>Phases</source>
        <translation>相数</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="461" />
        <source>Voltage</source>
        <translation>电压</translation>
    </message>
</context>
<context>
    <name>RackElevation</name>
    <message>
        <location filename="../../ui/rack_view.py" line="99" />
        <source>No rack selected</source>
        <translation>未选择机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="108" />
        <source>%1 — front</source>
        <translation>%1 — 正面</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="191" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="193" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="220" />
        <source>U%1, %2 U high</source>
        <translation>U%1，高 %2 U</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="227" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="229" />
        <source>Inlet %1 °C</source>
        <translation>进风 %1 °C</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="231" />
        <source>Power %1 W</source>
        <translation>功率 %1 W</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="234" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>RackView</name>
    <message>
        <location filename="../../ui/rack_view.py" line="519" />
        <source>Choose a rack in the tree, the floor map or an alarm</source>
        <translation>请在树、平面图或告警中选择机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="525" />
        <source>Poll now</source>
        <translation>立即轮询</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="528" />
        <source>Ask the collector to poll the selected device (or the whole rack) now (Ctrl+P)</source>
        <translation>请求采集器立即轮询所选设备（或整个机柜）(Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="531" />
        <source>Focus this rack</source>
        <translation>聚焦此机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="532" />
        <source>Poll this rack every 10 s for the next 30 minutes</source>
        <translation>在接下来 30 分钟内每 10 秒轮询此机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="545" />
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="576" />
        <source>Power distribution</source>
        <translation>配电</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="696" />
        <source>row %1, position %2</source>
        <translation>第 %1 排，位置 %2</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="702" />
        <source>%1 kW</source>
        <translation>%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="704" />
        <source> of %1 kW rated</source>
        <translation> / 额定 %1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="710" />
        <source>hottest inlet %1 °C</source>
        <translation>最高进风 %1 °C</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/rack_view.py" line="712" />
        <source>%n unreachable</source>
        <translation>
            <numerusform>%n 个不可达</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="734" />
        <source>Sensors of %1</source>
        <translation>%1 的传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="768" />
        <source>Poll requested for %1</source>
        <translation>已请求轮询 %1</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="774" />
        <source>Poll requested for the rack</source>
        <translation>已请求轮询该机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="783" />
        <source>Rack focused: polled every 10 s for 30 minutes</source>
        <translation>机柜已聚焦：30 分钟内每 10 秒轮询</translation>
    </message>
</context>
<context>
    <name>SensorModel</name>
    <message>
        <location filename="../../ui/rack_view.py" line="418" />
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="419" />
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="420" />
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="421" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="422" />
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="423" />
        <source>Critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="424" />
        <source>State</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>SiteDialog</name>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="377" />
        <source>Edit site</source>
        <translation>编辑站点</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="377" />
        <source>Add site</source>
        <translation>添加站点</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="384" />
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="385" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/inventory_dialogs.py" line="386" />
        <source>Time zone</source>
        <translation>时区</translation>
    </message>
</context>
<context>
    <name>SiteTree</name>
    <message>
        <location filename="../../ui/site_tree.py" line="55" />
        <source>Find device by name, address, serial or model…</source>
        <translation>按名称、地址、序列号或型号查找设备…</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="111" />
        <source>Loading inventory…</source>
        <translation>正在加载资产清单…</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="232" />
        <source>No matches for “%1”.
Search by name, IP address, IP:port, serial or model.</source>
        <translation>没有与“%1”匹配的设备。
可按名称、IP 地址、IP:端口、序列号或型号搜索。</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="237" />
        <source>%1 of %2 devices match</source>
        <translation>%2 台设备中 %1 台匹配</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="243" />
        <source>%1 sites · %2 racks · %3 devices</source>
        <translation>%1 个站点 · %2 个机柜 · %3 台设备</translation>
    </message>
</context>
<context>
    <name>SiteTreeModel</name>
    <message>
        <location filename="../../ui/tree_model.py" line="81" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="82" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="83" />
        <source>Inlet °C</source>
        <translation>进风 °C</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="84" />
        <source>Power kW</source>
        <translation>功率 kW</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="85" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="276" />
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="277" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="278" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="279" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="280" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="281" />
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/tree_model.py" line="330" />
        <source> · %n down</source>
        <translation>
            <numerusform> · %n 台离线</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="372" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="375" />
        <source>Devices: %1 OK, %2 unreachable, %3 stale</source>
        <translation>设备：%1 正常，%2 不可达，%3 过期</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="382" />
        <source>Alarms: %1 critical, %2 warning</source>
        <translation>告警：%1 严重，%2 警告</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="388" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>SnapshotDialog</name>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="114" />
        <source>Export incident snapshot</source>
        <translation>导出事件快照</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="129" />
        <source>Root cause / notes for page 1 (e.g. CRAC-3 compressor tripped at 10:02)</source>
        <translation>第 1 页的根本原因 / 备注（例如 CRAC-3 压缩机于 10:02 跳闸）</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="141" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="148" />
        <source>Scope</source>
        <translation>范围</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="149" />
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="150" />
        <source>To</source>
        <translation>至</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="151" />
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="152" />
        <source>Root cause / notes</source>
        <translation>根本原因 / 备注</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="156" />
        <source>Ready.</source>
        <translation>就绪。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="160" />
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="190" />
        <source>Save snapshot</source>
        <translation>保存快照</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="190" />
        <source>Zip (*.zip)</source>
        <translation>Zip (*.zip)</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="210" />
        <source>The end of the window must be after its start.</source>
        <translation>时间窗结束必须晚于开始。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="232" />
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="239" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="252" />
        <source>Written {0}: {1} samples, {2} alarms, {3:.1f} s.</source>
        <translation>已写入 {0}：{1} 个采样，{2} 条告警，{3:.1f} 秒。</translation>
    </message>
</context>
<context>
    <name>StaleBanner</name>
    <message>
        <location filename="../../ui/status.py" line="142" />
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="147" />
        <source>DATA STALE — no collector has reported for %1; newest sample %2</source>
        <translation>数据过期 — %1 内没有采集器上报；最新样本 %2</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="153" />
        <source>DATA STALE — no new sample for %1; newest sample %2</source>
        <translation>数据过期 — %1 内没有新样本；最新样本 %2</translation>
    </message>
</context>
<context>
    <name>StatusPanel</name>
    <message>
        <location filename="../../ui/status.py" line="31" />
        <source>Collectors: …</source>
        <translation>采集器：…</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="51" />
        <source>No collector has reported</source>
        <translation>尚无采集器上报</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="56" />
        <source>Collectors alive: %1 of %2</source>
        <translation>在线采集器：%1 / %2</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="39" />
        <source>Devices OK %1 · unreachable %2 · stale %3</source>
        <translation>设备正常 %1 · 无法访问 %2 · 数据过期 %3</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="65" />
        <source>Not reporting: %1</source>
        <translation>未上报：%1</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="77" />
        <source>No samples yet</source>
        <translation>尚无样本</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="82" />
        <source>Newest sample %1 ago</source>
        <translation>最新样本于 %1前</translation>
    </message>
</context>
<context>
    <name>TruthModel</name>
    <message>
        <location filename="../../ui/power_truth.py" line="49" />
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="50" />
        <source>Outlets</source>
        <translation>插座</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="51" />
        <source>Server reports</source>
        <translation>服务器上报</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="52" />
        <source>Outlets deliver</source>
        <translation>插座输出</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="53" />
        <source>Ratio</source>
        <translation>比值</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="54" />
        <source>Verdict</source>
        <translation>结论</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="65" />
        <source>outlet not metered</source>
        <translation>插座无计量</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="66" />
        <source>no reading</source>
        <translation>无读数</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="68" />
        <source>matches</source>
        <translation>一致</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="69" />
        <source>MISMATCH: </source>
        <translation>不一致：</translation>
    </message>
</context>
<context>
    <name>UnmonitoredDialog</name>
    <message>
        <location filename="../../ui/unmonitored.py" line="112" />
        <source>Not monitored</source>
        <translation>未监控</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="118" />
        <source>Filter by name, site, address or detail</source>
        <translation>按名称、站点、地址或详情筛选</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="121" />
        <source>Every reason</source>
        <translation>所有原因</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="144" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="158" />
        <source>Every device gives data.</source>
        <translation>所有设备都有数据。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/unmonitored.py" line="160" />
        <source>%n device(s) give no data</source>
        <translation><numerusform>%n 台设备没有数据</numerusform></translation>
    </message>
</context>
<context>
    <name>UnmonitoredModel</name>
    <message>
        <location filename="../../ui/unmonitored.py" line="33" />
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="34" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="35" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="36" />
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="37" />
        <source>Protocol</source>
        <translation>协议</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="38" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="39" />
        <source>Last data</source>
        <translation>最后数据</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="40" />
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="45" />
        <source>no profile matches</source>
        <translation>无匹配的配置文件</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="46" />
        <source>nothing to read</source>
        <translation>无可读数据</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="47" />
        <source>authentication refused</source>
        <translation>认证被拒绝</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="48" />
        <source>no answer</source>
        <translation>无应答</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="49" />
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="50" />
        <source>never polled</source>
        <translation>从未轮询</translation>
    </message>
    <message>
        <location filename="../../ui/unmonitored.py" line="75" />
        <source>never</source>
        <translation>从未</translation>
    </message>
</context>
<context>
    <name>WallView</name>
    <message>
        <location filename="../../ui/wall.py" line="98" />
        <source>RackWatch — wall</source>
        <translation>RackWatch — 大屏</translation>
    </message>
    <message>
        <location filename="../../ui/wall.py" line="231" />
        <source>No active alarms</source>
        <translation>没有活动告警</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/wall.py" line="233" />
        <source>(%n acknowledged incidents)</source>
        <translation><numerusform>（%n 个已确认事件）</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/wall.py" line="240" />
        <source>%n critical</source>
        <translation>
            <numerusform>%n 条严重</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/wall.py" line="240" />
        <source>%n warning</source>
        <translation>
            <numerusform>%n 条警告</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/wall.py" line="243" />
        <source>(+%1 more)</source>
        <translation>（另有 %1 条）</translation>
    </message>
    <message>
        <location filename="../../ui/wall.py" line="259" />
        <source>STALE since %1</source>
        <translation>自 %1 起过期</translation>
    </message>
</context>
<context>
    <name>WhatIfDialog</name>
    <message>
        <location filename="../../ui/power_truth.py" line="294" />
        <source>Add servers</source>
        <translation>添加服务器</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="307" />
        <source>Model</source>
        <translation>型号</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="308" />
        <source>Count</source>
        <translation>数量</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="310" />
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <location filename="../../ui/power_truth.py" line="323" />
        <source>Reading a week of peaks…</source>
        <translation>正在读取一周峰值…</translation>
    </message>
</context>
<context>
    <name>fmt</name>
    <message>
        <location filename="../../ui/fmt.py" line="26" />
        <location filename="../../ui/status.py" line="106" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="28" />
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="30" />
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="33" />
        <source>%1 d</source>
        <translation>%1 天</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="103" />
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="105" />
        <source>%1 min %2 s</source>
        <translation>%1 分钟 %2 秒</translation>
    </message>
</context>
<context>
    <name>metric</name>
    <message>
        <location filename="../../ui/fmt.py" line="77" />
        <source>Power</source>
        <translation>功率</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="78" />
        <source>Apparent power</source>
        <translation>视在功率</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="79" />
        <source>Energy</source>
        <translation>电能</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="80" />
        <source>Current</source>
        <translation>电流</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="81" />
        <source>Voltage</source>
        <translation>电压</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="82" />
        <source>Frequency</source>
        <translation>频率</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="83" />
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="84" />
        <source>Humidity</source>
        <translation>湿度</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="85" />
        <source>Fan</source>
        <translation>风扇</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="86" />
        <source>Power factor</source>
        <translation>功率因数</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="87" />
        <source>State</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>role</name>
    <message>
        <location filename="../../ui/fmt.py" line="90" />
        <source>inlet</source>
        <translation>进风</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="91" />
        <source>outlet</source>
        <translation>出风</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="92" />
        <source>exhaust</source>
        <translation>排风</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="93" />
        <source>ambient</source>
        <translation>环境</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="94" />
        <source>cpu</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="95" />
        <source>memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="96" />
        <source>disk</source>
        <translation>硬盘</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="97" />
        <source>psu</source>
        <translation>电源</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="98" />
        <source>board</source>
        <translation>主板</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="99" />
        <source>other</source>
        <translation>其他</translation>
    </message>
</context>
<context>
    <name>spans</name>
    <message>
        <location filename="../../ui/spans.py" line="9" />
        <source>15 min</source>
        <translation>15 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="10" />
        <source>1 h</source>
        <translation>1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="11" />
        <source>6 h</source>
        <translation>6 小时</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="12" />
        <source>24 h</source>
        <translation>24 小时</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="13" />
        <source>7 d</source>
        <translation>7 天</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="14" />
        <source>30 d</source>
        <translation>30 天</translation>
    </message>
    <message>
        <location filename="../../ui/spans.py" line="15" />
        <source>90 d</source>
        <translation>90 天</translation>
    </message>
</context>
<context>
    <name>state</name>
    <message>
        <location filename="../../ui/fmt.py" line="103" />
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="104" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="105" />
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="106" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="107" />
        <source>unreachable</source>
        <translation>无法访问</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="108" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
</context>
</TS>