/* Observer web app: the checklist pages (templates/checklists/).
 *
 * Without this script the form is a plain multipart POST. With it:
 * - the list marks the form of the phase the station's local time calls for
 *   (recomputed here, since the page may come from the service worker's copy);
 * - a filed form goes into the outbox of static/js/app.js (window.observerOutbox)
 *   as a record of its own kind, sent to POST /api/v1/checklists/ as multipart:
 *   the answers as JSON text, each photo question's photo (resized once on the
 *   phone) under `photos`, its answer the photo's file name.
 * Kept apart from app.js so that other page scripts can change beside it.
 */
(function () {
  "use strict";

  var api = window.observerOutbox;
  if (!api || !api.data || !api.data.checklists) { return; }
  var data = api.data;
  var c = data.checklists;
  var t = api.t;
  function $(id) { return document.getElementById(id); }

  function stationZone() {
    var select = $("id_station");
    var option = select && select.tagName === "SELECT" ? select.options[select.selectedIndex] : null;
    return (option && option.getAttribute("data-tz")) || c.tz;
  }
  function phaseNow() {
    var hour = +api.zoneParts(stationZone(), new Date()).hour % 24;
    for (var i = 0; i < c.phaseHours.length; i++) {
      if (hour < c.phaseHours[i][0]) { return c.phaseHours[i][1]; }
    }
    return c.phaseHours[c.phaseHours.length - 1][1];
  }

  function markSuggested(list) {
    var phase = phaseNow();
    Array.prototype.forEach.call(list.querySelectorAll("li[data-phase]"), function (item) {
      var now = item.getAttribute("data-phase") === phase;
      item.classList.toggle("suggested", now);
      var link = item.querySelector("a");
      link.classList.toggle("secondary", !now);
      item.querySelector(".now").hidden = !now;
    });
    list.setAttribute("data-suggested", phase);
  }

  // ---- The form -----------------------------------------------------------------
  function answersOf(form) {
    var answers = {};
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (node) {
      var code = node.getAttribute("data-question");
      var type = node.getAttribute("data-type");
      var input = form.elements["answer-" + code];
      if (type === "photo") {
        if (input.files && input.files[0]) { files.push({ code: code, file: input.files[0] }); }
        return;
      }
      var value = type === "yes_no" || type === "choice" ? input.value : input.value.trim();
      if (value === "") { return; }
      if (type === "yes_no") { answers[code] = value === "yes"; } else if (type === "number") { answers[code] = Number(value); } else { answers[code] = value; }
    });
    return { answers: answers, files: files };
  }

  function photosOf(files) {
    return Promise.all(files.map(function (entry) {
      return api.shrink(entry.file).then(function (photo) {
        var ext = /jpe?g$/i.test(photo.type) ? ".jpg" : (photo.name.match(/\.[^.]*$/) || [""])[0];
        photo.name = entry.code + ext; // the answer names it: unique within the checklist
        return { code: entry.code, photo: photo };
      });
    }));
  }

  function enhanceForm(form) {
    var status = $("form-status");
    var pendingId = null;
    function outcome(text, state) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }
    api.onChange(function (records) {
      if (!pendingId) { return; }
      var record = records.filter(function (r) { return r.id === pendingId; })[0];
      if (!record) {
        if (api.sent(pendingId)) { outcome(t("checklist_sent"), "sent"); }
      } else if (record.state === "failed") {
        outcome(t("state_failed") + ": " + record.error, "failed");
      } else {
        outcome(t("checklist_queued"), "queued");
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) { outcome(t("checklist_invalid"), "invalid"); return; }
      var collected = answersOf(form);
      var now = Date.now();
      photosOf(collected.files).then(function (photos) {
        photos.forEach(function (p) { collected.answers[p.code] = p.photo.name; });
        var station = form.elements.station.value;
        var fields = {
          client_uuid: form.elements.client_uuid.value,
          election: data.election,
          station: station,
          form: c.form.code,
          form_version: String(c.form.version),
          answers: JSON.stringify(collected.answers),
          occurred_at: new Date(now).toISOString()
        };
        var record = {
          id: fields.client_uuid, owner: data.user, createdAt: now, endpoint: "checklists", fields: fields,
          photos: photos.map(function (p) { return p.photo; }),
          state: "queued", attempts: 0, nextAttemptAt: 0,
          summary: { station: station, category: t("checklist_summary", { form: c.form.title }), time: new Date(now).toLocaleString(data.language) }
        };
        pendingId = record.id;
        return api.put(record).then(function () {
          outcome(t("checklist_queued"), "queued");
          form.reset();
          form.elements.client_uuid.value = api.newUuid(); // the next checklist is a new one
          window.scrollTo(0, 0);
        });
      }).catch(function () {
        // No usable IndexedDB: the plain form.
        form.submit();
      });
    });
    form.setAttribute("data-enhanced", "true");
  }

  var list = $("checklist-forms");
  if (list) { markSuggested(list); }
  var form = $("checklist-form");
  if (form) { enhanceForm(form); }
})();
