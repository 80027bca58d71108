/* The dashboard's CO2 chart: the net CO2 avoided on each of the city's last 14 days, from
 * GET /api/v1/ops/carbon, drawn as SVG bars (our own: no chart library). It refreshes with the
 * KPI tiles. Each bar carries the API's day and grams in data-day and data-net, so a test can
 * hold the chart to the API exactly; a day of net loss (negative grams) is drawn below the line. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});
  var SVG = "http://www.w3.org/2000/svg";
  var WIDTH = 200;

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  D.showCarbon = function (report) {
    var box = document.getElementById("co2-chart");
    if (!box) return;
    while (box.firstChild) box.removeChild(box.firstChild);
    var days = report.data;
    var top = days.reduce(function (n, d) { return Math.max(n, Math.abs(d.net_co2_avoided_g)); }, 0) || 1;
    var loss = days.some(function (d) { return d.net_co2_avoided_g < 0; });
    var zero = loss ? 30 : 52;
    var room = loss ? 22 : 42;
    var width = WIDTH / Math.max(days.length, 1);
    days.forEach(function (d, i) {
      var h = Math.round((Math.abs(d.net_co2_avoided_g) / top) * room * 10) / 10;
      var bar = svg("rect", {
        x: (i * width + 1).toFixed(1), y: String(d.net_co2_avoided_g < 0 ? zero : zero - h),
        width: (width - 2).toFixed(1), height: String(Math.max(h, 0.5)),
        class: d.net_co2_avoided_g < 0 ? "loss" : "gain",
        "data-day": d.day, "data-net": String(d.net_co2_avoided_g),
      });
      var title = svg("title", {});
      title.textContent = FO.t("dashboard.co2.day", {
        day: d.day, amount: D.co2Text(d.net_co2_avoided_g), rides: d.rides, deliveries: d.deliveries,
      });
      bar.appendChild(title);
      box.appendChild(bar);
    });
    box.appendChild(svg("line", { x1: "0", x2: String(WIDTH), y1: String(zero), y2: String(zero), class: "axis" }));
    if (days.length) {
      [[0, "start"], [days.length - 1, "end"]].forEach(function (end) {
        var tick = svg("text", { x: String(end[1] === "start" ? 0 : WIDTH), y: "63", "text-anchor": end[1], class: "tick" });
        tick.textContent = days[end[0]].day.slice(5).replace("-", "/");
        box.appendChild(tick);
      });
      var most = svg("text", { x: String(WIDTH), y: "7", "text-anchor": "end", class: "tick" });
      most.textContent = D.co2Text(top);
      box.appendChild(most);
    }
    box.setAttribute("data-days", String(days.length));
    box.setAttribute("data-total", String(report.totals.net_co2_avoided_g));
  };

  D.carbon = function () {
    return {
      refresh: function () { return FO.api("GET", "/ops/carbon").then(D.showCarbon); },
    };
  };
})();
