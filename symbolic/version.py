"""The toolkit's version, read by ``setup.cfg`` and re-exported by every package."""

__version__ = "0.2.0"
