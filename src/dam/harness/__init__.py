"""The deployment harness: ``dam harness`` runs the steps of ``harness.yaml`` against a base URL."""
