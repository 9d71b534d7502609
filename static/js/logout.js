/* Logging out on a shared phone.
 *
 * The field page keeps a copy of itself (service worker cache) and a queue of changes not yet
 * sent (IndexedDB, one entry per change, tagged with the user). On logout:
 *  - if this user still has queued changes, ask first: they stay on the phone and are sent
 *    when the same user logs in again (the queue only ever sends its own user's entries);
 *  - delete the cached field page, so the next person on this phone does not see this
 *    user's assignments offline.
 */
(function () {
  "use strict";
  var form = document.querySelector("form[data-logout]");
  if (!form) return;
  var DB_NAME = "siaga-field", STORE = "queue";

  function countUnsent(userId) {
    // indexedDB.open() would create an empty database when there is none: look first.
    if (!window.indexedDB || !indexedDB.databases) return Promise.resolve(0);
    return indexedDB.databases().then(function (dbs) {
      if (!dbs.some(function (d) { return d.name === DB_NAME; })) return 0;
      return new Promise(function (resolve) {
        var req = indexedDB.open(DB_NAME);
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
