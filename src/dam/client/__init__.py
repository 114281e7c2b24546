"""Clients of the API (``dam upload``): they speak HTTP to the service and share the domain's rules."""
