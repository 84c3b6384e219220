/* Messages from the coordinators, on the observer's phone.
 *
 * - The messages are fetched from the API (GET /api/v1/messages/, which marks
 *   them delivered) whenever the outbox syncs: at page load, when the network
 *   returns, when the app comes back to the screen, and every minute.
 * - They are kept on the phone (IndexedDB "observer-messages", one record per
 *   user), so the banner and the list show offline too.
 * - Opening a message records it as read on the phone at once and queues its
 *   read receipt (POST /api/v1/messages/{id}/read/, idempotent on the server);
 *   the queue is sent as soon as the network allows, oldest first.
 * The page script of the outbox (app.js) is untouched; this file shares only
 * the page data (#page-data) with it. No framework, no third-party code.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("page-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : null;
  var SYNC_EVERY_MS = 60000;
  var REQUEST_TIMEOUT_MS = 20000;

  function $(id) { return document.getElementById(id); }
  function t(key, params) {
    var text = (data && data.strings && data.strings[key]) || key;
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(params && params[name]); });
  }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function request(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) { controller.abort(); } }, REQUEST_TIMEOUT_MS);
    options.credentials = "same-origin";
    options.cache = "no-store";
    options.signal = controller ? controller.signal : undefined;
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  // ---- On the phone: { owner, messages: [...], pendingReads: [{id, at}] } --------
  var dbPromise = null;
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open("observer-messages", 1);
        req.onupgradeneeded = function () { req.result.createObjectStore("inbox", { keyPath: "owner" }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function empty(owner) { return { owner: owner, messages: [], pendingReads: [] }; }
  function load(owner) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var req = db.transaction("inbox", "readonly").objectStore("inbox").get(owner);
        req.onsuccess = function () { resolve(req.result || empty(owner)); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  // Read, change and write the record in one transaction (another tab may write too).
  function update(owner, change) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction("inbox", "readwrite");
        var store = transaction.objectStore("inbox");
        var result = null;
        var req = store.get(owner);
        req.onsuccess = function () {
          result = change(req.result || empty(owner));
          store.put(result);
        };
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  // ---- What the observer sees ------------------------------------------------------
  var openIds = {};
  function isRead(state, message) {
    return Boolean(message.read_at) || state.pendingReads.some(function (p) { return p.id === message.id; });
  }
  function formatTime(iso) {
    var d = new Date(iso);
    return d.toLocaleString(data.language || undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }
  function render(state) {
    var section = $("messages");
    var list = $("messages-list");
    var banner = $("messages-banner");
    if (!section || !list || !banner) { return; }
    var unread = state.messages.filter(function (m) { return !isRead(state, m); });
    list.textContent = "";
    state.messages.forEach(function (m) {
      var item = document.createElement("li");
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      var read = isRead(state, m);
      details.setAttribute("data-message-id", String(m.id));
      details.setAttribute("data-read", read ? "true" : "false");
      if (m.language) { details.setAttribute("lang", m.language); }
      summary.textContent = formatTime(m.sent_at) + (read ? "" : " · " + t("messages_new"));
      var text = document.createElement("p");
      text.className = "message-text";
      text.textContent = m.text;
      details.appendChild(summary);
      details.appendChild(text);
      if (openIds[m.id]) { details.open = true; }
      details.addEventListener("toggle", function () {
        // A re-render opens a new element again: only an unread one sends a receipt.
        if (details.open) {
          openIds[m.id] = true;
          if (!read) { markRead(m.id); }
        } else {
          delete openIds[m.id];
        }
      });
      item.appendChild(details);
      list.appendChild(item);
    });
    section.hidden = state.messages.length === 0;
    section.setAttribute("data-count", String(state.messages.length));
    section.setAttribute("data-unread", String(unread.length));
    section.setAttribute("data-pending-reads", String(state.pendingReads.length));
    banner.hidden = unread.length === 0;
    if (unread.length) {
      $("messages-banner-title").textContent = t("messages_unread", { count: unread.length });
      $("messages-banner-text").textContent = unread[0].text;
      $("messages-banner-text").setAttribute("lang", unread[0].language || data.language || "");
      banner.setAttribute("data-message-id", String(unread[0].id));
    }
    var waiting = $("messages-read-waiting");
    if (state.pendingReads.length && !waiting) {
      waiting = document.createElement("p");
      waiting.id = "messages-read-waiting";
      section.appendChild(waiting);
    }
    if (waiting) {
      waiting.hidden = !state.pendingReads.length;
      waiting.textContent = t("messages_read_waiting");
    }
  }

  // ---- Sync with the server ---------------------------------------------------------
  var syncing = false;
  function fetchMessages() {
    return request(data.api.messages, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) { return null; }
      return response.json().then(function (body) {
        return update(data.user, function (state) {
          state.messages = body.results || [];
          return state;
        });
      });
    }, function () { return null; }); // offline: keep what the phone has
  }
  function sendReads() {
    return load(data.user).then(function (state) {
      var queue = state.pendingReads.slice();
      function next() {
        if (!queue.length) { return null; }
        var pending = queue.shift();
        var url = data.api.messageRead.replace("{id}", String(pending.id));
        return request(url, { method: "POST", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" } }).then(function (response) {
          // 200: recorded (again, or first); 404: the message is gone. Either way it leaves the queue.
          if (response.status !== 200 && response.status !== 404) { return null; } // try again at the next sync
          return response.json().catch(function () { return null; }).then(function (body) {
            return update(data.user, function (s) {
              s.pendingReads = s.pendingReads.filter(function (p) { return p.id !== pending.id; });
              s.messages.forEach(function (m) { if (m.id === pending.id && body && body.read_at) { m.read_at = body.read_at; } });
              return s;
            }).then(function (s) { render(s); return next(); });
          });
        }, function () { return null; }); // offline: the queue waits
      }
      return next();
    });
  }
  function sync() {
    if (syncing) { return Promise.resolve(); }
    syncing = true;
    return sendReads().then(fetchMessages).then(function () { return load(data.user); }).then(render)
      .catch(function () { /* IndexedDB unavailable: nothing to show */ })
      .then(function () { syncing = false; });
  }
  function markRead(id) {
    return update(data.user, function (state) {
      var message = state.messages.filter(function (m) { return m.id === id; })[0];
      var already = !message || message.read_at || state.pendingReads.some(function (p) { return p.id === id; });
      if (!already) { state.pendingReads.push({ id: id, at: Date.now() }); }
      return state;
    }).then(function (state) { render(state); return sync(); });
  }

  function forgetMessages() {
    // Logged out: the next person on this phone must not read them. Unsent receipts stay.
    if (!window.indexedDB) { return; }
    openDb().then(function (db) {
      var store = db.transaction("inbox", "readwrite").objectStore("inbox");
      var req = store.openCursor();
      req.onsuccess = function () {
        var cursor = req.result;
        if (!cursor) { return; }
        var state = cursor.value;
        if (state.pendingReads.length) { state.messages = []; cursor.update(state); } else { cursor["delete"](); }
        cursor["continue"]();
      };
    }).catch(function () { /* nothing kept */ });
  }

  function init() {
    if (!data) {
      if (document.querySelector("[data-logged-out]")) { forgetMessages(); }
      return;
    }
    if (!data.api || !data.api.messages || !window.indexedDB || !$("messages")) { return; }
    var open = $("messages-banner-open");
    if (open) {
      open.addEventListener("click", function () {
        var id = $("messages-banner").getAttribute("data-message-id");
        var details = id && document.querySelector("#messages-list details[data-message-id='" + id + "']");
        if (details) {
          details.open = true; // the toggle sends the receipt
          details.scrollIntoView({ block: "nearest" });
          details.querySelector("summary").focus();
        }
      });
    }
    load(data.user).then(render, function () { /* no IndexedDB */ });
    window.addEventListener("online", sync);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { sync(); } });
    setInterval(sync, SYNC_EVERY_MS);
    sync();
    $("messages").setAttribute("data-enhanced", "true");
  }
  init();
})();
