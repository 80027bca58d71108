"""The open-data feeds over HTTP: each standard's blueprint (``/gbfs``, ``/mds``, ``/ngsi-ld``)
outside ``/api/v1``, because each standard fixes its own paths, envelopes and media types."""
