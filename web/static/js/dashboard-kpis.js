/* The dashboard's KPI tiles from GET /api/v1/ops/kpis, and the charge histogram drawn as a few
 * SVG bars (our own: no chart library).
 *
 * Each figure's element carries the API's raw value in data-value beside the text people read
 * (rounded, with its unit), so a test can hold the tiles to the API exactly. The answer's as_of is
 * the platform's "now" in the city's time: the forms take their default times from it, not from
 * the browser's clock, which may stand in another zone or (in a simulation) another day. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});
  var SVG = "http://www.w3.org/2000/svg";

  function show(key, value, text) {
    document.querySelectorAll('[data-kpi="' + key + '"]').forEach(function (el) {
      el.textContent = text;
      el.setAttribute("data-value", String(value));
    });
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function histogram(bins) {
    var box = document.getElementById("histogram");
    while (box.firstChild) box.removeChild(box.firstChild);
    var top = bins.reduce(function (n, b) { return Math.max(n, b.count); }, 0) || 1;
    var width = 200 / bins.length;
    bins.forEach(function (b, i) {
      var h = Math.round((b.count / top) * 40);
      var bar = svg("rect", {
        x: (i * width + 1).toFixed(1), y: String(52 - h), width: (width - 2).toFixed(1), height: String(Math.max(h, 0.5)),
        fill: FO.vehicleColour("available", b.from_pct + 5), "data-from": b.from_pct, "data-count": b.count,
      });
      var title = svg("title", {});
      title.textContent = FO.t("dashboard.kpi.charge_bin", { from: b.from_pct, to: b.to_pct, n: b.count });
      bar.appendChild(title);
      box.appendChild(bar);
      if (b.count > 0) {
        var label = svg("text", { x: (i * width + width / 2).toFixed(1), y: String(50 - h), "text-anchor": "middle", class: "count" });
        label.textContent = String(b.count);
        box.appendChild(label);
      }
    });
    [0, 50, 100].forEach(function (p) {
      var tick = svg("text", { x: String(p * 2), y: "63", "text-anchor": p === 0 ? "start" : p === 100 ? "end" : "middle", class: "tick" });
      tick.textContent = p + "%";
      box.appendChild(tick);
    });
    box.setAttribute("data-bins", String(bins.length));
  }

  /* An amount of CO2 as a tile or the chart writes it: grams below a kilogram, else kilograms
   * to one decimal, so the grams of a quiet day or of a few short rides do not read "0.0 kg". */
  D.co2Text = function (grams) {
    if (Math.abs(grams) < 1000) return FO.t("dashboard.kpi.g", { g: String(grams) });
    return FO.t("dashboard.kpi.kg", { kg: (grams / 1000).toFixed(1) });
  };

  D.showKpis = function (k) {
    document.querySelectorAll('[data-kpi^="available."]').forEach(function (el) {
      var cls = el.getAttribute("data-kpi").slice("available.".length);
      var n = k.available_by_class[cls];
      el.textContent = n === undefined ? "–" : String(n);
      el.setAttribute("data-value", n === undefined ? "" : String(n));
    });
    show("low_battery", k.low_battery, String(k.low_battery));
    show("utilisation", k.utilisation, (k.utilisation * 100).toFixed(1) + "%");
    show("open_tasks", k.open_tasks, String(k.open_tasks));
    show("deliveries_today", k.deliveries_today, String(k.deliveries_today));
    show("deliveries_on_time_today", k.deliveries_on_time_today, String(k.deliveries_on_time_today));
    show("co2_avoided_kg_today", k.co2_avoided_kg_today, D.co2Text(Math.round(k.co2_avoided_kg_today * 1000)));
    histogram(k.charge_histogram);
    document.getElementById("as-of").textContent = FO.t("dashboard.as_of", { time: k.as_of.slice(11, 19) });
    D.setNow(k.as_of);
  };

  /* The city's "now" and UTC offset, from the platform's clock. */
  D.now = null;
  D.offset = "+00:00";
  D.setNow = function (iso) {
    D.now = Date.parse(iso);
    var m = /([+-]\d\d:\d\d|Z)$/.exec(iso);
    D.offset = m && m[1] !== "Z" ? m[1] : "+00:00";
  };

  function offsetMinutes() {
    var sign = D.offset[0] === "-" ? -1 : 1;
    return sign * (Number(D.offset.slice(1, 3)) * 60 + Number(D.offset.slice(4, 6)));
  }

  /* A value for <input type="datetime-local">: the city's time `minutes` from now, rounded up
   * to the quarter hour when asked. */
  D.cityInput = function (minutes, quarter) {
    var at = (D.now || Date.now()) + minutes * 60000;
    if (quarter) at = Math.ceil(at / 900000) * 900000;
    return new Date(at + offsetMinutes() * 60000).toISOString().slice(0, 16);
  };

  /* An ISO instant with the city's offset from a datetime-local value. */
  D.instant = function (value) {
    return value + (value.length === 16 ? ":00" : "") + D.offset;
  };

  D.kpis = function () {
    return {
      /* the CO2 chart (dashboard-carbon.js) refreshes with the tiles */
      refresh: function () {
        return Promise.all([FO.api("GET", "/ops/kpis").then(D.showKpis), D.carbon().refresh()]);
      },
    };
  };
})();
