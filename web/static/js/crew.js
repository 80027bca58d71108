/* The crew's page: my tasks in route order on the map, each with the road to it from the stop
 * before (GET /crews/me/tasks gives it as a GeoJSON LineString), and the task at hand with
 * start / complete / fail. Tasks still to do are drawn; done ones stay in the list. */
(function () {
  "use strict";
  var REFRESH_MS = 20000;
  var OPEN = { assigned: true, in_progress: true };
  var map, layer, svg, tasks = [], shown = null;
  var panel = document.getElementById("panel");
  var list = document.getElementById("tasks");
  var mapEl = document.getElementById("map");

  function failed(error) {
    FO.say(FO.t("crew.failed", { message: error.message }), true);
  }

  function kindOf(task) {
    return task.kind === "rebalance" && task.is_drop ? "drop" : task.kind;
  }

  function what(task) {
    var thing = task.site_name || task.vehicle_code || "";
    return FO.t("crew.kind." + kindOf(task)) + (thing ? " · " + thing : "");
  }

  function button(action, key, onclick, kind) {
    return FO.el("button", { type: "button", "data-action": action, class: kind || "",
      text: FO.t(key), onclick: onclick });
  }

  function draw(open) {
    layer.clearLayers();
    var bounds = [];
    open.forEach(function (task, i) {
      if (task.route && task.route.coordinates && task.route.coordinates.length > 1) {
        var road = L.geoJSON(task.route, { renderer: svg, style: function () {
          return { color: i === 0 ? "#1f6feb" : "#8250df", weight: i === 0 ? 5 : 3,
            className: "task-route" };
        } }).addTo(layer);
        bounds.push(road.getBounds());
      }
      if (task.lat === null) return;
      var icon = L.divIcon({ className: "stop-pin task " + kindOf(task) + (i === 0 ? " next" : ""),
        iconSize: [24, 24], html: String(i + 1) });
      var m = L.marker([task.lat, task.lon], { icon: icon, title: what(task) }).addTo(layer);
      m.getElement().setAttribute("data-task", task.id);
      bounds.push(L.latLngBounds([[task.lat, task.lon]]));
    });
    mapEl.setAttribute("data-tasks", String(open.length));
    if (bounds.length) {
      var all = bounds[0];
      bounds.forEach(function (b) { all.extend(b); });
      map.fitBounds(all.pad(0.15), { maxZoom: 16, animate: false });
    }
  }

  function act(task, verb, body, said) {
    return FO.api("POST", "/crews/me/tasks/" + task.id + "/" + verb, body).then(function () {
      FO.say(FO.t(said, { what: what(task) }));
      shown = null;
      return refresh();
    }).catch(failed);
  }

  function failButton(task) {
    return button("fail", "crew.fail", function () {
      var reason = (document.getElementById("reason").value || "").trim();
      if (!reason) return FO.say(FO.t("crew.give_reason"), true);
      return act(task, "fail", { reason: reason }, "crew.said_failed");
    }, "secondary");
  }

  function showCurrent(task) {
    panel.textContent = "";
    if (!task) {
      panel.setAttribute("data-state", "idle");
      panel.appendChild(FO.el("p", { class: "hint", text: FO.t("crew.nothing") }));
      return;
    }
    panel.setAttribute("data-state", task.status);
    var facts = FO.el("dl", {}, [
      FO.el("dt", { text: FO.t("crew.what") }),
      FO.el("dd", { text: what(task), "data-fact": "what" }),
      FO.el("dt", { text: FO.t("crew.arrive") }),
      FO.el("dd", { text: FO.clock(task.arrive_at), "data-fact": "arrive" }),
      FO.el("dt", { text: FO.t("crew.road") }),
      FO.el("dd", { text: FO.t("crew.road_value", { km: (task.distance_m / 1000).toFixed(1),
        min: Math.round(task.duration_s / 60) }) }),
    ]);
    if (task.packs) {
      facts.appendChild(FO.el("dt", { text: FO.t("crew.packs") }));
      facts.appendChild(FO.el("dd", { text: String(task.packs) }));
    }
    var buttons = task.status === "assigned"
      ? [button("start", "crew.start", function () { act(task, "start", undefined,
        "crew.said_started"); })]
      : [button("complete", "crew.complete", function () { act(task, "complete", {},
        "crew.said_done"); })];
    buttons.push(FO.el("input", { id: "reason", type: "text", maxlength: "500",
      placeholder: FO.t("crew.reason"), "aria-label": FO.t("crew.reason") }));
    buttons.push(failButton(task));
    panel.appendChild(FO.el("h2", { text: FO.t("crew.current") }));
    panel.appendChild(facts);
    /* The planner writes its reasons in English: shown on the English page only (the kind,
     * place and packs above say the same in either language). */
    if (task.reason && FO.lang === "en") {
      panel.appendChild(FO.el("p", { class: "hint", text: task.reason }));
    }
    panel.appendChild(FO.el("div", { class: "actions" }, buttons));
  }

  function showList() {
    list.textContent = "";
    tasks.forEach(function (task) {
      list.appendChild(FO.el("li", { class: OPEN[task.status] ? "" : "done",
        "data-task": task.id, "data-status": task.status,
        text: FO.t("crew.task_line", { time: FO.clock(task.arrive_at), what: what(task),
          status: FO.t("crew.status." + task.status) }) }));
    });
  }

  function refresh() {
    return FO.api("GET", "/crews/me/tasks").then(function (found) {
      var seen = JSON.stringify(found.data);
      if (seen === shown) return;
      shown = seen;
      tasks = found.data;
      var open = tasks.filter(function (t) { return OPEN[t.status]; });
      var current = open.filter(function (t) { return t.status === "in_progress"; })[0] || open[0];
      draw(open);
      showCurrent(current);
      showList();
    });
  }

  FO.ready.then(function () {
    map = FO.map("map");
    svg = L.svg();
    layer = L.layerGroup().addTo(map);
    document.getElementById("refresh").addEventListener("click", function () {
      shown = null;
      refresh().catch(failed);
    });
    return FO.roads.then(function () { FO.every(REFRESH_MS, refresh); });
  }).catch(failed);
})();
