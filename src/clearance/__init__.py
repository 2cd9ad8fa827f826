"""clearance — govern generative AI use in film and TV production.

The package reads as the pipeline: ``manifest`` (input) → ``policy`` (decisions) →
``reports`` (rendering); the ``cli`` only calls into them.
"""

__version__ = "0.1.0"
