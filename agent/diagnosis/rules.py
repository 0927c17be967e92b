"""Is it me or Ozon? The rules, in order: the first that holds is the verdict.

Layer by layer, from the machine outwards: link, gateway, the home country's internet, the path
to Russia, DNS, and only then Ozon. The first layer that is broken is the cause, so a local,
ISP, international or DNS fault can never be called a platform outage. Each function is one row
of the table in docs/diagnosis.md (same numbers, same order; a test keeps them in step) and
reads only the `Evidence` assessed once before (agent/diagnosis/evidence.py).

A rule returns a `Finding` (the cause, a summary, the evidence lines, hard or soft), a `Hold`
(the evidence points at a cause that is not proven yet: the previous verdict stays, with the
reason), or None (the rule does not apply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.diagnosis.evidence import Evidence
from agent.diagnosis.reasons import R, Reason
from agent.vocabulary import Cause, Layer, State


@dataclass(frozen=True)
class Finding:
    cause: Cause
    summary: Reason
    evidence: list[Reason]
    hard: bool


@dataclass(frozen=True)
class Hold:
    why: Reason


Verdict = Finding | Hold | None


def link_down(e: Evidence) -> Verdict:
    """1. No default route, or its interface is down."""
    if e.link_ok:
        return None
    return Finding(Cause.LOCAL_NETWORK, e.link_why, [e.link_why], True)


def gateway_silent(e: Evidence) -> Verdict:
    """2. The gateway is silent and the home internet is not reached. Layer 2 (the arp
    probe, when configured) tells "powered but not routing" from "gone": the first wants a
    router restart, the second a cable or power check."""
    if e.gateway.state != State.DOWN or e.home_net.state == State.OK:
        return None
    summary, extra = R("gateway_silent"), []
    if e.gateway_layer2 is not None:
        summary = R("gateway_not_routing" if e.gateway_layer2.answered else "gateway_gone")
        extra = [e.gateway_layer2.said]
    evidence = e.gateway.negative[:3] + e.home_net.negative[:2] + extra
    return Finding(Cause.LOCAL_NETWORK, summary, evidence, True)


def isp_down(e: Evidence) -> Verdict:
    """3. The home internet is down (or unknown while Russia is down too)."""
    home, russia = e.home_net.state, e.russia.state
    if not (home == State.DOWN or (home == State.UNKNOWN and russia == State.DOWN)):
        return None
    evidence = [text for _, text in e.gateway.positive[:1]]
    evidence += (e.home_net.negative + e.home_net.silent_resolvers)[:4]
    return Finding(Cause.ISP, R("isp_cut"), evidence, True)


def russia_cut(e: Evidence) -> Verdict:
    """4. (Office not in Russia) Russia is down while the home internet is up."""
    if e.in_russia or e.russia.state != State.DOWN:
        return None
    evidence = (e.russia.negative + e.russia.silent_resolvers)[:4]
    evidence += [text for _, text in e.home_net.positive[:2]]
    return Finding(Cause.INTERNATIONAL_PATH, R("russia_cut", country=e.home), evidence, True)


def dns_lying(e: Evidence) -> Verdict:
    """5. The system resolver answers an Ozon name with addresses no independent resolver
    confirms (lying, hijacking): definite whatever else is going on."""
    if e.dns_state != State.DEGRADED:
        return None
    return Finding(Cause.DNS, e.dns_evidence[0], e.dns_evidence, False)


def russia_degraded(e: Evidence) -> Verdict:
    """6. (Office not in Russia) Russian controls are sick; home controls and gateway not."""
    if e.in_russia or not e.russia_sick or e.home_sick or e.gateway_sick:
        return None
    summary = R("russia_degraded", sick=e.russia_sick[:3])
    return Finding(Cause.INTERNATIONAL_PATH, summary, e.russia_sick, False)


def network_degraded(e: Evidence) -> Verdict:
    """7. The gateway or home controls are sick (a sick access link, a saturated uplink)."""
    sick = e.gateway_sick + e.home_sick
    if not sick:
        return None
    return Finding(Cause.NETWORK_DEGRADED, R("network_degraded", sick=sick[:3]), sick, False)


def dns_failing(e: Evidence) -> Verdict:
    """8. The system resolver fails for at least half the names: DNS's fault if another
    resolver answers most of those names, or if the network visibly carries everything else;
    otherwise it may be the network's, and the verdict holds. It holds too while the office's
    side of the path wobbles (the newest echo round to the gateway or a home control lost
    packets or crawled): a lossy line loses lookups first, before two bad rounds make it
    `network_degraded`."""
    if e.dns_state != State.DOWN:
        return None
    if e.office_wobbling:  # lookups lost with the packets: wait until the line shows its state
        return Hold(R("hold_unsteady", wobble=e.office_wobbling[0]))
    # only an answer from home at the time DNS was failing or later shows the network works:
    # a router that died takes DNS with it, and the lookup times out before the pings do
    fresh = [when for when, _ in e.home_net.positive if when >= e.dns_failed_since - 0.5]
    network_fine = bool(fresh) and not e.home_net.negative
    if e.dns_independent_ok or network_fine:
        return Finding(Cause.DNS, e.dns_evidence[0], e.dns_evidence, True)
    return Hold(R("hold_dns_network"))


def network_filtering(e: Evidence) -> Verdict:
    """9. Something on the way stops or alters connections, shown by a contrast the agent
    made itself: the handshake for the real name was reset (or met by silence three rounds
    in a row; held until then) while the same address answered a neutral name at once; the
    system resolver's UDP answer is contradicted by the same resolver over TCP, whose address
    alone shows a valid certificate (a transparent DNS proxy); or one untrusted issuer signs
    Ozon's certificates and a control's alike (TLS intercepted); or Ozon's answers and a
    control's freeze after the same number of bytes, two rounds running (a connection cut at
    a fixed size; held after one); or a handshake was reset by a packet whose TTL is not the
    server's (injected on the way). Before the platform rules:
    while such a contrast stands, Ozon is not to blame."""
    if not e.filtering:
        if e.filtering_pending:  # silence for a name: settled in a round or two, blame no one
            return Hold(R("hold_filtering", check=e.filtering_pending[0]))
        return None
    hosts = list(dict.fromkeys(str(r.params["host"]) for r in e.filtering))
    kinds = {_FILTER_SUMMARY.get(r.code, "filtering_mixed") for r in e.filtering}
    if "filtering" in kinds:  # a reset by name that also came from nearer: still by name
        kinds.discard("filtering_reset")
    summary = kinds.pop() if len(kinds) == 1 else "filtering_mixed"
    return Finding(Cause.NETWORK_FILTERING, R(summary, hosts=hosts), e.filtering, True)


#: the summary of rule 9 when all its evidence is of one kind (else filtering_mixed)
_FILTER_SUMMARY = {
    "filter_sni": "filtering",
    "filter_sni_silent": "filtering",
    "filter_dns": "filtering_dns",
    "filter_dns_denied": "filtering_dns",
    "filter_tls": "filtering_tls",
    "filter_stall": "filtering_stall",
    "filter_rst_ttl": "filtering_reset",
}


def _ozon_trouble(e: Evidence) -> list[Reason] | Hold | None:
    """The broken services' lines, once the platform may be blamed: held while the path
    wobbles or the like-for-like proof is missing."""
    broken = [s for s in e.known if s.state != State.OK]
    if not e.ozon_failures and not broken:
        return None
    if e.wobbling:
        return Hold(R("hold_unsteady", wobble=e.wobbling[0]))
    if e.platform_proof is None:
        return Hold(R("hold_need_proof"))
    return [R("service_line", service=s.service, text=s.text) for s in broken]


def _platform_evidence(e: Evidence, lines: list[Reason]) -> list[Reason]:
    assert e.platform_proof is not None
    fine = [R("services_fine", services=e.fine)] if e.fine else []
    return [R("services_failing", services=lines), *e.platform_proof, *fine]


def platform_outage(e: Evidence) -> Verdict:
    """10. Every Ozon service fails, with like-for-like proof."""
    trouble = _ozon_trouble(e)
    if trouble is None or isinstance(trouble, Hold):
        return trouble
    if e.layers[Layer.PLATFORM] != State.DOWN:
        return None
    summary = R("platform_down", services=trouble)
    return Finding(Cause.PLATFORM_OUTAGE, summary, _platform_evidence(e, trouble), True)


def platform_degraded(e: Evidence) -> Verdict:
    """11. Some Ozon services fail or are slow for two rounds in a row, with proof: one
    failed request is not news. Held while a target on the way had a bad round among its
    last three: random loss on the path to Russia trips a few of seven services two rounds
    running before it trips two controls, and a soft verdict then sticks for its dwell."""
    trouble = _ozon_trouble(e)
    if trouble is None or isinstance(trouble, Hold):
        return trouble
    if e.unsteady:
        return Hold(R("hold_unsteady", wobble=e.unsteady[0]))
    broken = [s for s in e.known if s.state != State.OK]
    if not any(s.streak >= e.min_streak for s in broken):
        return Hold(R("hold_one_round"))
    summary = (
        R("platform_some_fine", services=trouble, fine=e.fine)
        if e.fine
        else R("platform_some", services=trouble)
    )
    return Finding(Cause.PLATFORM_DEGRADED, summary, _platform_evidence(e, trouble), False)


def all_ok(e: Evidence) -> Verdict:
    """12. None of the above."""
    summary = R("all_ok_fine", fine=e.fine) if e.fine else R("all_ok")
    return Finding(Cause.OK, summary, [], False)


#: (row of docs/diagnosis.md, name, rule), in order: the first that is not None wins
RULES: tuple[tuple[int, str, Callable[[Evidence], Verdict]], ...] = (
    (1, "link_down", link_down),
    (2, "gateway_silent", gateway_silent),
    (3, "isp_down", isp_down),
    (4, "russia_cut", russia_cut),
    (5, "dns_lying", dns_lying),
    (6, "russia_degraded", russia_degraded),
    (7, "network_degraded", network_degraded),
    (8, "dns_failing", dns_failing),
    (9, "network_filtering", network_filtering),
    (10, "platform_outage", platform_outage),
    (11, "platform_degraded", platform_degraded),
    (12, "all_ok", all_ok),
)


def decide(e: Evidence) -> tuple[int, Finding | Hold]:
    """The first rule that applies, and its row number."""
    for row, _, rule in RULES:
        verdict = rule(e)
        if verdict is not None:
            return row, verdict
    raise AssertionError("all_ok always applies")
