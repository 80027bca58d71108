/* Hazard closures on the dashboard: draw one on the map, give it a name and a window, save it
 * (POST /ops/closures); the list of closures in force or to come, each with "end now" and "one
 * hour more". Closures in force are drawn with the rule zones (GET /zones lists them); the ones
 * to come are drawn here, dashed, so the manager sees what is scheduled too. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});

  function $(id) { return document.getElementById(id); }

  D.closures = function (map, afterChange) {
    var scheduled = L.geoJSON(null, {
      style: function () { return { color: "#a40e26", weight: 2, fillOpacity: 0.08, dashArray: "2 6" }; },
      onEachFeature: function (f, l) {
        l.bindPopup(FO.el("div", { class: "pop" }, [
          FO.el("strong", { text: f.properties.name }),
          FO.el("div", { text: FO.t("dashboard.window", { from: FO.clock(f.properties.active_from), until: FO.clock(f.properties.active_until) }) }),
        ]));
      },
    }).addTo(map);
    var form = $("closure-form");
    var bar = $("draw-bar");
    var start = $("draw-start");
    var drawing = null;
    var shape = null;

    function reset() {
      if (drawing) drawing.cancel();
      drawing = null;
      if (shape) map.removeLayer(shape);
      shape = null;
      form.hidden = true;
      bar.hidden = true;
      start.disabled = false;
    }

    function drawn(points) {
      drawing = null;
      bar.hidden = true;
      shape = L.polygon(points, { color: "#a40e26", weight: 2, fillOpacity: 0.25, dashArray: "6 4", interactive: false }).addTo(map);
      shape.points = points;
      form.elements.active_from.value = D.cityInput(0);
      form.elements.active_until.value = D.cityInput(180, true);
      form.hidden = false;
      form.elements.name.focus();
      FO.say(FO.t("dashboard.draw.drawn", { n: points.length }));
    }

    start.addEventListener("click", function () {
      reset();
      start.disabled = true;
      bar.hidden = false;
      FO.say(FO.t("dashboard.draw.hint"));
      drawing = FO.drawPolygon(map, drawn, function () { drawing = null; reset(); FO.say(FO.t("dashboard.draw.cancelled")); });
    });
    $("draw-finish").addEventListener("click", function () { if (drawing) drawing.finish(); });
    $("draw-cancel").addEventListener("click", function () { if (drawing) drawing.cancel(); });
    $("closure-discard").addEventListener("click", reset);

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {
        name: form.elements.name.value.trim(),
        geometry: FO.polygonOf(shape.points),
        active_from: D.instant(form.elements.active_from.value),
        active_until: D.instant(form.elements.active_until.value),
      };
      FO.api("POST", "/ops/closures", body).then(function (closure) {
        reset();
        FO.say(FO.t("dashboard.closure.saved", { name: closure.name, until: FO.clock(closure.active_until) }));
        return afterChange();
      }).catch(function (err) { FO.say(err.message, true); });
    });

    /* An extension or an end says what it did: the line above the tiles otherwise still reads
     * "saved, until 12:45" after the closure was extended to 13:45 or ended. */
    function act(method, path, body, message) {
      return function () {
        FO.api(method, path, body).then(function (closure) {
          FO.say(FO.t(message, { name: closure.name, until: FO.clock(closure.active_until) }));
          return afterChange();
        }).catch(function (err) { FO.say(err.message, true); });
      };
    }

    function item(c) {
      return FO.el("li", { "data-closure-id": c.id, "data-status": c.status }, [
        FO.el("strong", { text: c.name }),
        FO.el("span", { text: " " + FO.t("dashboard.closure.status." + c.status) + " · " + FO.t("dashboard.window", { from: FO.clock(c.active_from), until: FO.clock(c.active_until) }) }),
        FO.el("span", { class: "row" }, [
          FO.el("button", { type: "button", class: "small", text: FO.t("dashboard.closure.extend"),
            onclick: act("PATCH", "/ops/closures/" + c.id, { active_until: D.shift(c.active_until, 60) }, "dashboard.closure.extended") }),
          FO.el("button", { type: "button", class: "small danger", text: FO.t("dashboard.closure.end"),
            onclick: act("POST", "/ops/closures/" + c.id + "/end", undefined, "dashboard.closure.ended") }),
        ]),
      ]);
    }

    return {
      layer: scheduled,
      refresh: function () {
        return FO.api("GET", "/ops/closures?per_page=100").then(function (answer) {
          var open = answer.data.filter(function (c) { return c.status !== "ended"; });
          var list = $("closure-list");
          list.replaceChildren.apply(list, open.map(item));
          scheduled.clearLayers();
          open.filter(function (c) { return c.status === "scheduled"; }).forEach(function (c) {
            scheduled.addData({ type: "Feature", geometry: c.geometry, properties: c });
          });
          D.count(map, "closures", open.length);
        });
      },
    };
  };

  /* An ISO time with its offset, `minutes` later, with the same offset. */
  D.shift = function (iso, minutes) {
    var offset = (/([+-]\d\d:\d\d|Z)$/.exec(iso) || ["Z"])[0];
    var sign = offset[0] === "-" ? -1 : 1;
    var off = offset === "Z" || !offset ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
    var local = new Date(Date.parse(iso) + (minutes + off) * 60000).toISOString().slice(0, 19);
    return local + (offset || "Z");
  };
})();
