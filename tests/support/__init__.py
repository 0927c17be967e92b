"""Real servers for tests and the network-namespace lab.

- pki: a throwaway CA and leaf certificates (good, expired, wrong host).
- dnsserver: authoritative-style DNS on UDP+TCP with switchable failure modes.
- webserver: HTTP/1.1 (plain or TLS) with per-virtual-host failure behaviours.

Everything binds where it is told to (tests: 127.0.0.1, port 0) and never
contacts anything else, except the DNS server's optional --forward upstream.
"""
