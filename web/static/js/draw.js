/* Drawing a polygon on a Leaflet map (our own few lines: no plugin, no npm).
 *
 * FO.drawPolygon(map, done, cancelled) starts: each click adds a vertex, a double-click or
 * finish() closes the ring (three vertices at least), Escape or cancel() drops it. done gets the
 * vertices as L.LatLng, in order, the ring not repeated.
 *
 * Clicks are taken on the map's container in the capture phase and stopped there, so while
 * drawing a click on a vehicle or a zone adds a vertex instead of opening its popup; clicks on
 * the map's controls (zoom, layers) pass. A double-click's two clicks land on one spot: a vertex
 * within a few pixels of the last is not added twice. */
(function () {
  "use strict";
  var NEAR_PX = 5;

  FO.drawPolygon = function (map, done, cancelled) {
    var points = [];
    var colour = { color: "#a40e26", weight: 2, interactive: false };
    var outline = L.polyline([], colour).addTo(map);
    var rubber = L.polyline([], Object.assign({ dashArray: "4 4" }, colour)).addTo(map);
    var dots = L.layerGroup().addTo(map);
    var box = map.getContainer();
    var zoomOnDouble = map.doubleClickZoom.enabled();

    function onControl(e) { return e.target.closest && e.target.closest(".leaflet-control"); }

    function onClick(e) {
      if (onControl(e)) return;
      e.stopPropagation();
      e.preventDefault();
      var at = map.mouseEventToLatLng(e);
      var last = points[points.length - 1];
      if (last && map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(at)) < NEAR_PX) return;
      points.push(at);
      L.circleMarker(at, { radius: 4, color: "#a40e26", fillColor: "#fff", fillOpacity: 1, weight: 2, interactive: false }).addTo(dots);
      outline.setLatLngs(points);
      box.setAttribute("data-draw-points", String(points.length));
    }

    function onDouble(e) {
      if (onControl(e)) return;
      e.stopPropagation();
      e.preventDefault();
      finish();
    }

    function onMove(e) {
      if (!points.length) return;
      rubber.setLatLngs([points[points.length - 1], map.mouseEventToLatLng(e), points[0]]);
    }

    function onKey(e) { if (e.key === "Escape") cancel(); }

    function stop() {
      box.removeEventListener("click", onClick, true);
      box.removeEventListener("dblclick", onDouble, true);
      box.removeEventListener("mousemove", onMove);
      document.removeEventListener("keydown", onKey);
      [outline, rubber, dots].forEach(function (l) { map.removeLayer(l); });
      box.classList.remove("drawing");
      box.removeAttribute("data-draw-points");
      if (zoomOnDouble) map.doubleClickZoom.enable();
    }

    function finish() {
      if (points.length < 3) {
        FO.say(FO.t("dashboard.draw.too_few"), true);
        return false;
      }
      stop();
      done(points.slice());
      return true;
    }

    function cancel() {
      stop();
      if (cancelled) cancelled();
    }

    box.addEventListener("click", onClick, true);
    box.addEventListener("dblclick", onDouble, true);
    box.addEventListener("mousemove", onMove);
    document.addEventListener("keydown", onKey);
    box.classList.add("drawing");
    map.doubleClickZoom.disable();
    return { finish: finish, cancel: cancel };
  };

  /* A GeoJSON Polygon of the vertices, [lon, lat], the ring closed. */
  FO.polygonOf = function (latlngs) {
    var ring = latlngs.map(function (p) { return [p.lng, p.lat]; });
    ring.push(ring[0].slice());
    return { type: "Polygon", coordinates: [ring] };
  };
})();
