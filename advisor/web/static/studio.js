// The advice beside the consultation form follows the answers as they change. Without this
// script the form still works: submitting it shows the advice page.
(function () {
  "use strict";
  var form = document.getElementById("consult");
  var panel = document.getElementById("advice");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null;
  var asked = 0;
  function update() {
    var ticket = ++asked;
    fetch("/consult/advice", { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) { return response.text(); }
        // Never leave old advice standing beside new answers (a red flag must not read as "no warning signs").
        return '<p class="error" role="alert">The advice could not be brought up to date (the session may have ' +
          'ended). Reload the page, or press "See the advice and record it" below.</p>';
      })
      .then(function (html) {
        if (ticket === asked) { panel.innerHTML = html; }  // only the newest answer counts
      })
      .catch(function () {
        if (ticket === asked) {
          panel.innerHTML = '<p class="error" role="alert">The studio cannot be reached; the advice shown is not up to date.</p>';
        }
      });
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  }
  // The fit record does not change the advice: typing a setting asks for nothing.
  function onAnswer(event) {
    var name = event.target && event.target.name;
    if (name && name.indexOf("fit.") === 0) { return; }
    soon();
  }
  form.addEventListener("change", onAnswer);
  form.addEventListener("input", onAnswer);
})();
