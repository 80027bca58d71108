/* Courier shifts on the dashboard: plan one (a courier, a moped, a start and an end, in the
 * city's time) with POST /courier-shifts, and see the shifts under way or to come.
 *
 * The API has no list of couriers of its own; the couriers offered are those of the operator's
 * shifts (GET /courier-shifts), which in practice is every courier the operator has planned.
 * Mopeds are the operator's e_moped vehicles from the fleet feed. */
(function () {
  "use strict";
  var D = (FO.dash = FO.dash || {});

  function options(select, items, current) {
    select.replaceChildren.apply(select, items.map(function (it) {
      var o = FO.el("option", { value: it.value, text: it.text });
      if (it.value === current) o.selected = true;
      return o;
    }));
  }

  /* "09:00–18:00", with the day in front when the shift starts on another day than today in
   * the city: a shift planned for tomorrow otherwise reads exactly like today's. */
  var DAY = new Intl.DateTimeFormat(FO.lang === "ko" ? "ko-KR" : "en-GB", { month: "short", day: "numeric", timeZone: "UTC" });

  function span(s) {
    var day = s.start.slice(0, 10);
    var from = FO.clock(s.start);
    if (D.now !== null && day !== D.cityInput(0).slice(0, 10)) {
      var date = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))));
      from = DAY.format(date) + " " + from;
    }
    return { from: from, until: FO.clock(s.end) };
  }

  D.shifts = function () {
    var form = document.getElementById("shift-form");
    var filled = false;

    function fillTimes() {
      if (filled || D.now === null) return;
      form.elements.start.value = D.cityInput(60, true);
      form.elements.end.value = D.cityInput(60 + 8 * 60, true);
      filled = true;
    }

    function refresh() {
      fillTimes();
      return Promise.all([
        FO.api("GET", "/courier-shifts?per_page=500"),
        D.tagged("/ops/fleet?vehicle_class=e_moped"),
      ]).then(function (answers) {
        var shifts = answers[0].data;
        var couriers = {};
        shifts.forEach(function (s) { couriers[s.courier_id] = s.courier_name || s.courier_id; });
        options(form.elements.courier_id, Object.keys(couriers).sort(function (a, b) {
          return couriers[a].localeCompare(couriers[b]);
        }).map(function (id) { return { value: id, text: couriers[id] }; }), form.elements.courier_id.value);
        options(form.elements.vehicle_id, answers[1].body.vehicles.map(function (v) {
          return { value: v.id, text: v.code + " · " + Math.round(v.soc_pct) + "%" };
        }), form.elements.vehicle_id.value);
        var coming = shifts.filter(function (s) { return s.status === "scheduled" || s.status === "on_duty"; });
        var list = document.getElementById("shift-list");
        list.replaceChildren.apply(list, coming.slice(0, 12).map(function (s) {
          var when = span(s);
          return FO.el("li", { "data-shift-id": s.id, text: FO.t("dashboard.shift.item", {
            courier: s.courier_name || "", moped: s.vehicle_code || "", from: when.from, until: when.until,
            status: FO.t("dashboard.shift.status." + s.status),
          }) });
        }));
      });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = {
        courier_id: form.elements.courier_id.value,
        vehicle_id: form.elements.vehicle_id.value,
        start: D.instant(form.elements.start.value),
        end: D.instant(form.elements.end.value),
      };
      FO.api("POST", "/courier-shifts", body).then(function (s) {
        var when = span(s);
        FO.say(FO.t("dashboard.shift.created", { courier: s.courier_name || "", moped: s.vehicle_code || "", from: when.from, until: when.until }));
        return refresh();
      }).catch(function (err) { FO.say(err.message, true); });
    });

    return { refresh: refresh };
  };
})();
