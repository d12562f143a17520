// The studio's pages with the script on. Without it every page still works: forms post and the
// server answers with a page (every question shown, those that do not apply left out by the
// server and said so). With it:
// - questions appear only when they apply (the questionnaire's own conditions, sent with the page);
// - the advice follows the answers, with a short spoken summary of what changed, and a red flag
//   brings the emergency or urgent advice on screen at once;
// - each answer is kept in the client's draft on the server as it is given;
// - leaving a page with unsaved answers asks first.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  // --- the clients page: search as you type --------------------------------------------------
  var search = document.getElementById("q");
  var list = document.getElementById("client-list");
  if (search && list) {
    var count = document.getElementById("match-count");
    search.addEventListener("input", function () {
      var wanted = search.value.trim().toLowerCase();
      var rows = list.querySelectorAll("tbody tr");
      var shown = 0;
      rows.forEach(function (row) {
        var hit = !wanted || row.getAttribute("data-name").indexOf(wanted) !== -1;
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      if (count) {
        count.textContent = !wanted ? "" : shown ? shown + " of " + rows.length + " clients" :
          "No client's name contains \u201c" + search.value.trim() + "\u201d.";
      }
    });
  }

  // --- unsaved work ---------------------------------------------------------------------------
  var dirty = false;
  var leaving = false;
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });
  var review = document.getElementById("review");
  if (review) {
    dirty = true;  // a reviewed consultation is not saved until "Save" is pressed
    review.addEventListener("submit", function () { leaving = true; });
    // A note belongs to a declined item: its field shows once the item is declined.
    // Saved without the client's consent: the box is where the fitter is taken.
    var consent = document.getElementById("consent");
    if (consent && consent.getAttribute("aria-invalid") === "true") { consent.focus(); }
    review.querySelectorAll(".decision").forEach(function (decision) {
      var box = decision.querySelector('input[name="decline"]');
      var note = decision.querySelector(".field");
      if (!box || !note) { return; }
      var sync = function () { note.hidden = !box.checked; };
      box.addEventListener("change", sync);
      sync();
    });
  }
  // An action that cannot be undone asks first.
  document.querySelectorAll("form[data-confirm]").forEach(function (confirmed) {
    confirmed.addEventListener("submit", function (event) {
      if (!window.confirm(confirmed.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  var form = document.getElementById("consult");
  if (!form) { return; }
  form.addEventListener("submit", function () { leaving = true; });

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // --- conditional questions --------------------------------------------------------------------
  var fields = Array.prototype.slice.call(form.querySelectorAll(".field[data-question]"));
  function inputsOf(field) { return field.querySelectorAll("input"); }
  function valueOf(field) {
    var inputs = inputsOf(field);
    if (!inputs.length || field.hidden) { return undefined; }
    var first = inputs[0];
    if (first.type === "radio") {
      for (var i = 0; i < inputs.length; i++) {
        if (inputs[i].checked) {
          var v = inputs[i].value;
          return v === "true" ? true : v === "false" ? false : v;
        }
      }
      return undefined;
    }
    if (first.type === "checkbox") {
      var ticked = [];
      var none = false;
      inputs.forEach(function (box) {
        if (!box.checked) { return; }
        if (box.hasAttribute("data-none")) { none = true; } else { ticked.push(box.value); }
      });
      return ticked.length || none ? ticked : undefined;
    }
    var text = first.value.trim();
    if (!text) { return undefined; }
    var number = Number(text.replace(",", "."));
    return isNaN(number) ? text : number;
  }
  var ops = {
    equals: function (v, a) { return v === a; },
    one_of: function (v, a) { return a.indexOf(v) !== -1; },
    not_one_of: function (v, a) { return a.indexOf(v) === -1; },
    below: function (v, a) { return typeof v === "number" && v < a; },
    above: function (v, a) { return typeof v === "number" && v > a; },
    at_least: function (v, a) { return typeof v === "number" && v >= a; },
    at_most: function (v, a) { return typeof v === "number" && v <= a; },
    between: function (v, a) { return typeof v === "number" && a[0] <= v && v <= a[1]; },
    is: function (v, a) { return v === a; },
    includes: function (v, a) { return Array.isArray(v) && v.indexOf(a) !== -1; },
    includes_any: function (v, a) { return Array.isArray(v) && a.some(function (x) { return v.indexOf(x) !== -1; }); },
    includes_at_least: function (v, a) {
      return Array.isArray(v) && v.filter(function (x, i) { return v.indexOf(x) === i; }).length >= a;
    }
  };
  function holds(cond, answers) {
    if (cond.kind) {
      var results = cond.items.map(function (c) { return holds(c, answers); });
      if (cond.kind === "all") { return results.every(Boolean); }
      if (cond.kind === "any") { return results.some(Boolean); }
      return !results.some(Boolean);
    }
    if (cond.missing) { return !(cond.missing in answers); }
    if (cond.answered) { return cond.answered in answers; }
    return cond.answer in answers && ops[cond.op](answers[cond.answer], cond.arg);
  }
  var returning = form.getAttribute("data-returning") === "1";
  function applyConditions() {
    form.querySelectorAll("[data-follow-up]").forEach(function (el) { el.hidden = !returning; });
    var answers = {};
    fields.forEach(function (field) {
      var section = field.closest("[data-section]");
      var when = field.getAttribute("data-when");
      var applies = !(section && section.hidden) && (!when || holds(JSON.parse(when), answers));
      field.classList.remove("unmet");
      field.hidden = !applies;
      // An answer to a question that does not apply is not sent (the server would leave it out).
      inputsOf(field).forEach(function (input) { input.disabled = !applies; });
      if (applies) {
        var value = valueOf(field);
        if (value !== undefined) { answers[field.getAttribute("data-question")] = value; }
      }
    });
    return answers;
  }

  // --- progress per section -----------------------------------------------------------------------
  function showProgress(answers) {
    form.querySelectorAll("[data-section]").forEach(function (section) {
      var id = section.getAttribute("data-section");
      var asked = section.querySelectorAll(".field[data-question]:not([hidden])");
      var done = 0;
      asked.forEach(function (field) { if (field.getAttribute("data-question") in answers) { done += 1; } });
      var badge = form.querySelector('[data-progress="' + id + '"]');
      if (badge) {
        badge.textContent = done + "/" + asked.length;
        badge.parentNode.classList.toggle("complete", asked.length > 0 && done === asked.length);
      }
    });
  }

  // --- radios that can be cleared, and "None of these" ------------------------------------------
  fields.forEach(function (field) {
    var radios = field.querySelectorAll('input[type="radio"]');
    if (radios.length) {
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "clear";
      clear.textContent = "Clear answer";
      clear.setAttribute("aria-label", "Clear answer: " + field.querySelector("legend").textContent.trim());
      var group = field.querySelector("fieldset.options");
      group.appendChild(clear);
      var sync = function () {
        clear.hidden = !Array.prototype.some.call(radios, function (r) { return r.checked; });
      };
      clear.addEventListener("click", function () {
        radios.forEach(function (r) { r.checked = false; });
        sync();
        radios[0].focus();
        form.dispatchEvent(new Event("change"));
      });
      radios.forEach(function (r) { r.addEventListener("change", sync); });
      sync();
    }
    var none = field.querySelector("input[data-none]");
    if (none) {
      field.addEventListener("change", function (event) {
        var box = event.target;
        if (box === none && none.checked) {
          inputsOf(field).forEach(function (other) { if (other !== none) { other.checked = false; } });
        } else if (box !== none && box.checked) {
          none.checked = false;
        }
      });
    }
  });

  // --- fill buttons: "No to all", "Same as last visit" --------------------------------------------
  function check(field, value) {
    var input = field.querySelector('input[value="' + String(value).replace(/"/g, "") + '"]');
    if (input && !input.disabled) { input.checked = true; input.dispatchEvent(new Event("change", { bubbles: true })); }
  }
  document.querySelectorAll("button[data-fill]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();  // done here, without a round trip (the server does it without the script)
      var action = button.getAttribute("data-fill");
      if (action === "safety-no") {
        document.querySelectorAll('#section-safety .field[data-question]:not([data-when]):not([hidden])').forEach(function (field) {
          var no = field.querySelector('input[type="radio"][value="false"]');
          if (no && valueOf(field) === undefined) { check(field, "false"); }
        });
      } else if (action === "same:fit") {
        form.querySelectorAll('input[name^="fit.before."][data-last]').forEach(function (input) {
          if (!input.value.trim()) { input.value = input.getAttribute("data-last"); }
        });
      } else {
        var section = document.getElementById("section-" + action.slice(5));
        section.querySelectorAll(".field[data-last]").forEach(function (field) {
          if (valueOf(field) !== undefined) { return; }
          var last = JSON.parse(field.getAttribute("data-last"));
          var text = field.querySelector('input:not([type="radio"]):not([type="checkbox"])');
          if (text) { text.value = last[0]; } else { last.forEach(function (v) { check(field, v); }); }
        });
      }
      changed();
    });
  });

  // --- the advice, live ---------------------------------------------------------------------------------
  var panel = document.getElementById("advice");
  var side = document.getElementById("advice-panel");
  var bar = document.getElementById("advice-bar");
  var barWord = document.getElementById("bar-word");
  var barCounts = document.getElementById("bar-counts");
  function showBar(body) {
    barWord.textContent = body ? body.getAttribute("data-word") : "Not up to date";
    barCounts.textContent = body ? body.getAttribute("data-counts") : "";
  }
  var status = document.getElementById("advice-status");
  var openButton = document.getElementById("open-advice");
  var closeButton = document.getElementById("close-advice");
  var draftClient = form.querySelector('input[name="draft_client"]');
  var narrow = window.matchMedia("(max-width: 899px)");
  var lastTier = null;
  var lastSummary = null;

  function layout() {
    var useBar = narrow.matches;
    bar.hidden = !useBar;
    root.classList.toggle("has-bar", useBar);
    if (!useBar) { closeSheet(false); }
  }
  function openSheet() {
    side.classList.add("open");
    side.setAttribute("role", "dialog");
    side.setAttribute("aria-modal", "true");
    closeButton.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    form.inert = true;
    bar.inert = true;
    side.scrollTop = 0;
    closeButton.focus();
  }
  function closeSheet(refocus) {
    if (!side.classList.contains("open")) { return; }
    side.classList.remove("open");
    side.removeAttribute("role");
    side.removeAttribute("aria-modal");
    closeButton.hidden = true;
    openButton.setAttribute("aria-expanded", "false");
    form.inert = false;
    bar.inert = false;
    if (refocus) { openButton.focus(); }
  }
  // A control focused near the foot of the screen is scrolled clear of the bar (a browser's own
  // scrolling on focus brings it just into the window, under the bar).
  form.addEventListener("focusin", function (event) {
    if (bar.hidden) { return; }
    var box = event.target.getBoundingClientRect();
    var limit = window.innerHeight - bar.offsetHeight - 8;
    if (box.bottom > limit) { window.scrollBy(0, Math.min(box.bottom - limit, box.top - 8)); }
  });
  side.querySelector(".to-sections").addEventListener("click", function () { closeSheet(false); });
  openButton.addEventListener("click", openSheet);
  closeButton.addEventListener("click", function () { closeSheet(true); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closeSheet(true); }
  });
  narrow.addEventListener("change", layout);

  function busy(on) {
    panel.setAttribute("aria-busy", on ? "true" : "false");
    document.getElementById("bar-updating").hidden = !on;
    document.getElementById("panel-updating").hidden = !on;
  }
  // Values the server could not read are marked on their fields as the fitter goes, and left
  // out of the advice until mended (the advice, an emergency above all, still shows).
  function markInvalid(body) {
    var invalid = {};
    try { invalid = JSON.parse(body.getAttribute("data-invalid") || "{}"); } catch (e) { invalid = {}; }
    fields.forEach(function (field) {
      var qid = field.getAttribute("data-question");
      var message = invalid[qid];
      // A mark stays until the field holds a value the server can read (or a new message).
      if (!message && valueOf(field) === undefined) { return; }
      field.classList.toggle("invalid", !!message);
      field.querySelectorAll("p.error").forEach(function (old) { old.remove(); });
      inputsOf(field).forEach(function (input) {
        if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      });
      if (message) {
        var note = document.createElement("p");
        note.className = "error";
        note.id = "err-" + qid;
        note.textContent = message;
        field.appendChild(note);
        var target = field.querySelector("fieldset.options") || inputsOf(field)[0];
        var described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (described.indexOf(note.id) === -1) { described.push(note.id); }
        target.setAttribute("aria-describedby", described.join(" "));
      }
    });
  }
  function showAdvice(html) {
    panel.innerHTML = html;
    var body = panel.querySelector(".advice-body");
    if (body) { markInvalid(body); }
    var tier = body ? body.getAttribute("data-tier") : "";
    var text = body ? body.getAttribute("data-summary") : "The advice could not be brought up to date.";
    var alarm = tier === "emergency" || tier === "urgent";
    showBar(body);
    bar.classList.toggle("alarm", alarm);
    bar.setAttribute("data-tier", tier || "");
    if (body) {
      var nowReturning = body.getAttribute("data-returning") === "1";
      if (nowReturning !== returning) { returning = nowReturning; refresh(false); }
    }
    if (text !== lastSummary && lastSummary !== null) {
      status.textContent = "Advice updated. " + text;  // short: the tier and the counts, not the whole advice
    }
    // A red flag: the emergency or urgent advice comes on screen at once, wherever the fitter is.
    if (alarm && lastTier !== tier && lastTier !== null) {
      if (narrow.matches) { openSheet(); } else { side.scrollTop = 0; }
    }
    lastTier = tier;
    lastSummary = text;
  }
  var timer = null;
  var asked = 0;
  function update() {
    var ticket = ++asked;
    var sent = new FormData(form);
    fetch("/consult/advice", { method: "POST", body: sent, credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) {
          // The draft is this page's once the server kept it (not while another waits under the name).
          if (response.headers.get("X-Draft") === "kept") {
            // Kept under the client's name, or their id when two clients share the name.
            var key = response.headers.get("X-Draft-Client");
            draftClient.value = key !== null ? decodeURIComponent(key) : (sent.get("client") || "");
          }
          return response.text();
        }
        // Never leave old advice standing beside new answers (a red flag must not read as "no warning signs").
        return '<p class="error" role="alert">The advice could not be brought up to date (the session may have ' +
          'ended). Reload the page, or press "Review the advice and save" below.</p>';
      })
      .then(function (html) { if (ticket === asked) { busy(false); showAdvice(html); } })
      .catch(function () {
        if (ticket === asked) {
          busy(false);
          showAdvice('<p class="error" role="alert">The studio cannot be reached; the advice shown is not up to date.</p>');
        }
      });
  }
  function refresh(ask, quiet) {
    var answers = applyConditions();
    showProgress(answers);
    if (ask) {
      if (!quiet) { busy(true); }
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    }
  }
  // The fit record and the notes do not change the advice (no "Updating"), but they are kept
  // in the draft too.
  function quietField(target) {
    return !!target && !!target.name && (target.name.indexOf("fit.") === 0 || target.name === "notes");
  }
  function changed(event) {
    dirty = true;
    refresh(true, quietField(event && event.target));
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    // The name is sent when it is complete (on change), so no draft is kept under "An" or "Ann".
    if (event.target && event.target.id !== "client" && event.target.type !== "radio" && event.target.type !== "checkbox") {
      changed(event);
    }
  });
  // "Keep these answers": this page takes the name's draft over from the one waiting.
  panel.addEventListener("click", function (event) {
    if (event.target && event.target.id === "take-draft") {
      draftClient.value = event.target.getAttribute("data-key") || form.querySelector("#client").value;
      refresh(true, false);
    }
  });

  layout();
  refresh(false);
  var first = panel.querySelector(".advice-body");
  if (first) {
    lastTier = first.getAttribute("data-tier");
    lastSummary = first.getAttribute("data-summary");
    showBar(first);
    bar.classList.toggle("alarm", lastTier === "emergency" || lastTier === "urgent");
  }
})();
