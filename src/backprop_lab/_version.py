"""The package's version, in a module of its own: every module that needs it imports it from
here, not from the package's ``__init__``, which imports those modules."""

__version__ = "0.1.0"
