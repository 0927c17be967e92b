"""Words for people, in the languages Ozon's sellers read first: Russian, Chinese, English.

Only the report's fixed phrases are translated; evidence lines (host names, HTTP codes,
figures) stay as measured.
"""

from __future__ import annotations

import locale
import os

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
    "upload": {"en": "upload", "ru": "отдача", "zh": "上传"},
}


def detect_lang(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(var, "")
        if value:
            return lang_of(value)
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return lang_of(current)


def lang_of(tag: str) -> str:
    tag = tag.lower()
    if tag.startswith("ru"):
        return "ru"
    if tag.startswith("zh"):
        return "zh"
    return "en"


def accept_language(header: str) -> str:
    """The first of ru/zh/en that a browser's Accept-Language names."""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()
        if code[:2] in LANGS:
            return code[:2]
    return "en"


def cause_text(cause: str, lang: str) -> tuple[str, str]:
    return CAUSES.get(cause, CAUSES["ok"])[lang if lang in LANGS else "en"]


def word(key: str, lang: str) -> str:
    return WORDS[key].get(lang, WORDS[key]["en"])


def state_word(state: str, lang: str) -> str:
    return word(f"state_{state}", lang)
