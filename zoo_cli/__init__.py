"""The ``zoo`` command line, above the library (``zoo``), training and serving.

``zoo --help``, ``zoo list`` and ``zoo info`` answer without importing
TensorFlow; the commands that run a model import it, quietly
(``zoo_cli.quiet``).
"""
