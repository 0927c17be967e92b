"""Wire code shared by the probe kinds: error mapping, TCP, name resolution, the machine's own
network facts, and the worker lane for packet-level (scapy) work. Nothing here knows a probe
kind or a target's role."""
