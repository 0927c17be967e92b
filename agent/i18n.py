"""Words for people, in the languages Ozon's sellers read first: Russian, Chinese, English.

The one place where the agent's findings become sentences: the causes and what to do, the
fixed words of `check` and the status page, and every reason code the diagnosis emits
(`REASONS`, worded by `say`). Names (Ozon, DNS, HTTP, host names, resolver names) and figures
stay as measured.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Mapping
from typing import Any

from agent.diagnosis.reasons import Reason

LANGS = ("en", "ru", "zh")

CAUSES: dict[str, dict[str, tuple[str, str]]] = {
    # cause: lang: (what it is, what to do)
    "ok": {
        "en": ("Everything works: your network and Ozon both answer.", "Nothing to do."),
        "ru": ("Всё работает: ваша сеть и Ozon отвечают.", "Ничего делать не нужно."),
        "zh": ("一切正常：您的网络和 Ozon 均可访问。", "无需操作。"),
    },
    "local_network": {
        "en": (
            "The problem is in your office network: this computer or the router is cut off.",
            "Check the cable or Wi-Fi, then restart the router.",
        ),
        "ru": (
            "Проблема в вашей офисной сети: этот компьютер или роутер не на связи.",
            "Проверьте кабель или Wi-Fi, затем перезагрузите роутер.",
        ),
        "zh": (
            "问题出在您的办公网络：这台电脑或路由器已断开。",
            "请检查网线或 Wi-Fi，然后重启路由器。",
        ),
    },
    "isp": {
        "en": (
            "Your router works, but your internet provider does not pass traffic.",
            "Call your internet provider; give them the evidence below.",
        ),
        "ru": (
            "Роутер работает, но интернет-провайдер не пропускает трафик.",
            "Позвоните провайдеру и сообщите данные ниже.",
        ),
        "zh": (
            "路由器正常，但您的网络运营商无法转发流量。",
            "请联系网络运营商，并提供下方的证据。",
        ),
    },
    "international_path": {
        "en": (
            "The internet in your country works, but the path to Russia is broken or slow.",
            "Ask your provider about the international link to Russia, or use another route "
            "(a different provider or a line to Russia); Ozon itself is not at fault.",
        ),
        "ru": (
            "Интернет в вашей стране работает, но путь до России оборван или медленный.",
            "Спросите провайдера о международном канале в Россию или используйте другой "
            "маршрут; Ozon здесь ни при чём.",
        ),
        "zh": (
            "您所在国家的网络正常，但通往俄罗斯的国际线路中断或缓慢。",
            "请向运营商询问通往俄罗斯的国际线路，或改用其他线路；这不是 Ozon 的问题。",
        ),
    },
    "dns": {
        "en": (
            "Name lookup (DNS) fails or gives wrong answers; the network itself works.",
            "Switch this computer or the router to another DNS resolver "
            "(e.g. 77.88.8.8 in Russia, 223.5.5.5 in China).",
        ),
        "ru": (
            "Не работает или даёт неверные ответы DNS; сама сеть работает.",
            "Переключите компьютер или роутер на другой DNS-сервер "
            "(например, 77.88.8.8 в России, 223.5.5.5 в Китае).",
        ),
        "zh": (
            "域名解析（DNS）失败或返回错误结果；网络本身正常。",
            "请将电脑或路由器的 DNS 改为其他服务器（例如俄罗斯 77.88.8.8，中国 223.5.5.5）。",
        ),
    },
    "network_filtering": {
        "en": (
            "Something between your office and Ozon (a filter at your provider, a company "
            "firewall or proxy) blocks some connections by the name they ask for; Ozon itself "
            "answers.",
            "Show the evidence below to your provider or network administrator; meanwhile "
            "check from another network (mobile internet). Ozon support cannot fix this.",
        ),
        "ru": (
            "Что-то между вашим офисом и Ozon (фильтр провайдера, корпоративный межсетевой "
            "экран или прокси) блокирует часть соединений по имени сайта; сам Ozon отвечает.",
            "Покажите данные ниже провайдеру или администратору сети; пока проверьте с другой "
            "сети (мобильный интернет). Поддержка Ozon это не исправит.",
        ),
        "zh": (
            "您的办公室与 Ozon 之间的某个环节（运营商的过滤设备、公司防火墙或代理）"
            "按网站名称拦截了部分连接；Ozon 本身有响应。",
            "请将下方证据提供给运营商或网络管理员；同时可用其他网络（手机流量）确认。"
            "Ozon 客服无法解决此问题。",
        ),
    },
    "platform_outage": {
        "en": (
            "Ozon does not answer, while your network and the path to Russia are fine.",
            "Wait for Ozon to recover; keep this report (with its time) for Ozon support.",
        ),
        "ru": (
            "Ozon не отвечает, а ваша сеть и путь до России в порядке.",
            "Дождитесь восстановления Ozon; сохраните этот отчёт (со временем) для поддержки Ozon.",
        ),
        "zh": (
            "Ozon 无响应，而您的网络和通往俄罗斯的线路都正常。",
            "请等待 Ozon 恢复；保存本报告（含时间）以便联系 Ozon 客服。",
        ),
    },
    "platform_degraded": {
        "en": (
            "Some Ozon services fail or are slow; your network is fine.",
            "Work with what answers and wait; keep this report for Ozon support.",
        ),
        "ru": (
            "Часть сервисов Ozon не работает или тормозит; ваша сеть в порядке.",
            "Работайте с тем, что отвечает, и подождите; сохраните отчёт для поддержки Ozon.",
        ),
        "zh": (
            "部分 Ozon 服务失败或缓慢；您的网络正常。",
            "请使用可用的服务并等待；保存本报告以便联系 Ozon 客服。",
        ),
    },
    "network_degraded": {
        "en": (
            "Everything answers, but your connection loses packets or is slow.",
            "Pause big uploads, check who fills the line, restart the router; "
            "if it persists, call your provider.",
        ),
        "ru": (
            "Всё отвечает, но соединение теряет пакеты или медленное.",
            "Приостановите большие загрузки, проверьте, кто занимает канал, перезагрузите "
            "роутер; если не поможет — звоните провайдеру.",
        ),
        "zh": (
            "各服务均有响应，但您的连接丢包或缓慢。",
            "暂停大文件上传，检查占用带宽的设备，重启路由器；若仍存在，请联系运营商。",
        ),
    },
}

WORDS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Is it me or Ozon?",
        "ru": "Это у меня или у Ozon?",
        "zh": "是我的问题还是 Ozon 的问题？",
    },
    "verdict": {"en": "Verdict", "ru": "Вывод", "zh": "结论"},
    "todo": {"en": "What to do", "ru": "Что делать", "zh": "建议操作"},
    "undecided": {
        "en": "not decided yet: one round is not enough to say whose fault it is",
        "ru": "вывод пока не сделан: одного раунда проверки мало, чтобы сказать, чья это проблема",
        "zh": "尚未得出结论：仅一轮检查不足以判断是哪一方的问题",
    },
    "undecided_todo": {
        "en": "check again in a minute; the evidence so far is below",
        "ru": "повторите проверку через минуту; что уже известно — ниже",
        "zh": "一分钟后再检查一次；目前掌握的证据见下",
    },
    "evidence": {"en": "Evidence", "ru": "Данные", "zh": "证据"},
    "layers": {"en": "Layers", "ru": "Уровни", "zh": "各层状态"},
    "services": {"en": "Ozon services", "ru": "Сервисы Ozon", "zh": "Ozon 服务"},
    "since": {"en": "since", "ru": "с", "zh": "自"},
    "checked": {"en": "checked", "ru": "проверено", "zh": "检查时间"},
    "link": {"en": "This computer's link", "ru": "Подключение компьютера", "zh": "本机连接"},
    "gateway": {"en": "Router (gateway)", "ru": "Роутер (шлюз)", "zh": "路由器（网关）"},
    "internet": {
        "en": "Internet (home country)",
        "ru": "Интернет (своя страна)",
        "zh": "互联网（本国）",
    },
    "russia": {"en": "Path to Russia", "ru": "Путь до России", "zh": "通往俄罗斯的线路"},
    "dns": {"en": "DNS", "ru": "DNS", "zh": "DNS"},
    "platform": {"en": "Ozon", "ru": "Ozon", "zh": "Ozon"},
    "state_ok": {"en": "ok", "ru": "в норме", "zh": "正常"},
    "state_degraded": {"en": "degraded", "ru": "с проблемами", "zh": "降级"},
    "state_down": {"en": "down", "ru": "не работает", "zh": "故障"},
    "state_unknown": {"en": "no data", "ru": "нет данных", "zh": "无数据"},
    "running": {"en": "Checking", "ru": "Проверяем", "zh": "正在检查"},
    "done": {"en": "done", "ru": "готово", "zh": "完成"},
    # throughput and path (ozon-probe check --throughput/--path)
    "throughput": {"en": "Throughput", "ru": "Скорость", "zh": "带宽"},
    "measuring": {"en": "Measuring throughput", "ru": "Измеряем скорость", "zh": "正在测速"},
    "no_throughput": {
        "en": "no throughput test configured (throughput.targets, throughput.speedtest)",
        "ru": "тесты скорости не настроены (throughput.targets, throughput.speedtest)",
        "zh": "未配置测速 (throughput.targets, throughput.speedtest)",
    },
    "refused_budget": {
        "en": "not run: the daily data budget is spent",
        "ru": "не запущен: дневной лимит трафика исчерпан",
        "zh": "未运行：今日流量预算已用完",
    },
    "refused_other": {
        "en": "not run: another test or probe round was running",
        "ru": "не запущен: шёл другой тест или раунд проверок",
        "zh": "未运行：另一个测试或探测正在进行",
    },
    "download": {"en": "download", "ru": "загрузка", "zh": "下载"},
    "path": {"en": "Path", "ru": "Маршрут", "zh": "路径"},
    "router": {"en": "router", "ru": "роутер", "zh": "路由器"},
    "ms": {"en": "ms", "ru": "мс", "zh": "毫秒"},
    "fleet": {"en": "Your other sites", "ru": "Другие ваши точки", "zh": "您的其他站点"},
    "history": {"en": "Last 24 hours", "ru": "Последние 24 часа", "zh": "最近 24 小时"},
    "incidents": {"en": "Recent incidents", "ru": "Недавние сбои", "zh": "近期故障"},
    "no_incidents": {
        "en": "No incidents in the last 7 days.",
        "ru": "За последние 7 дней сбоев не было.",
        "zh": "最近 7 天没有故障。",
    },
    "ongoing": {"en": "ongoing", "ru": "продолжается", "zh": "仍在持续"},
    "availability": {"en": "Available", "ru": "Доступность", "zh": "可用率"},
    "day": {"en": "24 h", "ru": "24 ч", "zh": "24 小时"},
    "week": {"en": "7 d", "ru": "7 дн.", "zh": "7 天"},
    "report_link": {
        "en": "Download the report for Ozon support or your provider",
        "ru": "Скачать отчёт для поддержки Ozon или провайдера",
        "zh": "下载报告（发给 Ozon 客服或运营商）",
    },
    "journal_off": {
        "en": "The incident journal is off (see the agent's log): history is not kept.",
        "ru": "Журнал сбоев отключён (см. журнал агента): история не сохраняется.",
        "zh": "故障日志已关闭（见代理日志）：不保存历史记录。",
    },
    "first_round": {
        "en": "Measuring: the first round of checks is still running...",
        "ru": "Идёт измерение: первый раунд проверок ещё не закончен...",
        "zh": "正在测量：第一轮检查尚未完成……",
    },
    "moscow": {"en": "Moscow time", "ru": "по Москве", "zh": "莫斯科时间"},
    "checked_at": {"en": "Checked", "ru": "Проверено", "zh": "检查时间"},
    "upload": {"en": "upload", "ru": "отдача", "zh": "上传"},
}


#: reason code -> language -> template; parameters in braces (a reason or a list of reasons
#: is worded first; `rounds` and `count` are plural-aware; `percent` is a whole percentage)
REASONS: dict[str, dict[str, str]] = {
    # what one probe said
    "said_http": {
        "en": "HTTP {status} in {ms} ms",
        "ru": "HTTP {status} за {ms} мс",
        "zh": "HTTP {status}，用时 {ms} 毫秒",
    },
    "said_ok": {"en": "ok in {ms} ms", "ru": "ответ за {ms} мс", "zh": "正常，用时 {ms} 毫秒"},
    "said_echo": {
        "en": "round trip {avg} ms (min {min}, max {max}), {received} of {sent} answered",
        "ru": "время отклика {avg} мс (мин. {min}, макс. {max}), ответов {received} из {sent}",
        "zh": "往返 {avg} 毫秒（最小 {min}，最大 {max}），{sent} 个中 {received} 个有回应",
    },
    "said_http_status": {"en": "HTTP {status}", "ru": "HTTP {status}", "zh": "HTTP {status}"},
    "said_alive": {
        "en": "alive (HTTP {status} code {json_code}, as expected without a key) in {ms} ms",
        "ru": "работает (HTTP {status}, код {json_code}, как и положено без ключа), {ms} мс",
        "zh": "正常（HTTP {status}，代码 {json_code}，未带密钥时的预期回应），用时 {ms} 毫秒",
    },
    "said_error": {"en": "{error}", "ru": "{error}", "zh": "{error}"},
    "said_failed": {"en": "failed", "ru": "ошибка", "zh": "失败"},
    "probe_said": {
        "en": "{target} {kind}: {said}",
        "ru": "{target} {kind}: {said}",
        "zh": "{target} {kind}：{said}",
    },
    "probe_detail": {
        "en": "{target} {kind}: {detail}",
        "ru": "{target} {kind}: {detail}",
        "zh": "{target} {kind}：{detail}",
    },
    "resolver_answers": {
        "en": "resolver {resolver} answers",
        "ru": "DNS-сервер {resolver} отвечает",
        "zh": "DNS 服务器 {resolver} 有响应",
    },
    "resolver_silent": {
        "en": "resolver {resolver} does not answer",
        "ru": "DNS-сервер {resolver} не отвечает",
        "zh": "DNS 服务器 {resolver} 无响应",
    },
    # this machine's link
    "link_no_table": {
        "en": "cannot read the routing table",
        "ru": "не удаётся прочитать таблицу маршрутов",
        "zh": "无法读取路由表",
    },
    "link_no_route": {
        "en": "no default route: the network cable, Wi-Fi or DHCP is down",
        "ru": "нет маршрута по умолчанию: не работает кабель, Wi-Fi или DHCP",
        "zh": "没有默认路由：网线、Wi-Fi 或 DHCP 故障",
    },
    "link_iface_down": {
        "en": "the interface of the default route ({iface}) is down",
        "ru": "интерфейс маршрута по умолчанию ({iface}) отключён",
        "zh": "默认路由的网卡（{iface}）已断开",
    },
    "link_ok": {
        "en": "default route via {iface}",
        "ru": "маршрут по умолчанию через {iface}",
        "zh": "默认路由经由 {iface}",
    },
    # the office router
    "gateway_silent": {
        "en": "the office router (default gateway) does not answer",
        "ru": "офисный роутер (шлюз по умолчанию) не отвечает",
        "zh": "办公室路由器（默认网关）无响应",
    },
    "gateway_not_routing": {
        "en": "the office router is on the LAN (it answers ARP) but does not route",
        "ru": "офисный роутер в сети (отвечает на ARP), но не передаёт трафик",
        "zh": "办公室路由器在局域网中（响应 ARP），但不转发流量",
    },
    "gateway_gone": {
        "en": "the office router is gone from the LAN: it does not answer ARP",
        "ru": "офисный роутер пропал из локальной сети: не отвечает на ARP",
        "zh": "办公室路由器已从局域网消失：不响应 ARP",
    },
    # the provider and the international path
    "isp_cut": {
        "en": "the router answers, but nothing on the internet beyond it does",
        "ru": "роутер отвечает, но ничего в интернете за ним не отвечает",
        "zh": "路由器有响应，但其后的互联网均无响应",
    },
    "russia_cut": {
        "en": "the internet in {country} works, but hosts in Russia do not answer",
        "ru": "интернет в стране {country} работает, но узлы в России не отвечают",
        "zh": "{country} 的互联网正常，但俄罗斯的主机无响应",
    },
    "russia_degraded": {
        "en": "the path to Russia is degraded: {sick}",
        "ru": "путь до России работает с проблемами: {sick}",
        "zh": "通往俄罗斯的线路质量下降：{sick}",
    },
    "network_degraded": {
        "en": "the network path is degraded: {sick}",
        "ru": "сеть работает с проблемами: {sick}",
        "zh": "网络线路质量下降：{sick}",
    },
    "path_sick": {"en": "{target}: {why}", "ru": "{target}: {why}", "zh": "{target}：{why}"},
    "path_loss": {
        "en": "{percent}% packet loss",
        "ru": "потеря пакетов {percent}%",
        "zh": "丢包 {percent}%",
    },
    "path_rtt": {
        "en": "round-trip {ms} ms",
        "ru": "время отклика {ms} мс",
        "zh": "往返 {ms} 毫秒",
    },
    "path_rtt_rise": {
        "en": "round-trip {ms} ms, usually {usual} ms",
        "ru": "время отклика {ms} мс, обычно {usual} мс",
        "zh": "往返 {ms} 毫秒，平时 {usual} 毫秒",
    },
    "path_jitter": {"en": "jitter {ms} ms", "ru": "джиттер {ms} мс", "zh": "抖动 {ms} 毫秒"},
    # DNS
    "dns_lying": {
        "en": "the system resolver gives wrong addresses: {lies}",
        "ru": "системный DNS-сервер выдаёт неверные адреса: {lies}",
        "zh": "系统 DNS 服务器返回了错误的地址：{lies}",
    },
    "dns_lie": {
        "en": "{name} -> {addresses}, which no independent resolver confirms",
        "ru": "{name} -> {addresses}, и ни один независимый DNS-сервер это не подтверждает",
        "zh": "{name} -> {addresses}，没有任何独立 DNS 服务器证实",
    },
    "dns_failing": {
        "en": "the system resolver fails: {failures}",
        "ru": "системный DNS-сервер не работает: {failures}",
        "zh": "系统 DNS 服务器解析失败：{failures}",
    },
    "dns_failure": {"en": "{name}: {error}", "ru": "{name}: {error}", "zh": "{name}：{error}"},
    "dns_others_answer": {
        "en": "other resolvers answer the same names",
        "ru": "другие DNS-серверы отвечают на те же имена",
        "zh": "其他 DNS 服务器能解析相同的域名",
    },
    # Ozon's services
    "services_failing": {"en": "{services}", "ru": "{services}", "zh": "{services}"},
    "service_line": {
        "en": "{service}: {text}",
        "ru": "{service}: {text}",
        "zh": "{service}：{text}",
    },
    "services_fine": {
        "en": "{services} fine",
        "ru": "{services} в порядке",
        "zh": "{services} 正常",
    },
    "filtering": {
        "en": "connections to {hosts} are stopped on the way, by the name they ask for",
        "ru": "соединения с {hosts} обрываются по пути — по имени сайта",
        "zh": "到 {hosts} 的连接在途中按网站名称被拦截",
    },
    "filtering_dns": {
        "en": "DNS answers for {hosts} are rewritten on the way (a transparent DNS proxy)",
        "ru": "DNS-ответы для {hosts} подменяются по пути (прозрачный DNS-прокси)",
        "zh": "{hosts} 的 DNS 应答在途中被篡改（透明 DNS 代理）",
    },
    "filtering_mixed": {
        "en": "connections to {hosts} are stopped or altered on the way",
        "ru": "соединения с {hosts} обрываются или искажаются по пути",
        "zh": "到 {hosts} 的连接在途中被拦截或篡改",
    },
    "filter_dns": {
        "en": "{host}: the resolver {resolver} answers {udp} over UDP but {tcp} over TCP, and "
        "only the TCP answer's address shows a valid certificate: something on the way "
        "rewrites DNS",
        "ru": "{host}: DNS-сервер {resolver} отвечает {udp} по UDP, но {tcp} по TCP, и "
        "действительный сертификат есть только у адреса из ответа по TCP: DNS подменяется "
        "по пути",
        "zh": "{host}：DNS 服务器 {resolver} 通过 UDP 返回 {udp}，通过 TCP 却返回 {tcp}，"
        "只有 TCP 应答中的地址出示了有效证书：DNS 在途中被篡改",
    },
    "filter_dns_denied": {
        "en": "{host}: the resolver {resolver} says {error} over UDP but answers {tcp} over "
        "TCP, an address with a valid certificate: something on the way rewrites DNS",
        "ru": "{host}: DNS-сервер {resolver} по UDP отвечает «{error}», а по TCP даёт {tcp}, "
        "адрес с действительным сертификатом: DNS подменяется по пути",
        "zh": "{host}：DNS 服务器 {resolver} 通过 UDP 回应「{error}」，通过 TCP 却返回 {tcp}，"
        "该地址出示了有效证书：DNS 在途中被篡改",
    },
    "filtering_tls": {
        "en": "TLS connections to {hosts} are intercepted on the way (a certificate this "
        "machine does not trust, the same for Ozon's and other sites)",
        "ru": "TLS-соединения с {hosts} перехватываются по пути (сертификат, которому этот "
        "компьютер не доверяет, один и тот же для сайтов Ozon и других сайтов)",
        "zh": "到 {hosts} 的 TLS 连接在途中被拦截（本机不信任的证书，Ozon 与其他网站相同）",
    },
    "filter_tls": {
        "en": "{host}: the certificate shown is issued by «{issuer}», which this machine does "
        "not trust, and so is the one {control} shows: something on the way intercepts TLS",
        "ru": "{host}: показанный сертификат выдан «{issuer}», которому этот компьютер не "
        "доверяет, как и сертификат {control}: что-то на пути перехватывает TLS",
        "zh": "{host}：出示的证书由「{issuer}」签发，本机不信任该签发者，{control} 出示的证书也"
        "是如此：途中有设备拦截 TLS",
    },
    "filtering_stall": {
        "en": "connections to {hosts} freeze on the way after a fixed number of bytes",
        "ru": "соединения с {hosts} замирают по пути после определённого объёма данных",
        "zh": "到 {hosts} 的连接在传输固定字节数后于途中停滞",
    },
    "filter_stall": {
        "en": "{host} ({address}): the answer stopped after about {kb} KB ({rounds} in a row), "
        "and {control}, another company's server, stopped after the same amount: something "
        "on the way freezes connections at a fixed size",
        "ru": "{host} ({address}): ответ оборвался примерно после {kb} КБ ({rounds} подряд), "
        "и ответ {control}, сервера другой компании, оборвался после того же объёма: что-то "
        "на пути замораживает соединения после определённого объёма",
        "zh": "{host}（{address}）：应答在约 {kb} KB 后停止（连续{rounds}），另一家公司的服务器 "
        "{control} 的应答也在相同字节数后停止：途中有设备在固定字节数后冻结连接",
    },
    "filtering_reset": {
        "en": "connections to {hosts} are reset on the way, not by the server",
        "ru": "соединения с {hosts} сбрасываются по пути, а не сервером",
        "zh": "到 {hosts} 的连接在途中被重置，而不是由服务器重置",
    },
    "filter_rst_ttl": {
        "en": "{host} ({address}): the TLS handshake was reset by a packet with TTL "
        "{reset_ttl}, while the server's own answer came with TTL {server_ttl}: the reset was "
        "sent by something on the way, not by the server",
        "ru": "{host} ({address}): TLS-рукопожатие сброшено пакетом с TTL {reset_ttl}, а "
        "собственный ответ сервера пришёл с TTL {server_ttl}: сброс отправил не сервер, а "
        "что-то на пути",
        "zh": "{host}（{address}）：TLS 握手被一个 TTL 为 {reset_ttl} 的数据包重置，而服务器自己的"
        "应答 TTL 为 {server_ttl}：重置来自途中的设备，而不是服务器",
    },
    "filter_sni_silent": {
        "en": "{host} ({address}): no answer for its own name ({rounds} in a row), while the "
        "same address answered another name at once",
        "ru": "{host} ({address}): нет ответа для своего имени ({rounds} подряд), а тот же "
        "адрес сразу отвечал на другое имя",
        "zh": "{host}（{address}）：使用自身名称时无响应（连续{rounds}），而同一地址对其他名称立即"
        "有响应",
    },
    "filter_sni": {
        "en": "{host} ({address}): {error} for its own name, while the same address answered "
        "another name at once",
        "ru": "{host} ({address}): {error} для своего имени, а тот же адрес сразу ответил "
        "на другое имя",
        "zh": "{host}（{address}）：使用自身名称时{error}，而同一地址对其他名称立即有响应",
    },
    "platform_down": {
        "en": "Ozon does not answer: {services}",
        "ru": "Ozon не отвечает: {services}",
        "zh": "Ozon 无响应：{services}",
    },
    "platform_some": {"en": "{services}", "ru": "{services}", "zh": "{services}"},
    "platform_some_fine": {
        "en": "{services}; {fine} fine",
        "ru": "{services}; {fine} в порядке",
        "zh": "{services}；{fine} 正常",
    },
    "all_ok": {
        "en": "every layer answers",
        "ru": "все уровни отвечают",
        "zh": "各层均有响应",
    },
    "all_ok_fine": {
        "en": "every layer answers: {fine} fine",
        "ru": "все уровни отвечают: {fine} в порядке",
        "zh": "各层均有响应：{fine} 正常",
    },
    "no_results": {
        "en": "no results yet",
        "ru": "результатов пока нет",
        "zh": "暂无结果",
    },
    "svc_no_result": {"en": "no result yet", "ru": "результата пока нет", "zh": "暂无结果"},
    "svc_no_name": {
        "en": "name does not resolve ({error})",
        "ru": "имя не разрешается ({error})",
        "zh": "域名无法解析（{error}）",
    },
    "svc_slow": {
        "en": "slow: {said} for {rounds}",
        "ru": "медленно: {said} ({rounds} подряд)",
        "zh": "缓慢：{said}，已持续 {rounds}",
    },
    "svc_failing": {
        "en": "{said} for {rounds}",
        "ru": "{said} ({rounds} подряд)",
        "zh": "{said}，已持续 {rounds}",
    },
    "svc_out_of_sight": {
        "en": "cannot be reached from here ({cause})",
        "ru": "отсюда недоступен ({cause})",
        "zh": "从这里无法访问（{cause}）",
    },
    # the verdict waits for more evidence
    "held": {"en": "(held: {why})", "ru": "(вывод удержан: {why})", "zh": "（结论暂缓：{why}）"},
    "hold_dns_network": {
        "en": "DNS fails; waiting to see whether the network itself works",
        "ru": "DNS не работает; ждём, работает ли сама сеть",
        "zh": "DNS 失败；正在确认网络本身是否正常",
    },
    "hold_unsteady": {
        "en": "the path itself is unsteady ({wobble})",
        "ru": "сам путь нестабилен ({wobble})",
        "zh": "线路本身不稳定（{wobble}）",
    },
    "hold_recovering": {
        "en": "everything answers again, for {seconds} s of the {needed} s it must hold",
        "ru": "всё снова отвечает: {seconds} с из {needed} с, которые это должно продержаться",
        "zh": "一切已恢复响应：已持续 {seconds} 秒，需持续 {needed} 秒",
    },
    "hold_intermittent": {
        "en": "an intermittent fault: named {times} in {minutes} min; answering again "
        "for {seconds} s",
        "ru": "перемежающийся сбой: {times} за {minutes} мин; снова отвечает {seconds} с",
        "zh": "间歇性故障：{minutes} 分钟内出现 {times}；已恢复响应 {seconds} 秒",
    },
    "intermittent": {
        "en": "intermittent: named {times} in the last {minutes} min",
        "ru": "перемежающийся сбой: {times} за последние {minutes} мин",
        "zh": "间歇性：最近 {minutes} 分钟内出现 {times}",
    },
    "hold_dwell": {
        "en": "the evidence now points at {cause}; a verdict stands {needed} s before another "
        "replaces it ({seconds} s so far)",
        "ru": "данные теперь указывают на «{cause}»; вывод держится {needed} с, прежде чем его "
        "сменит другой (прошло {seconds} с)",
        "zh": "证据现在指向「{cause}」；结论需保持 {needed} 秒才会被另一结论取代"
        "（已过 {seconds} 秒）",
    },
    "hold_filtering": {
        "en": "checking again before blaming anyone: {check}",
        "ru": "проверяем ещё раз, прежде чем кого-то винить: {check}",
        "zh": "在判定责任方之前再次检查：{check}",
    },
    "hold_need_proof": {
        "en": "waiting for fresh evidence that the network to Russia works",
        "ru": "ждём свежих подтверждений, что сеть до России работает",
        "zh": "正在等待通往俄罗斯的网络正常的最新证据",
    },
    "hold_one_round": {
        "en": "one failed round of an Ozon service: waiting for the next",
        "ru": "один неудачный раунд проверки сервиса Ozon: ждём следующий",
        "zh": "Ozon 服务一轮检查失败：等待下一轮",
    },
}

#: parameters that hold a target's or a service's id (worded through `names`)
_NAMED = frozenset({"target", "service", "services", "fine"})

#: plural forms of the counted words in the templates: en (one, other), ru (one, few, many)
_PLURALS: dict[str, dict[str, tuple[str, ...]]] = {
    "rounds": {"en": ("round", "rounds"), "ru": ("раунд", "раунда", "раундов"), "zh": ("轮",)},
    "times": {"en": ("time", "times"), "ru": ("раз", "раза", "раз"), "zh": ("次",)},
}


def plural(n: int, forms: tuple[str, ...], lang: str) -> str:
    """The form of a counted word for n: Russian has three (1 раунд, 2 раунда, 5 раундов)."""
    if lang == "ru" and len(forms) == 3:
        if n % 10 == 1 and n % 100 != 11:
            return forms[0]
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return forms[1]
        return forms[2]
    if lang == "zh":
        return forms[0]
    return forms[0] if n == 1 else forms[-1]


def say(reason: Reason, lang: str, names: Mapping[str, str] | None = None) -> str:
    """A reason in the reader's language (en when the code or language is unknown). `names`
    turns target and service ids into the words the reader knows them by (a service's name,
    a control's host); without it the ids are shown as configured."""
    lang = lang if lang in LANGS else "en"
    templates = REASONS.get(reason.code)
    if templates is None:
        return reason.code
    params = _Params(reason.params, lang, names or {})
    return templates.get(lang, templates["en"]).format_map(params)


def describe(reason: Mapping[str, Any], lang: str) -> str:
    """A reason in its JSON form (the journal's, a report's) in the reader's language."""
    from agent.diagnosis.reasons import from_json
    from agent.lang import SERVICE_NAMES, service_name

    found = from_json(dict(reason))
    # the journal keeps service ids; a reader who does not read English gets their names
    names = {} if lang == "en" else {s: service_name(s, lang) for s in SERVICE_NAMES}
    return say(found, lang, names) if isinstance(found, Reason) else str(found)


class _Params(Mapping[str, str]):
    def __init__(self, params: Mapping[str, Any], lang: str, names: Mapping[str, str]) -> None:
        self._params, self._lang, self._names = params, lang, names

    def __getitem__(self, key: str) -> str:
        value = self._params[key]
        if key in _NAMED and self._names:
            if isinstance(value, str):
                value = self._names.get(value, value)
            elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                value = [self._names.get(v, v) for v in value]
        if key == "kind" and isinstance(value, str) and self._lang != "en":
            value = value.upper()  # protocol names: ICMP, TCP, TLS, HTTP, DNS
        if isinstance(value, Reason):
            return say(value, self._lang, self._names)
        if isinstance(value, list | tuple) and value and all(isinstance(v, Reason) for v in value):
            sep = "；" if self._lang == "zh" else "; "
            return sep.join(say(v, self._lang, self._names) for v in value)
        return _word_param(key, value, self._lang)

    def __iter__(self) -> Any:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)


def _word_param(key: str, value: Any, lang: str) -> str:
    if isinstance(value, Reason):
        return say(value, lang)
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, Reason) for v in value):
            return ("；" if lang == "zh" else "; ").join(say(v, lang) for v in value)
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    if key in _PLURALS and isinstance(value, int):
        sep = "" if lang == "zh" else " "
        return f"{value}{sep}{plural(value, _PLURALS[key][lang], lang)}"
    if key == "cause" and isinstance(value, str):
        return cause_name(value, lang)
    if key == "error" and isinstance(value, str):
        return error_name(value, lang)
    return str(value)


#: error categories (agent/vocabulary.py) for people; en keeps the category itself
ERROR_NAMES: dict[str, dict[str, str]] = {
    "timeout": {"ru": "нет ответа (тайм-аут)", "zh": "超时无响应"},
    "refused": {"ru": "соединение отклонено", "zh": "连接被拒绝"},
    "unreachable": {"ru": "узел недоступен", "zh": "主机不可达"},
    "reset": {"ru": "соединение сброшено", "zh": "连接被重置"},
    "nxdomain": {"ru": "имя не существует (NXDOMAIN)", "zh": "域名不存在（NXDOMAIN）"},
    "servfail": {"ru": "ошибка DNS-сервера (SERVFAIL)", "zh": "DNS 服务器错误（SERVFAIL）"},
    "dns_refused": {"ru": "DNS-сервер отказал (REFUSED)", "zh": "DNS 服务器拒绝（REFUSED）"},
    "no_answer": {"ru": "у имени нет адреса", "zh": "域名没有地址"},
    "dns_timeout": {"ru": "DNS не ответил вовремя", "zh": "DNS 超时"},
    "dns_malformed": {"ru": "искажённый ответ DNS", "zh": "DNS 回应格式错误"},
    "dns_mismatch": {"ru": "ответ DNS не подтверждён", "zh": "DNS 回应未被证实"},
    "dns_unreachable": {"ru": "DNS-сервер недоступен", "zh": "DNS 服务器不可达"},
    "tls_verify": {"ru": "сертификат не прошёл проверку", "zh": "证书验证失败"},
    "tls_error": {"ru": "ошибка TLS", "zh": "TLS 错误"},
    "http_status": {"ru": "ошибочный код HTTP", "zh": "HTTP 状态码错误"},
    "http_body": {"ru": "неожиданный ответ HTTP", "zh": "HTTP 回应内容不符"},
    "http_protocol": {"ru": "нарушение протокола HTTP", "zh": "HTTP 协议错误"},
    "api_key_invalid": {"ru": "ключ Seller API отклонён", "zh": "Seller API 密钥被拒绝"},
    "rate_limited": {"ru": "слишком много запросов", "zh": "请求过于频繁"},
    "speedtest_config": {"ru": "нет настроек speedtest.net", "zh": "无法获取 speedtest.net 配置"},
    "speedtest_forbidden": {"ru": "speedtest.net запретил тест", "zh": "speedtest.net 拒绝测试"},
    "speedtest_rate_limited": {
        "ru": "speedtest.net: слишком много тестов",
        "zh": "speedtest.net：测试过于频繁",
    },
    "speedtest_no_servers": {"ru": "нет серверов speedtest", "zh": "没有可用的测速服务器"},
    "permission": {"ru": "нет прав на проверку", "zh": "没有执行权限"},
    "internal": {"ru": "внутренняя ошибка агента", "zh": "代理内部错误"},
}


def error_name(category: str, lang: str) -> str:
    if lang == "en":
        return category
    return ERROR_NAMES.get(category, {}).get(lang, category)


CAUSE_NAMES: dict[str, dict[str, str]] = {
    "ok": {"en": "ok", "ru": "всё в порядке", "zh": "正常"},
    "local_network": {"en": "local_network", "ru": "офисная сеть", "zh": "本地网络"},
    "isp": {"en": "isp", "ru": "провайдер", "zh": "网络运营商"},
    "international_path": {
        "en": "international_path",
        "ru": "международный канал",
        "zh": "国际线路",
    },
    "dns": {"en": "dns", "ru": "DNS", "zh": "DNS"},
    "network_filtering": {
        "en": "network_filtering",
        "ru": "фильтрация в сети",
        "zh": "网络过滤",
    },
    "platform_outage": {"en": "platform_outage", "ru": "сбой Ozon", "zh": "Ozon 故障"},
    "platform_degraded": {
        "en": "platform_degraded",
        "ru": "перебои у Ozon",
        "zh": "Ozon 部分服务异常",
    },
    "network_degraded": {
        "en": "network_degraded",
        "ru": "сеть с перебоями",
        "zh": "网络质量下降",
    },
}


def cause_name(cause: str, lang: str) -> str:
    names = CAUSE_NAMES.get(cause)
    if names is None:
        return cause
    return names.get(lang, names["en"])


def detect_lang(environ: Mapping[str, str] | None = None) -> str:
    """The reader's language from the environment, in gettext's order (agent/lang.py); the
    process locale when the environment says nothing."""
    from agent import lang

    env = os.environ if environ is None else environ
    if any(env.get(v) for v in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")):
        return lang.detect_lang(env)
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return lang_of(current)


def lang_of(tag: str) -> str:
    from agent import lang

    return lang.lang_of(tag) or "en"


def accept_language(header: str) -> str:
    """The best of ru/zh/en a browser's Accept-Language asks for, by q-value."""
    from agent import lang

    return lang.accept_language(header)


def cause_text(cause: str, lang: str) -> tuple[str, str]:
    return CAUSES.get(cause, CAUSES["ok"])[lang if lang in LANGS else "en"]


def word(key: str, lang: str) -> str:
    return WORDS[key].get(lang, WORDS[key]["en"])


def state_word(state: str, lang: str) -> str:
    return word(f"state_{state}", lang)


# The alerts of deploy/prometheus/rules.yml, in the three languages: alert name -> language ->
# (summary, description). Written into the rules' annotations (`summary`, `description` in
# English; `summary_ru`, `description_ru`, `summary_zh`, `description_zh`) by
# `python3 deploy/prometheus/words.py`; Alertmanager's templates pick the receiver's language.
# The texts are Prometheus templates: `{{ $labels.x }}`, `{{ $value }}` and the `if` blocks are
# the same in every language; names (Ozon, DNS, Seller API, commands) stay as they are.
ALERTS: dict[str, dict[str, tuple[str, str]]] = {
    "LocalNetworkDown": {
        "en": (
            "Office network is down at {{ $labels.instance }} (not Ozon)",
            "The probe cannot get out of this office's own network: the computer's link or the "
            "router (gateway) does not answer. Ozon is most likely fine; nothing in the outside "
            "world can be reached from here. What to do: check the cable or Wi-Fi, then restart "
            "the router (switch it off, wait 30 seconds, switch it on). If this message arrives "
            "late, that is expected: the office was offline, so the alert could only be sent "
            "once the link came back. The start time is the time the outage began.",
        ),
        "ru": (
            "Офисная сеть не работает у {{ $labels.instance }} (это не Ozon)",
            "Проба не может выйти за пределы сети офиса: не отвечает сетевое подключение "
            "компьютера или роутер (шлюз). С Ozon, скорее всего, всё в порядке; отсюда не "
            "доступно ничего во внешнем мире. Что делать: проверьте кабель или Wi-Fi, затем "
            "перезагрузите роутер (выключите, подождите 30 секунд, включите). Если сообщение "
            "пришло с опозданием, так и должно быть: офис был без связи, и оповещение ушло, "
            "только когда связь вернулась. Время начала — это время начала сбоя.",
        ),
        "zh": (
            "{{ $labels.instance }} 的办公网络中断（不是 Ozon 的问题）",
            "探针无法走出本办公室的网络：电脑的网络连接或路由器（网关）没有响应。Ozon 很可能"
            "正常；从这里无法访问任何外部网站。处理方法：检查网线或 Wi-Fi，然后重启路由器（关闭"
            "电源，等待 30 秒，再打开）。如果这条消息迟到，这是正常的：办公室当时断网，告警只能"
            "在网络恢复后发出。开始时间即故障开始的时间。",
        ),
    },
    "IspDown": {
        "en": (
            "Internet provider is down at {{ $labels.instance }} (not Ozon)",
            "Your router answers, but nothing beyond it does: neither Russian nor other sites "
            "can be reached. The problem is your internet provider's line, not Ozon. What to "
            "do: restart the router once; if that does not help, call your provider and tell "
            "them when it started. If this message arrives late, the office was offline and the "
            "alert could only be sent once the link came back.",
        ),
        "ru": (
            "Интернет-провайдер не работает у {{ $labels.instance }} (это не Ozon)",
            "Роутер отвечает, но дальше него — ничего: недоступны ни российские, ни другие "
            "сайты. Проблема в линии интернет-провайдера, а не в Ozon. Что делать: один раз "
            "перезагрузите роутер; если не помогло, позвоните провайдеру и скажите, когда это "
            "началось. Если сообщение пришло с опозданием, офис был без связи, и оповещение "
            "ушло, только когда связь вернулась.",
        ),
        "zh": (
            "{{ $labels.instance }} 的网络运营商中断（不是 Ozon 的问题）",
            "路由器有响应，但路由器之外都没有响应：俄罗斯网站和其他网站都无法访问。问题出在"
            "您的网络运营商线路，而不是 Ozon。处理方法：重启一次路由器；如果无效，请致电运营商"
            "并告知开始时间。如果这条消息迟到，说明办公室当时断网，告警只能在网络恢复后发出。",
        ),
    },
    "InternationalPathDown": {
        "en": (
            "Route to Russia is broken from {{ $labels.instance }} (not Ozon)",
            "Sites outside Russia work, but nothing inside Russia answers - Ozon and other "
            "Russian sites alike. The international route into Russia is broken or blocked "
            "somewhere between your provider and Russia; Ozon itself is most likely fine. What "
            "to do: tell your provider that Russian sites are unreachable since the start time; "
            "meanwhile use another way in if you have one (a second provider, a mobile modem, a "
            "VPN that exits in Russia), or wait.",
        ),
        "ru": (
            "Путь до России оборван у {{ $labels.instance }} (это не Ozon)",
            "Сайты за пределами России работают, но в России не отвечает ничего — ни Ozon, ни "
            "другие российские сайты. Международный канал в Россию оборван или заблокирован "
            "где-то между вашим провайдером и Россией; с самим Ozon, скорее всего, всё в "
            "порядке. Что делать: сообщите провайдеру, что российские сайты недоступны с "
            "времени начала; пока используйте другой путь, если он есть (второй провайдер, "
            "мобильный модем, VPN с выходом в России), или подождите.",
        ),
        "zh": (
            "{{ $labels.instance }} 通往俄罗斯的线路中断（不是 Ozon 的问题）",
            "俄罗斯以外的网站正常，但俄罗斯境内的网站都没有响应——Ozon 和其他俄罗斯网站都是"
            "如此。在您的运营商与俄罗斯之间的某处，通往俄罗斯的国际线路中断或被封锁；Ozon "
            "本身很可能正常。处理方法：告诉运营商自开始时间起俄罗斯网站无法访问；同时如有其他"
            "线路可以改用（第二家运营商、移动网卡、在俄罗斯出口的 VPN），或者等待。",
        ),
    },
    "InternationalPathDegraded": {
        "en": (
            "Route to Russia is slow or losing packets from {{ $labels.instance }}",
            "Sites outside Russia work normally, but everything inside Russia (Ozon and other "
            "Russian sites) is slow or loses packets. The international route into Russia is "
            "congested; Ozon itself is not the cause. What to do: expect slow pages and uploads "
            "for now; if it happens every day at the same hours, show your provider the "
            '"Throughput & busy hours" dashboard.',
        ),
        "ru": (
            "Путь до России медленный или теряет пакеты у {{ $labels.instance }}",
            "Сайты за пределами России работают нормально, но всё в России (Ozon и другие "
            "российские сайты) работает медленно или с потерями пакетов. Международный канал в "
            "Россию перегружен; Ozon здесь ни при чём. Что делать: пока страницы и загрузки "
            "будут медленными; если это повторяется каждый день в одни и те же часы, покажите "
            "провайдеру панель «Скорость и часы пик».",
        ),
        "zh": (
            "{{ $labels.instance }} 通往俄罗斯的线路缓慢或丢包",
            "俄罗斯以外的网站正常，但俄罗斯境内的一切（Ozon 和其他俄罗斯网站）都很慢或丢包。"
            "通往俄罗斯的国际线路拥塞；原因不在 Ozon。处理方法：目前页面和上传会比较慢；如果"
            "每天同一时段都出现，请把“带宽与高峰时段”仪表盘给运营商看。",
        ),
    },
    "DnsBroken": {
        "en": (
            "DNS is failing at {{ $labels.instance }} (not Ozon)",
            'The network works, but the DNS server (the "phone book" that turns ozon.ru into an '
            "address) does not answer or answers wrongly, so browsers cannot find Ozon. What to "
            "do: switch this computer or the router to another DNS resolver - the DNS dashboard "
            "shows which resolvers still answer. Restarting the router often helps if the "
            "router itself is the resolver.",
        ),
        "ru": (
            "Не работает DNS у {{ $labels.instance }} (это не Ozon)",
            "Сеть работает, но DNS-сервер («телефонная книга», которая превращает ozon.ru в "
            "адрес) не отвечает или отвечает неверно, поэтому браузеры не находят Ozon. Что "
            "делать: переключите компьютер или роутер на другой DNS-сервер — панель DNS "
            "показывает, какие серверы ещё отвечают. Если DNS-сервером служит сам роутер, "
            "часто помогает его перезагрузка.",
        ),
        "zh": (
            "{{ $labels.instance }} 的 DNS 故障（不是 Ozon 的问题）",
            "网络正常，但 DNS 服务器（把 ozon.ru 转换成地址的“电话簿”）没有响应或返回错误，"
            "因此浏览器找不到 Ozon。处理方法：把这台电脑或路由器改用其他 DNS 服务器——DNS "
            "仪表盘显示哪些服务器仍然可用。如果路由器本身就是 DNS 服务器，重启路由器通常有效。",
        ),
    },
    "NetworkFiltering": {
        "en": (
            "Something on the way blocks or alters Ozon's sites at {{ $labels.instance }} "
            "(not Ozon)",
            "Connections to some Ozon sites are reset or left unanswered on the way, for the "
            "name they ask for, while the same servers answer another name at once, or their "
            "DNS answers are rewritten on the way (the resolver answers one address over UDP "
            "and another, with Ozon's certificate, over TCP), a box on the way replaces their "
            "TLS certificates, or their pages freeze after the same number of bytes as "
            "another company's site: a filter at your provider, a "
            "company firewall or a proxy. Ozon itself answers. What to do: "
            "show `ozon-probe report` to your provider or network administrator; meanwhile "
            "check from another network (mobile internet). Ozon support cannot lift it.",
        ),
        "ru": (
            "Что-то на пути блокирует или искажает сайты Ozon у {{ $labels.instance }} "
            "(это не Ozon)",
            "Соединения с частью сайтов Ozon обрываются или остаются без ответа по пути — по "
            "имени сайта, хотя те же серверы сразу отвечают на другое имя, или DNS-ответы для "
            "них подменяются по пути (DNS-сервер по UDP даёт один адрес, а по TCP другой, с "
            "сертификатом Ozon), устройство на пути подменяет их TLS-сертификаты или страницы "
            "замирают после того же объёма данных, что и сайт другой компании: фильтр "
            "провайдера, корпоративный межсетевой экран или прокси. "
            "Сам Ozon отвечает. Что делать: "
            "покажите `ozon-probe report` провайдеру или администратору сети; пока проверьте "
            "с другой сети (мобильный интернет). Поддержка Ozon это не снимет.",
        ),
        "zh": (
            "{{ $labels.instance }} 途中有设备拦截或篡改 Ozon 网站（不是 Ozon 的问题）",
            "到部分 Ozon 网站的连接在途中按网站名称被重置或无响应，而同样的服务器对其他名称立即"
            "有响应，或者它们的 DNS 应答在途中被篡改（DNS 服务器通过 UDP 给出一个地址，通过 TCP "
            "给出另一个带有 Ozon 证书的地址），途中设备替换了它们的 TLS 证书，或者页面与其他公司的"
            "网站一样在相同字节数后停滞：运营商的过滤设备、公司防火墙或代理。Ozon 本身有"
            "响应。处理方法：把 "
            "`ozon-probe report` 交给运营商或网络管理员；同时用其他网络（手机流量）确认。"
            "Ozon 客服无法解除。",
        ),
    },
    "DnsLying": {
        "en": (
            "DNS resolver {{ $labels.resolver }} gives suspicious answers at "
            "{{ $labels.instance }}",
            "For {{ $value }} name(s) the resolver {{ $labels.resolver }} returns addresses that "
            "have nothing in common with what the other resolvers return. It may be redirecting "
            "(hijacking) traffic, or serving stale data. What to do: stop using this resolver "
            "(change the DNS server on the router or computer to one that agrees with the "
            "others - see the DNS dashboard).",
        ),
        "ru": (
            "DNS-сервер {{ $labels.resolver }} даёт подозрительные ответы у {{ $labels.instance }}",
            "Для {{ $value }} имён сервер {{ $labels.resolver }} возвращает адреса, не имеющие "
            "ничего общего с ответами других серверов. Возможно, он перенаправляет (подменяет) "
            "трафик или отдаёт устаревшие данные. Что делать: перестаньте пользоваться этим "
            "сервером (смените DNS-сервер на роутере или компьютере на тот, что согласен с "
            "остальными, — см. панель DNS).",
        ),
        "zh": (
            "{{ $labels.instance }} 的 DNS 服务器 {{ $labels.resolver }} 返回可疑结果",
            "对于 {{ $value }} 个域名，服务器 {{ $labels.resolver }} 返回的地址与其他服务器"
            "返回的完全不同。它可能在重定向（劫持）流量，或提供过期数据。处理方法：停止使用这个"
            "服务器（在路由器或电脑上改用与其他服务器结果一致的 DNS 服务器——见 DNS 仪表盘）。",
        ),
    },
    "NetworkDegraded": {
        "en": (
            "Network is slow or losing packets at {{ $labels.instance }}",
            "Everything can be reached, but packets are being lost or delayed (high loss, "
            "latency or jitter) on the way. Pages and uploads will be slow or time out now and "
            "then. What to do: if other people in the office are downloading heavily, wait; if "
            'it stays, restart the router and then tell your provider. The "Gateway & network" '
            "dashboard shows where the loss starts.",
        ),
        "ru": (
            "Сеть медленная или теряет пакеты у {{ $labels.instance }}",
            "Всё доступно, но по пути пакеты теряются или задерживаются (большие потери, "
            "задержка или джиттер). Страницы и загрузки будут медленными или время от времени "
            "обрываться. Что делать: если кто-то в офисе много скачивает, подождите; если не "
            "проходит, перезагрузите роутер и сообщите провайдеру. Панель «Шлюз и сеть» "
            "показывает, где начинаются потери.",
        ),
        "zh": (
            "{{ $labels.instance }} 的网络缓慢或丢包",
            "所有地址都能访问，但途中数据包丢失或延迟（丢包率、延迟或抖动较高）。页面和上传会"
            "变慢或偶尔超时。处理方法：如果办公室里有人在大量下载，请等待；如果一直如此，请重启"
            "路由器并告知运营商。“网关与网络”仪表盘显示丢包从哪里开始。",
        ),
    },
    "ThroughputFarBelowUsual": {
        "en": (
            "Speed test ({{ $labels.direction }}) to {{ $labels.target }} is far below usual at "
            "{{ $labels.instance }}",
            "The last {{ $labels.direction }} speed test to {{ $labels.target }} measured "
            "{{ $value | humanize }}B/s, less than a third of the usual (the median of the past "
            "week). Large uploads and downloads (photos, price lists, reports) will be slow. "
            "What to do: check that nobody in the office is saturating the line, restart the "
            'router, and if it stays slow, show your provider the "Throughput & busy hours" '
            "dashboard.",
        ),
        "ru": (
            "Замер скорости ({{ $labels.direction }}) до {{ $labels.target }} намного ниже "
            "обычного у {{ $labels.instance }}",
            "Последний замер скорости ({{ $labels.direction }}) до {{ $labels.target }} показал "
            "{{ $value | humanize }}B/s — меньше трети обычного (медианы за прошлую неделю). "
            "Большие загрузки и скачивания (фото, прайс-листы, отчёты) будут медленными. Что "
            "делать: проверьте, что никто в офисе не занимает весь канал, перезагрузите роутер, "
            "а если скорость не вернётся, покажите провайдеру панель «Скорость и часы пик».",
        ),
        "zh": (
            "{{ $labels.instance }} 到 {{ $labels.target }} 的测速（{{ $labels.direction }}）"
            "远低于平常",
            "最近一次到 {{ $labels.target }} 的测速（{{ $labels.direction }}）为 "
            "{{ $value | humanize }}B/s，不到平常（过去一周的中位数）的三分之一。大文件的上传"
            "和下载（图片、价格表、报表）会很慢。处理方法：检查办公室里是否有人占满了带宽，重启"
            "路由器；如果仍然很慢，请把“带宽与高峰时段”仪表盘给运营商看。",
        ),
    },
    "OzonPlatformOutage": {
        "en": (
            "Ozon is down (seen from {{ $labels.instance }}); your network is fine",
            "The Ozon services this probe checks do not work, while your office network, your "
            "provider, the route to Russia and DNS all work. This is on Ozon's side. What to "
            "do: nothing on your side will fix it - do not restart anything. Wait for Ozon, and "
            "keep this message and the start time: it is your record for Ozon seller support "
            "(for example for late shipments or missed deadlines).",
        ),
        "ru": (
            "Ozon не работает (видно из {{ $labels.instance }}); ваша сеть в порядке",
            "Сервисы Ozon, которые проверяет проба, не работают, а офисная сеть, провайдер, "
            "путь до России и DNS работают. Это проблема на стороне Ozon. Что делать: ничего на "
            "вашей стороне это не исправит — ничего не перезагружайте. Ждите Ozon и сохраните "
            "это сообщение и время начала: это ваше подтверждение для поддержки продавцов Ozon "
            "(например, при опоздании отгрузок или пропущенных сроках).",
        ),
        "zh": (
            "Ozon 故障（从 {{ $labels.instance }} 观察）；您的网络正常",
            "探针检查的 Ozon 服务无法使用，而您的办公网络、运营商、通往俄罗斯的线路和 DNS 都"
            "正常。这是 Ozon 方面的问题。处理方法：您这边做什么都无法解决——不要重启任何设备。"
            "请等待 Ozon 恢复，并保留这条消息和开始时间：这是您向 Ozon 卖家支持提供的记录（例如"
            "发货延迟或错过截止时间时）。",
        ),
    },
    "OzonPlatformDegraded": {
        "en": (
            '{{ if eq $labels.service "unspecified" }}Some Ozon services are{{ else }}Ozon '
            "{{ $labels.service }} is{{ end }} {{ if eq $value 2.0 }}down{{ else }}degraded"
            "{{ end }} (seen from {{ $labels.instance }}); your network is fine",
            '{{ if eq $labels.service "unspecified" }}Some Ozon services are{{ else }}The Ozon '
            'service "{{ $labels.service }}" is{{ end }} {{ if eq $value 2.0 }}not working'
            "{{ else }}slow or failing now and then{{ end }}, while your office network, your "
            "provider, the route to Russia and DNS all work and other Ozon services answer. "
            "This is on Ozon's side. What to do: wait for Ozon; use the other Ozon services "
            "meanwhile, and keep this message as your record for Ozon seller support.",
        ),
        "ru": (
            '{{ if eq $labels.service "unspecified" }}Часть сервисов Ozon{{ else }}Сервис Ozon '
            "«{{ $labels.service }}»{{ end }} {{ if eq $value 2.0 }}не работает{{ else }}"
            "работает с перебоями{{ end }} (видно из {{ $labels.instance }}); ваша сеть в "
            "порядке",
            '{{ if eq $labels.service "unspecified" }}Часть сервисов Ozon{{ else }}Сервис Ozon '
            "«{{ $labels.service }}»{{ end }} {{ if eq $value 2.0 }}не работает{{ else }}"
            "работает медленно или с ошибками{{ end }}, а офисная сеть, провайдер, путь до "
            "России и DNS работают, и другие сервисы Ozon отвечают. Это проблема на стороне "
            "Ozon. Что делать: ждите Ozon; пока пользуйтесь другими сервисами Ozon и сохраните "
            "это сообщение как подтверждение для поддержки продавцов Ozon.",
        ),
        "zh": (
            '{{ if eq $labels.service "unspecified" }}部分 Ozon 服务{{ else }}Ozon 服务'
            "“{{ $labels.service }}”{{ end }}{{ if eq $value 2.0 }}无法使用{{ else }}异常"
            "{{ end }}（从 {{ $labels.instance }} 观察）；您的网络正常",
            '{{ if eq $labels.service "unspecified" }}部分 Ozon 服务{{ else }}Ozon 服务'
            "“{{ $labels.service }}”{{ end }}{{ if eq $value 2.0 }}无法使用{{ else }}时慢时出错"
            "{{ end }}，而您的办公网络、运营商、通往俄罗斯的线路和 DNS 都正常，其他 Ozon 服务也"
            "有响应。这是 Ozon 方面的问题。处理方法：请等待 Ozon 恢复；在此期间使用其他 Ozon "
            "服务，并保留这条消息作为向 Ozon 卖家支持提供的记录。",
        ),
    },
    "OzonTlsVerifyFailing": {
        "en": (
            "Ozon's certificate for {{ $labels.target }} fails verification at "
            "{{ $labels.instance }}",
            "The secure (HTTPS) connection to Ozon's {{ $labels.target }} presents a "
            "certificate this computer does not trust. Usually something between you and Ozon "
            'is intercepting the connection (antivirus "HTTPS scanning", an office proxy, or '
            "the provider), or the computer's clock is wrong. Do not type passwords or API keys "
            "until it is fixed. What to do: check the computer's date and time, turn off HTTPS "
            "scanning in the antivirus, and ask whoever runs the office network about a proxy.",
        ),
        "ru": (
            "Сертификат Ozon для {{ $labels.target }} не проходит проверку у "
            "{{ $labels.instance }}",
            "Защищённое (HTTPS) соединение с {{ $labels.target }} (Ozon) предъявляет "
            "сертификат, которому этот компьютер не доверяет. Обычно соединение перехватывает "
            "что-то между вами и Ozon («проверка HTTPS» в антивирусе, офисный прокси или "
            "провайдер), или на компьютере неверные часы. Не вводите пароли и API-ключи, пока "
            "это не исправлено. Что делать: проверьте дату и время на компьютере, отключите "
            "проверку HTTPS в антивирусе и спросите у того, кто обслуживает офисную сеть, про "
            "прокси.",
        ),
        "zh": (
            "{{ $labels.instance }} 上 Ozon 的 {{ $labels.target }} 证书验证失败",
            "与 Ozon 的 {{ $labels.target }} 的安全（HTTPS）连接出示了这台电脑不信任的证书。"
            "通常是您与 Ozon 之间有东西在拦截连接（杀毒软件的“HTTPS 扫描”、办公室代理或运营商），"
            "或者电脑时钟不对。修复之前不要输入密码或 API 密钥。处理方法：检查电脑的日期和时间，"
            "关闭杀毒软件的 HTTPS 扫描，并向办公网络管理员询问是否有代理。",
        ),
    },
    "OzonTlsCertExpiring": {
        "en": (
            "Certificate for Ozon's {{ $labels.target }} {{ if lt $value 0.0 }}has expired"
            "{{ else }}expires in {{ $value | humanizeDuration }}{{ end }}",
            "The certificate that {{ $labels.target }} presents to this office "
            "{{ if lt $value 0.0 }}has already expired{{ else }}expires in "
            "{{ $value | humanizeDuration }}{{ end }}. Ozon renews its certificates well ahead "
            "of time, so this is unusual: either Ozon is late, or the certificate is not Ozon's "
            "at all but one made by an antivirus or proxy that intercepts the connection. What "
            'to do: look at "Certificate trusted" on the "Ozon services" dashboard; if it is '
            "red, treat it as interception (turn off HTTPS scanning in the antivirus, ask about "
            "an office proxy). Otherwise there is nothing to fix on your side; once it expires, "
            "browsers will warn until Ozon renews it.",
        ),
        "ru": (
            "Сертификат {{ $labels.target }} (Ozon) {{ if lt $value 0.0 }}истёк{{ else }}"
            "истекает через {{ $value | humanizeDuration }}{{ end }}",
            "Сертификат, который {{ $labels.target }} предъявляет этому офису, "
            "{{ if lt $value 0.0 }}уже истёк{{ else }}истекает через "
            "{{ $value | humanizeDuration }}{{ end }}. Ozon обновляет сертификаты заранее, так "
            "что это необычно: либо Ozon опаздывает, либо сертификат вовсе не от Ozon, а создан "
            "антивирусом или прокси, который перехватывает соединение. Что делать: посмотрите "
            "«Сертификату доверяют» на панели «Сервисы Ozon»; если там красный, считайте это "
            "перехватом (отключите проверку HTTPS в антивирусе, спросите про офисный прокси). "
            "Иначе на вашей стороне чинить нечего; после истечения браузеры будут "
            "предупреждать, пока Ozon его не обновит.",
        ),
        "zh": (
            "Ozon 的 {{ $labels.target }} 证书{{ if lt $value 0.0 }}已过期{{ else }}将在 "
            "{{ $value | humanizeDuration }} 后过期{{ end }}",
            "{{ $labels.target }} 向本办公室出示的证书{{ if lt $value 0.0 }}已经过期{{ else }}"
            "将在 {{ $value | humanizeDuration }} 后过期{{ end }}。Ozon 通常提前很久续期证书，"
            "所以这很少见：要么 Ozon 晚了，要么这根本不是 Ozon 的证书，而是拦截连接的杀毒软件或"
            "代理生成的。处理方法：查看“Ozon 服务”仪表盘上的“证书受信任”；如果是红色，就按拦截"
            "处理（关闭杀毒软件的 HTTPS 扫描，询问办公室代理）。否则您这边无需处理；过期后，"
            "浏览器会一直警告，直到 Ozon 续期。",
        ),
    },
    "SellerApiKeyExpiring": {
        "en": (
            "Ozon Seller API key {{ if lt $value 0.0 }}has expired{{ else }}expires in "
            "{{ $value | humanizeDuration }}{{ end }}",
            "The Seller API key used by this office {{ if lt $value 0.0 }}has expired"
            "{{ else }}expires in {{ $value | humanizeDuration }}{{ end }}. When it expires, "
            "every program that uses it (stock and price uploads, order export) stops working. "
            "What to do: create a new key in the Ozon seller cabinet (Settings - API keys), put "
            "it into those programs and into the probe's configuration.",
        ),
        "ru": (
            "Ключ Ozon Seller API {{ if lt $value 0.0 }}истёк{{ else }}истекает через "
            "{{ $value | humanizeDuration }}{{ end }}",
            "Ключ Seller API этого офиса {{ if lt $value 0.0 }}истёк{{ else }}истекает через "
            "{{ $value | humanizeDuration }}{{ end }}. Когда он истечёт, все программы, "
            "которые им пользуются (загрузка остатков и цен, выгрузка заказов), перестанут "
            "работать. Что делать: создайте новый ключ в личном кабинете продавца Ozon "
            "(Настройки — API-ключи), внесите его в эти программы и в конфигурацию пробы.",
        ),
        "zh": (
            "Ozon Seller API 密钥{{ if lt $value 0.0 }}已过期{{ else }}将在 "
            "{{ $value | humanizeDuration }} 后过期{{ end }}",
            "本办公室使用的 Seller API 密钥{{ if lt $value 0.0 }}已过期{{ else }}将在 "
            "{{ $value | humanizeDuration }} 后过期{{ end }}。过期后，所有使用它的程序（库存和"
            "价格上传、订单导出）都会停止工作。处理方法：在 Ozon 卖家后台（设置 - API 密钥）创建"
            "新密钥，并填入这些程序和探针的配置中。",
        ),
    },
    "SellerApiKeyInvalid": {
        "en": (
            "Ozon rejects the Seller API key configured at {{ $labels.instance }}",
            "Ozon's Seller API answers, but refuses the configured key (wrong, revoked or "
            "expired). Programs that use this key cannot upload stock or prices. What to do: "
            "check the key in the Ozon seller cabinet (Settings - API keys), create a new one if "
            "needed and update the programs and the probe's configuration.",
        ),
        "ru": (
            "Ozon отклоняет ключ Seller API, настроенный у {{ $labels.instance }}",
            "Seller API Ozon отвечает, но отклоняет настроенный ключ (неверный, отозванный или "
            "истёкший). Программы с этим ключом не могут загружать остатки и цены. Что делать: "
            "проверьте ключ в личном кабинете продавца Ozon (Настройки — API-ключи), при "
            "необходимости создайте новый и обновите программы и конфигурацию пробы.",
        ),
        "zh": (
            "Ozon 拒绝了 {{ $labels.instance }} 上配置的 Seller API 密钥",
            "Ozon 的 Seller API 有响应，但拒绝了配置的密钥（错误、已撤销或已过期）。使用该密钥的"
            "程序无法上传库存或价格。处理方法：在 Ozon 卖家后台（设置 - API 密钥）检查密钥，必要"
            "时创建新密钥，并更新这些程序和探针的配置。",
        ),
    },
    "OzonProbeAgentAbsent": {
        "en": (
            "{{ if $labels.instance }}No data from the ozon-probe agent {{ $labels.instance }}"
            "{{ else }}No ozon-probe agent is being scraped at all{{ end }}",
            "Prometheus gets no diagnosis from the ozon-probe agent{{ if $labels.instance }} at "
            "{{ $labels.instance }}{{ end }}: the agent is stopped or crashed, the computer it "
            "runs on is off or asleep, Prometheus scrapes the wrong address, or (if Prometheus "
            "runs outside the office) the office is offline. Without it none of the other "
            "alerts can fire. What to do: check that the computer is on and the ozon-probe "
            "service is running (and restart it), and that Prometheus scrapes the right "
            "address.",
        ),
        "ru": (
            "{{ if $labels.instance }}Нет данных от агента ozon-probe {{ $labels.instance }}"
            "{{ else }}Prometheus не опрашивает ни одного агента ozon-probe{{ end }}",
            "Prometheus не получает диагноз от агента ozon-probe{{ if $labels.instance }} "
            "{{ $labels.instance }}{{ end }}: агент остановлен или упал, компьютер выключен "
            "или спит, Prometheus опрашивает не тот адрес, или (если Prometheus стоит вне "
            "офиса) офис без связи. Без агента не сработает ни одно другое оповещение. Что "
            "делать: проверьте, что компьютер включён и служба ozon-probe запущена (и "
            "перезапустите её), и что Prometheus опрашивает правильный адрес.",
        ),
        "zh": (
            "{{ if $labels.instance }}没有来自 ozon-probe 代理 {{ $labels.instance }} 的数据"
            "{{ else }}Prometheus 没有采集到任何 ozon-probe 代理{{ end }}",
            "Prometheus 收不到 ozon-probe 代理{{ if $labels.instance }} "
            "{{ $labels.instance }}{{ end }}的诊断：代理已停止或崩溃，所在电脑关机或休眠，"
            "Prometheus 采集的地址不对，或者（如果 Prometheus 在办公室外）办公室断网。没有它，"
            "其他告警都无法触发。处理方法：检查电脑是否开机、ozon-probe 服务是否在运行（并重启"
            "它），以及 Prometheus 采集的地址是否正确。",
        ),
    },
    "OzonProbeRoundsFrozen": {
        "en": (
            "{{ $labels.kind }} probes stopped running on {{ $labels.instance }}",
            "The ozon-probe agent at {{ $labels.instance }} is up, but has run no "
            "{{ $labels.kind }} probe round for 15 minutes, so what it reports about that layer "
            "is stale and its diagnosis may be wrong. What to do: restart the service "
            "(systemctl restart ozon-probe) and send its log (journalctl -u ozon-probe) to "
            "whoever maintains it.",
        ),
        "ru": (
            "Проверки {{ $labels.kind }} остановились на {{ $labels.instance }}",
            "Агент ozon-probe {{ $labels.instance }} работает, но 15 минут не выполнил ни "
            "одного раунда проверок {{ $labels.kind }}, поэтому его данные об этом уровне "
            "устарели, а диагноз может быть неверным. Что делать: перезапустите службу "
            "(systemctl restart ozon-probe) и отправьте её журнал (journalctl -u ozon-probe) "
            "тому, кто её обслуживает.",
        ),
        "zh": (
            "{{ $labels.instance }} 上的 {{ $labels.kind }} 探测已停止运行",
            "{{ $labels.instance }} 上的 ozon-probe 代理在运行，但 15 分钟内没有执行任何 "
            "{{ $labels.kind }} 探测，因此它报告的该层状态已过时，诊断可能有误。处理方法：重启"
            "服务（systemctl restart ozon-probe），并把日志（journalctl -u ozon-probe）发给"
            "维护人员。",
        ),
    },
    "OzonProbeConfigReloadFailed": {
        "en": (
            "ozon-probe at {{ $labels.instance }} refused its new configuration",
            "The configuration file was changed and reloaded, but the agent found an error in "
            "it and keeps running the previous configuration: your change is not in effect. "
            'What to do: run "ozon-probe validate -c /etc/ozon-probe/config.yaml", fix the line '
            "it names, then reload (systemctl reload ozon-probe).",
        ),
        "ru": (
            "ozon-probe {{ $labels.instance }} отклонил новую конфигурацию",
            "Файл конфигурации изменили и перезагрузили, но агент нашёл в нём ошибку и "
            "продолжает работать с прежней конфигурацией: ваше изменение не действует. Что "
            "делать: выполните «ozon-probe validate -c /etc/ozon-probe/config.yaml», исправьте "
            "указанную строку и перезагрузите (systemctl reload ozon-probe).",
        ),
        "zh": (
            "{{ $labels.instance }} 上的 ozon-probe 拒绝了新配置",
            "配置文件已修改并重新加载，但代理发现其中有错误，仍在使用之前的配置：您的修改没有"
            "生效。处理方法：运行“ozon-probe validate -c /etc/ozon-probe/config.yaml”，修正它"
            "指出的那一行，然后重新加载（systemctl reload ozon-probe）。",
        ),
    },
    "OzonProbeIcmpOff": {
        "en": (
            "ozon-probe at {{ $labels.instance }} cannot ping: ICMP probes are off",
            "The agent may open neither an unprivileged ICMP socket nor a raw one, so it "
            'measures no ping latency or packet loss; "slow or losing packets" cannot be '
            "detected and the diagnosis relies on the other probes alone. What to do: allow "
            'unprivileged ping (sysctl -w net.ipv4.ping_group_range="0 2147483647", and in '
            "/etc/sysctl.d/ to keep it), or re-run the installer, which then grants "
            "CAP_NET_RAW.",
        ),
        "ru": (
            "ozon-probe {{ $labels.instance }} не может пинговать: проверки ICMP выключены",
            "Агенту не разрешено открыть ни непривилегированный ICMP-сокет, ни raw-сокет, "
            "поэтому он не измеряет задержку и потери пакетов; «медленно или с потерями» "
            "обнаружить нельзя, и диагноз опирается только на другие проверки. Что делать: "
            "разрешите непривилегированный ping (sysctl -w "
            'net.ipv4.ping_group_range="0 2147483647", и в /etc/sysctl.d/, чтобы сохранить), '
            "или запустите установщик ещё раз — он выдаст CAP_NET_RAW.",
        ),
        "zh": (
            "{{ $labels.instance }} 上的 ozon-probe 无法 ping：ICMP 探测已关闭",
            "代理既不能打开非特权 ICMP 套接字，也不能打开原始套接字，因此无法测量 ping 延迟和"
            "丢包；无法发现“缓慢或丢包”，诊断只能依赖其他探测。处理方法：允许非特权 ping（"
            'sysctl -w net.ipv4.ping_group_range="0 2147483647"，并写入 /etc/sysctl.d/ 以'
            "保持），或重新运行安装程序，它会授予 CAP_NET_RAW。",
        ),
    },
    "OzonProbeJournalFailing": {
        "en": (
            "ozon-probe at {{ $labels.instance }} cannot write its journal",
            "The agent keeps probing and alerting, but cannot record what it sees, so the "
            "history you would show your provider or Ozon seller support has a gap from the "
            "start time. What to do: check free disk space (df -h /var/lib/ozon-probe) and "
            "that the directory is writable, then restart the service.",
        ),
        "ru": (
            "ozon-probe {{ $labels.instance }} не может записывать журнал",
            "Агент продолжает проверять и оповещать, но не может записать увиденное, поэтому в "
            "истории, которую вы показали бы провайдеру или поддержке продавцов Ozon, с "
            "времени начала будет пробел. Что делать: проверьте свободное место на диске "
            "(df -h /var/lib/ozon-probe) и что каталог доступен для записи, затем "
            "перезапустите службу.",
        ),
        "zh": (
            "{{ $labels.instance }} 上的 ozon-probe 无法写入日志",
            "代理仍在探测和告警，但无法记录它看到的情况，因此您要给运营商或 Ozon 卖家支持看的"
            "历史记录从开始时间起会有空缺。处理方法：检查磁盘剩余空间（df -h /var/lib/ozon-probe）"
            "以及该目录是否可写，然后重启服务。",
        ),
    },
}

# The words Alertmanager's messages add around the annotations (deploy/alertmanager/templates),
# and the "evidence" annotation's lead-in: the layers' state when the alert fired.
ALERT_WORDS: dict[str, dict[str, str]] = {
    "firing": {"en": "FIRING", "ru": "ТРЕВОГА", "zh": "告警"},
    "resolved": {"en": "RESOLVED", "ru": "РЕШЕНО", "zh": "已恢复"},
    "alerts_from": {
        "en": "{n} alerts from {instance}",
        "ru": "Оповещений от {instance}: {n}",
        "zh": "{n} 条告警，来自 {instance}",
    },
    "started": {"en": "Started", "ru": "Начало", "zh": "开始"},
    "ended": {"en": "ended", "ru": "конец", "zh": "结束"},
    "ended_label": {"en": "Ended", "ru": "Конец", "zh": "结束"},
    "runbook": {"en": "Runbook", "ru": "Инструкция", "zh": "处理手册"},
    "evidence": {"en": "Layers now", "ru": "Уровни сейчас", "zh": "当前各层"},
    "alert_label": {"en": "Alert", "ru": "Оповещение", "zh": "告警"},
    "cause_label": {"en": "Cause", "ru": "Причина", "zh": "原因"},
    "service_label": {"en": "Service", "ru": "Сервис", "zh": "服务"},
    "probe_label": {"en": "Probe", "ru": "Проба", "zh": "探针"},
    "keep_email": {
        "en": "Keep this e-mail: for an outage on Ozon's side it is your record of when it "
        "started and\nended, to quote to Ozon seller support.",
        "ru": "Сохраните это письмо: при сбое на стороне Ozon это ваше подтверждение того, "
        "когда он начался\nи закончился, для поддержки продавцов Ozon.",
        "zh": "请保留这封邮件：如果是 Ozon 方面的故障，它记录了故障开始和结束的时间，\n"
        "可提供给 Ozon 卖家支持。",
    },
    "your_side": {"en": "your side", "ru": "ваша сторона", "zh": "您这边"},
    "ozon_side": {"en": "Ozon's side", "ru": "сторона Ozon", "zh": "Ozon 方面"},
}
