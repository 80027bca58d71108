/* The courier's page: my stops in order on the map, the next one with its ETA and what to do
 * there, my shift.
 *
 * GET /couriers/me/route gives the stops in order, each with the road to it from the stop
 * before (from the moped for the first); where no road was found a dashed straight line joins
 * the stops. The route is read again every 15 s; the panel is drawn again only when the stops changed, so a proof
 * code being typed is never wiped. */
(function () {
  "use strict";
  var REFRESH_MS = 15000;
  var map, layer, svg, shown = null, stops = [];
  var panel = document.getElementById("panel");
  var list = document.getElementById("stops");
  var mapEl = document.getElementById("map");

  function failed(error) {
    FO.say(FO.t("courier.failed", { message: error.message }), true);
  }

  function button(action, key, onclick, kind) {
    return FO.el("button", { type: "button", "data-action": action, class: kind || "",
      text: FO.t(key), onclick: onclick });
  }

  function place(stop) {
    return stop.kind === "swap" ? stop.site_name || FO.t("courier.station") : FO.t(
      "courier.kind." + stop.kind);
  }

  function draw() {
    layer.clearLayers();
    var points = stops.map(function (s) { return [s.lat, s.lon]; });
    stops.forEach(function (s, i) {
      var icon = L.divIcon({ className: "stop-pin " + s.kind + (i === 0 ? " next" : ""),
        iconSize: [24, 24], html: String(i + 1) });
      var m = L.marker([s.lat, s.lon], { icon: icon, title: place(s) + " " + FO.clock(s.eta) });
      m.addTo(layer);
      m.getElement().setAttribute("data-stop", s.id);
    });
    stops.forEach(function (s, i) {
      var road = s.route && s.route.coordinates;
      if (road && road.length > 1) {
        L.geoJSON(s.route, { renderer: svg, style: function () {
          return { color: i === 0 ? "#1f6feb" : "#0b7285", weight: i === 0 ? 5 : 3,
            className: "route-line road" };
        } }).addTo(layer);
        road.forEach(function (c) { points.push([c[1], c[0]]); });
      } else if (i > 0) {  /* no road found: a straight dashed line says so */
        L.polyline([points[i - 1], [s.lat, s.lon]], { renderer: svg, color: "#6e7781",
          weight: 3, dashArray: "8 6", className: "route-line straight" }).addTo(layer);
      }
    });
    var first = stops[0] && stops[0].route && stops[0].route.coordinates[0];
    if (first) {  /* the moped, where the first road starts */
      L.marker([first[1], first[0]], { icon: L.divIcon({ className: "pin pin-courier",
        iconSize: [18, 18] }), title: FO.t("courier.moped"), keyboard: false }).addTo(layer);
    }
    mapEl.setAttribute("data-stops", String(stops.length));
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 15, animate: false });
  }

  function reasonBox() {
    return FO.el("input", { id: "reason", type: "text", maxlength: "500",
      placeholder: FO.t("courier.reason"), "aria-label": FO.t("courier.reason") });
  }

  function needReason(then) {
    var reason = (document.getElementById("reason").value || "").trim();
    if (!reason) return FO.say(FO.t("courier.give_reason"), true);
    return then(reason);
  }

  function post(path, body, done) {
    return FO.api("POST", "/couriers/me" + path, body).then(function (answer) {
      FO.say(done(answer));
      shown = null;
      return refresh();
    }).catch(failed);
  }

  function actionsFor(stop) {
    var job = "/jobs/" + stop.job_id;
    if (stop.kind === "pickup") {
      return [
        button("picked-up", "courier.picked_up", function () {
          post(job + "/picked-up", undefined, function () { return FO.t("courier.said_picked"); });
        }),
        reasonBox(),
        button("pickup-failed", "courier.pickup_failed", function () {
          needReason(function (reason) {
            post(job + "/pickup-failed", { reason: reason },
              function () { return FO.t("courier.said_pickup_failed"); });
          });
        }, "secondary"),
      ];
    }
    if (stop.kind === "dropoff") {
      return [
        FO.el("input", { id: "proof", type: "text", inputmode: "numeric", maxlength: "8",
          autocomplete: "off", placeholder: FO.t("courier.proof"),
          "aria-label": FO.t("courier.proof") }),
        button("delivered", "courier.delivered", function () {
          var code = document.getElementById("proof").value.trim();
          if (!code) return FO.say(FO.t("courier.give_proof"), true);
          return post(job + "/delivered", { proof_code: code }, function (a) {
            return FO.t(a.on_time ? "courier.said_on_time" : "courier.said_late");
          });
        }),
        reasonBox(),
        button("failed", "courier.failed_delivery", function () {
          needReason(function (reason) {
            post(job + "/failed", { reason: reason },
              function () { return FO.t("courier.said_returning"); });
          });
        }, "secondary"),
      ];
    }
    if (stop.kind === "return") {
      return [button("returned", "courier.returned", function () {
        post(job + "/returned", undefined, function () { return FO.t("courier.said_returned"); });
      })];
    }
    return [button("swapped", "courier.swapped", function () {
      post("/swaps/" + stop.id, undefined, function (a) {
        return FO.t("courier.said_swapped", { pct: Math.round(a.soc_pct),
          km: (a.range_m / 1000).toFixed(1) });
      });
    })];
  }

  function showNext() {
    panel.textContent = "";
    var next = stops[0];
    if (!next) {
      panel.setAttribute("data-state", "idle");
      panel.appendChild(FO.el("p", { class: "hint", text: FO.t("courier.no_stops") }));
      return;
    }
    panel.setAttribute("data-state", next.kind);
    var facts = FO.el("dl", {}, [
      FO.el("dt", { text: FO.t("courier.what") }),
      FO.el("dd", { text: place(next), "data-fact": "kind" }),
      FO.el("dt", { text: FO.t("courier.eta") }),
      FO.el("dd", { text: FO.clock(next.eta), "data-fact": "eta" }),
    ]);
    if (next.parcel_l) {
      facts.appendChild(FO.el("dt", { text: FO.t("courier.parcel") }));
      facts.appendChild(FO.el("dd", { text: FO.t("courier.litres", { l: next.parcel_l }) }));
    }
    panel.appendChild(FO.el("h2", { text: FO.t("courier.next") }));
    panel.appendChild(facts);
    panel.appendChild(FO.el("div", { class: "actions" }, actionsFor(next)));
  }

  function showList() {
    list.textContent = "";
    stops.forEach(function (s, i) {
      list.appendChild(FO.el("li", { class: i === 0 ? "next" : "", "data-stop": s.id,
        text: FO.t("courier.stop_line", { time: FO.clock(s.eta), what: place(s) }) }));
    });
  }

  function refresh() {
    return FO.api("GET", "/couriers/me/route").then(function (route) {
      var seen = JSON.stringify(route.stops);
      if (seen === shown) return;
      shown = seen;
      stops = route.stops;
      draw();
      showNext();
      showList();
    });
  }

  function shift(verb) {
    FO.api("POST", "/couriers/me/shift/" + verb).then(function (s) {
      var box = document.getElementById("shift");
      box.setAttribute("data-status", s.status);
      box.textContent = FO.t("courier.shift_is", { status: FO.t("courier.shift." + s.status),
        start: FO.clock(s.start), end: FO.clock(s.end), vehicle: s.vehicle_code || "" });
      shown = null;
      return refresh();
    }).catch(failed);
  }

  FO.ready.then(function () {
    map = FO.map("map");
    svg = L.svg();
    layer = L.layerGroup().addTo(map);
    document.getElementById("shift-start").addEventListener("click", function () {
      shift("start");
    });
    document.getElementById("shift-end").addEventListener("click", function () { shift("end"); });
    return FO.roads.then(function () { FO.every(REFRESH_MS, refresh); });
  }).catch(failed);
})();
