"""Development tools, not part of the service: the SeaweedFS launcher of ``make run`` and the tests
(``devs3``) and ``make harness``'s native stack (``harness``).

A distribution of its own (``dev/pyproject.toml``), installed beside ``dam`` by ``make install``; the
``dam`` wheel and the Docker image do not contain it.
"""
