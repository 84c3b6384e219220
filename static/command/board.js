/* Coverage board: the plan's stations on a map, coloured by state (Leaflet).
 * No inline script (CSP): settings come in data- attributes. The page itself
 * refreshes with a meta refresh and carries the points in a JSON data block;
 * they are drawn as vector circles, so
 * they show even when the tile server cannot be reached. */
(function () {
  "use strict";

  var mapEl = document.getElementById("coverage-map");
  var status = document.getElementById("map-status");
  var picker = document.getElementById("election-select");
  if (picker) {
    picker.addEventListener("change", function () {
      picker.form.submit();
    });
  }
  if (!mapEl) return;
  if (!window.L) {
    status.textContent = mapEl.dataset.libraryFailed;
    return;
  }
  var COLOURS = { reporting: "#1b7a3a", arrived: "#3fa35b", silent: "#d64545", missing: "#7a0916", planned: "#9aa5b1", left: "#52606d" };
  var map = window.L.map(mapEl, { worldCopyJump: true });
  map.setView([48.0, 67.0], 4);
  var tiles = window.L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 18, attribution: mapEl.dataset.attribution });
  tiles.on("tileerror", function () {
    status.textContent = mapEl.dataset.tilesFailed;
  });
  tiles.addTo(map);
  var renderer = window.L.canvas();

  // The page carries its points (a JSON data block, not a script): one computation per refresh.
  var bounds = [];
  JSON.parse(document.getElementById("coverage-points").textContent).forEach(function (p) {
    var label = document.createElement("span");
    label.textContent = p.station + ": " + p.state;
    window.L.circleMarker([p.lat, p.lon], {
      renderer: renderer, radius: 6, weight: 1, color: COLOURS[p.state] || "#52606d",
      fillColor: COLOURS[p.state] || "#52606d", fillOpacity: 0.75
    }).bindTooltip(label).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
  mapEl.dataset.pointsLoaded = String(bounds.length);
})();
