"""The words of the ozon-probe dashboards in Russian and Chinese (read by generate.py).

Keyed by the English text exactly as generate.py writes it (a title, a description, a value
mapping's text, a variable's label, a legend that is more than label templates, a text panel).
generate.py fails when an English text has no entry here, or an entry here matches no text.
Terms follow agent/i18n.py (провайдер, путь до России, 网络运营商, 通往俄罗斯的线路) and the
alerts, which name these dashboards and panels («Шлюз и сеть», “带宽与高峰时段”,
«Сертификату доверяют»). Label templates ({{target}}) and variables ($target) stay as they are.
Standard library only.
"""

from __future__ import annotations

_LIGHTS_RU = " В норме / С проблемами (медленно или теряет пакеты) / Не работает / Неизвестно."
_LIGHTS_ZH = " 正常 / 降级（缓慢或丢包）/ 故障 / 未知。"
_LIGHTS_EN = " OK / Degraded (slow or losing packets) / Down / Unknown."

_BY_HOUR_EN = (
    "Average over the selected time range (default: the last 7 days) for each hour of the "
    "day, in UTC (Moscow time is UTC+3). Bars that rise at the same hours every day show "
    "when the line or the route is congested."
)
_BY_HOUR_RU = (
    "Среднее за выбранный период (по умолчанию — последние 7 дней) для каждого часа суток, "
    "по UTC (московское время — UTC+3). Столбцы, которые каждый день растут в одни и те же "
    "часы, показывают, когда перегружена линия или путь до России."
)
_BY_HOUR_ZH = (
    "所选时间范围内（默认：最近 7 天）每天各小时的平均值，按 UTC 计（莫斯科时间为 UTC+3，"
    "北京时间为 UTC+8）。每天在同一时段升高的柱形说明线路或路由在这些时段拥塞。"
)

_HOW_TO_READ_EN = """
**Top row** answers the question. *Your side, not Ozon*: something between this office and
Russia is broken - restart the router, call your provider, or change DNS as the alert says.
*Ozon's side*: your network works but Ozon does not - nothing to restart; wait and keep the
alert as your record for Ozon seller support. *Slow network in between*: everything answers,
but slowly or with lost packets.

**The six lights** follow the road from this computer to Ozon: Link, Router, Internet,
Russia, DNS, Ozon. The first one that is not green is usually where the trouble is.

**Diagnosis over time** keeps the history: after an outage you can see when it started, what
the cause was and when it ended, even if no message could leave the office at the time.

Details: *Gateway & network*, *DNS*, *Ozon services*, *Throughput & busy hours* (links at
the top right).
"""
_HOW_TO_READ_RU = """
**Верхний ряд** отвечает на главный вопрос. 🏠 *На вашей стороне, не Ozon*: что-то между
этим офисом и Россией сломано — перезагрузите роутер, позвоните провайдеру или смените DNS,
как советует оповещение. 🛒 *На стороне Ozon*: ваша сеть работает, а Ozon нет — ничего
перезагружать не нужно; ждите и сохраните оповещение как запись для поддержки продавцов Ozon.
🌐 *Медленная сеть по пути*: всё отвечает, но медленно или с потерей пакетов.

**Шесть индикаторов** идут по пути от этого компьютера до Ozon: подключение, роутер,
интернет, путь до России, DNS, Ozon. Первый не зелёный обычно и есть место неполадки.

**Диагноз во времени** хранит историю: после сбоя видно, когда он начался, в чём была
причина и когда он закончился, даже если в тот момент из офиса не могло уйти ни одно
сообщение.

Подробнее: *Шлюз и сеть*, *DNS*, *Сервисы Ozon*, *Скорость и часы пик* (ссылки справа вверху).
"""
_HOW_TO_READ_ZH = """
**第一行**回答核心问题。🏠 *您这边的问题，不是 Ozon*：本办公室与俄罗斯之间的某个环节出了
故障——请按告警的建议重启路由器、联系网络运营商或更换 DNS。🛒 *Ozon 那边的问题*：您的网络
正常，但 Ozon 不正常——无需重启任何设备；请等待，并保留告警，作为向 Ozon 卖家客服反映的记录。
🌐 *中间网络缓慢*：一切都有响应，但速度慢或丢包。

**六个指示灯**沿着从本机到 Ozon 的路径排列：本机连接、路由器、互联网、通往俄罗斯的线路、
DNS、Ozon。第一个不是绿色的，通常就是出问题的地方。

**诊断历史**保留记录：故障过后，您可以看到它何时开始、原因是什么、何时结束，即使当时办公室
发不出任何消息。

详细信息：*网关与网络*、*DNS*、*Ozon 服务*、*带宽与高峰时段*（右上角的链接）。
"""

WORDS: dict[str, dict[str, str]] = {
    # -- shared by every dashboard ------------------------------------------------------
    "Ozon probe dashboards": {"ru": "Панели ozon-probe", "zh": "ozon-probe 仪表盘"},
    "Site": {"ru": "Площадка", "zh": "站点"},
    "Prometheus job of the agent; use one job per office (ozon-probe-<site>).": {
        "ru": "Задание Prometheus, которое опрашивает агента; по одному на площадку "
        "(ozon-probe-<площадка>).",
        "zh": "采集该代理的 Prometheus 任务；每个站点一个（ozon-probe-<站点>）。",
    },
    "Agent": {"ru": "Агент", "zh": "代理"},
    "The ozon-probe agent (host:port).": {
        "ru": "Агент ozon-probe (адрес:порт).",
        "zh": "ozon-probe 代理（主机:端口）。",
    },
    "Target": {"ru": "Цель", "zh": "目标"},
    # -- value mappings -----------------------------------------------------------------
    "No data": {"ru": "Нет данных", "zh": "无数据"},
    "OK": {"ru": "В норме", "zh": "正常"},
    "Degraded": {"ru": "С проблемами", "zh": "降级"},
    "Down": {"ru": "Не работает", "zh": "故障"},
    "Unknown": {"ru": "Неизвестно", "zh": "未知"},
    "Failed": {"ru": "Ошибка", "zh": "失败"},
    "✅ All good": {"ru": "✅ Всё в порядке", "zh": "✅ 一切正常"},
    "🌐 Slow network in between": {"ru": "🌐 Медленная сеть по пути", "zh": "🌐 中间网络缓慢"},
    "🛒 Ozon's side: wait for Ozon": {
        "ru": "🛒 На стороне Ozon: ждите Ozon",
        "zh": "🛒 Ozon 那边的问题：请等待 Ozon",
    },
    "🏠 Your side, not Ozon": {
        "ru": "🏠 На вашей стороне, не Ozon",
        "zh": "🏠 您这边的问题，不是 Ozon",
    },
    "✅ OK": {"ru": "✅ Всё в порядке", "zh": "✅ 正常"},
    "🌐 Network slow / lossy": {
        "ru": "🌐 Сеть медленная / теряет пакеты",
        "zh": "🌐 网络缓慢或丢包",
    },
    "🛒 Ozon degraded": {"ru": "🛒 Перебои у Ozon", "zh": "🛒 Ozon 部分服务异常"},
    "🛒 Ozon outage": {"ru": "🛒 Сбой Ozon", "zh": "🛒 Ozon 故障"},
    "🏠 DNS failing": {"ru": "🏠 Сбой DNS", "zh": "🏠 DNS 故障"},
    "🏠 Route to Russia broken": {
        "ru": "🏠 Путь до России оборван",
        "zh": "🏠 通往俄罗斯的线路中断",
    },
    "🏠 Internet provider down": {"ru": "🏠 Провайдер не работает", "zh": "🏠 网络运营商中断"},
    "🏠 Office network down": {"ru": "🏠 Офисная сеть не работает", "zh": "🏠 办公室网络故障"},
    "🏠 Filtered on the way": {"ru": "🏠 Фильтрация по пути", "zh": "🏠 途中被过滤"},
    "Agrees": {"ru": "Совпадает", "zh": "一致"},
    "Disagrees": {"ru": "Расходится", "zh": "不一致"},
    "Trusted": {"ru": "Доверяют", "zh": "受信任"},
    "NOT trusted": {"ru": "НЕ доверяют", "zh": "不受信任"},
    "Accepted": {"ru": "Принят", "zh": "已接受"},
    "Rejected": {"ru": "Отклонён", "zh": "被拒绝"},
    # -- the layers (the overview's lights, the fleet's columns) -------------------------
    "Link": {"ru": "Подключение", "zh": "本机连接"},
    "Router": {"ru": "Роутер", "zh": "路由器"},
    "Internet": {"ru": "Интернет", "zh": "互联网"},
    "Russia": {"ru": "Путь до России", "zh": "通往俄罗斯的线路"},
    "This computer's own network connection (cable or Wi-Fi)." + _LIGHTS_EN: {
        "ru": "Собственное подключение этого компьютера к сети (кабель или Wi-Fi)." + _LIGHTS_RU,
        "zh": "本机自身的网络连接（网线或 Wi-Fi）。" + _LIGHTS_ZH,
    },
    "The office router (default gateway) answers." + _LIGHTS_EN: {
        "ru": "Отвечает роутер офиса (шлюз по умолчанию)." + _LIGHTS_RU,
        "zh": "办公室路由器（默认网关）有响应。" + _LIGHTS_ZH,
    },
    "Well-known sites outside Russia answer: your provider's line works." + _LIGHTS_EN: {
        "ru": "Отвечают известные сайты за пределами России: линия вашего провайдера работает."
        + _LIGHTS_RU,
        "zh": "俄罗斯境外的知名网站有响应：您的网络运营商线路正常。" + _LIGHTS_ZH,
    },
    "Well-known Russian sites (not Ozon) answer: the route into Russia works." + _LIGHTS_EN: {
        "ru": "Отвечают известные российские сайты (не Ozon): путь до России работает."
        + _LIGHTS_RU,
        "zh": "俄罗斯的知名网站（不是 Ozon）有响应：通往俄罗斯的线路正常。" + _LIGHTS_ZH,
    },
    "Names like ozon.ru are turned into addresses by the DNS resolvers." + _LIGHTS_EN: {
        "ru": "DNS-серверы превращают имена вроде ozon.ru в адреса." + _LIGHTS_RU,
        "zh": "DNS 服务器能把 ozon.ru 这样的域名解析成地址。" + _LIGHTS_ZH,
    },
    "Ozon's own services answer." + _LIGHTS_EN: {
        "ru": "Отвечают сервисы самого Ozon." + _LIGHTS_RU,
        "zh": "Ozon 自己的服务有响应。" + _LIGHTS_ZH,
    },
    # -- overview -----------------------------------------------------------------------
    "Ozon probe: is it me or Ozon?": {
        "ru": "ozon-probe: это у меня или у Ozon?",
        "zh": "ozon-probe：是我这边还是 Ozon 的问题？",
    },
    "At a glance: is the problem in this office, at the provider, on the way to Russia, in "
    "DNS, or at Ozon?": {
        "ru": "С первого взгляда: проблема в этом офисе, у провайдера, на пути до России, в "
        "DNS или у Ozon?",
        "zh": "一眼看清：问题出在本办公室、网络运营商、通往俄罗斯的线路、DNS，还是 Ozon？",
    },
    "Is it me or Ozon?": {"ru": "Это у меня или у Ozon?", "zh": "是我这边还是 Ozon？"},
    "The short answer. 'Your side' covers the office network, your provider, the route into "
    "Russia and DNS.": {
        "ru": "Короткий ответ. «Ваша сторона» — это офисная сеть, ваш провайдер, путь до "
        "России и DNS.",
        "zh": "简短的回答。“您这边”包括办公室网络、您的网络运营商、通往俄罗斯的线路和 DNS。",
    },
    "Diagnosis": {"ru": "Диагноз", "zh": "诊断"},
    "The agent's diagnosis. Red causes on your side (office network, provider, route to "
    "Russia, DNS) mean: act locally. Ozon outage/degraded means: wait for Ozon and keep the "
    "record for Ozon seller support.": {
        "ru": "Диагноз агента. Красные причины на вашей стороне (офисная сеть, провайдер, путь "
        "до России, DNS) означают: действуйте у себя. Сбой или перебои у Ozon (фиолетовые) "
        "означают: ждите Ozon и сохраните запись для поддержки продавцов Ozon.",
        "zh": "代理的诊断。红色的原因在您这边（办公室网络、网络运营商、通往俄罗斯的线路、"
        "DNS），意思是：请在本地处理。Ozon 故障或部分服务异常（紫色）的意思是：请等待 Ozon，"
        "并保留记录，以便向 Ozon 卖家客服反映。",
    },
    "For how long": {"ru": "Как долго", "zh": "持续时间"},
    "How long the current diagnosis has lasted.": {
        "ru": "Сколько времени держится текущий диагноз.",
        "zh": "当前诊断已持续多长时间。",
    },
    "Diagnosis over time": {"ru": "Диагноз во времени", "zh": "诊断历史"},
    "Layers over time": {"ru": "Уровни во времени", "zh": "各层状态历史"},
    "Each layer from this computer outwards. The first layer that is not green is usually "
    "where the problem is.": {
        "ru": "Каждый уровень, от этого компьютера наружу. Первый не зелёный уровень обычно и "
        "есть место проблемы.",
        "zh": "从本机向外的每一层。第一个不是绿色的层，通常就是出问题的地方。",
    },
    "Share of the last hour each layer was OK": {
        "ru": "Доля последнего часа, когда уровень был в норме",
        "zh": "过去一小时各层正常的时间占比",
    },
    "100% = the layer was fine all hour. Short dips show trouble that came and went too fast "
    "for an alert.": {
        "ru": "100% — уровень был в порядке весь час. Короткие провалы показывают неполадки, "
        "которые пришли и ушли слишком быстро для оповещения.",
        "zh": "100% 表示该层整个小时都正常。短暂的下降表示问题出现又消失得太快，来不及触发告警。",
    },
    "Ozon services": {"ru": "Сервисы Ozon", "zh": "Ozon 服务"},
    "Availability, last 5 minutes": {
        "ru": "Доступность за последние 5 минут",
        "zh": "可用性（最近 5 分钟）",
    },
    "Share of successful end-to-end checks (web page or API call) per Ozon service over the "
    "last 5 minutes.": {
        "ru": "Доля успешных сквозных проверок (веб-страница или вызов API) по каждому сервису "
        "Ozon за последние 5 минут.",
        "zh": "最近 5 分钟内每个 Ozon 服务端到端检查（网页或 API 调用）的成功比例。",
    },
    "Service status": {"ru": "Состояние сервисов", "zh": "服务状态"},
    "Per Ozon service: OK, Degraded (slow or failing now and then), Down.": {
        "ru": "По каждому сервису Ozon: в норме, с проблемами (медленно или время от времени "
        "сбоит), не работает.",
        "zh": "每个 Ozon 服务：正常、降级（缓慢或时有失败）、故障。",
    },
    "Availability by service": {"ru": "Доступность по сервисам", "zh": "各服务可用性"},
    "Share of successful checks, 5 minute average.": {
        "ru": "Доля успешных проверок, среднее за 5 минут.",
        "zh": "检查成功比例，5 分钟平均值。",
    },
    "Response time by service": {"ru": "Время ответа по сервисам", "zh": "各服务响应时间"},
    "Average time for a full answer from each Ozon service, 5 minute average.": {
        "ru": "Среднее время полного ответа каждого сервиса Ozon, среднее за 5 минут.",
        "zh": "每个 Ozon 服务返回完整应答的平均时间，5 分钟平均值。",
    },
    "How to read this dashboard": {"ru": "Как читать эту панель", "zh": "如何阅读本仪表盘"},
    _HOW_TO_READ_EN.strip() + "\n": {
        "ru": _HOW_TO_READ_RU.strip() + "\n",
        "zh": _HOW_TO_READ_ZH.strip() + "\n",
    },
    # -- gateway & network --------------------------------------------------------------
    "Ozon probe: gateway & network": {
        "ru": "ozon-probe: шлюз и сеть",
        "zh": "ozon-probe：网关与网络",
    },
    "Ping, loss, jitter and connection times to the office router, well-known control sites "
    "and Ozon.": {
        "ru": "Пинг, потери, джиттер и время соединения до роутера офиса, известных "
        "контрольных сайтов и Ozon.",
        "zh": "到办公室路由器、知名对照网站和 Ozon 的往返延迟、丢包、抖动和连接时间。",
    },
    "Group": {"ru": "Группа", "zh": "分组"},
    "gateway = the office router, control = well-known non-Ozon sites, ozon = Ozon's own hosts.": {
        "ru": "gateway — роутер офиса, control — известные сайты не Ozon, ozon — серверы "
        "самого Ozon.",
        "zh": "gateway = 办公室路由器，control = 非 Ozon 的知名网站，ozon = Ozon 自己的服务器。",
    },
    "Ping round trip (average per round)": {
        "ru": "Время пинга туда и обратно (среднее за раунд)",
        "zh": "往返延迟（每轮平均）",
    },
    "Time for a ping to go to the target and back. The router should answer in a few "
    "milliseconds; far-away hosts take longer.": {
        "ru": "Время, за которое пинг доходит до цели и возвращается. Роутер должен отвечать "
        "за несколько миллисекунд; далёким серверам нужно больше.",
        "zh": "探测包到达目标再返回所需的时间。路由器应在几毫秒内响应；远处的主机需要更久。",
    },
    "Packet loss": {"ru": "Потери пакетов", "zh": "丢包率"},
    "Share of pings without an answer in the last round. Loss already at the router points at "
    "the office network; loss only further out points at the provider or the route.": {
        "ru": "Доля пингов без ответа в последнем раунде. Потери уже на роутере указывают на "
        "офисную сеть; потери только дальше — на провайдера или путь.",
        "zh": "上一轮中没有应答的探测包比例。在路由器处就丢包，说明是办公室网络的问题；只在更远处"
        "丢包，说明是网络运营商或线路的问题。",
    },
    "Jitter": {"ru": "Джиттер", "zh": "抖动"},
    "How much the round trip varies from one ping to the next. High jitter makes pages stall "
    "and uploads slow even without loss.": {
        "ru": "Насколько время туда и обратно меняется от пинга к пингу. Большой джиттер "
        "заставляет страницы подвисать и замедляет загрузки даже без потерь.",
        "zh": "往返延迟在相邻两次探测之间的波动。抖动大时，即使不丢包，页面也会卡顿、"
        "上传也会变慢。",
    },
    "Ping round trip, best and worst": {
        "ru": "Время пинга, лучшее и худшее",
        "zh": "往返延迟（最好与最差）",
    },
    "Fastest and slowest reply in each round.": {
        "ru": "Самый быстрый и самый медленный ответ в каждом раунде.",
        "zh": "每轮中最快和最慢的应答。",
    },
    "Ping round-trip distribution: $target": {
        "ru": "Распределение времени пинга: $target",
        "zh": "往返延迟分布：$target",
    },
    "Every ping reply sorted into round-trip buckets. A band that moves up or spreads out "
    "shows congestion.": {
        "ru": "Каждый ответ на пинг, разложенный по интервалам времени. Полоса, которая "
        "поднимается или расплывается, говорит о перегрузке.",
        "zh": "每个探测应答按往返时间分档。色带上移或变宽说明网络拥塞。",
    },
    "TCP connect time": {"ru": "Время TCP-соединения", "zh": "TCP 连接时间"},
    "Time to open a connection to the target's web port.": {
        "ru": "Время открытия соединения с веб-портом цели.",
        "zh": "与目标网页端口建立连接所需的时间。",
    },
    "Check results": {"ru": "Результаты проверок", "zh": "检查结果"},
    "Every check (DNS, ping, TCP, TLS, HTTP, API): green passed, red failed.": {
        "ru": "Каждая проверка (DNS, пинг, TCP, TLS, HTTP, API): зелёный — прошла, красный — "
        "не прошла.",
        "zh": "每项检查（DNS、延迟探测、TCP、TLS、HTTP、API）：绿色为通过，红色为失败。",
    },
    "Failures by category": {"ru": "Ошибки по видам", "zh": "按类别统计的失败"},
    "Failed checks and why (timeout, refused, unreachable, ...).": {
        "ru": "Неудачные проверки и их причины (тайм-аут, отказ в соединении, недоступность "
        "и т. д.).",
        "zh": "失败的检查及原因（超时、连接被拒绝、不可达等）。",
    },
    "Ping mode": {"ru": "Режим пинга", "zh": "延迟探测方式"},
    "How the agent sends pings. 'none' means it cannot ping at all (no permission); ping "
    "panels then stay empty.": {
        "ru": "Как агент отправляет пинги. none означает, что пинговать он не может совсем (нет "
        "прав); тогда панели пинга остаются пустыми.",
        "zh": "代理发送探测包的方式。none 表示完全无法探测（没有权限），此时延迟相关的面板为空。",
    },
    "Probe rounds, last hour": {
        "ru": "Раунды проверок за последний час",
        "zh": "检查轮次（最近一小时）",
    },
    "How many rounds of each kind of check the agent ran.": {
        "ru": "Сколько раундов проверок каждого вида выполнил агент.",
        "zh": "代理执行的各类检查的轮数。",
    },
    # -- DNS ----------------------------------------------------------------------------
    "Ozon probe: DNS": {"ru": "ozon-probe: DNS", "zh": "ozon-probe：DNS"},
    "Each DNS resolver: lookup time, failures and answers that disagree with the others.": {
        "ru": "Каждый DNS-сервер: время ответа, ошибки и ответы, которые расходятся с остальными.",
        "zh": "每个 DNS 服务器：查询时间、失败，以及与其他服务器不一致的应答。",
    },
    "Resolver": {"ru": "DNS-сервер", "zh": "DNS 服务器"},
    "Name": {"ru": "Имя", "zh": "域名"},
    "Lookup time by resolver": {
        "ru": "Время ответа по DNS-серверам",
        "zh": "各 DNS 服务器的查询时间",
    },
    "Average time each DNS resolver takes to answer.": {
        "ru": "Среднее время ответа каждого DNS-сервера.",
        "zh": "每个 DNS 服务器的平均应答时间。",
    },
    "Resolver answers": {"ru": "Ответы DNS-серверов", "zh": "DNS 服务器应答"},
    "Green: the resolver answered correctly for every name; red: it failed for at least one.": {
        "ru": "Зелёный: сервер правильно ответил для каждого имени; красный: хотя бы для "
        "одного не ответил.",
        "zh": "绿色：该服务器对每个域名都正确应答；红色：至少有一个域名解析失败。",
    },
    "Why lookups failed: nxdomain (name does not exist), servfail, dns_timeout, dns_refused, ...": {
        "ru": "Почему запросы не удались: NXDOMAIN (имени не существует), SERVFAIL (ошибка "
        "сервера), dns_timeout (нет ответа), dns_refused (сервер отказал) и т. д.",
        "zh": "查询失败的原因：NXDOMAIN（域名不存在）、SERVFAIL（服务器错误）、dns_timeout"
        "（超时）、dns_refused（被拒绝）等。",
    },
    "Disagreement": {"ru": "Расхождения", "zh": "应答不一致"},
    "Red: this resolver's answer shares no address with the other resolvers' answers - it "
    "may be redirecting (hijacking) traffic. Content networks may disagree now and then; a "
    "resolver that disagrees all the time should not be used.": {
        "ru": "Красный: ответ этого сервера не имеет ни одного общего адреса с ответами других "
        "серверов — возможно, он перенаправляет (перехватывает) трафик. Сети доставки "
        "контента иногда дают разные ответы; сервером, который расходится с остальными "
        "постоянно, пользоваться не стоит.",
        "zh": "红色：该服务器的应答与其他服务器的应答没有任何相同的地址——它可能在重定向（劫持）"
        "流量。内容分发网络偶尔会给出不同的应答；一直不一致的服务器不应使用。",
    },
    "Lookup time by name": {"ru": "Время ответа по именам", "zh": "各域名的查询时间"},
    "Time for each resolver to answer for each name.": {
        "ru": "Время ответа каждого DNS-сервера для каждого имени.",
        "zh": "每个 DNS 服务器对每个域名的应答时间。",
    },
    "Addresses in the answer": {"ru": "Адресов в ответе", "zh": "应答中的地址数"},
    "How many addresses each answer had. Zero means no answer.": {
        "ru": "Сколько адресов было в каждом ответе. Ноль означает, что ответа нет.",
        "zh": "每个应答包含多少个地址。零表示没有应答。",
    },
    "Resolvers": {"ru": "DNS-серверы", "zh": "DNS 服务器"},
    "The resolvers the agent asks. role: system = the one this computer uses, public = a "
    "public resolver for comparison.": {
        "ru": "DNS-серверы, которые опрашивает агент. Столбец role: system — сервер, которым "
        "пользуется этот компьютер, public — публичный сервер для сравнения.",
        "zh": "代理查询的 DNS 服务器。role 列：system = 本机使用的服务器，public = 用于对比的"
        "公共服务器。",
    },
    # -- Ozon services ------------------------------------------------------------------
    "Ozon probe: Ozon services": {"ru": "ozon-probe: сервисы Ozon", "zh": "ozon-probe：Ozon 服务"},
    "Each Ozon service: where the time of a request goes, answers, TLS certificates and the "
    "Seller API key.": {
        "ru": "Каждый сервис Ozon: на что уходит время запроса, ответы, сертификаты TLS и ключ "
        "Seller API.",
        "zh": "每个 Ozon 服务：请求的时间花在哪里、应答、TLS 证书和 Seller API 密钥。",
    },
    "Ozon target": {"ru": "Адрес Ozon", "zh": "Ozon 目标"},
    "Where the time goes: $target": {
        "ru": "На что уходит время: $target",
        "zh": "时间花在哪里：$target",
    },
    "One request split into phases: resolve (DNS), connect (TCP), tls (secure handshake), "
    "processing (Ozon's server thinking), transfer (download). A tall 'processing' is Ozon; "
    "tall resolve/connect/tls point at the network.": {
        "ru": "Один запрос, разбитый на этапы: resolve (DNS), connect (TCP), tls (защищённое "
        "соединение), processing (сервер Ozon думает), transfer (скачивание). Высокий "
        "processing — это Ozon; высокие resolve, connect или tls указывают на сеть.",
        "zh": "一次请求拆分成几个阶段：resolve（DNS 解析）、connect（TCP 连接）、tls（安全握手）、"
        "processing（Ozon 服务器处理）、transfer（下载）。processing 很高是 Ozon 的问题；"
        "resolve、connect 或 tls 很高说明是网络的问题。",
    },
    "Response time, 90th percentile over 10 minutes": {
        "ru": "Время ответа, 90-й процентиль за 10 минут",
        "zh": "响应时间，10 分钟内的第 90 百分位",
    },
    "9 out of 10 requests were faster than this.": {
        "ru": "9 запросов из 10 были быстрее этого.",
        "zh": "10 个请求中有 9 个比这更快。",
    },
    "Answer as expected": {"ru": "Ответ как ожидалось", "zh": "应答符合预期"},
    "Green: the status code (and the JSON answer, where configured) was what a working Ozon "
    "service returns.": {
        "ru": "Зелёный: код ответа (и ответ JSON, где он настроен) такой, какой возвращает "
        "работающий сервис Ozon.",
        "zh": "绿色：状态码（以及已配置时的 JSON 应答）与正常工作的 Ozon 服务返回的一致。",
    },
    "Last HTTP status": {"ru": "Последний код HTTP", "zh": "最近的 HTTP 状态码"},
    "The last HTTP status code per target (200 = fine, 4xx/5xx = error).": {
        "ru": "Последний код ответа HTTP для каждой цели (200 — в порядке, 4xx/5xx — ошибка).",
        "zh": "每个目标最近一次的 HTTP 状态码（200 = 正常，4xx/5xx = 错误）。",
    },
    "Page size": {"ru": "Размер страницы", "zh": "页面大小"},
    "Size of the answer. A sudden change can mean an error page instead of the real one.": {
        "ru": "Размер ответа. Резкое изменение может означать страницу ошибки вместо настоящей.",
        "zh": "应答的大小。突然变化可能意味着返回的是错误页面，而不是真正的页面。",
    },
    "TLS certificates": {"ru": "Сертификаты TLS", "zh": "TLS 证书"},
    "Certificate trusted": {"ru": "Сертификату доверяют", "zh": "证书受信任"},
    "Red: this computer does not trust the certificate it got - usually something "
    "(antivirus, proxy, provider) intercepts the connection, or the clock is wrong.": {
        "ru": "Красный: этот компьютер не доверяет полученному сертификату — обычно что-то "
        "(антивирус, прокси, провайдер) перехватывает соединение или неверно идут часы.",
        "zh": "红色：本机不信任收到的证书——通常是某个环节（杀毒软件、代理服务器、网络运营商）"
        "拦截了连接，或者系统时间不对。",
    },
    "Certificate expires in": {"ru": "Сертификат истекает через", "zh": "证书剩余有效期"},
    "Time until the certificate each Ozon host presents expires.": {
        "ru": "Сколько осталось до истечения сертификата, который предъявляет каждый сервер Ozon.",
        "zh": "每个 Ozon 主机出示的证书距离过期还有多久。",
    },
    "TLS handshake time": {"ru": "Время установки TLS", "zh": "TLS 握手时间"},
    "Time to set up the secure connection.": {
        "ru": "Время установки защищённого соединения.",
        "zh": "建立安全连接所需的时间。",
    },
    "TLS version": {"ru": "Версия TLS", "zh": "TLS 版本"},
    "Protocol version negotiated with each host.": {
        "ru": "Версия протокола, согласованная с каждым сервером.",
        "zh": "与每个主机协商的协议版本。",
    },
    "Seller API key": {"ru": "Ключ Seller API", "zh": "Seller API 密钥"},
    "Whether Ozon accepts the configured Seller API key (only when a key is configured).": {
        "ru": "Принимает ли Ozon настроенный ключ Seller API (только если ключ настроен).",
        "zh": "Ozon 是否接受已配置的 Seller API 密钥（仅在配置了密钥时显示）。",
    },
    "Seller API key expires in": {
        "ru": "Ключ Seller API истекает через",
        "zh": "Seller API 密钥剩余有效期",
    },
    "Time until the Seller API key expires. Create a new one in the seller cabinet before it "
    "does.": {
        "ru": "Сколько осталось до истечения ключа Seller API. Создайте новый в личном "
        "кабинете продавца заранее.",
        "zh": "Seller API 密钥距离过期还有多久。请在过期前到卖家后台创建新的密钥。",
    },
    # -- throughput & busy hours --------------------------------------------------------
    "Ozon probe: throughput & busy hours": {
        "ru": "ozon-probe: скорость и часы пик",
        "zh": "ozon-probe：带宽与高峰时段",
    },
    "Speed tests and the hours of the day when the line or the route to Russia is slow.": {
        "ru": "Тесты скорости и часы суток, когда линия или путь до России работают медленно.",
        "zh": "测速结果，以及一天中线路或通往俄罗斯的线路变慢的时段。",
    },
    "Speed test results": {"ru": "Результаты тестов скорости", "zh": "测速结果"},
    "Download and upload speed measured by the agent's speed tests, and the usual speed "
    "(median of the past week, dashed). The ThroughputFarBelowUsual alert fires when a result "
    "is under a third of the usual.": {
        "ru": "Скорость скачивания и отдачи по тестам агента и обычная скорость (медиана за "
        "прошлую неделю, пунктиром). Оповещение ThroughputFarBelowUsual срабатывает, когда "
        "результат ниже трети обычного.",
        "zh": "代理测速得到的下载和上传速度，以及平常的速度（过去一周的中位数，虚线）。当结果低于"
        "平常的三分之一时，触发 ThroughputFarBelowUsual 告警。",
    },
    "usual {{target}} {{direction}}": {
        "ru": "обычно {{target}} {{direction}}",
        "zh": "平常 {{target}} {{direction}}",
    },
    "Data used by speed tests, 24h": {
        "ru": "Трафик тестов скорости за 24 ч",
        "zh": "测速消耗的流量（24 小时）",
    },
    "Traffic the speed tests used in the last 24 hours (counts against a metered plan).": {
        "ru": "Трафик, потраченный тестами скорости за последние 24 часа (учитывается в "
        "лимитном тарифе).",
        "zh": "最近 24 小时测速消耗的流量（按流量计费的套餐会计入）。",
    },
    "Ping round trip by hour of day (UTC)": {
        "ru": "Время пинга по часам суток (UTC)",
        "zh": "按小时统计的往返延迟（UTC）",
    },
    "Packet loss by hour of day (UTC)": {
        "ru": "Потери пакетов по часам суток (UTC)",
        "zh": "按小时统计的丢包率（UTC）",
    },
    "Ozon response time by hour of day (UTC)": {
        "ru": "Время ответа Ozon по часам суток (UTC)",
        "zh": "按小时统计的 Ozon 响应时间（UTC）",
    },
    _BY_HOUR_EN: {"ru": _BY_HOUR_RU, "zh": _BY_HOUR_ZH},
    _BY_HOUR_EN + " Here: full HTTP answers from Ozon's services.": {
        "ru": _BY_HOUR_RU + " Здесь: полные ответы HTTP сервисов Ozon.",
        "zh": _BY_HOUR_ZH + "此处为 Ozon 服务的完整 HTTP 应答。",
    },
    # -- fleet (the centre's Grafana) ---------------------------------------------------
    "Ozon probe: fleet": {"ru": "ozon-probe: все площадки", "zh": "ozon-probe：所有站点"},
    "Every site of the seller at once: who sees Ozon down, who is cut off, who is silent.": {
        "ru": "Все площадки продавца сразу: кто видит, что Ozon не работает, кто отрезан от сети, "
        "кто молчит.",
        "zh": "卖家所有站点一览：谁看到 Ozon 故障，谁断网了，谁没有消息。",
    },
    "Country": {"ru": "Страна", "zh": "国家"},
    "site.name in each agent's config (served to the office's Prometheus agent at /api/sd).": {
        "ru": "site.name в настройках каждого агента (агент отдаёт его Prometheus своей площадки "
        "по адресу /api/sd).",
        "zh": "每个代理配置中的 site.name（通过 /api/sd 提供给站点的 Prometheus）。",
    },
    "Sites that see Ozon down": {
        "ru": "Площадки, где Ozon не работает",
        "zh": "看到 Ozon 故障的站点",
    },
    "Sites whose own network works and whose verdict is 'Ozon outage'. OzonOutageConfirmed "
    "fires at 2 or more sites that are also at least half of the sound sites.": {
        "ru": "Площадки, у которых своя сеть работает, а диагноз — «Сбой Ozon». Оповещение "
        "OzonOutageConfirmed срабатывает, когда таких площадок 2 или больше и они составляют не "
        "меньше половины исправных.",
        "zh": "自身网络正常、诊断为“Ozon 故障”的站点。当这样的站点有 2 个或更多，且至少占"
        "网络正常站点的一半时，触发 OzonOutageConfirmed 告警。",
    },
    "seeing": {"ru": "видят сбой", "zh": "看到故障"},
    "Sound sites (can see Ozon)": {
        "ru": "Исправные площадки (могут судить об Ozon)",
        "zh": "网络正常的站点（能判断 Ozon）",
    },
    "Sites reporting a verdict that is not their own network, provider, route or DNS: only "
    "these can tell whether Ozon works.": {
        "ru": "Площадки, у которых диагноз — не своя сеть, провайдер, путь или DNS: только они "
        "могут сказать, работает ли Ozon.",
        "zh": "诊断结果不是自身网络、网络运营商、线路或 DNS 问题的站点：只有它们能判断 Ozon "
        "是否正常。",
    },
    "sound": {"ru": "исправны", "zh": "网络正常"},
    "Sites reporting": {"ru": "Площадки на связи", "zh": "有数据上报的站点"},
    "Sites whose data reached the centre in the last 2 minutes. A site missing here is silent "
    "(SiteSilent): its uplink or its computer.": {
        "ru": "Площадки, чьи данные дошли до центра за последние 2 минуты. Площадка, которой "
        "здесь нет, молчит (SiteSilent): дело в его канале связи или компьютере.",
        "zh": "最近 2 分钟内数据到达中心的站点。不在这里的站点处于静默状态（SiteSilent）："
        "问题在它的上行线路或电脑。",
    },
    "reporting": {"ru": "на связи", "zh": "有上报"},
    "Sites x layers (now)": {"ru": "Площадки и уровни (сейчас)", "zh": "各站点各层状态（当前）"},
    "Each site's layers, from its own network out to Ozon. A column red at every site is Ozon "
    "(or the route everyone shares); a row red from some layer on is that site's own "
    "problem.": {
        "ru": "Уровни каждой площадки, от её собственной сети до Ozon. Столбец, красный на всех "
        "площадках, — это Ozon (или общий для всех путь); строка, красная начиная с какого-то "
        "уровня, — проблема самой этой площадки.",
        "zh": "每个站点从自身网络到 Ozon 的各层状态。某一列在所有站点都是红色，说明是 Ozon"
        "（或大家共用的线路）的问题；某一行从某层开始变红，说明是该站点自己的问题。",
    },
    "Consensus over time": {"ru": "Общая картина во времени", "zh": "各站点判断的历史"},
    "How many sites saw Ozon down, among how many that could see it.": {
        "ru": "Сколько площадок видели, что Ozon не работает, из скольких могли это увидеть.",
        "zh": "在能够判断的站点中，有多少看到了 Ozon 故障。",
    },
    "sites seeing Ozon down": {"ru": "площадки, видящие сбой Ozon", "zh": "看到 Ozon 故障的站点"},
    "sound sites": {"ru": "исправные площадки", "zh": "网络正常的站点"},
    "sites reporting": {"ru": "площадки на связи", "zh": "有上报的站点"},
    "Verdict per site": {"ru": "Диагноз по площадкам", "zh": "各站点的诊断"},
    "Each site's own verdict. Gaps are silences: nothing reached the centre (an office's "
    "Prometheus agent sends its backlog later, and the gap fills in).": {
        "ru": "Собственный диагноз каждой площадки. Пропуски — это молчание: до центра ничего не "
        "дошло (Prometheus площадки потом досылает накопленное, и пропуск заполняется).",
        "zh": "每个站点自己的诊断。空白表示静默：没有数据到达中心（站点的 Prometheus 稍后会"
        "补发积压的数据，空白随之补齐）。",
    },
    "Seconds since each site's last report": {
        "ru": "Секунд с последнего отчёта каждой площадки",
        "zh": "距各站点上次上报的秒数",
    },
    "Over 120 s means the site is silent at the centre.": {
        "ru": "Больше 120 с означает, что площадка для центра молчит.",
        "zh": "超过 120 秒表示该站点在中心处于静默状态。",
    },
}
