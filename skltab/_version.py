"""The installed version of skltab."""

__version__ = "0.1.0"
