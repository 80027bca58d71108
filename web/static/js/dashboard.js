/* The manager's dashboard: the city's streets, the live fleet, rule zones, stations, hubs, routes
 * and the demand forecast on one map with a layer control; the KPI tiles; closures, crew plans
 * and courier shifts (the other dashboard*.js files and draw.js hold each part).
 *
 * Live by polling, never two polls of one kind at once (FO.every): the fleet feed (with its
 * ETag) and the KPIs every 4 s, zones and closures every 4 s (a closure made elsewhere shows
 * within seconds), stations and routes every 10 s, proposed plans and shifts every 30 s, the
 * forecast and the road surface every 10 minutes (they change hourly) while their layer is
 * shown. */
(function () {
  "use strict";
  var D = FO.dash;
  var LIVE_MS = 4000;

  function legend() {
    document.querySelectorAll("#legend li[data-status]").forEach(function (li) {
      var dot = FO.el("span", { class: "dot" });
      dot.style.background = FO.vehicleColour(li.getAttribute("data-status"), 80);
      li.prepend(dot);
    });
    var list = document.getElementById("legend");
    [["half", 35], ["low", 10]].forEach(function (p) {
      var dot = FO.el("span", { class: "dot" });
      dot.style.background = FO.vehicleColour("available", p[1]);
      list.appendChild(FO.el("li", {}, [dot, document.createTextNode(FO.t("dashboard.legend." + p[0]))]));
    });
  }

  function checkedClasses() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll('#filters input[name="vehicle_class"]'));
    var chosen = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    return chosen.length === boxes.length ? null : chosen;
  }

  /* A poll that waits while the tab is hidden: a dashboard left open in a background tab
   * costs the server nothing. */
  function whenShown(fn) {
    return function () { return document.hidden ? null : fn(); };
  }

  FO.ready.then(function () {
    /* quarter zoom steps: the view can fit the service area closely (the map draws only
     * vectors, so a fractional zoom blurs nothing) */
    var map = FO.map("map", { zoomSnap: 0.25 });
    var parts = {
      zones: D.zones(map),
      routes: D.routes(map),
      hubs: D.hubs(map),
      stations: D.stations(map),
      vans: D.vans(map),
      vehicles: D.vehicles(map),
      forecast: D.forecast(map, 3),
      surface: D.surface(map),
    };
    var kpis = D.kpis();
    var closures = D.closures(map, function () {
      return Promise.all([parts.zones.refresh(), closures.refresh(), kpis.refresh()]);
    });
    var plans = D.plans(map, function () {
      return Promise.all([kpis.refresh(), parts.routes.refresh(), parts.vans.refresh(), parts.vehicles.refresh()]);
    });
    var shifts = D.shifts();
    legend();

    var overlays = {};
    [["vehicles", parts.vehicles.layer], ["zones", parts.zones.layer], ["closures", closures.layer],
      ["stations", parts.stations.layer], ["hubs", parts.hubs.layer], ["vans", parts.vans.layer],
      ["routes", parts.routes.layer],
      ["plan", plans.layer], ["forecast", parts.forecast.layer],
      ["surface", parts.surface.layer]].forEach(function (o) {
      overlays[FO.t("dashboard.layer." + o[0])] = o[1];
    });
    L.control.layers(null, overlays, { collapsed: window.innerWidth < 900, position: "topright" }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);

    document.getElementById("filters").addEventListener("change", function () {
      parts.vehicles.filter(checkedClasses());
      parts.vehicles.refresh().catch(function (err) { FO.say(err.message, true); });
    });

    /* the hourly layers are read only once they are shown, then every 10 minutes */
    [parts.forecast, parts.surface].forEach(function (part) {
      var shown = false;
      map.on("overlayadd", function (e) {
        if (e.layer !== part.layer) return;
        if (part === parts.forecast) D.underneath(e.layer);
        if (!shown) {
          shown = true;
          FO.every(600000, whenShown(part.refresh));
        }
      });
    });

    FO.every(LIVE_MS, whenShown(function () { return Promise.all([kpis.refresh(), parts.vehicles.refresh()]); }));
    FO.every(LIVE_MS, whenShown(function () { return Promise.all([parts.zones.refresh(), closures.refresh()]); }));
    FO.every(10000, whenShown(function () { return Promise.all([parts.stations.refresh(), parts.vans.refresh(), parts.routes.refresh()]); }));
    /* the forms' default times come from the platform's clock, which the KPIs bring */
    kpis.refresh().then(function () {
      FO.every(30000, whenShown(function () { return Promise.all([plans.refresh(), shifts.refresh()]); }));
    }).catch(function (err) { FO.say(err.message, true); });
    parts.hubs.refresh().catch(function (err) { FO.say(err.message, true); });
  });
})();
