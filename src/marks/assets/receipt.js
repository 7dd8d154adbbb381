'use strict';
// The receipt's print button (a static script: the pages allow no inline script).
document.addEventListener('DOMContentLoaded', function () {
  var button = document.getElementById('print');
  if (button) button.addEventListener('click', function () { window.print(); });
});
