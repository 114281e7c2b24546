"""Enrichment's media work: models that ship inside packages, run on pictures and sound in, facts
out (text with its boxes, perceptual hashes). Like the rest of ``dam.media``: no database, storage or
queue; a worker of the ``enrich`` queue loads each model once (``models.Models``)."""
