/* Crew plans on the dashboard: request a battery-swap or rebalancing plan (POST /ops/plans → 202
 * and a job), follow the job's progress, review the plan on the map and in a task list, then
 * approve it (the unticked tasks sent as drop_tasks: this is how a manager edits a plan) or
 * reject it. Plans the scheduler proposed are listed for review too.
 *
 * On the map each van has its colour: its road through its tasks, its swaps as rings, its station
 * visits as squares, its moves as arrows from where a vehicle is picked up to where it is left. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});
  var VANS = ["#8250df", "#0a7ea4", "#b35900", "#2f855a", "#c2185b", "#4c51bf"];
  var OPEN = { open: true, assigned: true, in_progress: true };

  function $(id) { return document.getElementById(id); }

  /* Two short strokes at `to`, pointing from `from`: an arrowhead about 30 m long. */
  function arrowHead(from, to) {
    var k = Math.cos((to.lat * Math.PI) / 180);
    var dx = (to.lng - from.lng) * k, dy = to.lat - from.lat;
    var len = Math.sqrt(dx * dx + dy * dy) || 1;
    var size = Math.min(0.00027, len * 0.35);
    return [-0.45, 0.45].map(function (turn) {
      var ux = -dx / len, uy = -dy / len;
      var rx = ux * Math.cos(turn) - uy * Math.sin(turn), ry = ux * Math.sin(turn) + uy * Math.cos(turn);
      return [[to.lat + ry * size, to.lng + (rx * size) / k], [to.lat, to.lng]];
    });
  }

  /* A task's tooltip as an element: Leaflet puts a string's content in innerHTML, and the text
   * holds names (vehicle codes, station names) that people choose. */
  function taskTip(t) { return FO.el("span", { text: taskText(t) }); }

  function taskText(t) {
    var what = t.vehicle_code || t.site_name || "";
    var kind = t.kind === "rebalance" ? (t.is_drop ? "drop" : "pickup") : t.kind;
    /* a station visit names the type of its packs: one van loads kickboard and e-bike packs at
     * one station as separate tasks, which read as duplicates without it */
    var pack = t.pack_class ? FO.t("dashboard.pack." + t.pack_class) : "";
    var text = FO.t("dashboard.task." + kind, { what: what, packs: t.packs, pack: pack });
    return (t.sequence !== null ? t.sequence + ". " : "") + text + " · " + FO.clock(t.arrive_at);
  }

  D.plans = function (map, afterChange) {
    var layer = L.featureGroup().addTo(map);
    var current = null;

    function drawPlan(plan) {
      layer.clearLayers();
      var colourOf = {};
      plan.routes.forEach(function (r, i) {
        colourOf[r.shift_id] = VANS[i % VANS.length];
        var line = r.coordinates.map(function (c) { return [c[1], c[0]]; });
        if (line.length > 1) L.polyline(line, { color: colourOf[r.shift_id], weight: 5, opacity: 0.75 }).addTo(layer);
      });
      var bySeq = {};
      var moves = 0;
      plan.tasks.forEach(function (t) { bySeq[t.shift_id + ":" + t.sequence] = t; });
      plan.tasks.forEach(function (t) {
        if (t.lat === null || !OPEN[t.status]) return;
        var colour = colourOf[t.shift_id] || "#444";
        var at = L.latLng(t.lat, t.lon);
        if (t.kind === "rebalance" && t.is_drop) {
          var from = bySeq[t.shift_id + ":" + t.pair_sequence];
          if (from && from.lat !== null) {
            var start = L.latLng(from.lat, from.lon);
            L.polyline([start, at], { color: colour, weight: 3, dashArray: "6 4" }).addTo(layer);
            arrowHead(start, at).forEach(function (s) { L.polyline(s, { color: colour, weight: 3 }).addTo(layer); });
            moves += 1;
          }
        } else if (t.kind === "charge") {
          L.marker(at, { icon: L.divIcon({ className: "plan-visit", iconSize: [14, 14] }), keyboard: false })
            .bindTooltip(taskTip(t)).addTo(layer);
        } else {
          L.circleMarker(at, { radius: 7, color: colour, weight: 3, fillColor: t.kind === "swap" ? "#ffd33d" : "#fff", fillOpacity: 1 })
            .bindTooltip(taskTip(t)).addTo(layer);
        }
      });
      D.count(map, "plan-routes", plan.routes.length);
      D.count(map, "plan-moves", moves);
      D.count(map, "plan-tasks", plan.tasks.filter(function (t) { return OPEN[t.status]; }).length);
      return colourOf;
    }

    function vanList(plan, colourOf) {
      var box = $("plan-vans");
      var deciding = plan.status === "proposed";
      var groups = {};
      plan.tasks.forEach(function (t) { (groups[t.shift_id] = groups[t.shift_id] || []).push(t); });
      box.replaceChildren.apply(box, plan.routes.map(function (r, i) {
        var tasks = groups[r.shift_id] || [];
        var head = FO.el("h4", { text: FO.t("dashboard.plan.van", { n: i + 1, tasks: tasks.length, km: (r.distance_m / 1000).toFixed(1), min: Math.round(r.duration_s / 60) }) });
        var swatch = FO.el("span", { class: "swatch" });
        swatch.style.background = colourOf[r.shift_id];
        head.prepend(swatch);
        return FO.el("section", { class: "van" }, [head, FO.el("ul", { class: "tasks" }, tasks.map(function (t) {
          var box = FO.el("input", { type: "checkbox", "data-task-id": t.id, "data-shift": t.shift_id, "data-seq": String(t.sequence) });
          box.checked = t.status !== "cancelled" && t.status !== "failed";
          box.disabled = !deciding;
          if (t.pair_sequence !== null) box.setAttribute("data-pair", String(t.pair_sequence));
          var status = t.status === "open" ? "" : " (" + FO.t("dashboard.task.status." + t.status) + ")";
          return FO.el("li", {}, [FO.el("label", {}, [box, document.createTextNode(" " + taskText(t) + status)])]);
        }))]);
      }));
    }

    /* A move is one task in two halves: unticking one unticks the other. */
    $("plan-vans").addEventListener("change", function (e) {
      var box = e.target;
      if (!box.matches("input[data-pair]")) return;
      var other = $("plan-vans").querySelector('input[data-shift="' + box.getAttribute("data-shift") + '"][data-seq="' + box.getAttribute("data-pair") + '"]');
      if (other) other.checked = box.checked;
    });

    function undone(plan) {
      var reasons = {};
      plan.undone.concat(plan.dropped || []).forEach(function (u) { reasons[u.reason] = (reasons[u.reason] || 0) + 1; });
      var box = $("plan-undone");
      box.querySelector("summary").textContent = FO.t("dashboard.plan.undone", { n: plan.undone.length, dropped: (plan.dropped || []).length });
      var list = box.querySelector("ul");
      list.replaceChildren.apply(list, Object.keys(reasons).map(function (r) {
        return FO.el("li", { text: reasons[r] + " × " + r });
      }));
    }

    function show(plan) {
      current = plan;
      $("plan-review").hidden = false;
      $("plan-review").setAttribute("data-plan-id", plan.id);
      $("plan-review").setAttribute("data-status", plan.status);
      $("plan-title").textContent = FO.t("dashboard.plan.kind." + plan.kind) + " · " + FO.t("dashboard.plan.status." + plan.status);
      $("plan-gain").textContent = FO.t("dashboard.plan.gain", { trips: plan.expected_gain_trips.toFixed(1), tasks: plan.tasks.length, vans: plan.routes.length });
      vanList(plan, drawPlan(plan));
      undone(plan);
      $("plan-approve").disabled = $("plan-reject").disabled = plan.status !== "proposed";
      if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 16 });
    }

    function open(planId) {
      return FO.api("GET", "/ops/plans/" + planId).then(function (plan) {
        show(plan);
        $("plan-review").scrollIntoView({ block: "nearest" });
        return plan;
      });
    }

    /* One plan per kind and quarter hour: asked again within it, the API answers that plan,
     * even when it is decided already. Say so, and from when a new one can be asked for. */
    function nextQuarter(iso) {
      var minutes = Number(iso.slice(11, 13)) * 60 + Number(iso.slice(14, 16));
      var next = (Math.floor(minutes / 15) + 1) * 15 % (24 * 60);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      return pad(Math.floor(next / 60)) + ":" + pad(next % 60);
    }

    function sayIfDecided(plan) {
      if (plan.status === "proposed") return;
      FO.say(FO.t("dashboard.plan.already", {
        kind: FO.t("dashboard.plan.kind." + plan.kind),
        status: FO.t("dashboard.plan.status." + plan.status),
        at: nextQuarter(plan.created_at),
      }));
    }

    function follow(job) {
      var box = $("plan-job");
      box.hidden = false;
      $("plan-progress").value = job.progress.fraction || 0;
      $("plan-job-text").textContent = FO.t("dashboard.job." + job.status, { message: job.progress.message || "" });
      box.setAttribute("data-status", job.status);
      if (job.status === "finished" && job.plan_id) {
        box.hidden = true;
        return open(job.plan_id).then(sayIfDecided);
      }
      if (job.status === "failed") { FO.say(FO.t("dashboard.job.error", { error: job.error || "" }), true); return null; }
      return new Promise(function (done) { setTimeout(done, 1000); })
        .then(function () { return FO.api("GET", job.status_url.replace("/api/v1", "")); })
        .then(follow);
    }

    document.querySelectorAll("[data-plan-kind]").forEach(function (button) {
      button.addEventListener("click", function () {
        FO.api("POST", "/ops/plans", { kind: button.getAttribute("data-plan-kind") })
          .then(follow)
          .then(proposals)
          .catch(function (err) { FO.say(err.message, true); });
      });
    });

    function decide(path, body, message) {
      return FO.api("POST", "/ops/plans/" + current.id + path, body).then(function (plan) {
        show(plan);
        var kept = plan.tasks.filter(function (t) { return OPEN[t.status]; }).length;
        FO.say(FO.t(message, { tasks: kept, dropped: plan.tasks.length - kept }));
        proposals();
        return afterChange();
      }).catch(function (err) { FO.say(err.message, true); });
    }

    $("plan-approve").addEventListener("click", function () {
      var drop = [];
      $("plan-vans").querySelectorAll("input[data-task-id]").forEach(function (b) { if (!b.checked) drop.push(b.getAttribute("data-task-id")); });
      decide("/approve", { drop_tasks: drop }, "dashboard.plan.approved");
    });
    $("plan-reject").addEventListener("click", function () { decide("/reject", undefined, "dashboard.plan.rejected"); });
    $("plan-close").addEventListener("click", function () {
      current = null;
      layer.clearLayers();
      $("plan-review").hidden = true;
    });

    function proposals() {
      return FO.api("GET", "/ops/plans?status=proposed&per_page=5").then(function (answer) {
        var list = $("plan-proposals");
        list.replaceChildren.apply(list, answer.data.map(function (p) {
          return FO.el("li", { "data-plan-id": p.id }, [
            FO.el("span", { text: FO.t("dashboard.plan.kind." + p.kind) + " · " + FO.clock(p.created_at) + " · " + FO.t("dashboard.plan.trips", { trips: p.expected_gain_trips.toFixed(1) }) + " " }),
            FO.el("button", { type: "button", class: "small", text: FO.t("dashboard.plan.review"), onclick: function () { open(p.id).catch(function (err) { FO.say(err.message, true); }); } }),
          ]);
        }));
      });
    }

    return { layer: layer, refresh: proposals };
  };
})();
