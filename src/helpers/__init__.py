"""Helper package of the warning-framing book: every computation the chapters run lives here."""

__version__ = "0.1.0"
