"""ozon-probe: tells an Ozon seller whether the office network, the ISP, the path to Russia,
DNS or Ozon itself is at fault."""

__version__ = "0.1.0"
