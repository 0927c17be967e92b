"""Country profiles: the office's country from the time zone (then the locale), the built-in
controls and resolvers of RU, CN, KZ, BY, TR (each also carrying Russia's), and
`ozon-probe config show`, whose output `ozon-probe validate` accepts back."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from agent.config import Config, ConfigError, load_config, parse_config
from agent.configshow import show_config
from agent.countries import (
    PROFILE_COUNTRIES,
    RUSSIA,
    ZONES,
    apply_country_profile,
    country_doubt,
    country_doubt_text,
    country_reason_text,
    detect_country,
    load_profile,
    profile_text,
)

ROOT = Path(__file__).resolve().parents[1]
ZONEINFO = Path("/usr/share/zoneinfo")


def detect(tmp_path: Path, environ: dict[str, str], **files: str) -> tuple[str, str]:
    """detect_country with this machine's zone files swapped for the test's own."""
    where = Path(tempfile.mkdtemp(dir=tmp_path))
    localtime = where / "localtime"
    timezone_file = where / "timezone"
    if "localtime" in files:
        localtime.symlink_to(f"/usr/share/zoneinfo/{files['localtime']}")
    if "timezone" in files:
        timezone_file.write_text(files["timezone"] + "\n")
    return detect_country(environ, localtime=localtime, timezone_file=timezone_file)


@pytest.mark.parametrize(
    ("tz", "country"),
    [
        ("Asia/Shanghai", "CN"), (":Asia/Shanghai", "CN"), ("/usr/share/zoneinfo/Asia/Urumqi", "CN"),
        ("PRC", "CN"), ("Asia/Hong_Kong", "CN"), ("Europe/Moscow", "RU"), ("Asia/Vladivostok", "RU"),
        ("Europe/Kaliningrad", "RU"), ("Asia/Almaty", "KZ"), ("Asia/Qostanay", "KZ"),
        ("Europe/Minsk", "BY"), ("Europe/Istanbul", "TR"), ("Asia/Istanbul", "TR"),
    ],
)  # fmt: skip
def test_the_tz_variable_decides(tmp_path: Path, tz: str, country: str) -> None:
    got, reason = detect(tmp_path, {"TZ": tz, "LANG": "en_US.UTF-8"}, localtime="Europe/Berlin")
    assert (got, reason) == (country, f"tz:{tz.lstrip(':').removeprefix('/usr/share/zoneinfo/')}")


def test_the_system_zone_decides_when_tz_is_unset_or_says_nothing(tmp_path: Path) -> None:
    assert detect(tmp_path, {}, localtime="Asia/Shanghai") == ("CN", "localtime:Asia/Shanghai")
    # TZ=UTC (common for services) and POSIX rules like MSK-3 decide nothing: ask the system
    assert detect(tmp_path, {"TZ": "UTC"}, localtime="Asia/Almaty") == (
        "KZ", "localtime:Asia/Almaty",
    )  # fmt: skip


def test_posix_tz_rule_falls_through(tmp_path: Path) -> None:
    assert detect(tmp_path, {"TZ": "MSK-3"}, timezone="Europe/Minsk") == (
        "BY", "timezone_file:Europe/Minsk",
    )  # fmt: skip


def test_a_copied_localtime_file_is_recognised(tmp_path: Path) -> None:
    if not (ZONEINFO / "Asia/Shanghai").is_file():
        pytest.skip("no tzdata on this machine")
    localtime = tmp_path / "localtime"
    shutil.copyfile(ZONEINFO / "Asia/Shanghai", localtime)  # what some containers do
    got = detect_country({}, localtime=localtime, timezone_file=tmp_path / "none")
    assert got[0] == "CN" and got[1].startswith("localtime:")
    assert ZONES[got[1].split(":", 1)[1]] == "CN"  # any of Shanghai's identical aliases


def test_the_locale_breaks_the_tie_and_the_default_says_so(tmp_path: Path) -> None:
    assert detect(tmp_path, {"LANG": "zh_CN.UTF-8"}, localtime="Etc/UTC") == (
        "CN", "locale:zh_CN",
    )  # fmt: skip
    assert detect(tmp_path, {"LC_ALL": "kk_KZ.UTF-8"}) == ("KZ", "locale:kk_KZ")
    assert detect(tmp_path, {"LANGUAGE": "zh:en", "LANG": "C.UTF-8"}) == ("CN", "locale:zh")
    assert detect(tmp_path, {"LANG": "en_US.UTF-8"}, localtime="Etc/UTC") == (RUSSIA, "default")
    # whatever a variable holds, only a locale tag reaches the reason (it is shown to people)
    assert detect(tmp_path, {"LANG": "zh_CN.UTF-8\n# forged: line"}) == ("CN", "locale:zh_CN")
    assert detect(tmp_path, {"LANG": "zh_CN;x:y=z"}) == (RUSSIA, "default")
    assert detect(tmp_path, {}) == (RUSSIA, "default")
    assert "could not tell" in country_reason_text("default", "en")
    assert "не удалось определить" in country_reason_text("default", "ru")


def test_a_disagreeing_locale_is_said_not_hidden(tmp_path: Path) -> None:
    got = detect(tmp_path, {"TZ": "Europe/Moscow", "LANG": "zh_CN.UTF-8"})
    assert got == ("RU", "tz:Europe/Moscow;locale_other:CN=zh_CN")
    assert country_reason_text(got[1], "en") == (
        "from the time zone Europe/Moscow (the TZ variable), but the locale zh_CN suggests China"
    )
    assert "中国" in country_reason_text(got[1], "zh")


def test_the_zone_table_covers_every_zone_of_the_profile_countries() -> None:
    tab = ZONEINFO / "zone.tab"
    if not tab.is_file():
        pytest.skip("no tzdata on this machine")
    listed = {
        cols[2]
        for line in tab.read_text().splitlines()
        if not line.startswith("#") and (cols := line.split("\t"))[0] in PROFILE_COUNTRIES
    }
    assert listed - ZONES.keys() == set()
    # and tzdata's old names of those zones (backward links)
    zi = ZONEINFO / "tzdata.zi"
    if zi.is_file():
        links = {
            parts[2]
            for line in zi.read_text().splitlines()
            if (parts := line.split())[:1] == ["L"] and parts[1] in listed
        }
        missing = {z for z in links - ZONES.keys() if not z.startswith(("Etc/", "US/"))}
        assert missing == set()


@pytest.mark.parametrize("country", PROFILE_COUNTRIES)
def test_each_profile_is_valid_and_carries_russia(country: str) -> None:
    p = load_profile(country)
    home = [t for t in p.controls if t.country == country]
    assert home, f"{country} has no control of its own"
    assert all(t.group == "control" for t in p.controls)
    ru = {t.name for t in p.controls if t.country == RUSSIA}
    assert {"control_ya", "control_vk", "control_yandex_dns"} <= ru
    assert any(r.address == "77.88.8.8" and r.country == RUSSIA for r in p.resolvers)
    if country != RUSSIA:
        # Russia's own independent resolver is not Russia's, so it stays home
        assert all(r.country in (country, RUSSIA) for r in p.resolvers)
    names = [t.name for t in p.controls] + [r.name for r in p.resolvers]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("country", PROFILE_COUNTRIES)
def test_every_profile_entry_names_its_source(country: str) -> None:
    lines = profile_text(country).splitlines()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("- {"):
            before = lines[i - 1].lstrip()
            assert "#" in line or before.startswith("#") or before.startswith("# "), (
                f"{country}.yaml:{i + 1} has no comment saying where it comes from"
            )


def test_china_profile_has_what_the_brief_names() -> None:
    p = load_profile("CN")
    hosts = {t.host for t in p.controls if t.country == "CN"}
    assert {"www.baidu.com", "www.qq.com", "223.5.5.5"} <= hosts
    assert {"223.5.5.5", "119.29.29.29"} <= {r.address for r in p.resolvers if r.country == "CN"}


def _cfg(text: str) -> Config:
    return parse_config(text, "office.yaml")


def test_controls_auto_keeps_what_the_config_lists(tmp_path: Path) -> None:
    cfg = _cfg(
        "site: {country: CN}\ncontrols: auto\n"
        "resolvers: [{name: system, address: system}, {name: my_ali, address: 223.5.5.5, country: CN}]\n"
        "targets:\n"
        "  - {name: control_baidu, group: control, country: CN, url: 'https://www.baidu.com:8443/'}\n"
        "  - {name: mine, group: control, country: CN, host: 198.18.0.9, probes: [icmp]}\n"
    )
    eff = apply_country_profile(cfg, {})
    baidu = [t for t in eff.targets if t.name == "control_baidu"]
    assert len(baidu) == 1 and baidu[0].port == 8443  # the listed one wins
    assert any(t.name == "mine" for t in eff.targets)
    assert any(t.name == "control_qq" for t in eff.targets)
    assert [r.name for r in eff.resolvers if r.address == "223.5.5.5"] == ["my_ali"]
    assert eff.site.country_reason == "config" and eff.controls == "listed"
    assert apply_country_profile(eff, {}) == eff  # applying twice changes nothing


def test_controls_listed_adds_nothing_and_auto_country_is_decided() -> None:
    cfg = _cfg("site: {country: auto}\ntargets: [{name: g, group: gateway, host: auto}]\n")
    eff = apply_country_profile(cfg, {"TZ": "Asia/Almaty"}, localtime=Path("/nonexistent"))
    assert (eff.site.country, eff.site.country_reason) == ("KZ", "tz:Asia/Almaty")
    assert eff.targets == cfg.targets and eff.resolvers == cfg.resolvers


def test_controls_auto_for_a_country_without_a_profile_is_one_clear_line() -> None:
    cfg = _cfg(
        "site: {country: DE}\ncontrols: auto\ntargets: [{name: g, group: gateway, host: auto}]\n"
    )
    with pytest.raises(ConfigError) as err:
        apply_country_profile(cfg, {})
    assert str(err.value) == (
        "office.yaml: controls: auto: no built-in controls for DE (built-in: BY, CN, KZ, RU, TR);"
        " list your control targets and resolvers and set controls: listed"
    )
    with pytest.raises(ConfigError) as err:
        _cfg("controls: sometimes\ntargets: [{name: g, group: gateway, host: auto}]\n")
    assert str(err.value) == "office.yaml:1: controls: 'sometimes' is not one of: auto, listed"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "TZ"))}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


def _show(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", "config", "show", *args],
        cwd=ROOT, env=_clean_env(**env), capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_config_show_in_shanghai_says_china_with_chinese_controls() -> None:
    proc = _show(TZ="Asia/Shanghai")
    assert proc.returncode == 0, proc.stderr
    assert "# site.country: CN (China), from the time zone Asia/Shanghai" in proc.stdout
    doc = yaml.safe_load(proc.stdout)
    assert doc["site"]["country"] == "CN"
    controls = {t["name"]: t["country"] for t in doc["targets"] if t["group"] == "control"}
    assert {"control_baidu", "control_qq", "control_alidns"} <= {
        n for n, c in controls.items() if c == "CN"
    }
    assert {"control_ya", "control_vk"} <= {n for n, c in controls.items() if c == "RU"}
    assert {"alidns", "dnspod", "yandex"} <= {r["name"] for r in doc["resolvers"]}


def test_config_show_in_moscow_says_russia() -> None:
    proc = _show(TZ="Europe/Moscow", LANG="ru_RU.UTF-8")
    assert proc.returncode == 0, proc.stderr
    assert "# site.country: RU (Россия), по часовому поясу Europe/Moscow" in proc.stdout
    doc = yaml.safe_load(proc.stdout)
    assert doc["site"]["country"] == "RU"
    countries = {t.get("country") for t in doc["targets"] if t["group"] == "control"}
    assert countries == {"RU"}


def test_config_show_of_a_bad_file_is_one_line_exit_2() -> None:
    proc = _show("-c", "tests/data/invalid-url.yaml")
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        proc.stderr.startswith("ozon-probe: tests/data/invalid-url.yaml:7: ")
        and proc.stderr.count("\n") == 1
    )


ROUND_TRIP_CONFIG = """
listen: "[::1]:10099"
site: {name: склад, country: auto}
controls: auto
max_concurrency: 7
probes:
  dns: {interval: 1500ms, timeout: 250ms}
  icmp: {interval: 2m, timeout: 30s, packets: 9, spacing: 10ms}
  path: {interval: 1h, timeout: 10m, packets: 2}
resolvers:
  - {name: system, address: system}
  - {name: lab, address: "[fd00::53]:5353", country: CN}
  - {name: lab4, address: "198.18.0.53:53"}
targets:
  - {name: gateway, group: gateway, host: auto, probes: [icmp, arp]}
  - {name: web, group: ozon, service: cabinet, country: RU, url: "http://198.18.0.80:8080/x?y=1", port: 8081, probes: [tcp, http], method: HEAD}
  - {name: api, group: ozon, service: seller_api, url: "https://api.example/v1/roles", method: POST, body: '{"a": "б"}', expect: {status: [401, 403], json_code: -5}}
  - {name: tcp_only, group: control, country: CN, host: example.cn, port: 22, probes: [tcp]}
seller_api: {interval: 90s, timeout: 2s, client_id_env: MY_ID, api_key_env: MY_KEY}
diagnosis: {loss_ratio: 0.35, gateway_rtt: 0.1ms, slow_first_byte: 2500ms, home_rtt: 1.25s}
throughput:
  enabled: true
  interval: 12h
  daily_budget: 1500kB
  targets:
    - {name: cdn, url: "https://st.example/big", size: 25MB, upload_url: "https://up.example/", upload_size: 3MiB}
    - {name: ctl, group: control, url: "https://ctl.example/f", size: 123B}
  speedtest: {enabled: true, servers: [1234, 99], estimate: 60MB}
"""


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Moscow", "Asia/Almaty"])
def test_config_show_round_trips_through_validate(tmp_path: Path, tz: str) -> None:
    source = tmp_path / "office.yaml"
    source.write_text(ROUND_TRIP_CONFIG, encoding="utf-8")
    environ = {"TZ": tz}
    effective = apply_country_profile(
        parse_config(ROUND_TRIP_CONFIG, str(source)), environ, localtime=Path("/nonexistent")
    )
    shown = tmp_path / "shown.yaml"
    shown.write_text(show_config(effective, environ, lang="en"), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", str(shown)],
        env=_clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    again = load_config(shown)
    same = dataclasses.replace(
        again,
        source=effective.source,
        site=dataclasses.replace(again.site, country_reason=effective.site.country_reason),
    )
    assert same == effective
    assert again.site.country_reason == "config"


def test_the_builtin_default_round_trips_too(tmp_path: Path) -> None:
    effective = apply_country_profile(
        parse_config((ROOT / "config.example.yaml").read_text(), "<built-in default>"),
        {"TZ": "Asia/Shanghai"},
    )
    shown = tmp_path / "shown.yaml"
    shown.write_text(show_config(effective, {"LANG": "zh_CN.UTF-8"}), encoding="utf-8")
    assert "# site.country: CN（中国），根据时区 Asia/Shanghai（TZ 环境变量）" in shown.read_text()
    again = load_config(shown)
    assert (again.targets, again.resolvers, again.probes) == (
        effective.targets, effective.resolvers, effective.probes,
    )  # fmt: skip


def test_silent_home_controls_while_russia_answers_raise_a_doubt() -> None:
    doubt = country_doubt("CN", {"CN": False, "RU": True}, "tz:Asia/Shanghai")
    assert doubt is not None and (doubt.code, doubt.home, doubt.answering) == (
        "country_doubt",
        "CN",
        ("RU",),
    )
    assert country_doubt_text(doubt, "en") == (
        "The control hosts in China do not answer while those in Russia do: is this office really"
        " in China (from the time zone Asia/Shanghai (the TZ variable))? If not, set site.country."
    )
    assert "中国" in country_doubt_text(doubt, "zh") and "Россия" in country_doubt_text(doubt, "ru")
    # no doubt while home answers, has no data yet, or nothing else answers either
    assert country_doubt("CN", {"CN": True, "RU": True}) is None
    assert country_doubt("CN", {"CN": None, "RU": True}) is None
    assert country_doubt("CN", {"CN": False, "RU": False}) is None
    assert country_doubt("CN", {"CN": False, "RU": None}) is None


def test_validate_and_show_of_an_auto_config_never_print_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "office.yaml"
    cfg.write_text(
        "site: {name: office, country: auto}\ncontrols: auto\n"
        "resolvers: [{name: system, address: system}]\n"
        "targets: [{name: gateway, group: gateway, host: auto, probes: [icmp]}]\n"
    )
    secret = {"OZON_CLIENT_ID": "1943061", "OZON_API_KEY": "3f9c2a71-5b4e-4d0a-9e61-7c2b8f0d4a19"}
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "validate", "-c", str(cfg)],
        env=_clean_env(TZ="Asia/Shanghai", **secret), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    # the gateway, CN's 4 controls and Russia's 3
    assert (proc.returncode, proc.stdout.strip()) == (0, f"{cfg}: ok (8 targets)")
    shown = _show("-c", str(cfg), TZ="Asia/Shanghai", **secret)
    assert shown.returncode == 0, shown.stderr
    assert secret["OZON_API_KEY"] not in shown.stdout and "1943061" not in shown.stdout
    assert "api_key_env: OZON_API_KEY" in shown.stdout
