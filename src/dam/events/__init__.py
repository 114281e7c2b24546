"""Storage event intake (MinIO notifications on Redis): filled by the processing pipeline."""
