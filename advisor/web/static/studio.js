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
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && ticket === asked) { panel.innerHTML = html; }  // only the newest answer counts
      })
      .catch(function () { /* offline for a moment: the next change tries again */ });
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  }
  form.addEventListener("change", soon);
  form.addEventListener("input", soon);
})();
