"""The network-namespace fault lab; see tests/lab/lab.py."""
