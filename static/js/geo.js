// Fills the hidden latitude/longitude/accuracy fields from the browser's GPS.
(function () {
  var status = document.getElementById("gps-status");
  var form = document.getElementById("report-form");
  if (!form || !navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.elements.latitude.value = pos.coords.latitude.toFixed(6);
    form.elements.longitude.value = pos.coords.longitude.toFixed(6);
    form.elements.accuracy_m.value = Math.round(pos.coords.accuracy);
    status.textContent = "GPS: ±" + Math.round(pos.coords.accuracy) + " m";
  }, function () {
    status.textContent = "GPS unavailable: the report can still be sent.";
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
