"""Background jobs: how the API hands uploaded assets to the processing pipeline."""
