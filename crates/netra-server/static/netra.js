// netra serve: the only script. Pages work without it; it adds the live
// RECIST preview of the lesion form and a confirmation before deletions.
"use strict";
(function () {
  var token = document.querySelector('meta[name="csrf-token"]');
  token = token ? token.getAttribute("content") : "";

  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.hasAttribute("data-confirm") && !window.confirm(f.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });

  var box = document.getElementById("recist-preview");
  if (!box) return;
  var form = document.getElementById(box.getAttribute("data-form"));
  var out = box.querySelector("[data-out]");
  var timer = null;
  var seq = 0;

  function show(rows) {
    out.textContent = "";
    var dl = document.createElement("dl");
    rows.forEach(function (r) {
      var dt = document.createElement("dt");
      dt.textContent = r[0];
      var dd = document.createElement("dd");
      dd.textContent = r[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    out.appendChild(dl);
  }

  function pct(x) {
    return x === null || x === undefined ? "—" : (x > 0 ? "+" : "") + x.toFixed(1) + " %";
  }

  function update() {
    var values = {};
    new FormData(form).forEach(function (v, k) {
      if (k.indexOf("f_") === 0) values[k.slice(2)] = v;
    });
    // "a new lesion" is a choice; its identifier is typed beside it.
    if (values.lesion === "__new__") {
      var typed = form.elements.namedItem("new_lesion");
      values.lesion = typed ? typed.value.trim() : "";
    }
    var mine = ++seq;
    fetch(box.getAttribute("data-endpoint"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ values: values })
    }).then(function (r) {
      return r.json();
    }).then(function (j) {
      if (mine !== seq) return;
      if (j.error) {
        show([["Cannot compute", j.error.message]]);
        return;
      }
      if (j.message) {
        show([["RECIST 1.1", j.message]]);
        return;
      }
      show([
        ["Criteria", j.criteria],
        ["This assessment", j.overall],
        ["Sum of target diameters", j.sum_mm === null ? "—" : j.sum_mm + " mm"],
        ["Change from baseline", pct(j.change_from_baseline_pct)],
        ["Change from nadir", pct(j.change_from_nadir_pct)],
        ["Targets / non-targets / new", j.target + " / " + j.non_target + " / " + j.new_lesions],
        ["Best overall response so far", j.best_overall]
      ]);
    }).catch(function () {
      if (mine === seq) show([["RECIST 1.1", "preview unavailable"]]);
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  });
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 50);
  });
  update();
})();
