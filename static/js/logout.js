/* Logging out on a shared phone.
 *
 * The field page keeps a copy of itself (service worker cache) and a queue of changes not yet
 * sent (IndexedDB, one entry per change, tagged with the user). On logout:
 *  - if this user still has queued changes, ask first: they stay on the phone and are sent
 *    when the same user opens the field page again (the queue only ever sends its own
 *    user's entries);
 *  - delete the cached field page, so the next person on this phone does not see this
 *    user's assignments offline.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-logout]");
  if (!form) return;
  var DB_NAME = "siaga-field", STORE = "queue";

  function countUnsent(userId) {
    if (!window.indexedDB) return Promise.resolve(0);
    // Where the browser can list its databases, do not create the field queue by looking.
    var exists = indexedDB.databases
      ? indexedDB.databases().then(function (dbs) { return dbs.some(function (d) { return d.name === DB_NAME; }); })
      : Promise.resolve(true);
    return exists.then(function (there) {
      if (!there) return 0;
      return new Promise(function (resolve) {
        var req = indexedDB.open(DB_NAME, 1);
        // Opened first here: create the store exactly as static/js/field.js does.
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
        req.onerror = function () { resolve(0); };
        req.onsuccess = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains(STORE)) { db.close(); resolve(0); return; }
          var all = db.transaction(STORE, "readonly").objectStore(STORE).getAll();
          all.onerror = function () { db.close(); resolve(0); };
          all.onsuccess = function () {
            db.close();
            resolve((all.result || []).filter(function (r) { return String(r.userId) === userId; }).length);
          };
        };
      });
    }).catch(function () { return 0; });
  }

  function clearFieldCaches() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(DB_NAME) === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).catch(function () { return null; });
  }

  var going = false;
  form.addEventListener("submit", function (event) {
    if (going) return;
    event.preventDefault();
    countUnsent(form.getAttribute("data-user-id")).then(function (n) {
      if (n > 0 && !window.confirm(form.getAttribute("data-unsent").replace("{n}", String(n)))) return null;
      return clearFieldCaches().then(function () {
        going = true;
        form.submit();
      });
    });
  });
})();
