/* The customer's tracking map: the drop-off point, and the courier's last known place while
 * the parcel is on its way (the API gives it only then). Read again every 20 s; the words
 * above the map are the server's, and a change of status reloads the page to update them. */
(function () {
  "use strict";
  var REFRESH_MS = 20000;
  var token = document.body.getAttribute("data-token");
  var mapEl = document.getElementById("map");
  var status = document.querySelector("[data-status]").getAttribute("data-status");
  var map, dropoff, courier;

  function pin(kind, title, at) {
    return L.marker(at, { icon: L.divIcon({ className: "pin " + kind, iconSize: [20, 20] }),
      title: title, keyboard: false });
  }

  function show(seen) {
    if (seen.status !== status) return window.location.reload();
    var home = [seen.dropoff.lat, seen.dropoff.lon];
    if (!dropoff) dropoff = pin("pin-dropoff", FO.t("track.dropoff"), home).addTo(map);
    if (seen.courier) {
      var at = [seen.courier.lat, seen.courier.lon];
      if (!courier) courier = pin("pin-courier", FO.t("track.courier_here"), at).addTo(map);
      courier.setLatLng(at);
      FO.say(FO.t("track.courier_seen", { time: FO.clock(seen.courier.at) }));
      map.fitBounds(L.latLngBounds([home, at]).pad(0.4), { maxZoom: 16, animate: false });
    } else {
      if (courier) { map.removeLayer(courier); courier = null; }
      map.setView(home, 15, { animate: false });
    }
    mapEl.setAttribute("data-courier", seen.courier ? "shown" : "none");
    mapEl.setAttribute("data-dropoff", "shown");
    return null;
  }

  FO.ready.then(function () {
    map = FO.map("map");
    return FO.roads.then(function () {
      FO.every(REFRESH_MS, function () {
        return FO.api("GET", "/track/" + encodeURIComponent(token)).then(show);
      });
    });
  }).catch(function (e) { FO.say(e.message, true); });
})();
