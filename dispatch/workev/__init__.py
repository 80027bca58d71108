"""The work-EV room: which EV a reservation gets (``choice``, pure) and the reservations of
company staff (``reservations``)."""
