"""Open data for apps, regulators and the city data hub: GBFS 3.0 and 2.3, the MDS 2.0 provider
API, NGSI-LD entities and carbon accounting. The builders here turn plain rows into the
standards' documents; the queries live in ``fleet.db``, the HTTP in ``web.opendata``."""
