"""The version of the liminal distribution: the one place it is written."""

__version__ = "0.1.0"
