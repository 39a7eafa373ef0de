// The correspondence page's print button: shown only when script runs (the browser's own
// print menu does the same without it).
(function () {
  "use strict";
  var button = document.getElementById("print-page");
  if (!button) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
})();
