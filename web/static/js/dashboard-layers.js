/* The dashboard's map layers: the fleet, rule zones, swap stations, EV hubs, routes and the demand
 * forecast, each a Leaflet layer with a refresh() that reads its endpoint again.
 *
 * Each layer writes how many shapes it holds on #map (data-vehicles, data-zones, ...): what the
 * manager sees is countable in the DOM although the canvas renderer draws no element per shape.
 * Vehicles are canvas circle markers kept by id and changed in place, so a poll of ten thousand
 * redraws only what moved or changed colour, and a 304 to the feed's ETag redraws nothing. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});

  /* GET with If-None-Match: {changed: false} on 304, else {changed, tag, body}. The browser's
   * own cache is bypassed, so a 304 reaches us and the map knows nothing changed. */
  D.tagged = function (path, tag) {
    var headers = tag ? { "If-None-Match": tag } : {};
    return fetch("/api/v1" + path, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (r) {
        if (r.status === 304) return { changed: false };
        return r.json().then(function (body) {
          if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
          return { changed: true, tag: r.headers.get("ETag"), body: body };
        });
      });
  };

  D.count = function (map, name, n) {
    map.getContainer().setAttribute("data-" + name, String(n));
  };

  /* Put a redrawn area layer under the vehicles (one canvas draws in the order layers were
   * added), with only the streets beneath it. */
  var underneath = (D.underneath = function (layer) {
    layer.bringToBack();
    if (FO.roads) FO.roads.then(function (roads) { roads.bringToBack(); });
  });

  function pct(n) { return Math.round(n) + "%"; }

  function vehiclePopup(v) {
    return FO.el("div", { class: "pop" }, [
      FO.el("strong", { text: v.code }),
      FO.el("div", { text: FO.t("dashboard.class." + v.vehicle_class) }),
      FO.el("div", { text: FO.t("dashboard.status." + v.status) + " · " + pct(v.soc_pct) }),
    ]);
  }

  D.vehicles = function (map) {
    var group = L.featureGroup().addTo(map);
    var markers = {};
    var tag = null;
    var classes = null; // null: every class
    group.on("click", function (e) {
      if (e.layer.vehicle) L.popup().setLatLng(e.latlng).setContent(vehiclePopup(e.layer.vehicle)).openOn(map);
    });
    function draw(list) {
      var seen = {};
      list.forEach(function (v) {
        seen[v.id] = true;
        var colour = FO.vehicleColour(v.status, v.soc_pct);
        var m = markers[v.id];
        if (!m) {
          m = L.circleMarker([v.lat, v.lon], {
            radius: 5, weight: 1, color: "#ffffff", fillColor: colour, fillOpacity: 0.95,
          }).addTo(group);
          markers[v.id] = m;
        } else {
          if (m.vehicle.lat !== v.lat || m.vehicle.lon !== v.lon) m.setLatLng([v.lat, v.lon]);
          if (m.options.fillColor !== colour) m.setStyle({ fillColor: colour });
        }
        m.vehicle = v;
      });
      Object.keys(markers).forEach(function (id) {
        if (!seen[id]) { group.removeLayer(markers[id]); delete markers[id]; }
      });
      D.count(map, "vehicles", Object.keys(markers).length);
    }
    return {
      layer: group,
      all: function () { return Object.keys(markers).map(function (id) { return markers[id].vehicle; }); },
      filter: function (chosen) { classes = chosen; tag = null; },
      refresh: function () {
        if (classes && classes.length === 0) { draw([]); return Promise.resolve(); }
        var query = classes ? "?vehicle_class=" + classes.join(",") : "";
        return D.tagged("/ops/fleet" + query, tag).then(function (answer) {
          if (!answer.changed) return;
          tag = answer.tag;
          draw(answer.body.vehicles);
        });
      },
    };
  };

  var ZONE_STYLE = {
    service_area: { color: "#0b5d4b", weight: 2, fillOpacity: 0.02, interactive: false },
    no_parking: { color: "#d97706", weight: 1.5, fillOpacity: 0.18 },
    no_ride: { color: "#cf222e", weight: 1.5, fillOpacity: 0.2 },
    slow: { color: "#1f6feb", weight: 1.5, fillOpacity: 0.14 },
    hazard_closure: { color: "#a40e26", weight: 2.5, fillOpacity: 0.32, dashArray: "6 4" },
  };

  function zonePopup(p) {
    var lines = [FO.el("strong", { text: p.name }), FO.el("div", { text: FO.t("dashboard.zone." + p.kind) })];
    if (p.speed_limit_kph) lines.push(FO.el("div", { text: FO.t("dashboard.zone.speed", { kph: p.speed_limit_kph }) }));
    if (p.active_until) {
      lines.push(FO.el("div", { text: FO.t("dashboard.window", { from: FO.clock(p.active_from), until: FO.clock(p.active_until) }) }));
    }
    return FO.el("div", { class: "pop" }, lines);
  }

  /* The first time the zones come, frame the service area: on a real city the streets drawn
   * reach far beyond it (Gongdeok's filled half the map), and the fleet lives inside. */
  function frame(map, fc) {
    if (map.framed) return;
    var area = fc.features.filter(function (f) { return f.properties.kind === "service_area"; });
    if (!area.length) return;
    map.framed = true;
    /* keep the fleet clear of the layer control where it stands open (wide screens) */
    var control = map.getContainer().querySelector(".leaflet-control-layers-expanded");
    var right = control ? control.offsetWidth + 20 : 12;
    map.fitBounds(L.geoJSON({ type: "FeatureCollection", features: area }).getBounds(), {
      paddingTopLeft: [12, 12], paddingBottomRight: [right, 12],
    });
  }

  D.zones = function (map) {
    var layer = L.geoJSON(null, {
      style: function (f) { return ZONE_STYLE[f.properties.kind] || { color: "#6e7781", weight: 1 }; },
      interactive: true,
      onEachFeature: function (f, l) { if (f.properties.kind !== "service_area") l.bindPopup(zonePopup(f.properties)); },
    }).addTo(map);
    var last = "";
    return {
      layer: layer,
      refresh: function () {
        /* the manager's own operator's: where operators share a city, GET /zones alone holds
         * every operator's (the page names it on <body data-operator>) */
        var operator = document.body.getAttribute("data-operator") || "";
        return FO.api("GET", "/zones?operator_id=" + encodeURIComponent(operator)).then(function (fc) {
          var text = JSON.stringify(fc.features);
          if (text === last) return;
          last = text;
          layer.clearLayers();
          layer.addData(fc);
          underneath(layer);
          D.count(map, "zones", fc.features.length);
          frame(map, fc);
        });
      },
    };
  };

  function stationPopup(s) {
    var rows = s.stock.map(function (k) {
      return FO.el("tr", {}, [
        FO.el("td", { text: FO.t("dashboard.class." + k.pack_class) }),
        FO.el("td", { text: String(k.charged), "data-charged": k.pack_class }),
        FO.el("td", { text: String(k.charging) }),
        FO.el("td", { text: k.free_slots + " / " + k.slots }),
      ]);
    });
    var head = FO.el("tr", {}, ["packs", "charged", "charging", "free"].map(function (k) {
      return FO.el("th", { text: FO.t("dashboard.station." + k) });
    }));
    return FO.el("div", { class: "pop" }, [FO.el("strong", { text: s.name }), FO.el("table", { class: "stock" }, [head].concat(rows))]);
  }

  function badge(kind, text) {
    return L.divIcon({ className: "badge " + kind, html: "<span>" + text + "</span>", iconSize: [26, 20], iconAnchor: [13, 10] });
  }

  D.stations = function (map) {
    var layer = L.layerGroup().addTo(map);
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/ops/stations").then(function (answer) {
          layer.clearLayers();
          answer.data.forEach(function (s) {
            var charged = s.stock.reduce(function (n, k) { return n + k.charged; }, 0);
            L.marker([s.lat, s.lon], { icon: badge("station", String(charged)), keyboard: false })
              .bindPopup(stationPopup(s)).addTo(layer);
          });
          D.count(map, "stations", answer.data.length);
        });
      },
    };
  };

  D.hubs = function (map) {
    var layer = L.layerGroup().addTo(map);
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/hubs").then(function (answer) {
          layer.clearLayers();
          answer.data.forEach(function (h) {
            var text = FO.t("dashboard.hub.chargers", { n: h.chargers, kw: h.charger_power_kw });
            L.marker([h.lat, h.lon], { icon: badge("hub", "EV"), keyboard: false })
              .bindPopup(FO.el("div", { class: "pop" }, [FO.el("strong", { text: h.name }), FO.el("div", { text: text })]))
              .addTo(layer);
          });
          D.count(map, "hubs", answer.data.length);
        });
      },
    };
  };

  function packs(counts) {
    return Object.keys(counts).map(function (c) { return FO.t("dashboard.class." + c) + " " + counts[c]; }).join(", ") || "0";
  }

  /* Crew vans where they are now (their last task done, else their depot), for crews on shift. */
  D.vans = function (map) {
    var layer = L.layerGroup().addTo(map);
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/ops/crews").then(function (answer) {
          layer.clearLayers();
          var on = answer.data.filter(function (c) { return c.van; });
          on.forEach(function (c) {
            var board = c.van.packs_on_board;
            L.marker([c.van.lat, c.van.lon], { icon: badge("van", "VAN"), keyboard: false })
              .bindPopup(FO.el("div", { class: "pop" }, [
                FO.el("strong", { text: c.display_name + " · " + c.van.name }),
                FO.el("div", { text: FO.t("dashboard.van.shift", { from: FO.clock(c.shift.start), until: FO.clock(c.shift.end), tasks: c.open_tasks }) }),
                FO.el("div", { text: FO.t("dashboard.van.charged", { packs: packs(board.charged) }) }),
                FO.el("div", { text: FO.t("dashboard.van.spent", { packs: packs(board.spent) }) }),
              ]))
              .addTo(layer);
          });
          D.count(map, "vans", on.length);
        });
      },
    };
  };

  function routePopup(p) {
    var lines = [FO.el("strong", { text: p.display_name }), FO.el("div", { text: FO.t("dashboard.route." + p.kind, { stops: p.stops }) })];
    if (p.next_stop) lines.push(FO.el("div", { text: FO.t("dashboard.route.next", { eta: FO.clock(p.next_stop.eta) }) }));
    return FO.el("div", { class: "pop" }, lines);
  }

  D.routes = function (map) {
    var layer = L.geoJSON(null, {
      style: function (f) {
        return f.properties.kind === "crew"
          ? { color: "#8250df", weight: 4, opacity: 0.85, dashArray: "8 5" }
          : { color: "#1f6feb", weight: 3, opacity: 0.8 };
      },
      onEachFeature: function (f, l) { l.bindPopup(routePopup(f.properties)); },
    }).addTo(map);
    var last = "";
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/ops/routes").then(function (fc) {
          var text = JSON.stringify(fc.features);
          if (text === last) return;
          last = text;
          layer.clearLayers();
          layer.addData(fc);
          D.count(map, "routes", fc.features.length);
        });
      },
    };
  };

  /* Demand cells coloured by the pick-ups expected over the next hours, against the busiest. */
  D.forecast = function (map, hours) {
    var layer = L.geoJSON(null, {
      style: function (f) {
        var share = f.properties.top > 0 ? f.properties.pickups / f.properties.top : 0;
        return { color: "#7c2d12", weight: 0.5, fillColor: "#ea580c", fillOpacity: 0.05 + 0.4 * share };
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindPopup(FO.el("div", { class: "pop" }, [
          FO.el("strong", { text: FO.t("dashboard.forecast.cell", { hours: hours }) }),
          FO.el("div", { text: FO.t("dashboard.forecast.pickups", { n: p.pickups.toFixed(1), low: p.low.toFixed(1), high: p.high.toFixed(1) }) }),
          FO.el("div", { text: FO.t("dashboard.forecast.dropoffs", { n: p.dropoffs.toFixed(1) }) }),
        ]));
      },
    });
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/ops/forecast?hours=" + hours).then(function (fc) {
          var top = 0;
          fc.features.forEach(function (f) {
            var sum = function (k) { return f.properties.hours.reduce(function (n, h) { return n + h[k]; }, 0); };
            f.properties.pickups = sum("pickups");
            f.properties.low = sum("pickups_p10");
            f.properties.high = sum("pickups_p90");
            f.properties.dropoffs = sum("dropoffs");
            top = Math.max(top, f.properties.pickups);
          });
          fc.features.forEach(function (f) { f.properties.top = top; });
          layer.clearLayers();
          layer.addData(fc);
          if (map.hasLayer(layer)) underneath(layer);
          D.count(map, "cells", fc.features.length);
        });
      },
    };
  };
})();
