/* fleetops pages: what every page script shares (our own code; Leaflet is the only library).
 *
 * FO.ready resolves once the language table is loaded; then FO.t(key, values) gives a message.
 * FO.api(method, path, body) calls /api/v1 with the page's session and, for unsafe methods, its
 * CSRF token; it rejects with an Error carrying the API's error message and code.
 * FO.map(element) makes a Leaflet map over the city's streets drawn from /api/v1/map/roads (no
 * tile server), credited to OpenStreetMap. FO.every(ms, fn) runs fn now and every ms, never two
 * at once. */
(function () {
  "use strict";
  var body = document.body;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var FO = (window.FO = {
    lang: body.getAttribute("data-lang") || "en",
    csrf: csrfMeta ? csrfMeta.getAttribute("content") : null,
    messages: {},
  });

  FO.ready = fetch("/i18n/" + FO.lang + ".json", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (table) { FO.messages = table; return FO; });

  FO.t = function (key, values) {
    var text = Object.prototype.hasOwnProperty.call(FO.messages, key) ? FO.messages[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (all, name) {
        return values[name] === undefined ? all : String(values[name]);
      });
    }
    return text;
  };

  FO.api = function (method, path, payload, headers) {
    var init = { method: method, credentials: "same-origin", headers: headers || {} };
    if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = FO.csrf;
    if (payload !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    return fetch("/api/v1" + path, init).then(function (r) {
      if (r.status === 204 || r.status === 304) return null;
      return r.json().then(function (data) {
        if (r.ok) return data;
        var error = (data && data.error) || {};
        var failure = new Error(error.message || r.statusText);
        failure.code = error.code;
        failure.status = r.status;
        failure.detail = error.detail;
        throw failure;
      });
    });
  };

  FO.every = function (ms, fn) {
    var busy = false;
    function tick() {
      if (busy) return;
      busy = true;
      Promise.resolve()
        .then(fn)
        .catch(function (e) { FO.say(e.message, true); })
        .then(function () { busy = false; });
    }
    tick();
    return setInterval(tick, ms);
  };

  /* A line in the page's status area (role="status"), or an alert for failures. */
  FO.say = function (text, failed) {
    var box = document.getElementById("say");
    if (!box) return;
    box.textContent = text;
    box.className = failed ? "say error" : "say";
    box.setAttribute("role", failed ? "alert" : "status");
  };

  FO.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  };

  /* A time as people read it in the city: "09:40" (the API sends the city's local ISO time). */
  FO.clock = function (iso) {
    return iso ? iso.slice(11, 16) : "–";
  };

  FO.map = function (element, options) {
    var map = L.map(element, Object.assign({ preferCanvas: true, zoomControl: true }, options));
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(
      '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL)'
    );
    map.setView([37.5, 127.0], 14);
    FO.roads = fetch("/api/v1/map/roads", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (roads) {
        var layer = L.geoJSON(roads, {
          interactive: false,
          style: function (f) {
            var main = f.properties.roads === "main";
            return { color: main ? "#9aa5b1" : "#c8ced6", weight: main ? 3 : 1.5, opacity: 1 };
          },
        }).addTo(map);
        layer.bringToBack();
        /* a page that framed its own subject (the dashboard: the service area) keeps it: the
         * streets loaded reach well beyond where the operator works; no animation, so a page
         * that fits the map to its own data once the streets are in is not overridden by the
         * end of this zoom */
        if (!map.framed) map.fitBounds(layer.getBounds(), { padding: [8, 8], animate: false });
        return layer;
      });
    return map;
  };

  /* Colour of a vehicle by status and charge: available ones green→red with charge. */
  FO.vehicleColour = function (status, soc) {
    if (status !== "available") {
      return { reserved: "#6f42c1", in_use: "#1f6feb", in_transit: "#0b7285",
        low_battery: "#cf222e", charging: "#bf8700", maintenance: "#6e7781",
        offline: "#343a40" }[status] || "#6e7781";
    }
    if (soc < 20) return "#cf222e";
    if (soc < 50) return "#d97706";
    return "#1a7f37";
  };
})();
