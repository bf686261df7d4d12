// Registers the service worker and keeps the offline travel papers in line with the server's
// list on every page load. On "Log out", the papers are deleted before the form is sent.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (registration.active) registration.active.postMessage({ type: "sync-offline" });
  }).catch(function () {});
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-logout]") || !navigator.serviceWorker.controller) return;
    navigator.serviceWorker.controller.postMessage({ type: "clear-offline" });
  }, true);
})();
