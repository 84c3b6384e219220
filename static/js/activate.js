/* Activation page: the badge's QR code opens /activate/#<code>. Browsers never
 * send the fragment to a server, so no log holds the code. This script moves
 * it into the form, removes it from the address bar and history, and submits
 * the form (a normal POST: the server opens a session and goes to the report
 * form). Without JavaScript the observer types the code instead. */
(function () {
  "use strict";
  var form = document.getElementById("activate-form");
  if (!form) { return; }
  var field = form.querySelector("[name=code]");
  var device = form.querySelector("[name=device_label]");
  if (device && !device.value) {
    var ua = navigator.userAgent || "";
    var model = /\(([^)]*)\)/.exec(ua);
    device.value = ("web " + (model ? model[1] : ua)).slice(0, 100);
  }
  var code = decodeURIComponent((window.location.hash || "").replace(/^#/, "")).trim();
  if (!code) { return; }
  if (window.history && history.replaceState) {
    history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  // A code already refused on this page is not sent again in a loop.
  if (form.querySelector(".error")) { return; }
  field.value = code;
  var progress = document.getElementById("activate-progress");
  if (progress) { progress.hidden = false; }
  form.setAttribute("data-auto", "true");
  if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
}());
