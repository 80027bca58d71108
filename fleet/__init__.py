"""The fleet domain: plain validated values, explicit state machines, and their persistence.

Nothing here reads configuration, the wall clock or the network: callers pass a
:class:`fleet.clock.Clock` and the values they got from settings.
"""
