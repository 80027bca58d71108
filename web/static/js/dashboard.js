/* The manager's dashboard: the city's streets, the rule zones and the fleet, kept live. */
(function () {
  "use strict";
  FO.ready.then(function () {
    var map = FO.map("map");
    var zones = L.geoJSON(null, {
      style: function (f) { return { color: "#8250df", weight: 2, fillOpacity: 0.08 }; },
    }).addTo(map);
    FO.api("GET", "/zones").then(function (fc) {
      zones.addData(fc);
      document.getElementById("map").setAttribute("data-zones", String(fc.features.length));
    });
  });
})();
