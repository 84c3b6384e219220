/* Observer web app: progressive enhancement of the server-rendered pages.
 *
 * Without this script every page still works (plain form POST). With it:
 * - the report form keeps each report in an on-phone outbox (IndexedDB) with its
 *   client_uuid and its photos, already resized ONCE, and sends it through the
 *   API; a resend always carries the same bytes, so the server's idempotency
 *   answers 200 instead of filing a second report (or 409);
 * - a report leaves the phone only after the server answered 201/200; network
 *   errors and 5xx are retried with capped exponential backoff; 409 and other
 *   4xx are shown to the observer and not retried;
 * - one tab at a time sends (Web Locks), so two tabs never post one report twice;
 * - a service worker (/sw.js) keeps the pages for offline use;
 * - GPS, nearest stations and the station's local time are filled in;
 * - the check-in buttons (arrived / all quiet / leaving) go through the same
 *   outbox, to the check-ins endpoint, with the phone's moment and GPS fix;
 * - the page shows when the server cannot be reached (a failed request, not the
 *   browser's own idea of "online"), and logging out or switching language
 *   without network leaves the observer on a working page.
 * No framework, no third-party code.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("page-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : null;
  var S = (data && data.strings) || {};
  var BACKOFF_BASE_MS = 2000;
  var BACKOFF_MAX_MS = 30000;
  var REQUEST_TIMEOUT_MS = 120000;

  function t(key, params) {
    var text = S[key] || key;
    return text.replace(/%\((\w+)\)s/g, function (_, name) {
      return params && params[name] !== undefined ? params[name] : "";
    });
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ---- Time at the station (IANA zone, never a fixed offset) -----------------
  function deviceZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
  }
  function zoneParts(zone, date) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit"
    }).formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }
  function zoneOffsetMinutes(zone, date) {
    var p = zoneParts(zone, date);
    var asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
    return Math.round((asUtc - (date.getTime() - date.getMilliseconds())) / 60000);
  }
  function formatOffset(minutes) {
    var sign = minutes < 0 ? "-" : "+";
    var abs = Math.abs(minutes);
    return sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }
  function nowInZone(zone) {
    var p = zoneParts(zone, new Date());
    return p.year + "-" + p.month + "-" + p.day + "T" + pad(+p.hour % 24) + ":" + p.minute;
  }
  // "2021-01-10T09:30" read on the station's wall clock -> ISO 8601 with its offset.
  function localToIso(value, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!m) { return null; }
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var offset = zoneOffsetMinutes(zone, new Date(wall));
    var second = zoneOffsetMinutes(zone, new Date(wall - offset * 60000));
    if (second !== offset) { offset = second; }
    return m[1] + "-" + m[2] + "-" + m[3] + "T" + m[4] + ":" + m[5] + ":00" + formatOffset(offset);
  }

  // ---- IndexedDB: the outbox ------------------------------------------------
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var request = indexedDB.open("observer", 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains("outbox")) { db.createObjectStore("outbox", { keyPath: "id" }); }
          if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function tx(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        // Evidence: a write is reported done only once it is on disk.
        var transaction = db.transaction(store, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
        var result;
        var request = work(transaction.objectStore(store));
        request.onsuccess = function () { result = request.result; };
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }
  var outbox = {
    all: function () { return tx("outbox", "readonly", function (s) { return s.getAll(); }); },
    get: function (id) { return tx("outbox", "readonly", function (s) { return s.get(id); }); },
    put: function (record) { return tx("outbox", "readwrite", function (s) { return s.put(record); }); },
    remove: function (id) { return tx("outbox", "readwrite", function (s) { return s["delete"](id); }); },
    getMeta: function (key) { return tx("meta", "readonly", function (s) { return s.get(key); }); },
    setMeta: function (key, value) { return tx("meta", "readwrite", function (s) { return s.put(value, key); }); }
  };
  function mine(records) {
    return records.filter(function (r) { return r.owner === data.user; })
      .sort(function (a, b) { return a.createdAt - b.createdAt; });
  }

  // ---- Sending ---------------------------------------------------------------
  var channel = window.BroadcastChannel ? new BroadcastChannel("observer-outbox") : null;
  var sendingId = null;
  var authExpired = false;
  var checkinView = null; // set by the check-in panel: called with the outbox on every render
  var formView = null; // set by the report form: shows the outcome of the report just filed
  var sent = {}; // ids of reports this page saw the server accept
  var currentFix = function () { return null; }; // the report form's GPS fix, once it has one
  var timer = null;
  var pageViews = []; // other page scripts' views of the outbox (observerOutbox.onChange)

  function changed() {
    if (channel) { channel.postMessage("changed"); }
    render();
  }

  // ---- Network state: what the last request to the server showed ----------------
  // navigator.onLine says only whether the phone has some network, not whether
  // the server answers; every request of this script tells, and while it does
  // not answer a small page is asked for now and then.
  var PROBE_EVERY_MS = 15000;
  var probeTimer = null;
  function setNetwork(up) {
    var root = document.documentElement;
    var was = root.getAttribute("data-network");
    root.setAttribute("data-network", up ? "online" : "offline");
    var badge = $("network-state");
    if (badge) { badge.hidden = up; }
    clearTimeout(probeTimer);
    if (!up) { probeTimer = setTimeout(probe, PROBE_EVERY_MS); }
    if (up && was === "offline") { flush(true); }
  }
  function probe() {
    if (!data || !data.probe) { return Promise.resolve(); }
    return fetch(data.probe, { credentials: "same-origin", cache: "no-store" })
      .then(function () { setNetwork(true); }, function () { setNetwork(false); });
  }
  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(function () { flush(false); }, Math.max(500, ms));
  }
  function backoff(record) {
    record.attempts = (record.attempts || 0) + 1;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, record.attempts - 1));
    record.nextAttemptAt = Date.now() + Math.round(delay * (0.75 + Math.random() * 0.25));
    return outbox.put(record);
  }
  function formData(record) {
    var body = new FormData();
    Object.keys(record.fields).forEach(function (k) {
      var v = record.fields[k];
      if (v !== null && v !== undefined && v !== "") { body.append(k, v); }
    });
    (record.photos || []).forEach(function (photo) {
      body.append("photos", new Blob([photo.bytes], { type: photo.type }), photo.name);
    });
    return body;
  }
  function post(record) {
    var controller = window.AbortController ? new AbortController() : null;
    var timeout = setTimeout(function () { if (controller) { controller.abort(); } }, REQUEST_TIMEOUT_MS);
    return fetch(data.api[record.endpoint || "reports"], {
      method: "POST",
      body: formData(record),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    }).finally(function () { clearTimeout(timeout); });
  }
  function describeError(status, body) {
    if (status === 409) { return t("conflict"); }
    if (!body) { return "HTTP " + status; }
    if (body.detail) { return body.detail; }
    return Object.keys(body).map(function (field) {
      var messages = body[field];
      return field + ": " + (Array.isArray(messages) ? messages.join(" ") : String(messages));
    }).join(" ");
  }
  // An ended session or an expired token: the report waits for the next login.
  var AUTH_CODES = ["not_authenticated", "authentication_failed", "permission_denied", "token_expired"];

  // Send what is due, oldest first. Runs in one tab at a time.
  function sendDue(force) {
    return outbox.all().then(function (records) {
      var queue = mine(records).filter(function (r) { return r.state === "queued"; });
      var i = 0;
      function next() {
        if (i >= queue.length) { return null; }
        var candidate = queue[i++];
        if (!force && candidate.nextAttemptAt > Date.now()) { return next(); }
        // Re-read: another tab may have sent or deleted it meanwhile.
        return outbox.get(candidate.id).then(function (record) {
          if (!record || record.state !== "queued") { return next(); }
          sendingId = record.id;
          render();
          return post(record).then(function (response) {
            return response.json().catch(function () { return null; }).then(function (body) {
              sendingId = null;
              var code = body && body.code;
              setNetwork(true);
              if (response.status === 201 || response.status === 200) {
                authExpired = false;
                sent[record.id] = true;
                if (channel) { channel.postMessage({ sent: record.id }); }
                force = true; // the network is back: send the rest now
                return outbox.remove(record.id)
                  .then(function () { return outbox.setMeta("lastSync", Date.now()); })
                  .then(function () { changed(); refreshReceived(); return next(); });
              }
              if (response.status === 401 || (response.status === 403 && AUTH_CODES.indexOf(code) >= 0)) {
                authExpired = true; // keep it: it goes once the observer logs in again
                return backoff(record).then(changed);
              }
              if (response.status === 408 || response.status === 429 || response.status >= 500) {
                return backoff(record).then(changed);
              }
              record.state = "failed";
              record.status = response.status;
              record.error = describeError(response.status, body);
              return outbox.put(record).then(function () { changed(); return next(); });
            });
          }, function () {
            // Network error (or timeout): the report may or may not have arrived;
            // resending the same client_uuid and bytes is safe either way.
            sendingId = null;
            setNetwork(false);
            return backoff(record).then(changed);
          });
        });
      }
      return next();
    });
  }
  function scheduleNext() {
    return outbox.all().then(function (records) {
      var due = mine(records).filter(function (r) { return r.state === "queued"; })
        .map(function (r) { return r.nextAttemptAt || 0; });
      if (due.length) { schedule(Math.min.apply(null, due) - Date.now()); }
    });
  }
  var flushing = false;
  function flush(force) {
    if (!data || !data.api) { return Promise.resolve(); }
    var run = function () {
      return sendDue(force).catch(function () { sendingId = null; }).then(scheduleNext);
    };
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request("observer-outbox", { ifAvailable: true }, function (lock) {
        if (!lock) { schedule(2000); return null; } // another tab is sending
        return run();
      });
    }
    if (flushing) { schedule(2000); return Promise.resolve(); }
    flushing = true;
    return run().then(function () { flushing = false; }, function () { flushing = false; });
  }

  // ---- Outbox status and list ------------------------------------------------
  function formatTime(ms) {
    try {
      return new Date(ms).toLocaleString(data.language, { hour: "2-digit", minute: "2-digit", day: "numeric", month: "short" });
    } catch (e) { return new Date(ms).toISOString(); }
  }
  function render() {
    if (!data || !data.api) { return Promise.resolve(); }
    return Promise.all([outbox.all(), outbox.getMeta("lastSync")]).then(function (values) {
      var records = mine(values[0]);
      var lastSync = values[1];
      var box = $("outbox-status");
      if (box) {
        var waiting = records.length;
        box.hidden = false;
        $("outbox-count").textContent = waiting ? t("waiting_count", { count: waiting }) : t("waiting_none");
        var sync = $("outbox-sync");
        sync.textContent = (lastSync ? t("last_sync", { time: formatTime(lastSync) }) : t("last_sync_never")) +
          (authExpired ? " " + t("login_again") + " " : "");
        if (authExpired && data.login) {
          sync.appendChild(el("a", { id: "outbox-login", href: data.login + "?next=" + encodeURIComponent(location.pathname) }, t("login_link")));
        }
        $("outbox-send").hidden = !records.some(function (r) { return r.state === "queued"; });
        box.setAttribute("data-waiting", String(waiting));
        box.setAttribute("data-last-sync", String(lastSync || 0));
      }
      renderList(records);
      if (checkinView) { checkinView(records); }
      if (formView) { formView(records); }
      pageViews.forEach(function (view) { view(records); });
    }).catch(function () { /* IndexedDB unavailable: the plain form still works */ });
  }
  function renderList(records) {
    var list = $("outbox-list");
    if (!list) { return; }
    $("on-phone").hidden = records.length === 0;
    list.textContent = "";
    records.slice().reverse().forEach(function (r) {
      var state = r.state === "failed" ? "failed" : (r.id === sendingId ? "sending" : "queued");
      var item = el("li", { "class": "report status-" + state, "data-client-uuid": r.id });
      var head = el("p", { "class": "report-head" });
      head.appendChild(el("strong", {}, r.summary.station));
      head.appendChild(document.createTextNode(" · " + r.summary.category));
      item.appendChild(head);
      var badge = el("p");
      badge.appendChild(el("span", { "class": "badge badge-" + state }, t("state_" + state)));
      item.appendChild(badge);
      item.appendChild(el("p", { "class": "muted" }, r.summary.time));
      if (r.error) { item.appendChild(el("p", { "class": "error" }, r.error)); }
      var discard = el("button", { type: "button", "class": "secondary" }, t("discard"));
      discard.addEventListener("click", function () {
        if (window.confirm(t("confirm_discard"))) { outbox.remove(r.id).then(changed); }
      });
      item.appendChild(discard);
      list.appendChild(item);
    });
  }
  // On "My reports", replace the server part when a report arrived.
  function refreshReceived() {
    var section = $("server-reports");
    if (!section || !data.myReports) { return; }
    fetch(data.myReports + location.search, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (!html) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("server-reports");
      if (fresh) { section.innerHTML = fresh.innerHTML; }
    }).catch(function () { /* offline: keep what is shown */ });
  }

  // ---- Photos: resized and compressed once, before they are queued ------------
  var MAX_SIDE = 1600;
  var QUALITY = 0.8;
  function jpegExifSegment(bytes) {
    var view = new DataView(bytes);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) { return null; }
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) { return null; }
      var length = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && length > 8 && view.getUint32(offset + 4) === 0x45786966) {
        return new Uint8Array(bytes.slice(offset, offset + 2 + length));
      }
      offset += 2 + length;
    }
    return null;
  }
  // Keep the camera's EXIF (GPS, capture time: the pipeline uses them) on the
  // resized copy, with orientation reset because the pixels are already upright.
  function withExif(original, resized) {
    var segment = jpegExifSegment(original);
    if (!segment) { return resized; }
    try {
      var v = new DataView(segment.buffer);
      var tiff = 10;
      var little = v.getUint16(tiff) === 0x4949;
      var ifd = tiff + v.getUint32(tiff + 4, little);
      var count = v.getUint16(ifd, little);
      for (var i = 0; i < count; i++) {
        var entry = ifd + 2 + i * 12;
        if (v.getUint16(entry, little) === 0x0112) { v.setUint16(entry + 8, 1, little); }
      }
    } catch (e) { return resized; }
    var body = new Uint8Array(resized);
    var out = new Uint8Array(body.length + segment.length);
    out.set(body.subarray(0, 2), 0);
    out.set(segment, 2);
    out.set(body.subarray(2), 2 + segment.length);
    return out.buffer;
  }
  function shrink(file) {
    return file.arrayBuffer().then(function (bytes) {
      var original = { name: file.name || "photo.jpg", type: file.type || "application/octet-stream", bytes: bytes };
      if (!window.createImageBitmap) { return original; }
      return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
        var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) { bitmap.close(); }
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); }).then(function (blob) {
          if (!blob || (scale === 1 && blob.size >= bytes.byteLength)) { return original; }
          return blob.arrayBuffer().then(function (small) {
            var isJpeg = /jpe?g$/i.test(original.type);
            return {
              name: original.name.replace(/\.[^.]*$/, "") + ".jpg",
              type: "image/jpeg",
              bytes: isJpeg ? withExif(bytes, small) : small
            };
          });
        });
      }, function () { return original; });
    });
  }

  // ---- The report form -------------------------------------------------------
  function enhanceForm(form) {
    var f = form.elements;
    var stations = {};
    (data.stations || []).forEach(function (s) { stations[s.code] = s; });
    var deployed = (data.stations || []).slice(0, 5);
    var nearest = [];
    var found = [];
    var fix = null;
    var timeTouched = false;
    currentFix = function () { return fix; };
    var severityTouched = false;
    var photosReady = Promise.resolve([]);
    var busy = false;
    var status = $("form-status");
    var more = $("station-more");
    var suggestions = $("station-suggestions");
    var listOpen = true;
    var pendingId = null; // the report last filed from this form

    // The outcome of the report just filed, under the button where the thumb is.
    function outcome(text, state) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }
    formView = function (records) {
      if (!pendingId) { return; }
      var record = records.filter(function (r) { return r.id === pendingId; })[0];
      if (!record) {
        if (sent[pendingId]) { outcome(t("sent"), "sent"); } else { outcome("", "none"); }
      } else if (record.state === "failed") {
        outcome(t("state_failed") + ": " + record.error, "failed");
      } else if (record.id === sendingId) {
        outcome(t("state_sending"), "sending");
      } else {
        outcome(t("queued"), "queued");
      }
    };

    try {
      JSON.parse(localStorage.getItem("stations:" + data.election) || "[]").forEach(function (s) {
        if (!stations[s.code]) { stations[s.code] = s; }
      });
    } catch (e) { /* nothing remembered */ }
    function remember(list) {
      list.forEach(function (s) { stations[s.code] = s; });
      try {
        var keep = Object.keys(stations).slice(-300).map(function (k) {
          var s = stations[k];
          return { code: s.code, name: s.name, settlement: s.settlement, lat: s.lat, lon: s.lon, tz: s.tz };
        });
        localStorage.setItem("stations:" + data.election, JSON.stringify(keep));
      } catch (e) { /* storage full: not essential */ }
    }
    function fromApi(s) {
      return { code: s.code, name: s.name, settlement: s.settlement, lat: s.latitude, lon: s.longitude,
        tz: s.region && s.region.timezone, distance: s.distance_m };
    }
    function zone() {
      var s = stations[f.station.value.trim()];
      return (s && s.tz) || deviceZone();
    }
    function showZone() {
      var z = zone();
      $("time-zone").textContent = t("time_zone", { zone: z, offset: formatOffset(zoneOffsetMinutes(z, new Date())) });
      var s = stations[f.station.value.trim()];
      $("station-chosen").textContent = s ? t("station_selected", { station: s.code + " · " + s.name }) : "";
    }
    function resetTime() { f.occurred_at.value = nowInZone(zone()); }
    function distanceText(m) {
      return m < 1000 ? t("distance_m", { distance: Math.round(m) }) : t("distance_km", { distance: (m / 1000).toFixed(1) });
    }
    function haversine(lat1, lon1, lat2, lon2) {
      var r = Math.PI / 180;
      var a = Math.pow(Math.sin((lat2 - lat1) * r / 2), 2) +
        Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin((lon2 - lon1) * r / 2), 2);
      return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
    }
    function section(container, title, list) {
      if (!list.length) { return; }
      var id = "suggest-" + container.childNodes.length;
      container.appendChild(el("p", { "class": "label", id: id }, title));
      var ul = el("ul", { "aria-labelledby": id });
      list.forEach(function (s) {
        var label = s.code + " · " + s.name + (s.distance !== undefined && s.distance !== null ? " — " + distanceText(s.distance) : "");
        var button = el("button", { type: "button", "data-code": s.code, "aria-pressed": String(f.station.value.trim() === s.code) }, label);
        button.addEventListener("click", function () { choose(s.code); });
        var li = el("li");
        li.appendChild(button);
        ul.appendChild(li);
      });
      container.appendChild(ul);
    }
    // With a station chosen the list stays folded behind "Other stations", so the
    // form is short and nothing below it moves when an answer arrives.
    function setOpen(open) {
      listOpen = open;
      suggestions.hidden = !open;
      more.hidden = false;
      more.setAttribute("aria-expanded", String(open));
    }
    // A station button the observer can see never moves: while the list is open,
    // a newer answer keeps the shown stations where they are and adds new ones after them.
    function settle(fresh) {
      if (!listOpen) { return fresh; }
      var byCode = {};
      fresh.forEach(function (s) { byCode[s.code] = s; });
      var kept = nearest.map(function (s) { return byCode[s.code] || s; });
      var shown = {};
      kept.forEach(function (s) { shown[s.code] = true; });
      return kept.concat(fresh.filter(function (s) { return !shown[s.code]; }));
    }
    function renderSuggestions() {
      var box = suggestions;
      box.textContent = "";
      if (found.length || f.station.value.trim() && !stations[f.station.value.trim()]) {
        if (found.length) { section(box, t("stations_found"), found); } else { box.appendChild(el("p", { "class": "help" }, t("stations_none"))); }
      }
      section(box, t("stations_yours"), deployed);
      section(box, t("stations_near"), nearest.filter(function (s) { return deployed.every(function (d) { return d.code !== s.code; }); }));
    }
    function choose(code) {
      f.station.value = code;
      found = [];
      setOpen(false);
      stationChanged();
    }
    function stationChanged() {
      if (!timeTouched) { resetTime(); }
      showZone();
      renderSuggestions();
    }
    var searchTimer = null;
    function search() {
      var q = f.station.value.trim();
      if (!q || stations[q]) { found = []; stationChanged(); return; }
      if (!listOpen) { setOpen(true); }
      var lower = q.toLowerCase();
      var local = Object.keys(stations).map(function (k) { return stations[k]; }).filter(function (s) {
        return s.code.indexOf(q) === 0 || (s.name || "").toLowerCase().indexOf(lower) >= 0 || (s.settlement || "").toLowerCase().indexOf(lower) >= 0;
      }).slice(0, 8);
      found = local;
      stationChanged();
      var url = data.api.stations + "?election=" + encodeURIComponent(data.election) + "&q=" + encodeURIComponent(q) + "&limit=8";
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
        if (!body || f.station.value.trim() !== q) { return; }
        var remote = body.results.map(fromApi);
        remember(remote);
        var codes = {};
        found = local.concat(remote).filter(function (s) { if (codes[s.code]) { return false; } codes[s.code] = 1; return true; }).slice(0, 8);
        renderSuggestions();
      }).catch(function () { /* offline: local matches only */ });
    }
    function findNearest() {
      if (!fix) { return; }
      var local = Object.keys(stations).map(function (k) {
        var s = stations[k];
        return Object.assign({}, s, { distance: haversine(fix.lat, fix.lon, s.lat, s.lon) });
      }).sort(function (a, b) { return a.distance - b.distance; }).slice(0, 5);
      nearest = settle(local);
      deployed.forEach(function (d) { d.distance = haversine(fix.lat, fix.lon, d.lat, d.lon); });
      renderSuggestions();
      var url = data.api.stations + "?election=" + encodeURIComponent(data.election) + "&near=" + fix.lat.toFixed(5) + "," + fix.lon.toFixed(5) + "&limit=5";
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) { return r.ok ? r.json() : null; }).then(function (body) {
        if (!body) { return; }
        var remote = body.results.map(fromApi);
        remember(remote);
        nearest = settle(remote);
        renderSuggestions();
      }).catch(function () { /* offline: computed from the stations this phone knows */ });
    }

    // GPS, with a clear state when it is refused or unavailable.
    var gpsStatus = $("gps-status");
    var gpsRetry = $("gps-retry");
    var watchId = null;
    var nearestAt = null;
    function gps(text, kind) {
      gpsStatus.textContent = text;
      gpsStatus.className = kind ? "gps-" + kind : "";
      gpsStatus.setAttribute("data-state", kind || "pending");
    }
    function startGps() {
      gpsRetry.hidden = true;
      if (!navigator.geolocation) { gps(t("gps_unsupported"), "warn"); return; }
      gps(t("gps_locating"));
      if (watchId !== null) { navigator.geolocation.clearWatch(watchId); }
      watchId = navigator.geolocation.watchPosition(function (position) {
        var c = position.coords;
        if (!(c.accuracy <= data.maxAccuracyM)) {
          // Vaguer than the server accepts (it would refuse the report): no fix at all.
          if (!fix) { gps(t("gps_unavailable"), "warn"); gpsRetry.hidden = false; }
          return;
        }
        var fresh = { lat: c.latitude, lon: c.longitude, acc: c.accuracy, at: position.timestamp };
        if (!fix || fresh.acc <= fix.acc || fresh.at - fix.at > 60000) { fix = fresh; }
        f.latitude.value = fix.lat.toFixed(6);
        f.longitude.value = fix.lon.toFixed(6);
        f.accuracy_m.value = String(Math.round(fix.acc));
        gps(t("gps_fix", { accuracy: Math.round(fix.acc) }), "ok");
        if (!nearestAt || haversine(nearestAt.lat, nearestAt.lon, fix.lat, fix.lon) > 200) { nearestAt = fix; findNearest(); }
      }, function (error) {
        if (error.code === 1) {
          gps(t("gps_denied"), "denied");
          navigator.geolocation.clearWatch(watchId);
          watchId = null;
          gpsRetry.hidden = false;
        } else if (!fix) {
          gps(t("gps_unavailable"), "warn");
          gpsRetry.hidden = false;
        }
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
    }
    gpsRetry.addEventListener("click", startGps);

    // Photos are prepared as soon as they are chosen, once.
    var photoInput = $("id_photos");
    photoInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(photoInput.files || []);
      var photoStatus = $("photos-status");
      photoStatus.textContent = files.length ? t("photos_preparing") : "";
      photoStatus.removeAttribute("data-ready");
      photosReady = Promise.all(files.map(shrink));
      photosReady.then(function (photos) {
        var size = photos.reduce(function (sum, p) { return sum + p.bytes.byteLength; }, 0);
        photoStatus.textContent = photos.length ? t("photos_ready", { count: photos.length, size: Math.round(size / 1024) }) : "";
        photoStatus.setAttribute("data-ready", String(photos.length));
      });
    });

    f.station.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
    f.station.addEventListener("change", search);
    f.occurred_at.addEventListener("input", function () { timeTouched = true; });
    f.severity.addEventListener("input", function () { severityTouched = true; });
    f.category.addEventListener("change", function () {
      var severity = (data.severityByCategory || {})[f.category.value];
      if (!severityTouched && severity) { f.severity.value = severity; }
    });

    function fresh() {
      // A cached copy of this page carries an old id and time: never reuse them.
      f.client_uuid.value = newUuid();
      f.description.value = "";
      f.category.value = "";
      f.severity.value = "";
      photoInput.value = "";
      $("photos-status").textContent = "";
      $("photos-status").removeAttribute("data-ready");
      photosReady = Promise.resolve([]);
      timeTouched = false;
      severityTouched = false;
      resetTime();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      var zoneName = zone();
      var occurred = localToIso(f.occurred_at.value, zoneName);
      if (!f.station.value.trim() || !f.category.value || !occurred) { pendingId = null; outcome(t("required"), "invalid"); return; }
      busy = true;
      f.send.disabled = true;
      var category = f.category.options[f.category.selectedIndex];
      var station = stations[f.station.value.trim()];
      photosReady.then(function (photos) {
        var fields = {
          client_uuid: f.client_uuid.value,
          election: f.election.value,
          station: f.station.value.trim(),
          category: f.category.value,
          severity: f.severity.value,
          occurred_at: occurred,
          description: f.description.value
        };
        if (fix) {
          fields.latitude = fix.lat.toFixed(6);
          fields.longitude = fix.lon.toFixed(6);
          fields.accuracy_m = String(Math.round(fix.acc));
        }
        var record = {
          id: fields.client_uuid,
          owner: data.user,
          createdAt: Date.now(),
          fields: fields,
          photos: photos,
          state: "queued",
          attempts: 0,
          nextAttemptAt: 0,
          summary: {
            station: station ? station.code + " · " + station.name : fields.station,
            category: category ? category.textContent : fields.category,
            time: f.occurred_at.value.replace("T", " ") + " (" + zoneName + ")"
          }
        };
        return outbox.put(record).then(function () {
          pendingId = record.id;
          outcome(t("queued"), "queued");
          if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
          fresh();
          changed();
          return flush(true);
        });
      }).catch(function () {
        // No usable IndexedDB (e.g. a locked-down browser): post the plain form.
        form.submit();
      }).then(function () {
        busy = false;
        f.send.disabled = false;
      });
    });

    fresh();
    more.addEventListener("click", function () { setOpen(!listOpen); });
    setOpen(!stations[f.station.value.trim()]);
    if (f.station.value.trim()) { stationChanged(); } else { showZone(); renderSuggestions(); }
    startGps();
    form.setAttribute("data-enhanced", "true");
  }

  // ---- Check-ins: arrived, all quiet, leaving -----------------------------------
  // The panel shows the newest of what the server knew when the page was made
  // and what this phone did since (kept in the outbox's meta store), so a page
  // opened offline from the service worker's copy is right too.
  function enhanceCheckin(form) {
    var c = data.checkin;
    var metaKey = "checkin:" + data.election + ":" + c.station;
    var buttons = { arrived: $("checkin-arrived"), all_quiet: $("checkin-all-quiet"), left: $("checkin-left") };
    var statusLine = $("checkin-status");
    var known = c.last;
    var waiting = false;
    var chosen = null;

    function clock(ms) {
      var p = zoneParts(c.tz, new Date(ms));
      return pad(+p.hour % 24) + ":" + p.minute;
    }
    function show() {
      var present = !!known && (known.kind === "arrived" || known.kind === "all_quiet");
      buttons.arrived.hidden = present;
      buttons.all_quiet.hidden = !present;
      buttons.left.hidden = !(present && (!c.leavingFrom || Date.now() >= c.leavingFrom));
      statusLine.textContent = known
        ? t("checkin_last", { what: t("checkin_" + known.kind), time: clock(known.at) }) + (waiting ? " " + t("checkin_waiting") : "")
        : t("checkin_none");
      form.setAttribute("data-state", known ? known.kind : "none");
      form.setAttribute("data-waiting", String(waiting));
    }
    checkinView = function (records) {
      waiting = records.some(function (r) { return r.endpoint === "checkins" && r.state === "queued" && r.fields.station === c.station; });
      show();
    };
    form.addEventListener("click", function (event) {
      if (event.target && event.target.name === "kind") { chosen = event.target.value; }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = (event.submitter && event.submitter.value) || chosen;
      if (!kind) { return; }
      var now = Date.now();
      var fix = currentFix();
      var fields = {
        client_uuid: newUuid(),
        election: data.election,
        station: c.station,
        kind: kind,
        occurred_at: new Date(now).toISOString()
      };
      if (fix) {
        fields.latitude = fix.lat.toFixed(6);
        fields.longitude = fix.lon.toFixed(6);
        fields.accuracy_m = String(Math.round(fix.acc));
      }
      var record = {
        id: fields.client_uuid, owner: data.user, createdAt: now, endpoint: "checkins", fields: fields, photos: [],
        state: "queued", attempts: 0, nextAttemptAt: 0,
        summary: {
          station: c.station + " · " + c.stationName,
          category: t("checkin_summary", { what: t("checkin_" + kind) }),
          time: clock(now) + " (" + c.tz + ")"
        }
      };
      outbox.put(record).then(function () {
        known = { kind: kind, at: now };
        waiting = true;
        show();
        return outbox.setMeta(metaKey, known);
      }).then(function () {
        changed();
        return flush(true);
      }, function () {
        // No usable IndexedDB: the plain form, with the button's value.
        form.appendChild(el("input", { type: "hidden", name: "kind", value: kind }));
        form.submit();
      });
    });
    outbox.getMeta(metaKey).then(function (local) {
      if (local && (!known || local.at > known.at)) { known = local; }
      show();
    }, show);
    setInterval(show, 60000); // "Leaving" appears when the end of the shift comes near
    form.setAttribute("data-enhanced", "true");
  }

  // ---- Service worker and session ----------------------------------------------
  function forgetPages() {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "forget" });
    }
    if (window.caches) {
      return caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("pages-") === 0; }).map(function (k) { return caches["delete"](k); }));
      });
    }
    return Promise.resolve();
  }
  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "warmed") { document.documentElement.setAttribute("data-offline-ready", "true"); }
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      registration.active.postMessage({ type: "warm" });
    }).catch(function () { /* no offline support in this browser */ });
  }

  // Switching language asks the server first: without network the observer stays
  // on this page, with what they typed, instead of the browser's error page.
  function enhanceLanguages() {
    var form = $("language-form");
    if (!form || !window.fetch || !window.FormData) { return; }
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "language") { return; }
      event.preventDefault();
      var body = new FormData(form);
      body.set("language", button.value);
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
        .then(function () {
          location.assign(form.elements.next.value || location.href);
        }, function () {
          $("language-offline").hidden = false;
          setNetwork(false);
        });
    });
  }
  // The pages stay on the phone until the server has ended the session: without
  // network the observer stays logged in and can still file.
  function logOut(form) {
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
      .then(function (response) {
        setNetwork(true);
        if (!response.ok) { form.submit(); return null; } // the server's own answer
        return forgetPages().then(function () { location.assign(response.url || data.login); });
      }, function () {
        setNetwork(false);
        $("logout-offline").hidden = false;
      });
  }

  // ---- For the other page scripts (static/js/checklists.js): the one outbox -------
  // They put records of their own kinds (record.endpoint names data.api's URL);
  // sending, retrying and the outbox panel stay here.
  function exposeOutbox() {
    window.observerOutbox = {
      data: data,
      t: t,
      el: el,
      newUuid: newUuid,
      zoneParts: zoneParts,
      shrink: shrink,
      put: function (record) {
        return outbox.put(record).then(function () { changed(); flush(true); });
      },
      onChange: function (view) { pageViews.push(view); render(); },
      sent: function (id) { return !!sent[id]; }
    };
  }

  function init() {
    enhanceLanguages();
    if (!data) {
      // Logged out (login page): pages of the previous session must not stay on the phone.
      if (document.querySelector("[data-logged-out]")) { forgetPages(); }
      return;
    }
    registerWorker();
    exposeOutbox();
    var logout = $("logout-form");
    if (logout) {
      logout.addEventListener("submit", function (event) {
        event.preventDefault();
        outbox.all().then(mine, function () { return []; }).then(function (records) {
          if (records.length && !window.confirm(t("logout_waiting"))) { return; }
          logOut(logout);
        });
      });
    }
    var sendNow = $("outbox-send");
    if (sendNow) { sendNow.addEventListener("click", function () { flush(true); }); }
    var form = $("report-form");
    if (form && data.election) { enhanceForm(form); }
    var checkinForm = $("checkin-form");
    if (checkinForm && data.checkin) { enhanceCheckin(checkinForm); }
    if (channel) {
      channel.onmessage = function (event) {
        if (event.data && event.data.sent) { sent[event.data.sent] = true; }
        render();
        refreshReceived();
      };
    }
    window.addEventListener("online", probe);
    window.addEventListener("offline", function () { setNetwork(false); });
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { flush(true); } });
    render();
    probe();
    flush(true);
  }
  init();
})();
