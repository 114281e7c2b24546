"""Deployable worker entry points (arq WorkerSettings); the processing pipeline lands here."""
