"""grafana/: the committed dashboards are what generate.py makes, and they validate."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.support.wording import english_words

from .dashboard_schema import sdk_available, sdk_errors, structural_errors
from .tools import DASHBOARDS, GRAFANA, ROOT

LANGS = ("en", "ru", "zh")
# every language's office and fleet dashboards: English where they always were
SETS = {
    lang: [GRAFANA / d for d in ("dashboards", "fleet")]
    if lang == "en"
    else [GRAFANA / lang / d for d in ("dashboards", "fleet")]
    for lang in LANGS
}
ALL_FILES = sorted(f for dirs in SETS.values() for d in dirs for f in d.glob("*.json"))


def _rel(f: Path) -> str:
    return str(f.relative_to(GRAFANA))


def _english_twin(f: Path) -> Path:
    """grafana/ru/dashboards/x.json -> grafana/dashboards/x.json"""
    rel = f.relative_to(GRAFANA)
    return GRAFANA / Path(*rel.parts[1:]) if rel.parts[0] in LANGS else f


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ozon_probe_grafana_generate", GRAFANA / "generate.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def test_regenerating_changes_nothing() -> None:
    outputs = _generator().render_every_set()
    assert sorted(str(d) for d, _ in outputs) == sorted(str(d) for ds in SETS.values() for d in ds)
    for out, rendered in outputs:
        on_disk = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.json")}
        assert sorted(rendered) == sorted(on_disk), f"{out} differs from generate.py's list"
        stale = [n for n in rendered if rendered[n] != on_disk[n]]
        assert not stale, f"run python3 grafana/generate.py and commit: {out}: {stale}"


def test_generate_check_mode() -> None:
    assert _generator().main(["--check"]) == 0


OFFICE_UIDS = {
    "ozon-probe-overview",
    "ozon-probe-network",
    "ozon-probe-dns",
    "ozon-probe-services",
    "ozon-probe-capacity",
}


def test_expected_dashboards() -> None:
    uids = {d["uid"] for d in _dashboards().values()}
    assert uids == OFFICE_UIDS  # the English uids never change: users' links and bookmarks
    every = [json.loads(f.read_text())["uid"] for f in ALL_FILES]
    assert len(every) == len(set(every)) == 3 * 6, sorted(every)
    for lang in ("ru", "zh"):
        (office, fleet) = SETS[lang]
        got = {json.loads(f.read_text())["uid"] for f in office.glob("*.json")}
        assert got == {f"{u}-{lang}" for u in OFFICE_UIDS}
        assert {json.loads(f.read_text())["uid"] for f in fleet.glob("*.json")} == {
            f"ozon-probe-fleet-{lang}"
        }


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_dashboard_structure(path: Path) -> None:
    errors = structural_errors(json.loads(path.read_text()))
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", ALL_FILES, ids=_rel)
def test_dashboard_against_grafana_foundation_sdk(path: Path) -> None:
    if not sdk_available():
        pytest.skip(
            "grafana-foundation-sdk not installed "
            "(pip install 'grafana-foundation-sdk==1769699379!11.6.0')"
        )
    errors = sdk_errors(json.loads(path.read_text()))
    assert errors == [], "\n".join(errors or [])


def test_validator_catches_mistakes() -> None:
    """The validators are only worth something if they reject broken dashboards."""
    dash = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    broken = json.loads(json.dumps(dash))
    broken["panels"][1]["id"] = broken["panels"][0]["id"]
    broken["panels"][2]["gridPos"]["x"] = 20
    broken["panels"][3]["targets"][0]["expr"] = 'ozon_probe_layer_status{layer="link"}'
    broken["panels"][4]["targets"][0]["expr"] += " + on() $undefined_var"
    errors = "\n".join(structural_errors(broken))
    for needle in (
        "ids must be unique",
        "outside the 24-column grid",
        "does not filter on $job",
        "undefined $undefined_var",
    ):
        assert needle in errors, errors
    if sdk_available():
        bad = json.loads(json.dumps(dash))
        bad["panels"][0]["options"]["colourMode"] = "background"  # typo: unknown to the schema
        bad["panels"][0]["options"]["textMode"] = "shouting"  # not in the enum
        bad["panels"][9]["fieldConfig"]["defaults"]["custom"] = {"lineWidht": 1}
        sdk = "\n".join(sdk_errors(bad) or [])
        assert "colourMode: not in Grafana's schema" in sdk, sdk
        assert "'shouting' is not one of" in sdk, sdk
        assert "lineWidht: not in Grafana's schema" in sdk, sdk


def test_overview_answers_is_it_me_or_ozon() -> None:
    dash = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    panels = dash["panels"]
    timelines = [p for p in panels if p["type"] == "state-timeline"]
    assert any("ozon_probe:verdict:code" in t["expr"] for p in timelines for t in p["targets"])
    lights = [
        p
        for p in panels
        if p["type"] == "stat" and "ozon_probe_layer_status" in p["targets"][0]["expr"]
    ]
    assert len(lights) == 6
    for p in lights:
        texts = {
            r["text"]
            for m in p["fieldConfig"]["defaults"]["mappings"]
            if m["type"] == "value"
            for r in m["options"].values()
        }
        assert {"OK", "Degraded", "Down", "Unknown"} <= texts
    exprs = " ".join(t["expr"] for p in panels for t in p.get("targets", []))
    assert "ozon_probe:service_availability:ratio_avg5m" in exprs
    assert "ozon_probe:service_http_response_seconds:avg5m" in exprs
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"instance", "job"} <= names


def test_detail_dashboards_have_the_required_views() -> None:
    d = _dashboards()
    net = json.dumps(d["ozon-probe-network.json"])
    assert '"type": "heatmap"' in net and "ozon_probe_icmp_response_seconds_bucket" in net
    assert "ozon_probe_icmp_loss_ratio" in net and "ozon_probe_icmp_jitter_seconds" in net
    dns = json.dumps(d["ozon-probe-dns.json"])
    assert all(
        m in dns
        for m in (
            "ozon_probe_dns_lookup_seconds",
            "ozon_probe_dns_failures_total",
            "ozon_probe_dns_disagreement",
        )
    )
    svc = json.dumps(d["ozon-probe-services.json"])
    assert all(
        m in svc
        for m in (
            "ozon_probe_http_phase_seconds",
            "ozon_probe_tls_cert_expiry_seconds",
            "ozon_probe_tls_cert_verified",
        )
    )
    cap = json.dumps(d["ozon-probe-capacity.json"])
    assert "ozon_probe_throughput_bytes_per_second" in cap and "hour_of_day_utc" in cap


def test_provisioning_files() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "ozon-probe.yml").read_text())
    assert ds["apiVersion"] == 1
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == "ozon-probe-prometheus"
    assert source["access"] == "proxy" and source["url"].startswith("http")
    assert source.get("isDefault") is False  # never fight an existing default data source
    # the dashboards default to this data source
    gen = _generator()
    assert source["uid"] == gen.PROVISIONED_DS_UID
    dp = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ozon-probe.yml").read_text())
    assert dp["apiVersion"] == 1
    providers = dp["providers"]
    assert len(providers) == len(LANGS)  # a folder per language
    for key in ("name", "folder", "folderUid"):
        assert len({p[key] for p in providers}) == len(providers), key
    paths = [Path(p["options"]["path"]) for p in providers]
    for p in providers:
        assert p["type"] == "file" and p["options"]["path"] and p["folder"]
        assert p["options"].get("foldersFromFilesStructure") is False
    # Grafana walks a provider's path recursively: one inside another loads dashboards twice
    for a in paths:
        for b in paths:
            assert a == b or not a.is_relative_to(b), (a, b)
    # the compose file mounts each language's directory at its provider's path
    compose = yaml.safe_load((ROOT / "deploy" / "compose" / "docker-compose.yml").read_text())
    mounts = {
        v.split(":")[1]: (ROOT / "deploy" / "compose" / v.split(":")[0]).resolve()
        for v in compose["services"]["grafana"]["volumes"]
        if ":" in v and v.startswith(".")
    }
    for lang, path in zip(LANGS, paths, strict=True):
        assert mounts[str(path)] == SETS[lang][0], (lang, path)


def test_your_side_and_ozons_side_differ_in_icon_and_colour() -> None:
    gen = _generator()
    your = {"local_network", "isp", "international_path", "dns"}
    ozon = {"platform_outage", "platform_degraded"}
    dash = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    verdict = next(p for p in dash["panels"] if p["title"] == "Diagnosis")
    (values, _null) = verdict["fieldConfig"]["defaults"]["mappings"]
    by_cause = {cause: values["options"][str(code)] for code, cause, _, _ in gen.VERDICT_CODES}
    for cause in your:
        assert by_cause[cause]["text"].startswith("🏠"), cause
        assert by_cause[cause]["color"] in gen.YOUR_SIDE_COLOURS, cause
    for cause in ozon:
        assert by_cause[cause]["text"].startswith("🛒"), cause
        assert by_cause[cause]["color"] in gen.OZON_SIDE_COLOURS, cause
    assert not set(gen.YOUR_SIDE_COLOURS) & set(gen.OZON_SIDE_COLOURS)
    side = next(p for p in dash["panels"] if p["title"] == "Is it me or Ozon?")
    opts = side["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert opts["3"]["text"].startswith("🏠") and opts["3"]["color"] in gen.YOUR_SIDE_COLOURS
    assert opts["2"]["text"].startswith("🛒") and opts["2"]["color"] in gen.OZON_SIDE_COLOURS


# -- the Russian and Chinese sets ------------------------------------------------------

TRANSLATED = [f for f in ALL_FILES if f.relative_to(GRAFANA).parts[0] in ("ru", "zh")]
READ_KEYS = {"title", "description", "label", "tooltip", "content", "text", "legendFormat"}
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}|\$\{\w+(?::\w+)?\}|\$\w+")


def _read_texts(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) of every string a person reads on a dashboard: titles, descriptions,
    panel and row titles, variable labels, value-mapping texts, legends, text panels, table
    column names. Not `current` (Grafana's remembered selection, replaced on load)."""
    if isinstance(node, dict):
        if key == "current":
            return
        if key == "renameByName":
            for v in node.values():
                yield key, v
            return
        for k, v in node.items():
            yield from _read_texts(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _read_texts(v, key)
    elif isinstance(node, str) and key in READ_KEYS:
        yield key, node


def _skeleton(node: Any, key: str = "") -> Any:
    """The dashboard without its words, uid, tags and links: what every language shares."""
    if isinstance(node, dict):
        if key == "renameByName":
            return sorted(node)
        return {k: _skeleton(v, k) for k, v in node.items() if k not in ("uid", "tags", "links")}
    if isinstance(node, list):
        return [_skeleton(v, key) for v in node]
    if isinstance(node, str) and key in READ_KEYS:
        return sorted(_TEMPLATE.findall(node))  # the label templates and variables stay
    return node


def _targets(dash: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(p["id"], t["refId"], t["expr"]) for p in dash["panels"] for t in p.get("targets", [])]


# Words a translation must quote as they are: label values the panels show as data (the
# DNS table's role column, the network dashboard's groups, the HTTP phases, ping mode none),
# alert names, and the English set's own name in the link to it.
QUOTED = {
    "role", "system", "public", "gateway", "control", "ozon", "none",
    "resolve", "connect", "tls", "processing", "transfer", "English",
}  # fmt: skip


def _alert_names() -> set[str]:
    text = (ROOT / "deploy" / "prometheus" / "rules.yml").read_text()
    text += (ROOT / "deploy" / "central" / "fleet-rules.yml").read_text()
    return set(re.findall(r"- alert: (\w+)", text))


def _english_in(dash: dict[str, Any]) -> list[str]:
    allowed = QUOTED | _alert_names()
    found = []
    for key, text in _read_texts(dash):
        if key == "legendFormat" and text == "__auto":
            continue  # Grafana's "legend from the labels"
        words = english_words(_TEMPLATE.sub(" ", text), allowed)
        if words:
            found.append(f"{key} {text!r}: {words}")
    return found


@pytest.mark.parametrize("path", TRANSLATED, ids=_rel)
def test_translated_dashboard_has_no_english_but_names(path: Path) -> None:
    found = _english_in(json.loads(path.read_text()))
    assert not found, "\n".join(found)


def test_the_english_finder_finds_english() -> None:
    """The test above is only worth something if it sees an untranslated text."""
    dash = json.loads((GRAFANA / "ru" / "dashboards" / "ozon-probe-overview.json").read_text())
    assert not _english_in(dash)
    for where in ("title", "description"):
        broken = json.loads(json.dumps(dash))
        broken["panels"][0][where] = "Is it me or Ozon?"
        assert any("Is" in f for f in _english_in(broken)), where
    broken = json.loads(json.dumps(dash))
    broken["panels"][0]["fieldConfig"]["defaults"]["mappings"][1]["options"]["result"]["text"] = (
        "No data"
    )
    broken["templating"]["list"][1]["label"] = "Site"
    assert len(_english_in(broken)) == 2
    english = json.loads((DASHBOARDS / "ozon-probe-overview.json").read_text())
    assert len(_english_in(english)) > 50


@pytest.mark.parametrize("path", TRANSLATED, ids=_rel)
def test_translated_dashboard_is_the_english_one_in_other_words(path: Path) -> None:
    """Same panels, layout, mappings and, above all, the same queries as the English twin, so
    that the tests running the English set's queries on a real Prometheus cover it too."""
    lang = path.relative_to(GRAFANA).parts[0]
    dash = json.loads(path.read_text())
    en = json.loads(_english_twin(path).read_text())
    assert _targets(dash) == _targets(en)
    assert _skeleton(dash) == _skeleton(en)
    assert dash["uid"] == f"{en['uid']}-{lang}"
    assert dash["title"] != en["title"]
    # your side and Ozon's side keep their icons (the colours are in the skeleton)
    icons = ("🏠", "🛒", "🌐", "✅")
    ours = [t for k, t in _read_texts(dash) if k == "text"]
    theirs = [t for k, t in _read_texts(en) if k == "text"]
    assert [t[:1] for t in ours if t.startswith(icons)] == [
        t[:1] for t in theirs if t.startswith(icons)
    ]


def test_each_language_links_to_its_own_dashboards_and_to_the_others() -> None:
    by_uid = {}
    for lang, dirs in SETS.items():
        for d in dirs:
            for f in d.glob("*.json"):
                by_uid[json.loads(f.read_text())["uid"]] = (lang, json.loads(f.read_text()))
    for uid, (lang, dash) in by_uid.items():
        assert dash["tags"] == ["ozon-probe", lang], uid
        menu, *others = dash["links"]
        assert menu["type"] == "dashboards" and menu["tags"] == ["ozon-probe", lang], uid
        # Grafana lists the dashboards that have every tag of the link: this language's only
        assert {u for u, (lg, d) in by_uid.items() if set(menu["tags"]) <= set(d["tags"])} == {
            u for u, (lg, _) in by_uid.items() if lg == lang
        }
        base = uid.removesuffix(f"-{lang}")
        targets = {link["url"].removeprefix("/d/") for link in others}
        assert targets == {base if o == "en" else f"{base}-{o}" for o in LANGS if o != lang}
        assert targets <= set(by_uid), uid
        assert all(link["includeVars"] and link["keepTime"] for link in others)


def test_generator_fails_on_a_text_without_translation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = _generator()
    words = gen.load_words()
    assert gen.main(["--check"]) == 0
    missing = dict(words)
    del missing["Packet loss"]
    monkeypatch.setattr(gen, "load_words", lambda: missing)
    assert gen.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert "no ru translation" in err and "'Packet loss'" in err, err
    # a translation that drops a label template or a variable
    broken = dict(words)
    broken["Where the time goes: $target"] = {"ru": "На что уходит время", "zh": "时间"}
    monkeypatch.setattr(gen, "load_words", lambda: broken)
    assert gen.main(["--check"]) == 2
    assert "must keep ['$target']" in capsys.readouterr().err
    # an entry left over from a text that changed
    stale = {**words, "Pakcet loss": {"ru": "Потери пакетов", "zh": "丢包率"}}
    monkeypatch.setattr(gen, "load_words", lambda: stale)
    assert gen.main(["--check"]) == 2
    assert "'Pakcet loss'" in capsys.readouterr().err
    # an empty translation is a missing one
    empty = {**words, "Jitter": {"ru": "", "zh": "抖动"}}
    monkeypatch.setattr(gen, "load_words", lambda: empty)
    assert gen.main(["--check"]) == 2
    assert "'Jitter'" in capsys.readouterr().err


def test_generator_runs_standalone() -> None:
    """generate.py is standard library only and finds its words beside it from any cwd."""
    import subprocess

    res = subprocess.run(
        [sys.executable, "-I", str(GRAFANA / "generate.py"), "--check"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
