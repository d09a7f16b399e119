"""HTTP serving of the zoo with BentoML (the service lands with the serving issue)."""
