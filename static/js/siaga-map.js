/* Siaga Bencana operational map: layers fetched as GeoJSON for the visible box and zoom.
 *
 * Every text from the data goes into the page with textContent, never innerHTML, so a
 * shelter named <img src=x onerror=alert(1)> shows exactly that and runs nothing.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function fill(template, id) { return template.replace("{id}", encodeURIComponent(id)); }

  function shelterColour(p) {
    if (p.status === "closed") return "#8a8f98";
    if (!p.c) return p.o > 0 ? "#c62828" : "#2e7d32";
    var r = p.o / p.c;
    if (r < 0.7) return "#2e7d32";
    if (r <= 0.95) return "#f9a825";
    return "#c62828";
  }

  var KIND_COLOUR = { assembly: "#1565c0", tes: "#6a1b9a", helipad: "#00838f", other: "#455a64" };

  function clusterIcon(n, cls) {
    var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 44 : 52;
    return L.divIcon({
      html: "<span>" + String(n) + "</span>",
      className: "siaga-cluster " + cls,
      iconSize: [size, size]
    });
  }

  function SiagaMap(map, cfg) {
    this.map = map;
    this.cfg = cfg;
    this.L = cfg.labels || {};
    this.groups = {};
    this.pending = 0;
    this.loadedOnce = {};
    this.controller = {};
    var self = this;
    var overlays = {};
    cfg.layers.forEach(function (layer) {
      var g = L.layerGroup();
      g.siagaLayer = layer;
      self.groups[layer.id] = g;
      overlays[layer.label] = g;
      if (layer.visible !== false) g.addTo(map);
    });
    var bases = {};
    if (cfg.tileName && window[cfg.tileName]) bases[cfg.tileLabel || "OpenStreetMap"] = window[cfg.tileName];
    this.control = L.control.layers(bases, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
    map.on("overlayadd", function (e) { if (e.layer.siagaLayer) self.load(e.layer.siagaLayer.id); });
    var timer = null;
    map.on("moveend", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.loadAll(); }, 150);
    });
    if (cfg.nearestUrl) map.on("click", function (e) { self.nearest(e.latlng); });
    this.legend();
    this.loadAll();
  }

  SiagaMap.prototype.loadAll = function () {
    var self = this;
    Object.keys(this.groups).forEach(function (id) {
      if (self.map.hasLayer(self.groups[id])) self.load(id);
    });
    if (!Object.keys(this.groups).some(function (id) { return self.map.hasLayer(self.groups[id]); })) this.ready();
  };

  SiagaMap.prototype.load = function (id) {
    var self = this, layer = this.groups[id].siagaLayer, b = this.map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x, i) {
      var lim = i % 2 === 0 ? 180 : 90;
      return Math.max(-lim, Math.min(lim, x)).toFixed(5);
    }).join(",");
    var url = layer.url + (layer.url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + bbox + "&zoom=" + this.map.getZoom();
    if (this.controller[id]) this.controller[id].abort();
    var ctrl = this.controller[id] = new AbortController();
    this.pending++;
    fetch(url, { credentials: "same-origin", signal: ctrl.signal, headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { self.render(id, data); })
      .catch(function (err) { if (err.name !== "AbortError") self.error(layer, err); })
      .finally(function () {
        self.pending--;
        self.loadedOnce[id] = true;
        if (self.pending === 0) self.ready();
      });
  };

  SiagaMap.prototype.ready = function () {
    window.siagaMapReady = true;
    document.body.setAttribute("data-map-ready", "1");
  };

  SiagaMap.prototype.error = function (layer, err) {
    var box = document.getElementById("map-status");
    if (box) box.textContent = (this.L.load_error || "Could not load") + ": " + layer.label + " (" + err.message + ")";
  };

  SiagaMap.prototype.render = function (id, data) {
    var g = this.groups[id], self = this;
    g.clearLayers();
    var kind = g.siagaLayer.kind;
    (data.features || []).forEach(function (f) {
      var p = f.properties || {}, c = f.geometry && f.geometry.coordinates;
      if (!c) return;
      if (f.geometry.type !== "Point") {
        var shape = L.geoJSON(f, { style: self.polygonStyle(p) });
        shape.bindPopup(function () { return self.popup(kind, p); });
        g.addLayer(shape);
        return;
      }
      var ll = [c[1], c[0]];
      var m;
      if (p.cluster) {
        m = L.marker(ll, { icon: clusterIcon(p.n, kind) });
        if (kind === "shelters") {
          m.on("add", function () {
            var node = m.getElement();
            if (node) node.style.background = shelterColour({ status: "open", o: p.o, c: p.c });
          });
        }
        m.on("click", function () { self.map.setView(ll, Math.min(self.map.getZoom() + 2, 18)); });
        m.bindTooltip(el("span", { text: self.clusterText(kind, p) }));
      } else {
        m = L.circleMarker(ll, self.style(kind, p));
        m.bindPopup(function () { return self.popup(kind, p); });
        m.bindTooltip(el("span", { text: String(p.name || "") }));  // an element: Leaflet would parse a string as HTML
      }
      m.feature = f;
      g.addLayer(m);
    });
    g.siagaCount = (data.features || []).length;
  };

  SiagaMap.prototype.polygonStyle = function (p) {
    var colour = { AWAS: "#b71c1c", SIAGA: "#e65100", WASPADA: "#f9a825" }[p.level] || "#ef6c00";
    return { color: colour, weight: 2, fillOpacity: 0.15 };
  };

  SiagaMap.prototype.style = function (kind, p) {
    if (kind === "shelters") {
      return { radius: 8, color: p.stale ? "#000" : "#fff", weight: p.stale ? 3 : 1.5, dashArray: p.stale ? "3" : null,
               fillColor: shelterColour(p), fillOpacity: 0.9 };
    }
    if (kind === "points") {
      return { radius: 6, color: "#fff", weight: 1, fillColor: KIND_COLOUR[p.kind] || "#455a64", fillOpacity: 0.9 };
    }
    if (kind === "aid") return { radius: 6, color: "#4e342e", weight: 2, fillColor: p.colour || "#8d6e63", fillOpacity: 0.9 };
    return { radius: 9, color: "#b71c1c", weight: 2, fillColor: "#ef5350", fillOpacity: 0.7 };
  };

  SiagaMap.prototype.clusterText = function (kind, p) {
    if (kind === "shelters") return p.n + " " + (this.L.shelters || "shelters") + " · " + p.o + "/" + p.c;
    if (kind === "aid") return p.n + " " + (this.L.aid_cluster || "occupied shelters") + " · " + p.o + " " + (this.L.people || "people") + " · " + (this.L.zoom_in || "zoom in for coverage");
    return p.n + " " + (this.L[kind] || kind);
  };

  SiagaMap.prototype.popup = function (kind, p) {
    var L_ = this.L, cfg = this.cfg;
    var rows = [];
    var title = el("strong", { className: "popup-title", text: p.name || p.title || "" });
    rows.push(title);
    if (kind === "shelters") {
      rows.push(el("div", { className: "popup-status", text: (L_["status_" + p.status] || p.status) }));
      rows.push(el("div", { className: "popup-occupancy", text: (L_.occupancy || "Occupancy") + ": " + p.o + " / " + p.c }));
      var fresh = el("div", { className: "popup-fresh" + (p.stale ? " stale" : ""),
        text: (p.stale ? "⚠ " : "") + (L_.updated || "Updated") + ": " + (p.u ? new Date(p.u).toLocaleString(cfg.locale || "id-ID", { timeZone: cfg.timeZone || "Asia/Jakarta" }) : "—") });
      rows.push(fresh);
      if (p.mn || p.mp) {
        var contact = el("div", { className: "popup-contact", text: (L_.manager || "Manager") + ": " + (p.mn || "") + (p.mp ? " · " : "") });
        if (p.mp) contact.appendChild(el("a", { href: "tel:" + p.mp.replace(/[^0-9+]/g, ""), text: p.mp }));
        rows.push(contact);
      }
    } else if (kind === "points") {
      rows.push(el("div", { text: (L_["kind_" + p.kind] || p.kind) + " · " + (L_.capacity || "Capacity") + ": " + p.c }));
    } else {
      Object.keys(p.details || {}).forEach(function (k) { rows.push(el("div", { text: k + ": " + p.details[k] })); });
      if (p.source) rows.push(el("div", { className: "credit", text: p.source }));
    }
    var links = el("div", { className: "popup-links" });
    var detail = cfg.detailUrls && cfg.detailUrls[kind];
    if (detail && p.id !== undefined) links.appendChild(el("a", { href: fill(detail, p.id), text: L_.details || "Details", target: cfg.linkTarget || "_self" }));
    var edit = cfg.editUrls && cfg.editUrls[kind];
    if (edit && p.edit) { links.appendChild(document.createTextNode(" · ")); links.appendChild(el("a", { href: fill(edit, p.id), text: L_.edit || "Edit", className: "popup-edit" })); }
    rows.push(links);
    return el("div", { className: "siaga-popup" }, rows);
  };

  SiagaMap.prototype.legend = function () {
    var L_ = this.L;
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = el("div", { className: "siaga-legend" });
      [["#2e7d32", L_.legend_low || "< 70 %"], ["#f9a825", L_.legend_mid || "70–95 %"], ["#c62828", L_.legend_high || "> 95 %"],
       ["#8a8f98", L_.legend_closed || "closed"]].forEach(function (it) {
        box.appendChild(el("div", {}, [el("i", { style: "background:" + it[0] }), document.createTextNode(" " + it[1])]));
      });
      box.appendChild(el("div", {}, [el("i", { className: "stale-key" }), document.createTextNode(" " + (L_.legend_stale || "stale"))]));
      Object.keys(KIND_COLOUR).forEach(function (k) {
        box.appendChild(el("div", {}, [el("i", { style: "background:" + KIND_COLOUR[k] + ";border-radius:2px" }), document.createTextNode(" " + (L_["kind_" + k] || k))]));
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(this.map);
  };

  SiagaMap.prototype.nearest = function (latlng) {
    var self = this, L_ = this.L;
    var url = this.cfg.nearestUrl + "?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6) + "&k=5&min_free=1";
    if (this.nearestLayer) this.map.removeLayer(this.nearestLayer);
    var layer = this.nearestLayer = L.layerGroup().addTo(this.map);
    L.circleMarker(latlng, { radius: 7, color: "#000", fillColor: "#fff", fillOpacity: 1 }).addTo(layer);
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var list = el("ol", { className: "nearest-list" });
      (data.shelters || []).forEach(function (s) {
        L.polyline([latlng, [s.lat, s.lon]], { color: "#0b57d0", weight: 2, dashArray: "4" }).addTo(layer);
        L.circleMarker([s.lat, s.lon], { radius: 10, color: "#0b57d0", weight: 3, fill: false }).addTo(layer);
        var li = el("li", {}, [
          el("a", { href: fill(self.cfg.detailUrls.shelters, s.id), text: s.name }),
          document.createTextNode(" — " + s.distance_km.toFixed(1) + " km, " + s.free + " " + (L_.free || "free"))
        ]);
        list.appendChild(li);
      });
      if (!list.children.length) list.appendChild(el("li", { text: L_.no_nearest || "No open shelter with free places." }));
      var box = el("div", { className: "siaga-popup" }, [el("strong", { text: L_.nearest_title || "Nearest open shelters" }), list]);
      L.popup().setLatLng(latlng).setContent(box).openOn(self.map);
      var panel = document.getElementById("nearest-panel");
      if (panel) { panel.textContent = ""; panel.appendChild(box.cloneNode(true)); }
    });
  };

  window.SiagaMap = { init: function (map, cfg) { return new SiagaMap(map, cfg); } };
})();
