// "Use my location": fill lat/lon from the phone's GPS and search.
(function () {
  var btn = document.getElementById("use-location");
  var status = document.getElementById("geo-status");
  var form = document.getElementById("nearest-form");
  if (!btn || !form) return;
  if (!("geolocation" in navigator)) { btn.disabled = true; return; }
  btn.addEventListener("click", function () {
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      form.submit();
    }, function (err) {
      status.textContent = err.message;
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
