"""Road graphs from OpenStreetMap, travel times, snapping, and (later) the OR-Tools models.

``routing.osm`` is the one module that reads OSM data (osmnx); the other modules compute on the
graph they are given.
"""
