/* The rider's map of rules: where rides may end (the service area's outline), where they may
 * not park or ride, where they must slow down (each slow zone labelled with its speed) and the
 * hazard closures in force, with a small legend under the map.
 *
 * GET /zones?operator_id= gives them (public: the rules riders must know), asked for the rider's
 * own operator only (the page names it on <body data-operator>): where operators share a city
 * their zones overlap, and another's rules are not this rider's. The shapes are drawn with SVG
 * (the streets are on a canvas) so each is an element of its own, and are not interactive: a tap
 * on them is a tap on the map (look here, mark where I parked, route to there). #map says how
 * many it drew: data-zones (rule zones) and data-closures. Over a closure's area the streets it
 * closes (GET /map/closed-roads: the ones routes go around) are drawn in red, one path per
 * closure; #map says how many streets in data-closed-streets. */
(function () {
  "use strict";
  var STYLE = {
    service_area: { color: "#0b5d4b", weight: 2.5, fill: false, dashArray: "8 5" },
    no_parking: { color: "#d97706", weight: 1.5, fillOpacity: 0.25 },
    no_ride: { color: "#cf222e", weight: 1.5, fillOpacity: 0.22 },
    slow: { color: "#1f6feb", weight: 1.5, fillOpacity: 0.14 },
    hazard_closure: { color: "#a40e26", weight: 2.5, fillOpacity: 0.35, dashArray: "6 4" },
  };
  var ORDER = ["service_area", "no_parking", "no_ride", "slow", "hazard_closure"];

  function label(kind) {
    return {
      service_area: FO.t("rider.zone.service_area"),
      no_parking: FO.t("rider.zone.no_parking"),
      no_ride: FO.t("rider.zone.no_ride"),
      slow: FO.t("rider.zone.slow"),
      hazard_closure: FO.t("rider.zone.hazard_closure"),
    }[kind];
  }

  function speed(kph) { return FO.t("rider.zone.speed", { kph: kph }); }

  function legendOf(box, features) {
    var speeds = {};
    var kinds = {};
    features.forEach(function (f) {
      kinds[f.properties.kind] = true;
      if (f.properties.speed_limit_kph) speeds[f.properties.speed_limit_kph] = true;
    });
    var items = ORDER.filter(function (k) { return kinds[k]; }).map(function (kind) {
      var text = label(kind);
      if (kind === "slow") {
        text += " " + Object.keys(speeds).sort(function (a, b) { return a - b; }).map(speed)
          .join(", ");
      }
      var swatch = FO.el("span", { class: "swatch swatch-" + kind, "aria-hidden": "true" });
      swatch.style.borderColor = STYLE[kind].color;
      return FO.el("li", { "data-kind": kind }, [swatch, FO.el("span", { text: text })]);
    });
    box.replaceChildren.apply(box, items);
    box.hidden = items.length === 0;
  }

  FO.riderZones = function (map, operatorId) {
    var element = map.getContainer();
    var legend = document.getElementById("map-legend");
    var last = null;
    var layer = L.geoJSON(null, {
      renderer: L.svg({ padding: 0.5 }),
      interactive: false,
      style: function (f) {
        var kind = f.properties.kind;
        var closure = kind === "hazard_closure";
        return Object.assign({ interactive: false,
          className: (closure ? "closure" : "zone") + " zone-" + kind },
        STYLE[kind] || { color: "#6e7781", weight: 1 });
      },
      onEachFeature: function (f, shape) {
        if (f.properties.kind !== "slow" || !f.properties.speed_limit_kph) return;
        /* text, never markup: the label is an element whose text is set */
        shape.bindTooltip(FO.el("span", { text: speed(f.properties.speed_limit_kph) }), {
          permanent: true, direction: "center", className: "zone-speed", interactive: false,
        });
      },
    }).addTo(map);

    var streets = L.geoJSON(null, {
      renderer: L.svg({ padding: 0.5 }),
      interactive: false,
      style: function () {
        return { interactive: false, className: "closed-road", color: "#a40e26", weight: 5,
          opacity: 0.85, lineCap: "round" };
      },
    }).addTo(map);
    var lastStreets = null;

    function drawStreets(fc) {
      var text = JSON.stringify(fc.features);
      if (text === lastStreets) return;
      lastStreets = text;
      streets.clearLayers();
      var drawn = fc.features.filter(function (f) { return f.properties.streets > 0; });
      streets.addData({ type: "FeatureCollection", features: drawn });
      element.setAttribute("data-closed-streets", String(drawn.reduce(function (n, f) {
        return n + f.properties.streets;
      }, 0)));
    }

    function draw(fc) {
      var text = JSON.stringify(fc.features);
      if (text === last) return;
      last = text;
      layer.clearLayers();
      layer.addData(fc);
      var closures = fc.features.filter(function (f) {
        return f.properties.kind === "hazard_closure";
      }).length;
      element.setAttribute("data-zones", String(fc.features.length - closures));
      element.setAttribute("data-closures", String(closures));
      legendOf(legend, fc.features);
    }

    return {
      layer: layer,
      refresh: function () {
        var mine = "?operator_id=" + encodeURIComponent(operatorId);
        return FO.api("GET", "/zones" + mine).then(draw).then(function () {
          return FO.api("GET", "/map/closed-roads" + mine).then(drawStreets);
        });
      },
    };
  };
})();
