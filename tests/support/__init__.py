"""What the tests share: service processes, client flows, media, events, settings of the machine.

Test modules import from here and never from each other; conftest.py files only define fixtures.
"""
