<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name />
    <message>
        <location filename="../../ui/fmt.py" line="21" />
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="23" />
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="25" />
        <source>%1 h</source>
        <translation>%1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/fmt.py" line="26" />
        <source>%1 d</source>
        <translation>%1 天</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="35" />
        <source>No collector has reported</source>
        <translation>尚无采集器上报</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="39" />
        <source>Collectors alive: %1 of %2</source>
        <translation>采集器在线：%1 / %2</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="50" />
        <source>Devices OK %1 · unreachable %2 · stale %3</source>
        <translation>设备正常 %1 · 不可达 %2 · 过期 %3</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="64" />
        <source>No samples yet</source>
        <translation>尚无采样</translation>
    </message>
    <message>
        <location filename="../../ui/status.py" line="68" />
        <source>Newest sample %1 ago</source>
        <translation>最新采样于 %1 前</translation>
    </message>
</context>
<context>
    <name>AlarmModel</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="58" />
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="59" />
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="60" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="61" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="62" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="63" />
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="64" />
        <source>Message</source>
        <translation>信息</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="65" />
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="96" />
        <source>shelved until %1</source>
        <translation>搁置至 %1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="99" />
        <source>active</source>
        <translation>活动</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="99" />
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="110" />
        <source>CRITICAL</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="110" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="146" />
        <source>Raised %1 UTC</source>
        <translation>触发于 %1 UTC</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="150" />
        <source>Value %1, threshold %2</source>
        <translation>数值 %1，阈值 %2</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="156" />
        <source>Acknowledged by %1: %2</source>
        <translation>由 %1 确认：%2</translation>
    </message>
</context>
<context>
    <name>AlarmPanel</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="221" />
        <source>Acknowledge…</source>
        <translation>确认…</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="222" />
        <source>Acknowledge the selected alarm with a note (Ctrl+K)</source>
        <translation>为所选告警填写备注并确认 (Ctrl+K)</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="225" />
        <source>Shelve</source>
        <translation>搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="229" />
        <source>for %1</source>
        <translation>%1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="233" />
        <source>Show acknowledged and shelved</source>
        <translation>显示已确认和已搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="293" />
        <source>Could not change the alarm: %1</source>
        <translation>无法更改告警：%1</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="309" />
        <source>%1 active (%2 critical) · %3 acknowledged · %4 shelved</source>
        <translation>%1 条活动（%2 条严重）· %3 条已确认 · %4 条已搁置</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="363" />
        <source>History: </source>
        <translation>历史：</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="390" />
        <source>Acknowledge alarm</source>
        <translation>确认告警</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="399" />
        <source>Alarm acknowledged by %1</source>
        <translation>告警已由 %1 确认</translation>
    </message>
    <message>
        <location filename="../../ui/alarm_dock.py" line="412" />
        <source>Alarm shelved for %1</source>
        <translation>告警已搁置 %1</translation>
    </message>
</context>
<context>
    <name>ExportWorker</name>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="64" />
        <source>Export cancelled; no file was written.</source>
        <translation>导出已取消，未写入文件。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="68" />
        <source>Export failed: {0}</source>
        <translation>导出失败：{0}</translation>
    </message>
</context>
<context>
    <name>FloorMapWidget</name>
    <message>
        <location filename="../../ui/floor_map.py" line="210" />
        <source>Loading floor map…</source>
        <translation>正在加载平面图…</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="216" />
        <source>This site has no racks</source>
        <translation>此站点没有机柜</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="322" />
        <source>Hottest inlet °C</source>
        <translation>最高进风温度 °C</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="323" />
        <source>Power % of rated</source>
        <translation>功率占额定 %</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="324" />
        <source>Worst state</source>
        <translation>最差状态</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="332" />
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="333" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="334" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="335" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="336" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="337" />
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="377" />
        <source>no data</source>
        <translation>无数据</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="387" />
        <source>device down</source>
        <translation>设备离线</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="415" />
        <source>Row %1, position %2</source>
        <translation>第 %1 排，位置 %2</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="420" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="421" />
        <source>Hottest inlet: %1 °C</source>
        <translation>最高进风：%1 °C</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="422" />
        <source>Power: %1 kW</source>
        <translation>功率：%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="426" />
        <source> of %1 kW (%2 %)</source>
        <translation> / %1 kW（%2 %）</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="432" />
        <source>Devices: %1 OK, %2 unreachable, %3 stale</source>
        <translation>设备：%1 正常，%2 不可达，%3 过期</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="439" />
        <source>Alarms: %1 critical, %2 warning</source>
        <translation>告警：%1 严重，%2 警告</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="445" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>FloorPanel</name>
    <message>
        <location filename="../../ui/floor_map.py" line="468" />
        <source>Hottest inlet</source>
        <translation>最高进风温度</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="469" />
        <source>Power % of rated</source>
        <translation>功率占额定 %</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="470" />
        <source>Alarm state</source>
        <translation>告警状态</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="473" />
        <source>Wall mode</source>
        <translation>大屏模式</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="474" />
        <source>Full screen, large type, cycling through sites (F11)</source>
        <translation>全屏、大字体、轮播各站点 (F11)</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="480" />
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/floor_map.py" line="483" />
        <source>Colour by</source>
        <translation>着色依据</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="55" />
        <source>RackWatch — %1</source>
        <translation>RackWatch — %1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="71" />
        <source>Sites</source>
        <translation>站点</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="77" />
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="86" />
        <source>Floor map</source>
        <translation>平面图</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="87" />
        <source>Rack</source>
        <translation>机柜</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="170" />
        <source>New critical alarm: %1</source>
        <translation>新的严重告警：%1</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="172" />
        <source> (+%1 more)</source>
        <translation>（另有 %1 条）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="232" />
        <source>Reading %1 failed: %2</source>
        <translation>读取 %1 失败：%2</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="296" />
        <source>Wall mode</source>
        <translation>大屏模式</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="297" />
        <source>Show each site for (seconds):</source>
        <translation>每个站点显示（秒）：</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="338" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="339" />
        <source>&amp;Refresh now</source>
        <translation>立即刷新(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="340" />
        <source>&amp;Export incident snapshot…</source>
        <translation>导出事件快照(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="342" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="343" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="345" />
        <source>&amp;Floor map</source>
        <translation>平面图(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="348" />
        <source>&amp;Rack view</source>
        <translation>机柜视图(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="350" />
        <source>&amp;Find device…</source>
        <translation>查找设备(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="351" />
        <source>&amp;Wall mode</source>
        <translation>大屏模式(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="352" />
        <source>Wall mode &amp;cycle interval…</source>
        <translation>大屏轮播间隔(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="357" />
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="360" />
        <source>&amp;Light</source>
        <translation>浅色(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="360" />
        <source>&amp;Dark</source>
        <translation>深色(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="366" />
        <source>&amp;Toggle light/dark</source>
        <translation>切换浅色/深色(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="367" />
        <source>&amp;Rack</source>
        <translation>机柜(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="368" />
        <source>&amp;Poll now</source>
        <translation>立即轮询(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="369" />
        <source>&amp;Focus this rack</source>
        <translation>聚焦此机柜(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="371" />
        <source>Toggle &amp;live follow</source>
        <translation>切换实时跟随(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="373" />
        <source>Plot &amp;window</source>
        <translation>曲线时间窗(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="378" />
        <source>&amp;Alarms</source>
        <translation>告警(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="379" />
        <source>&amp;Mute alarm sound</source>
        <translation>告警静音(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="385" />
        <source>Mute alarm sound</source>
        <translation>告警静音</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="389" />
        <source>&amp;Acknowledge selected…</source>
        <translation>确认所选(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="393" />
        <source>&amp;Shelve selected for 1 hour</source>
        <translation>搁置所选 1 小时(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="397" />
        <source>Go to alarm &amp;list</source>
        <translation>转到告警列表(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="398" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="399" />
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="400" />
        <source>&amp;About RackWatch</source>
        <translation>关于 RackWatch(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="408" />
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="410" />
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="410" />
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="429" />
        <source>About RackWatch</source>
        <translation>关于 RackWatch</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="430" />
        <source>RackWatch — power and temperature of server racks.
Database: %1</source>
        <translation type="unfinished" />
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <location filename="../../ui/alarm_dock.py" line="179" />
        <source>What was done, or why (recorded with your user name)</source>
        <translation>已采取的措施或原因（将与您的用户名一起记录）</translation>
    </message>
</context>
<context>
    <name>PduPanel</name>
    <message>
        <location filename="../../ui/rack_view.py" line="277" />
        <source>No PDU in this rack</source>
        <translation>此机柜没有 PDU</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="292" />
        <source>feed %1</source>
        <translation>%1 路供电</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="294" />
        <source>values are stale</source>
        <translation>数值已过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="301" />
        <source>%1 kW</source>
        <translation>%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="303" />
        <source>breaker %1 A</source>
        <translation>断路器 %1 A</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="365" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="386" />
        <source>Outlets</source>
        <translation>插座</translation>
    </message>
</context>
<context>
    <name>PlotPanel</name>
    <message>
        <location filename="../../ui/plots.py" line="119" />
        <source>Rack: inlet temperatures</source>
        <translation>机柜：进风温度</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="120" />
        <source>Rack: PDU power</source>
        <translation>机柜：PDU 功率</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="121" />
        <source>Rack: PDU phase currents</source>
        <translation>机柜：PDU 相电流</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="122" />
        <source>Device: temperatures</source>
        <translation>设备：温度</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="123" />
        <source>Device: power</source>
        <translation>设备：功率</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="144" />
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="146" />
        <source>Follow new samples as they arrive (L)</source>
        <translation>随新采样实时跟随 (L)</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="236" />
        <source>Chosen sensor</source>
        <translation>所选传感器</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="316" />
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="450" />
        <source>raw samples</source>
        <translation>原始采样</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="452" />
        <source>%1 buckets (min–max band)</source>
        <translation>%1 区间（最小–最大带）</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="455" />
        <source>%1 series · %2 points · %3 · times in %4</source>
        <translation>%1 条曲线 · %2 个点 · %3 · 时间为 %4</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="461" />
        <source>No series to plot for this choice</source>
        <translation>此选项没有可绘制的曲线</translation>
    </message>
    <message>
        <location filename="../../ui/plots.py" line="570" />
        <source>+%1 more</source>
        <translation>另有 %1</translation>
    </message>
</context>
<context>
    <name>RackElevation</name>
    <message>
        <location filename="../../ui/rack_view.py" line="98" />
        <source>No rack selected</source>
        <translation>未选择机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="107" />
        <source>%1 — front</source>
        <translation>%1 — 正面</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="188" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="190" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="217" />
        <source>U%1, %2 U high</source>
        <translation>U%1，高 %2 U</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="224" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="226" />
        <source>Inlet %1 °C</source>
        <translation>进风 %1 °C</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="228" />
        <source>Power %1 W</source>
        <translation>功率 %1 W</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="231" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>RackView</name>
    <message>
        <location filename="../../ui/rack_view.py" line="526" />
        <source>Choose a rack in the tree, the floor map or an alarm</source>
        <translation>请在树、平面图或告警中选择机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="532" />
        <source>Poll now</source>
        <translation>立即轮询</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="535" />
        <source>Ask the collector to poll the selected device (or the whole rack) now (Ctrl+P)</source>
        <translation>请求采集器立即轮询所选设备（或整个机柜）(Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="538" />
        <source>Focus this rack</source>
        <translation>聚焦此机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="539" />
        <source>Poll this rack every 10 s for the next 30 minutes</source>
        <translation>在接下来 30 分钟内每 10 秒轮询此机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="552" />
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="583" />
        <source>Power distribution</source>
        <translation>配电</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="693" />
        <source>row %1, position %2</source>
        <translation>第 %1 排，位置 %2</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="699" />
        <source>%1 kW</source>
        <translation>%1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="701" />
        <source> of %1 kW rated</source>
        <translation> / 额定 %1 kW</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="707" />
        <source>hottest inlet %1 °C</source>
        <translation>最高进风 %1 °C</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/rack_view.py" line="709" />
        <source>%n unreachable</source>
        <translation>
            <numerusform>%n 个不可达</numerusform></translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="730" />
        <source>Sensors of %1</source>
        <translation>%1 的传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="762" />
        <source>Poll requested for %1</source>
        <translation>已请求轮询 %1</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="767" />
        <source>Poll requested for the rack</source>
        <translation>已请求轮询该机柜</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="776" />
        <source>Rack focused: polled every 10 s for 30 minutes</source>
        <translation>机柜已聚焦：30 分钟内每 10 秒轮询</translation>
    </message>
</context>
<context>
    <name>SensorModel</name>
    <message>
        <location filename="../../ui/rack_view.py" line="412" />
        <source>Sensor</source>
        <translation>传感器</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="413" />
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="414" />
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="415" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="416" />
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="417" />
        <source>Critical</source>
        <translation>严重</translation>
    </message>
    <message>
        <location filename="../../ui/rack_view.py" line="418" />
        <source>State</source>
        <translation>状态</translation>
    </message>
</context>
<context>
    <name>SiteTree</name>
    <message>
        <location filename="../../ui/site_tree.py" line="43" />
        <source>Find device by name, address, serial or model…</source>
        <translation>按名称、地址、序列号或型号查找设备…</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="90" />
        <source>Loading inventory…</source>
        <translation>正在加载资产清单…</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="208" />
        <source>%1 of %2 devices match</source>
        <translation>%2 台设备中 %1 台匹配</translation>
    </message>
    <message>
        <location filename="../../ui/site_tree.py" line="214" />
        <source>%1 sites · %2 racks · %3 devices</source>
        <translation>%1 个站点 · %2 个机柜 · %3 台设备</translation>
    </message>
</context>
<context>
    <name>SiteTreeModel</name>
    <message>
        <location filename="../../ui/tree_model.py" line="80" />
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="81" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="82" />
        <source>Inlet °C</source>
        <translation>进风 °C</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="83" />
        <source>Power kW</source>
        <translation>功率 kW</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="84" />
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="266" />
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="267" />
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="268" />
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="269" />
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="270" />
        <source>unreachable</source>
        <translation>不可达</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="271" />
        <source>critical</source>
        <translation>严重</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/tree_model.py" line="320" />
        <source> · %n down</source>
        <translation>
            <numerusform> · %n 台离线</numerusform></translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="359" />
        <source>State: %1</source>
        <translation>状态：%1</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="362" />
        <source>Devices: %1 OK, %2 unreachable, %3 stale</source>
        <translation>设备：%1 正常，%2 不可达，%3 过期</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="369" />
        <source>Alarms: %1 critical, %2 warning</source>
        <translation>告警：%1 严重，%2 警告</translation>
    </message>
    <message>
        <location filename="../../ui/tree_model.py" line="375" />
        <source>Last reading %1 ago</source>
        <translation>最后读数于 %1 前</translation>
    </message>
</context>
<context>
    <name>SnapshotDialog</name>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="94" />
        <source>Export incident snapshot</source>
        <translation>导出事件快照</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="116" />
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="123" />
        <source>Scope</source>
        <translation>范围</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="124" />
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="125" />
        <source>To</source>
        <translation>至</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="126" />
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="130" />
        <source>Ready.</source>
        <translation>就绪。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="134" />
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="164" />
        <source>Save snapshot</source>
        <translation>保存快照</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="164" />
        <source>Zip (*.zip)</source>
        <translation>Zip (*.zip)</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="184" />
        <source>The end of the window must be after its start.</source>
        <translation>时间窗结束必须晚于开始。</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="205" />
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="212" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/snapshot_dialog.py" line="225" />
        <source>Written {0}: {1} samples, {2} alarms, {3:.1f} s.</source>
        <translation>已写入 {0}：{1} 个采样，{2} 条告警，{3:.1f} 秒。</translation>
    </message>
</context>
<context>
    <name>WallView</name>
    <message>
        <location filename="../../ui/wall.py" line="27" />
        <source>RackWatch — wall</source>
        <translation>RackWatch — 大屏</translation>
    </message>
    <message>
        <location filename="../../ui/wall.py" line="129" />
        <source>No active alarms</source>
        <translation>没有活动告警</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/wall.py" line="137" />
        <source>%n critical</source>
        <translation>
            <numerusform>%n 条严重</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/wall.py" line="139" />
        <source>%n warning</source>
        <translation>
            <numerusform>%n 条警告</numerusform></translation>
    </message>
    <message>
        <location filename="../../ui/wall.py" line="142" />
        <source>(+%1 more alarms)</source>
        <translation>（另有 %1 条告警）</translation>
    </message>
</context>
<context>
    <name>bar</name>
    <message>
        <location filename="../../ui/status.py" line="29" />
        <source>Collectors: …</source>
        <translation>采集器：…</translation>
    </message>
</context>
<context>
    <name>w</name>
    <message>
        <location filename="../../ui/floor_map.py" line="560" />
        <source>%1 racks · %2 kW · hottest inlet %3 °C · %4 racks critical, %5 warning · %6 devices down · local time %7</source>
        <translation>%1 个机柜 · %2 kW · 最高进风 %3 °C · %4 个机柜严重，%5 个警告 · %6 台设备离线 · 当地时间 %7</translation>
    </message>
</context>
</TS>