/* Service worker of the observer web app (served as /sw.js, preceded by
 * `const SW_CONFIG = {...}` written by reports.views.observer.service_worker).
 *
 * - shell (CSS, JS, the offline page): cached at install, served cache-first;
 *   a new release has a new version, hence a new cache.
 * - pages (report form, my reports): network first; the last good copy is kept
 *   and served when the network fails or hangs. The form page carries the
 *   categories and the observer's stations, so it works offline.
 * - station search answers: network first, cached copy when offline.
 * - everything else (and every POST) goes to the network untouched: sending
 *   reports is the page's job (static/js/app.js), from its IndexedDB outbox.
 */
/* global SW_CONFIG */
"use strict";

var SHELL = "shell-" + SW_CONFIG.version;
var PAGES = "pages-v1";
var DATA = "pages-data-v1"; // "pages-" prefix: forgotten at logout too
var NAVIGATION_TIMEOUT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL).then(function (cache) {
      return cache.addAll(SW_CONFIG.shell.concat([SW_CONFIG.offline]));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("shell-") === 0 && k !== SHELL; }).map(function (k) {
        return caches["delete"](k);
      }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
  });
}

function keep(cacheName, key, response) {
  if (response && response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(cacheName).then(function (cache) { return cache.put(key, copy); });
  }
  return response;
}

function page(request) {
  var url = new URL(request.url);
  var path = url.pathname;
  // Only the page itself is kept (not "?page=2" of my reports under its name).
  var isAppPage = SW_CONFIG.pages.indexOf(path) >= 0 && !url.search;
  return withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS).then(function (response) {
    return isAppPage ? keep(PAGES, path, response) : response;
  }, function () {
    return caches.match(path, { cacheName: PAGES }).then(function (cached) {
      return cached || caches.match(SW_CONFIG.offline, { cacheName: SHELL });
    }).then(function (fallback) { return fallback || Response.error(); });
  });
}

function networkFirst(request, cacheName) {
  return fetch(request).then(function (response) { return keep(cacheName, request.url, response); }, function () {
    return caches.match(request.url, { cacheName: cacheName }).then(function (cached) { return cached || Response.error(); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (SW_CONFIG.shell.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL }).then(function (cached) { return cached || fetch(request); }));
  } else if (url.pathname === "/api/v1/stations/") {
    event.respondWith(networkFirst(request, DATA));
  }
});

// The page asks for its pages to be saved right after login ("warm"), and for
// them to be forgotten at logout ("forget").
function warm() {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(SW_CONFIG.pages.map(function (path) {
      return fetch(path, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
        if (response.ok && response.type === "basic") { return cache.put(path, response); }
        return null;
      }, function () { return null; });
    }));
  });
}

self.addEventListener("message", function (event) {
  var kind = event.data && event.data.type;
  if (kind === "warm") {
    event.waitUntil(warm().then(function () {
      if (event.source) { event.source.postMessage({ type: "warmed" }); }
    }));
  } else if (kind === "forget") {
    event.waitUntil(Promise.all([caches["delete"](PAGES), caches["delete"](DATA)]));
  }
});
