"""A stand-in for Colab's own `google.colab` package, for the simulated Colab runtime
(tests/test_colab.py). The real package is not on PyPI. The book's first cell needs only two
things of it: that Colab has imported it when a notebook starts, and `drive.mount`."""

from google.colab import drive  # noqa: F401  (Colab's package imports its submodules too)
