"""HTTP serving of the zoo with BentoML: ``serving.service`` (the service), its
schemas, limits and batching, the web page (``serving/ui``) and ``zoo serve``."""
