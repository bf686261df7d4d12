// Registers the service worker and keeps the offline travel papers in line with the server's
// list on every page load. On "Log out", the papers are deleted before the form is sent.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  // Once the page has loaded: the worker's install (it caches the offline page) would otherwise
  // compete with the page's own first paint for a slow phone's network and CPU (issue 18).
  function register() {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "sync-offline" });
    }).catch(function () {});
  }
  if (document.readyState === "complete") {
    register();
  } else {
    window.addEventListener("load", register);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-logout]") || !navigator.serviceWorker.controller) return;
    navigator.serviceWorker.controller.postMessage({ type: "clear-offline" });
  }, true);
})();
