"""The ``fleetops`` command line: the entry points that read settings and start things."""
