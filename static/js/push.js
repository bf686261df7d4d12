// Turn push notifications on for this device, only after the button is pressed (never on load).
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  box.hidden = false;
  var button = box.querySelector("[data-push-button]");
  var status = box.querySelector("[data-push-status]");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  button.addEventListener("click", function () {
    status.textContent = "";
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error(document.documentElement.lang === "fr"
        ? "Les notifications sont bloquées pour ce site dans le navigateur."
        : "Notifications are blocked for this site in the browser.");
      return navigator.serviceWorker.register("/sw.js", { scope: "/" });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.key),
      });
    }).then(function (subscription) {
      var body = new FormData();
      body.append("subscription", JSON.stringify(subscription.toJSON()));
      body.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
      return fetch(box.dataset.url, { method: "POST", body: body, credentials: "same-origin" });
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error);
        window.location.reload();
      });
    }).catch(function (error) {
      status.textContent = error.message;
    });
  });
})();
