/* Service worker of the field page (served as /field/sw.js, scope /field/).
 *
 * Keeps the page shell (the page, its script and style) so that the page reloads without
 * a connection. The page: network first, the last good copy when offline. Script and
 * style: the cached copy at once, refreshed in the background. Writes (POST) and API
 * calls are never touched: the page queues them in IndexedDB and sends them itself.
 */
"use strict";

var CACHE = "siaga-field-v1";
var PAGE = "/field/";
var ASSETS = ["/static/js/field.js", "/static/css/field.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll([PAGE].concat(ASSETS));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function pageFromNetwork(request) {
  return fetch(request).then(function (response) {
    // Only a real page is kept: never a login redirect or an error.
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
    }
    return response;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE && request.mode === "navigate") {
    event.respondWith(
      pageFromNetwork(request).catch(function () {
        return caches.match(PAGE, { ignoreVary: true }).then(function (hit) { return hit || Response.error(); });
      })
    );
    return;
  }
  if (ASSETS.indexOf(url.pathname) !== -1) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(url.pathname, { ignoreVary: true }).then(function (hit) {
          var fresh = fetch(request).then(function (response) {
            if (response.ok) cache.put(url.pathname, response.clone());
            return response;
          });
          if (hit) {
            fresh.catch(function () { return null; });
            return hit;
          }
          return fresh;
        });
      })
    );
  }
});
