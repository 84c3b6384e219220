/* Situation page: the map of reports (Leaflet) and the auto-refresh.
 *
 * No inline script anywhere (the Content-Security-Policy forbids it): the page
 * passes its settings in data- attributes. The points are vector circles, so
 * they are drawn even when the tile server cannot be reached (offline, blocked,
 * or MAP_TILE_URL wrong); a note says the background is missing.
 */
(function () {
  "use strict";

  var mapEl = document.getElementById("situation-map");
  var live = document.getElementById("situation-live");
  var updated = document.getElementById("situation-updated");
  var mapStatus = document.getElementById("map-status");
  var picker = document.getElementById("election-select");

  if (picker) {
    picker.addEventListener("change", function () {
      picker.form.submit();
    });
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) el.className = className;
    return el;
  }

  function popup(point) {
    var box = document.createElement("div");
    box.appendChild(text("strong", point.station + " " + point.name));
    box.appendChild(document.createElement("br"));
    box.appendChild(
      text(
        "span",
        point.reports + " " + mapEl.dataset.labelReports + " · " +
        point.critical + " " + mapEl.dataset.labelCritical + " · " +
        point.open + " " + mapEl.dataset.labelOpen
      )
    );
    box.appendChild(document.createElement("br"));
    var link = text("a", mapEl.dataset.labelQueue);
    link.href = point.href;
    box.appendChild(link);
    return box;
  }

  function colour(point) {
    if (point.critical > 0) return "#7a0916";
    if (point.open > 0) return "#b42318";
    return "#52606d";
  }

  var map = null;
  var layer = null;
  var fitted = false;
  var svgRenderer = null;
  var canvasRenderer = null;

  function initMap() {
    if (!mapEl) return;
    if (!window.L) {
      mapStatus.textContent = mapEl.dataset.libraryFailed;
      return;
    }
    map = window.L.map(mapEl, { worldCopyJump: true, zoomControl: true });
    map.setView([48.0, 67.0], 4);
    svgRenderer = window.L.svg();
    canvasRenderer = window.L.canvas();
    var tiles = window.L.tileLayer(mapEl.dataset.tileUrl, {
      maxZoom: 18,
      attribution: mapEl.dataset.attribution,
      crossOrigin: false
    });
    var warned = false;
    tiles.on("tileerror", function () {
      if (warned) return;
      warned = true;
      mapEl.classList.add("tiles-failed");
      mapStatus.textContent = mapEl.dataset.tilesFailed;
    });
    tiles.addTo(map);
    layer = window.L.layerGroup().addTo(map);
    if (mapEl.dataset.coverageUrl) {
      // The coverage board's points (the plan's stations by state), as a layer to switch on.
      coverageLayer = window.L.layerGroup();
      var overlays = {};
      overlays[mapEl.dataset.labelCoverage] = coverageLayer;
      window.L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      map.on("overlayadd", loadCoverage);
    }
    loadPoints();
  }

  var coverageLayer = null;
  var COVERAGE_COLOURS = { reporting: "#1b7a3a", arrived: "#3fa35b", silent: "#d64545", missing: "#7a0916", planned: "#9aa5b1", left: "#52606d" };

  function loadCoverage() {
    if (!coverageLayer || !map.hasLayer(coverageLayer)) return;
    fetch(mapEl.dataset.coverageUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        coverageLayer.clearLayers();
        data.points.forEach(function (p) {
          var colour = COVERAGE_COLOURS[p.state] || "#52606d";
          window.L.circleMarker([p.lat, p.lon], { renderer: canvasRenderer, radius: 4, weight: 2, color: colour, fill: false })
            .bindTooltip(text("span", p.station + ": " + p.state))
            .addTo(coverageLayer);
        });
        mapEl.dataset.coverageLoaded = String(data.points.length);
      })
      .catch(function () {
        mapStatus.textContent = mapEl.dataset.coverageFailed;
      });
  }

  function loadPoints() {
    if (!map) return;
    fetch(mapEl.dataset.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        layer.clearLayers();
        // Many stations: one canvas is much faster than thousands of SVG nodes.
        var renderer = data.points.length > 2000 ? canvasRenderer : svgRenderer;
        var bounds = [];
        data.points.forEach(function (point) {
          window.L.circleMarker([point.lat, point.lon], {
            renderer: renderer,
            radius: Math.min(4 + Math.sqrt(point.reports) * 3, 28),
            color: colour(point),
            weight: 1,
            fillColor: colour(point),
            fillOpacity: 0.55,
            className: "report-point"
          })
            .bindPopup(popup(point))
            // An element, not a string: Leaflet would parse a string as HTML, and the
            // station code comes from the registry (an import file).
            .bindTooltip(text("span", point.station + ": " + point.reports))
            .addTo(layer);
          bounds.push([point.lat, point.lon]);
        });
        if (!fitted && bounds.length) {
          map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
          fitted = true;
        }
        mapEl.dataset.pointsLoaded = String(data.points.length);
      })
      .catch(function () {
        mapStatus.textContent = mapEl.dataset.pointsFailed;
      });
  }

  function refresh() {
    if (document.hidden || !live) return;
    fetch(live.dataset.fragmentUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        // Our own server-rendered (escaped) fragment, same origin.
        live.innerHTML = html;
        var stamp = live.querySelector(".counters");
        if (updated && stamp) {
          updated.textContent = updated.textContent.replace(/\d\d:\d\d:\d\d/, stamp.dataset.generated);
        }
        live.dataset.refreshed = String(Number(live.dataset.refreshed || "0") + 1);
      })
      .catch(function () {
        if (updated && mapEl) updated.textContent = mapEl.dataset.refreshFailed;
      });
    loadPoints();
    loadCoverage();
  }

  initMap();
  if (live) {
    var seconds = Math.max(Number(live.dataset.refreshSeconds) || 60, 5);
    window.setInterval(refresh, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refresh();
    });
  }
})();
