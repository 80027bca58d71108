/* The rider's page: vehicles near me, then book → unlock → ride → end → receipt.
 *
 * "Here" is the browser's position when the rider lets the page have it, else the middle of the
 * city's map; a tap on the map moves it. The list of vehicles is GET /vehicles?lat&lon (those
 * within a walk, nearest first); the booking is POST /bookings at the chosen vehicle's place for
 * its class, which holds that vehicle (the one with the least walk from there). The open booking
 * is read back from GET /bookings when the page opens, so a reload never loses a ride. While
 * riding, "Route to…" makes the next tap a destination: GET /ride-route draws the way there,
 * which for bikes and kickboards goes around roads the road-surface index found broken. The
 * rules of the map (service area, no-parking, no-ride and slow zones, closures in force) come
 * from rider-zones.js, asked again every minute and when a parking spot is refused. */
(function () {
  "use strict";
  var RADIUS_M = 800;
  var ZONES_MS = 60000;
  var map, zones, here, hereMarker, parkMarker, vehicles, chosen, booking, parkAt;
  var routing = false, routeLayer = null;
  var panel = document.getElementById("panel");

  function km(m) { return (m / 1000).toFixed(1); }
  function minutes(s) { return Math.max(1, Math.round(s / 60)); }

  function pin(kind, size) {
    return L.divIcon({ className: "pin " + kind, iconSize: [size, size] });
  }

  function failed(error) {
    FO.say(FO.t("rider.failed", { message: error.message }), true);
  }

  function button(key, onclick, kind) {
    return FO.el("button", { type: "button", "data-action": key.split(".").pop(),
      class: kind || "", text: FO.t(key), onclick: onclick });
  }

  function facts(pairs) {
    var dl = FO.el("dl");
    pairs.forEach(function (p) {
      dl.appendChild(FO.el("dt", { text: FO.t(p[0]) }));
      dl.appendChild(FO.el("dd", { text: p[1], "data-fact": p[0].split(".").pop() }));
    });
    return dl;
  }

  function fill(state, children) {
    panel.textContent = "";
    panel.setAttribute("data-state", state);
    children.forEach(function (c) { if (c) panel.appendChild(c); });
  }

  function setHere(latlng) {
    here = latlng;
    if (!hereMarker) {
      hereMarker = L.marker(here, { icon: pin("pin-here", 16), interactive: false,
        keyboard: false, title: FO.t("rider.here") }).addTo(map);
    }
    hereMarker.setLatLng(here);
  }

  function vehicleFacts(v) {
    var list = [
      ["rider.class", FO.t("rider.class." + v.vehicle_class)],
      ["rider.charge", FO.t("rider.percent", { pct: Math.round(v.soc_pct) })],
      ["rider.range", FO.t("rider.km", { km: km(v.range_m) })],
      ["rider.code", v.code],
    ];
    if (v.walk_s !== undefined) {
      list.push(["rider.walk", FO.t("rider.walk_value", { min: minutes(v.walk_s), m: v.distance_m })]);
    }
    return facts(list);
  }

  function choose(v, marker) {
    chosen = v;
    vehicles.eachLayer(function (m) { L.DomUtil.removeClass(m.getElement(), "selected"); });
    L.DomUtil.addClass(marker.getElement(), "selected");
    fill("chosen", [
      FO.el("h2", { text: FO.t("rider.class." + v.vehicle_class) }),
      vehicleFacts(v),
      FO.el("div", { class: "actions" }, [
        button("rider.book", book),
        button("rider.back", browse, "secondary"),
      ]),
    ]);
  }

  function loadNear() {
    var q = "/vehicles?lat=" + here.lat.toFixed(6) + "&lon=" + here.lng.toFixed(6) +
      "&radius_m=" + RADIUS_M + "&per_page=100";
    return FO.api("GET", q).then(function (found) {
      vehicles.clearLayers();
      found.data.forEach(function (v) {
        var marker = L.marker([v.lat, v.lon], { icon: pin("vehicle", 22),
          title: FO.t("rider.class." + v.vehicle_class) + " " + Math.round(v.soc_pct) + "%" });
        marker.on("click", function () { if (!booking) choose(v, marker); });
        marker.addTo(vehicles);
        var el = marker.getElement();
        el.style.background = FO.vehicleColour("available", v.soc_pct);
        el.setAttribute("data-vehicle", v.id);
      });
      document.getElementById("map").setAttribute("data-vehicles", String(found.data.length));
      var seen = found.data.map(function (v) { return [v.lat, v.lon]; }).concat([here]);
      map.fitBounds(L.latLngBounds(seen).pad(0.15), { maxZoom: 17, animate: false });
      FO.say(found.data.length ? FO.t("rider.found", { n: found.data.length })
        : FO.t("rider.none_near"));
    }).catch(failed);
  }

  function browse() {
    chosen = null;
    fill("browse", [FO.el("p", { class: "hint", text: FO.t("rider.hint") })]);
    return loadNear();
  }

  function book() {
    FO.api("POST", "/bookings", { lat: chosen.lat, lon: chosen.lon,
      vehicle_classes: [chosen.vehicle_class] })
      .then(function (b) { booking = b; FO.say(FO.t("rider.held_say")); showBooking(); })
      .catch(failed);
  }

  function act(verb, payload) {
    return FO.api("POST", "/bookings/" + booking.id + "/" + verb, payload)
      .then(function (b) { booking = b; showBooking(); }).catch(failed);
  }

  function showHeld() {
    vehicles.clearLayers();
    var v = booking.vehicle;
    L.marker([v.lat, v.lon], { icon: pin("vehicle selected", 22) }).addTo(vehicles)
      .getElement().style.background = FO.vehicleColour("available", v.soc_pct);
    document.getElementById("map").setAttribute("data-vehicles", "1");
    fill("held", [
      FO.el("h2", { text: FO.t("rider.held", { until: FO.clock(booking.hold_until) }) }),
      vehicleFacts(v),
      FO.el("div", { class: "actions" }, [
        button("rider.unlock", function () { act("unlock"); }),
        button("rider.cancel", function () {
          act("cancel").then(function () { booking = null; browse(); });
        }, "secondary"),
      ]),
    ]);
  }

  function showRiding() {
    vehicles.clearLayers();
    document.getElementById("map").setAttribute("data-vehicles", "0");
    FO.say(FO.t("rider.riding_say"));  /* not "walk to the vehicle" any more */
    fill("active", [
      FO.el("h2", { text: FO.t("rider.riding") }),
      facts([
        ["rider.code", booking.vehicle.code],
        ["rider.started", FO.clock(booking.started_at)],
      ]),
      FO.el("p", { class: "hint", text: FO.t("rider.park_hint") }),
      FO.el("div", { id: "route-facts" }),
      FO.el("div", { class: "actions" }, [
        button("rider.route", function () {
          routing = true;
          FO.say(FO.t("rider.route_hint"));
        }),
        button("rider.end", endRide, "danger"),
      ]),
    ]);
  }

  function clearRoute() {
    if (routeLayer) { map.removeLayer(routeLayer); routeLayer = null; }
    document.getElementById("map").setAttribute("data-route", "0");
  }

  /* The way from the rider (or where the ride began) to a tapped destination. */
  function routeTo(latlng) {
    locate().then(function (pos) {
      var from = pos || here;
      var q = "/ride-route?from_lat=" + from.lat + "&from_lon=" + from.lng + "&to_lat=" +
        latlng.lat + "&to_lon=" + latlng.lng + "&vehicle_class=" + booking.vehicle.vehicle_class;
      return FO.api("GET", q);
    }).then(function (route) {
      routing = false;  /* a refused tap (outside the area, say) leaves "Route to…" on */
      clearRoute();
      routeLayer = L.geoJSON(route, { renderer: L.svg(), style: function () {
        return { className: "ride-route", color: "#0a58ca", weight: 5, opacity: 0.85 };
      } }).addTo(map);
      document.getElementById("map").setAttribute("data-route", "1");
      var p = route.properties, box = document.getElementById("route-facts");
      box.textContent = "";
      box.appendChild(facts([
        ["rider.distance", FO.t("rider.km", { km: km(p.distance_m) })],
        ["rider.duration", FO.t("rider.minutes", { min: minutes(p.duration_s) })],
      ]));
      if (p.surface_computed_at) {
        box.appendChild(FO.el("p", { class: "hint", "data-surface": p.rough_m ? "rough" : "smooth",
          text: p.rough_m ? FO.t("rider.route_rough", { m: p.rough_m })
            : FO.t("rider.route_smooth") }));
      }
      map.fitBounds(routeLayer.getBounds(), { padding: [30, 30], animate: false });
      FO.say(FO.t("rider.route_drawn"));
    }).catch(function (error) {  /* still routing: say so, so the next tap is a destination */
      FO.say(FO.t("rider.failed", { message: error.message }) + " " + FO.t("rider.route_hint"),
        true);
    });
  }

  function endRide() {
    locate().then(function (pos) {
      var at = parkAt || pos || here;
      return FO.api("POST", "/bookings/" + booking.id + "/end", { lat: at.lat, lon: at.lng });
    }).then(function (b) {
      booking = b;
      parkAt = null;
      clearRoute();
      if (parkMarker) { map.removeLayer(parkMarker); parkMarker = null; }
      showBooking();
    }).catch(function (error) {
      var near = error.detail && error.detail.nearest_allowed;
      failed(error);
      zones.refresh().catch(function () { return null; });  /* a closure may be new */
      if (near && near.lat !== undefined) {
        parkHere(L.latLng(near.lat, near.lon));
        FO.say(FO.t("rider.parking_refused", { message: error.message }), true);
      }
    });
  }

  function showReceipt() {
    var r = booking.receipt, v = booking.vehicle;
    vehicles.clearLayers();
    L.marker([v.lat, v.lon], { icon: pin("vehicle parked", 22), title: v.code }).addTo(vehicles)
      .getElement().style.background = FO.vehicleColour("available", v.soc_pct);
    map.setView([v.lat, v.lon], Math.max(map.getZoom(), 15), { animate: false });
    var rows = [
      ["rider.price", FO.t("rider.price_value", { price: r.price, currency: r.currency })],
      ["rider.distance", FO.t("rider.km", { km: km(r.distance_m) })],
      ["rider.duration", FO.t("rider.minutes", { min: Math.ceil(r.duration_s / 60) })],
      ["rider.co2", FO.t("rider.grams", { g: r.co2_avoided_g })],
    ];
    fill("completed", [
      FO.el("h2", { text: FO.t("rider.receipt") }),
      facts(rows),
      /* how the distance was measured (none on receipts older than the field) */
      r.distance_method ? FO.el("p", {
        class: "hint", "data-fact": "distance-method",
        text: FO.t(r.distance_method === "map_matched" ? "rider.measured_track" : "rider.measured_road"),
      }) : null,
      r.implausible ? FO.el("p", { class: "hint", text: r.flag || "" }) : null,
      FO.el("div", { class: "actions" }, [button("rider.done", function () {
        booking = null;
        browse();
      })]),
    ]);
    panel.querySelector("dl").className = "receipt";
    FO.say(FO.t("rider.thanks"));
  }

  function showBooking() {
    if (!booking) return browse();
    if (booking.status === "held") return showHeld();
    if (booking.status === "active") return showRiding();
    if (booking.status === "completed" && booking.receipt) return showReceipt();
    FO.say(FO.t("rider.status." + booking.status), booking.status !== "cancelled");
    booking = null;
    return browse();
  }

  function parkHere(latlng) {
    parkAt = latlng;
    if (!parkMarker) {
      parkMarker = L.marker(latlng, { icon: pin("pin-park", 18), title: FO.t("rider.park") })
        .addTo(map);
    }
    parkMarker.setLatLng(latlng);
  }

  /* The browser's position if the rider allows it (asked once, quickly), else null. */
  function locate() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (p) { resolve(L.latLng(p.coords.latitude, p.coords.longitude)); },
        function () { resolve(null); },
        { timeout: 4000, maximumAge: 0 }
      );
    });
  }

  FO.ready.then(function () {
    map = FO.map("map");
    vehicles = L.layerGroup().addTo(map);
    zones = FO.riderZones(map, document.body.getAttribute("data-operator"));
    FO.every(ZONES_MS, zones.refresh);
    map.on("click", function (e) {
      if (booking && booking.status === "active") {
        return routing ? routeTo(e.latlng) : parkHere(e.latlng);
      }
      if (booking) return null;
      setHere(e.latlng);
      return browse();
    });
    return Promise.all([FO.roads, locate(),
      FO.api("GET", "/bookings?status=held&status=active&per_page=1")])
      .then(function (got) {
        setHere(got[1] || map.getCenter());
        booking = got[2].data[0] || null;
        return showBooking();
      });
  }).catch(failed);
})();
