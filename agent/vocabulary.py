"""The agent's words for what it finds: causes, layers, states and error categories.

One module, so that the diagnosis, the exporter, the status page, `check`, the rules files'
tests and the dashboards' generator all speak the same bounded vocabulary; every value here is
safe as a metric label.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Cause(StrEnum):
    """The one answer to "is it me or Ozon?", in the order people read them."""

    OK = "ok"
    LOCAL_NETWORK = "local_network"
    ISP = "isp"
    INTERNATIONAL_PATH = "international_path"
    DNS = "dns"
    #: something between the office and Ozon blocks or alters some connections (DPI, a
    #: filtering box): shown by contrasts the agent makes itself, never blamed on Ozon
    NETWORK_FILTERING = "network_filtering"
    PLATFORM_OUTAGE = "platform_outage"
    PLATFORM_DEGRADED = "platform_degraded"
    NETWORK_DEGRADED = "network_degraded"


class Layer(StrEnum):
    """From this machine outwards: what the status page's lights and `check` report."""

    LINK = "link"
    GATEWAY = "gateway"
    INTERNET = "internet"
    RUSSIA = "russia"
    DNS = "dns"
    PLATFORM = "platform"


class State(IntEnum):
    """A layer's or a service's state; the integer is the metric's value."""

    OK = 0
    DEGRADED = 1
    DOWN = 2
    UNKNOWN = 3

    @property
    def word(self) -> str:
        return self.name.lower()


class Group(StrEnum):
    """A target's role in the diagnosis."""

    OZON = "ozon"
    CONTROL = "control"
    GATEWAY = "gateway"


#: the country whose controls test "the path to Russia"
RUSSIA = "RU"

#: causes under which Ozon is out of sight: its services are reported unknown, not down
CUT_OFF_CAUSES = frozenset({Cause.LOCAL_NETWORK, Cause.ISP, Cause.INTERNATIONAL_PATH})

#: whose side a cause is on, for the people who must act: the seller's (office, provider,
#: route to Russia, DNS, a filter on the way) or Ozon's; network_degraded lies between
YOUR_SIDE = (
    Cause.LOCAL_NETWORK,
    Cause.ISP,
    Cause.INTERNATIONAL_PATH,
    Cause.DNS,
    Cause.NETWORK_FILTERING,
)
OZON_SIDE = (Cause.PLATFORM_OUTAGE, Cause.PLATFORM_DEGRADED)


class ErrorCategory(StrEnum):
    """Why a probe failed: bounded, so it can be a metric label and the diagnosis can reason
    over it. Free text goes to a result's `detail`, never here."""

    # transport
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    # name resolution (of the probed name, or of a target's host before connecting)
    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    DNS_REFUSED = "dns_refused"
    NO_ANSWER = "no_answer"
    DNS_TIMEOUT = "dns_timeout"
    DNS_MALFORMED = "dns_malformed"
    DNS_MISMATCH = "dns_mismatch"  # the answer disagrees with every independent resolver
    DNS_UNREACHABLE = "dns_unreachable"  # no resolver could be reached to look the name up
    # TLS
    TLS_VERIFY = "tls_verify"
    TLS_ERROR = "tls_error"
    # HTTP
    HTTP_STATUS = "http_status"
    HTTP_BODY = "http_body"
    HTTP_PROTOCOL = "http_protocol"
    # Seller API key
    API_KEY_INVALID = "api_key_invalid"
    RATE_LIMITED = "rate_limited"
    # throughput (speedtest-cli's own failure modes; the HTTP method uses the ones above)
    SPEEDTEST_CONFIG = "speedtest_config"  # speedtest.net's configuration could not be fetched
    SPEEDTEST_FORBIDDEN = "speedtest_forbidden"  # HTTP 403 from speedtest.net
    SPEEDTEST_RATE_LIMITED = "speedtest_rate_limited"  # HTTP 429
    SPEEDTEST_NO_SERVERS = "speedtest_no_servers"  # no (pinned) server available
    # the probe could not run at all: says nothing about the network
    PERMISSION = "permission"
    INTERNAL = "internal"


#: categories that describe this machine, not the network: the diagnosis ignores them
NOT_NETWORK_EVIDENCE = frozenset({ErrorCategory.PERMISSION, ErrorCategory.INTERNAL})

DNS_CATEGORIES = frozenset(
    {
        ErrorCategory.NXDOMAIN,
        ErrorCategory.SERVFAIL,
        ErrorCategory.DNS_REFUSED,
        ErrorCategory.NO_ANSWER,
        ErrorCategory.DNS_TIMEOUT,
        ErrorCategory.DNS_MALFORMED,
        ErrorCategory.DNS_MISMATCH,
        ErrorCategory.DNS_UNREACHABLE,
    }
)

#: failures that prove a host answered at the IP level, even though the probe failed
ANSWERED = frozenset(
    {
        ErrorCategory.REFUSED,
        ErrorCategory.RESET,
        ErrorCategory.TLS_VERIFY,
        ErrorCategory.TLS_ERROR,
        ErrorCategory.HTTP_STATUS,
        ErrorCategory.HTTP_BODY,
        ErrorCategory.HTTP_PROTOCOL,
        ErrorCategory.API_KEY_INVALID,
        ErrorCategory.RATE_LIMITED,
    }
)
#: failures that mean nothing answered at all
SILENT = frozenset({ErrorCategory.TIMEOUT, ErrorCategory.UNREACHABLE})
