/* The dashboard's road-surface layer (issue 17): each road of the index from
 * GET /api/v1/ops/road-surface, coloured by its roughness against the city's median (green up to
 * the median, amber at 1.75×, red from 2.5×: a ranking alone would paint half of any city amber),
 * the roads that cost bike routes extra (penalty above 1) drawn thicker, roads with too few
 * readings to rank thin, grey and dashed; a popup per road and a small legend while it is shown.
 *
 * The roads drawn are counted on #map (data-road-surface, and data-road-surface-worst and
 * data-road-surface-low for the two special styles), since the canvas draws no element per road.
 * The index changes when the queue refreshes it (hourly), so the layer reads it when it is
 * first shown and every 10 minutes while it stays on. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});
  var GREEN = [26, 127, 55];
  var AMBER = [217, 119, 6];
  var RED = [207, 34, 46];
  var LOW = "#8c959f";

  function mix(a, b, f) {
    return "rgb(" + a.map(function (v, i) { return Math.round(v + (b[i] - v) * f); }).join(",") + ")";
  }

  /* 0: at or below the city's median roughness (green) → 0.5: 1.75× (amber) → 1: 2.5× (red) */
  var colour = (D.surfaceColour = function (t) {
    var p = Math.max(0, Math.min(1, t));
    return p <= 0.5 ? mix(GREEN, AMBER, p / 0.5) : mix(AMBER, RED, (p - 0.5) / 0.5);
  });
  var median = null;

  function style(f) {
    var p = f.properties;
    if (p.percentile === null) return { color: LOW, weight: 1.5, opacity: 0.9, dashArray: "4 4" };
    var ratio = median ? p.roughness_ms2 / median : 1;
    return { color: colour((ratio - 1) / 1.5), weight: p.penalty > 1 ? 7 : 3.5, opacity: 0.9 };
  }

  function n2(x) { return x === null ? "∞" : x.toFixed(2); }

  function popup(p) {
    var lines = [
      FO.el("strong", { text: FO.t("dashboard.surface.road", { road: p.name || "#" + p.road, m: p.length_m }) }),
      FO.el("div", { text: FO.t("dashboard.surface.roughness", { ms2: n2(p.roughness_ms2), low: n2(p.low_ms2), high: n2(p.high_ms2) }) }),
      FO.el("div", { text: FO.t("dashboard.surface.samples", { n: p.samples }) }),
      FO.el("div", { text: FO.t("dashboard.surface.confidence." + p.confidence) }),
      FO.el("div", {
        text: p.percentile === null
          ? FO.t("dashboard.surface.unranked")
          : FO.t("dashboard.surface.percentile", { pct: Math.round(p.percentile * 100) }),
      }),
      FO.el("div", { text: FO.t("dashboard.surface.penalty", { x: p.penalty.toFixed(2) }) }),
    ];
    if (p.worst) lines.push(FO.el("div", { class: "worst", text: FO.t("dashboard.surface.worst") }));
    return FO.el("div", { class: "pop", "data-road": String(p.road) }, lines);
  }

  function swatch(css) {
    var line = FO.el("span", { class: "swatch" });
    Object.keys(css).forEach(function (k) { line.style[k] = css[k]; });
    return line;
  }

  function legendBox(answer) {
    var ramp = FO.el("span", { class: "ramp" });
    ramp.style.background = "linear-gradient(to right, " + colour(0) + ", " + colour(0.5) + ", " + colour(1) + ")";
    return FO.el("div", { class: "surface-legend", id: "surface-legend" }, [
      FO.el("strong", { text: FO.t("dashboard.layer.surface") }),
      FO.el("div", { class: "ramp-row" }, [
        FO.el("span", { text: FO.t("dashboard.surface.smooth") }), ramp,
        FO.el("span", { text: FO.t("dashboard.surface.rough") }),
      ]),
      FO.el("div", { class: "hint", text: answer.note || FO.t("dashboard.surface.scale") }),
      FO.el("div", {}, [swatch({ borderTop: "5px solid " + colour(1) }), document.createTextNode(FO.t("dashboard.surface.avoided"))]),
      FO.el("div", {}, [swatch({ borderTop: "2px dashed " + LOW }), document.createTextNode(FO.t("dashboard.surface.low"))]),
      FO.el("div", {
        class: "as-of",
        text: answer.computed_at
          ? FO.t("dashboard.surface.as_of", { at: FO.clock(answer.computed_at), day: answer.computed_at.slice(0, 10) })
          : FO.t("dashboard.surface.none"),
      }),
    ]);
  }

  D.surface = function (map) {
    var layer = L.geoJSON(null, {
      style: style,
      onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); },
    });
    var legend = L.control({ position: "bottomleft" });
    var box = FO.el("div", {});
    legend.onAdd = function () { return box; };
    layer.on("add", function () { legend.addTo(map); });
    layer.on("remove", function () { legend.remove(); });
    return {
      layer: layer,
      refresh: function () {
        return FO.api("GET", "/ops/road-surface").then(function (fc) {
          median = fc.median_ms2;
          layer.clearLayers();
          /* the lowest-confidence roads first, the worst last: the worst are drawn on top */
          var order = fc.features.slice().sort(function (a, b) {
            var rank = function (f) { return f.properties.percentile === null ? -1 : f.properties.percentile; };
            return rank(a) - rank(b);
          });
          layer.addData({ type: "FeatureCollection", features: order });
          while (box.firstChild) box.removeChild(box.firstChild);
          box.appendChild(legendBox(fc));
          D.count(map, "road-surface-worst", fc.features.filter(function (f) { return f.properties.worst; }).length);
          D.count(map, "road-surface-low", fc.features.filter(function (f) { return f.properties.percentile === null; }).length);
          D.count(map, "road-surface", layer.getLayers().length);
        });
      },
    };
  };
})();
