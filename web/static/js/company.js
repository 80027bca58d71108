/* The company page: work-EV availability as a calendar (hours × days at one hub, from
 * GET /hubs/<id>/availability: EVs free for the whole slot and charged for the planned trip),
 * and the reservations: an employee's own (reserve, pick up, return, cancel) or, for a
 * company admin, the whole company's (cancel, move to another EV). */
(function () {
  "use strict";
  var DAYS = 3;
  /* The calendar shows the working day's hours (slots from 06:00 to 21:00); a night trip is
   * still reserved through the API. */
  var FIRST_HOUR = "06:00", LAST_HOUR = "21:00";
  var role = document.body.getAttribute("data-role");
  var admin = role === "company_admin";
  var map, hubs = [], hubMarkers = {};
  var hubSelect = document.getElementById("hub");
  var distance = document.getElementById("distance");
  var calendar = document.getElementById("calendar");
  var list = document.getElementById("reservations");

  function failed(error) {
    FO.say(FO.t("company.failed", { message: error.message }), true);
  }

  function button(action, key, onclick, kind) {
    return FO.el("button", { type: "button", "data-action": action, class: kind || "",
      text: FO.t(key), onclick: onclick });
  }

  function after(date, days) {
    /* The calendar date `days` after `date` (YYYY-MM-DD). */
    var d = new Date(date + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function plannedM() {
    return Math.max(1, Math.round(parseFloat(distance.value || "20") * 1000));
  }

  function reserve(hubId, slot) {
    FO.api("POST", "/reservations", { hub_id: hubId, start: slot.start, end: slot.end,
      planned_distance_m: plannedM() }).then(function (r) {
      FO.say(FO.t("company.reserved", { ev: r.vehicle ? r.vehicle.code : "",
        start: FO.clock(r.start), end: FO.clock(r.end) }));
      return Promise.all([loadCalendar(), loadReservations()]);
    }).catch(failed);
  }

  function drawCalendar(hubId, days) {
    var hours = {};
    days.forEach(function (d) {
      d.slots.forEach(function (s) {
        var hour = s.start.slice(11, 16);
        if (hour >= FIRST_HOUR && hour <= LAST_HOUR) hours[hour] = true;
      });
    });
    var head = FO.el("tr", {}, [FO.el("th", { text: FO.t("company.time") })].concat(
      days.map(function (d) {
        return FO.el("th", { text: FO.t("company.day", { month: +d.date.slice(5, 7),
          day: +d.date.slice(8, 10) }) });
      })));
    var rows = Object.keys(hours).sort().map(function (hour) {
      return FO.el("tr", {}, [FO.el("th", { text: hour })].concat(days.map(function (d) {
        var slot = d.slots.filter(function (s) { return s.start.slice(11, 16) === hour; })[0];
        if (!slot) return FO.el("td", { class: "full", text: "" });
        if (!slot.free_evs || admin) {
          return FO.el("td", { class: slot.free_evs ? "slot" : "full",
            "data-free": String(slot.free_evs), text: slot.free_evs ? String(slot.free_evs) : "–" });
        }
        return FO.el("td", { class: "slot", "data-free": String(slot.free_evs) }, [
          FO.el("button", { type: "button", "data-slot": slot.start,
            title: FO.t("company.reserve_slot", { start: FO.clock(slot.start),
              end: FO.clock(slot.end) }),
            text: String(slot.free_evs), onclick: function () { reserve(hubId, slot); } }),
        ]);
      })));
    });
    calendar.textContent = "";
    calendar.appendChild(FO.el("table", {}, [FO.el("thead", {}, [head]),
      FO.el("tbody", {}, rows)]));
    calendar.setAttribute("data-hub", hubId);
  }

  /* Today is the city's, as the server's clock tells it (the first answer's date); the days
   * after follow from it. */
  function loadCalendar() {
    var hubId = hubSelect.value;
    if (!hubId) return Promise.resolve();
    var base = "/hubs/" + hubId + "/availability?slot_minutes=60&planned_distance_m=" + plannedM();
    return FO.api("GET", base).then(function (today) {
      var asks = [today];
      for (var i = 1; i < DAYS; i += 1) {
        asks.push(FO.api("GET", base + "&date=" + after(today.date, i)));
      }
      return Promise.all(asks);
    }).then(function (days) { drawCalendar(hubId, days); });
  }

  function act(r, verb, body, said) {
    return FO.api("POST", "/reservations/" + r.id + "/" + verb, body).then(function (after) {
      FO.say(FO.t(said, { ev: after.vehicle ? after.vehicle.code : "" }));
      return Promise.all([loadCalendar(), loadReservations()]);
    }).catch(failed);
  }

  function returnForm(r) {
    var soc = FO.el("input", { type: "number", min: "0", max: "100", step: "1",
      "data-field": "soc", placeholder: FO.t("company.soc"), "aria-label": FO.t("company.soc") });
    var odo = FO.el("input", { type: "number", min: "0", step: "1", "data-field": "odometer",
      placeholder: FO.t("company.odometer"), "aria-label": FO.t("company.odometer") });
    return [soc, odo, button("return", "company.return", function () {
      if (soc.value === "" || odo.value === "") return FO.say(FO.t("company.give_reading"), true);
      return act(r, "return", { soc_pct: parseFloat(soc.value),
        odometer_m: Math.round(parseFloat(odo.value) * 1000) }, "company.said_returned");
    })];
  }

  function actionsOf(r) {
    var open = r.status === "confirmed" || r.status === "flagged";
    var out = [];
    if (admin) {
      if (open) {
        out.push(button("reassign", "company.reassign", function () {
          act(r, "reassign", {}, "company.said_reassigned");
        }));
      }
    } else if (r.status === "confirmed") {
      out.push(button("pickup", "company.pickup", function () {
        act(r, "pickup", undefined, "company.said_picked");
      }));
    } else if (r.status === "picked_up") {
      out = out.concat(returnForm(r));
    }
    if (open) {
      out.push(button("cancel", "company.cancel", function () {
        act(r, "cancel", undefined, "company.said_cancelled");
      }, "secondary"));
    }
    return out;
  }

  function loadReservations() {
    return FO.api("GET", "/reservations").then(function (found) {
      list.textContent = "";
      found.data.forEach(function (r) {
        var ev = r.vehicle ? r.vehicle.code + (r.vehicle.plate ? " (" + r.vehicle.plate + ")" : "")
          : FO.t("company.no_ev");
        var line = FO.t("company.line", { day: r.start.slice(5, 10), start: FO.clock(r.start),
          end: FO.clock(r.end), hub: r.hub.name, ev: ev });
        var item = FO.el("li", { "data-reservation": r.id, "data-status": r.status }, [
          FO.el("div", { text: line }),
          FO.el("div", { class: "hint", text: FO.t("company.status." + r.status) +
            (admin && r.employee ? " · " + r.employee.display_name : "") +
            (r.reason ? " · " + r.reason : "") }),
          FO.el("div", { class: "actions" }, actionsOf(r)),
        ]);
        list.appendChild(item);
      });
      list.setAttribute("data-count", String(found.data.length));
      if (!found.data.length) list.appendChild(FO.el("li", { text: FO.t("company.none") }));
    });
  }

  function showHub() {
    var hub = hubs.filter(function (h) { return h.id === hubSelect.value; })[0];
    Object.keys(hubMarkers).forEach(function (id) {
      L.DomUtil[id === hubSelect.value ? "addClass" : "removeClass"](
        hubMarkers[id].getElement(), "selected");
    });
    if (hub) map.setView([hub.lat, hub.lon], 15, { animate: false });
  }

  FO.ready.then(function () {
    map = FO.map("map");
    return Promise.all([FO.roads, FO.api("GET", "/hubs")]).then(function (got) {
      hubs = got[1].data;
      hubs.forEach(function (h) {
        hubSelect.appendChild(FO.el("option", { value: h.id, text: h.name }));
        var m = L.marker([h.lat, h.lon], { title: h.name,
          icon: L.divIcon({ className: "pin pin-hub", iconSize: [22, 22] }) }).addTo(map);
        m.getElement().setAttribute("data-hub", h.id);
        m.on("click", function () { hubSelect.value = h.id; showHub(); loadCalendar().catch(failed); });
        hubMarkers[h.id] = m;
      });
      document.getElementById("map").setAttribute("data-hubs", String(hubs.length));
      hubSelect.addEventListener("change", function () { showHub(); loadCalendar().catch(failed); });
      distance.addEventListener("change", function () { loadCalendar().catch(failed); });
      showHub();
      return Promise.all([loadCalendar(), loadReservations()]);
    });
  }).catch(failed);
})();
