/* Field-team phone page: deliveries and shelters, usable offline.
 *
 * Every change (delivery status, delivery receipt, occupancy) goes into a queue in
 * IndexedDB with an Idempotency-Key made once, when the change is made. The queue
 * survives reloads and is sent in order on load, when the connection returns, every
 * 30 seconds and on "Send now"; the server applies a key once, so sending twice is safe.
 * Vanilla JavaScript, no library: the page must stay light for cheap Android phones.
 */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("field-data").textContent);
  var L = JSON.parse(document.getElementById("field-labels").textContent);
  var CSRF = (document.querySelector("meta[name=csrf-token]") || {}).content || "";
  var DB_NAME = "siaga-field", STORE = "queue";
  var syncing = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      document.body.setAttribute("data-sw", "ready");
    }).catch(function () { document.body.setAttribute("data-sw", "failed"); });
  }

  // ------------------------------------------------------------ IndexedDB queue

  function openDb() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function allQueued() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return (rows || []).filter(function (r) { return r.userId === DATA.user_id; })
        .sort(function (a, b) { return a.id - b.id; });
    });
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function enqueue(url, body, label, ref) {
    var entry = { key: uuid(), url: url, body: JSON.stringify(body), label: label, ref: ref || null,
                  userId: DATA.user_id, state: "waiting", error: null, created: new Date().toISOString() };
    return tx("readwrite", function (s) { s.add(entry); }).then(function () {
      flash(L.queued);
      return showQueue();
    }).then(function () { if (navigator.onLine) sync(); });
  }

  // ------------------------------------------------------------ sending

  function errorText(status, body) {
    if (body && body.message) return body.message;
    if (body && body.fields) return Object.keys(body.fields).map(function (k) { return k + ": " + body.fields[k]; }).join("; ");
    return "HTTP " + status;
  }

  function sync() {
    if (syncing) return Promise.resolve();
    syncing = true;
    var changed = false;
    return allQueued().then(function (rows) {
      var pending = rows.filter(function (r) { return r.state !== "failed"; });
      function next(i) {
        if (i >= pending.length) return null;
        var row = pending[i];
        return fetch(row.url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Idempotency-Key": row.key, "X-CSRFToken": CSRF },
          body: row.body
        }).then(function (resp) {
          return resp.json().catch(function () { return null; }).then(function (body) {
            if (resp.ok) {
              changed = true;
              return tx("readwrite", function (s) { s.delete(row.id); }).then(function () { return next(i + 1); });
            }
            if (resp.status === 401) { flash(L.login, true); return null; }
            if (resp.status >= 500 || resp.status === 429) return null;  // try again later
            row.state = "failed";
            row.error = errorText(resp.status, body);
            return tx("readwrite", function (s) { s.put(row); }).then(function () { return next(i + 1); });
          });
        });
      }
      return next(0);
    }).catch(function () { return null; })  // offline: stays queued
      .then(function () {
        syncing = false;
        return showQueue();
      }).then(function () { if (changed) return refresh(); });
  }

  function refresh() {
    return fetch("/api/v1/aid/field/tasks", { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) return;
      return resp.json().then(function (body) {
        DATA.deliveries = body.deliveries;
        DATA.shelters = body.shelters;
        render();
      });
    }).catch(function () { return null; });
  }

  // ------------------------------------------------------------ drawing

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function flash(text, bad) {
    var box = document.getElementById("queue-box");
    var old = box.querySelector(".msg, .err");
    if (old) old.remove();
    box.insertBefore(el("p", { "class": bad ? "err" : "msg", text: text }), box.children[1]);
  }

  function showNet() {
    var net = document.getElementById("net");
    net.textContent = navigator.onLine ? L.online : L.offline;
    net.className = "net" + (navigator.onLine ? "" : " off");
  }

  function showQueue() {
    return allQueued().then(function (rows) {
      var list = document.getElementById("queue-list");
      list.textContent = "";
      rows.forEach(function (r) {
        var li = el("li", { "class": r.state, "data-key": r.key }, [
          document.createTextNode(r.label + " · " + (L[r.state] || r.state) + (r.error ? ": " + r.error : ""))
        ]);
        if (r.state === "failed") {
          li.appendChild(el("button", { type: "button", "class": "fbtn small", text: L.discard, onclick: function () {
            tx("readwrite", function (s) { s.delete(r.id); }).then(showQueue);
          } }));
        }
        list.appendChild(li);
      });
      document.getElementById("queue-count").textContent = String(rows.length);
      document.getElementById("queue-empty").hidden = rows.length > 0;
      document.body.setAttribute("data-queued", String(rows.length));
      return rows;
    });
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        function (p) { resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy }); },
        function () { resolve(null); },
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 60000 }
      );
    });
  }

  function shrinkPhoto(file) {
    return new Promise(function (resolve) {
      if (!file) return resolve(null);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, 1024 / Math.max(img.width, img.height));
        var c = document.createElement("canvas");
        c.width = Math.round(img.width * scale); c.height = Math.round(img.height * scale);
        c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(img.src);
        resolve(c.toDataURL("image/jpeg", 0.6));
      };
      img.onerror = function () { resolve(null); };
      img.src = URL.createObjectURL(file);
    });
  }

  function pendingFor(rows, ref) {
    return rows.filter(function (r) { return r.ref === ref && r.state !== "failed"; });
  }

  function statusButton(d, target, label) {
    return el("button", { type: "button", "class": "fbtn primary", "data-action": target, text: label, onclick: function () {
      position().then(function (pos) {
        var body = { status: target };
        if (pos) { body.lat = pos.lat; body.lon = pos.lon; }
        return enqueue("/api/v1/aid/distributions/" + d.id + "/status", body, d.code + " → " + label, "d" + d.id + ":" + target);
      }).then(render);
    } });
  }

  function receiptForm(d) {
    var form = el("form", { "class": "receipt", "data-distribution": String(d.id) });
    d.lines.forEach(function (line) {
      var id = "rq-" + d.id + "-" + line.item_id;
      form.appendChild(el("label", { "for": id, text: line.item + " (" + L.sent + " " + line.quantity + " " + line.unit + ")" }));
      form.appendChild(el("input", { id: id, name: "q" + line.item_id, type: "number", min: "0", max: String(line.quantity),
        step: "1", inputmode: "numeric", value: String(line.quantity) }));
    });
    form.appendChild(el("label", { "for": "rn-" + d.id, text: L.receiver }));
    form.appendChild(el("input", { id: "rn-" + d.id, name: "receiver_name", maxlength: "200", autocomplete: "name" }));
    form.appendChild(el("label", { "for": "rp-" + d.id, text: L.photo }));
    form.appendChild(el("input", { id: "rp-" + d.id, name: "photo", type: "file", accept: "image/*", capture: "environment" }));
    form.appendChild(el("button", { type: "submit", "class": "fbtn primary", text: L.save }));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var name = form.elements.receiver_name.value.trim();
      if (!name) { flash(L.need_name, true); return; }
      var lines = d.lines.map(function (line) {
        return { item_id: line.item_id, quantity_received: form.elements["q" + line.item_id].value };
      });
      var receivedAt = new Date().toISOString();
      Promise.all([position(), shrinkPhoto(form.elements.photo.files[0])]).then(function (res) {
        var body = { lines: lines, receiver_name: name, received_at: receivedAt };
        if (res[0]) { body.lat = res[0].lat; body.lon = res[0].lon; body.accuracy_m = res[0].accuracy_m; }
        if (res[1]) body.photo = res[1];
        return enqueue("/api/v1/aid/distributions/" + d.id + "/receipt", body, d.code + " → " + L.received, "d" + d.id + ":delivered");
      }).then(render);
    });
    return form;
  }

  function deliveryCard(d, queued) {
    var mine = pendingFor(queued, "d" + d.id + ":loaded").length ? "loaded" : null;
    if (pendingFor(queued, "d" + d.id + ":in_transit").length) mine = "in_transit";
    if (pendingFor(queued, "d" + d.id + ":delivered").length) mine = "delivered";
    var status = mine || d.status;
    var card = el("div", { "class": "fcard delivery", "data-id": String(d.id), "data-status": status }, [
      el("h3", { text: d.code + " · " + d.shelter.name }),
      el("span", { "class": "pill", text: L["status_" + status] || status }),
      el("p", { "class": "muted", text: L.from + ": " + d.depot.name + (d.vehicle ? " · " + L.vehicle + ": " + d.vehicle : "") }),
      el("ul", {}, d.lines.map(function (l) { return el("li", { text: l.item + ": " + l.quantity + " " + l.unit }); }))
    ]);
    if (status === "planned") card.appendChild(statusButton(d, "loaded", L.loaded));
    if (status === "loaded") card.appendChild(statusButton(d, "in_transit", L.in_transit));
    if (status === "loaded" || status === "in_transit") {
      var details = el("details", {}, [el("summary", { "class": "fbtn", text: L.deliver })]);
      details.appendChild(receiptForm(d));
      card.appendChild(details);
    }
    return card;
  }

  function shelterCard(s) {
    var form = el("form", { "class": "occupancy", "data-shelter": String(s.id) });
    var kind = el("select", { name: "kind", "aria-label": L.occupancy }, [
      el("option", { value: "check_in", text: L.check_in }), el("option", { value: "check_out", text: L.check_out })
    ]);
    var people = el("input", { name: "people", type: "number", min: "1", step: "1", inputmode: "numeric", "aria-label": L.people, placeholder: L.people });
    form.appendChild(el("div", { "class": "row2" }, [kind, people]));
    form.appendChild(el("button", { type: "submit", "class": "fbtn primary", text: L.save }));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var n = parseInt(people.value, 10);
      if (!(n > 0)) { flash(L.need_people, true); return; }
      var label = s.name + " · " + (kind.value === "check_in" ? L.check_in : L.check_out) + " " + n;
      enqueue("/api/v1/shelters/" + s.id + "/occupancy", { kind: kind.value, people: n }, label, "s" + s.id)
        .then(function () { people.value = ""; });
    });
    return el("div", { "class": "fcard shelter", "data-id": String(s.id) }, [
      el("h3", { text: s.name }),
      el("p", { text: L.occupancy + ": " + s.occupants + " / " + s.capacity }),
      form
    ]);
  }

  function render() {
    return allQueued().then(function (queued) {
      var box = document.getElementById("deliveries");
      box.textContent = "";
      (DATA.deliveries || []).forEach(function (d) { box.appendChild(deliveryCard(d, queued)); });
      if (!(DATA.deliveries || []).length) box.appendChild(el("p", { "class": "muted", text: L.no_deliveries }));
      var sbox = document.getElementById("shelters");
      sbox.textContent = "";
      (DATA.shelters || []).forEach(function (s) { sbox.appendChild(shelterCard(s)); });
      if (!(DATA.shelters || []).length) sbox.appendChild(el("p", { "class": "muted", text: L.no_shelters }));
      return showQueue();
    });
  }

  document.getElementById("sync-now").addEventListener("click", function () { sync(); });
  window.addEventListener("online", function () { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  setInterval(function () { if (navigator.onLine) sync(); }, 30000);
  showNet();
  render().then(function () {
    document.body.setAttribute("data-ready", "1");
    if (navigator.onLine) sync();
  });
  window.siagaField = { sync: sync, queued: allQueued };
})();
