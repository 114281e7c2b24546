"""DAM ingest service: metadata-first assets with presigned direct-to-storage uploads."""

__version__ = "0.1.0"
