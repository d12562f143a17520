// An error page's "Back": the browser's own, shown only where there is a page to go back to.
// Without this script the browser's back button does the same.
(function () {
  "use strict";
  var button = document.querySelector("[data-back]");
  if (!button || window.history.length < 2) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.history.back(); });
})();
