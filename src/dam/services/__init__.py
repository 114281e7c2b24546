"""Use cases: what the API, the workers, the bridge and the CLI do, returning domain values."""
