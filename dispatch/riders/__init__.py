"""The riders' room: which vehicle a rider gets (``ranking``), where a trip may end
(``parking``), what an ended trip costs (``trips``), pure; and the bookings that run them
(``bookings``)."""
