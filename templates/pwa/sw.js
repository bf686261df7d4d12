// Interleukin Care's service worker (served at /sw.js, scope "/").
// - Pages with health data are never cached, except the travel papers a patient chose to keep
//   offline for one trip (per-trip caches "ilc-trip-<id>"), which follow the server's list of
//   allowed offline URLs ({{ allowed_url }}) on every page load: a trip that ended, a revoked
//   letter or a log-out (the list is then empty) deletes them.
// - The network always comes first; a cache answers only when the network fails.
// - Push: shows the notification; a tap opens the signed link to the logging form.
"use strict";
var SHELL = "ilc-shell-{{ version }}";
var TRIP_PREFIX = "ilc-trip-";
var OFFLINE_URL = "{{ offline_url }}";
var SHELL_URLS = [{% for url in shell %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_URLS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("ilc-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function tripCaches() {
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return name.indexOf(TRIP_PREFIX) === 0; });
  });
}

function clearTrips() {
  return tripCaches().then(function (names) {
    return Promise.all(names.map(function (name) { return caches.delete(name); }));
  });
}

// Make the trip caches match the server's list exactly: delete what is not allowed any more,
// fetch what is missing. Logged out, the list is empty and everything goes.
function syncOffline() {
  return fetch("{{ allowed_url }}", { credentials: "same-origin", cache: "no-store" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (allowed) {
      if (!allowed) return;
      var trips = allowed.trips || {};
      return tripCaches().then(function (names) {
        var work = names.filter(function (name) {
          return !(name.slice(TRIP_PREFIX.length) in trips);
        }).map(function (name) { return caches.delete(name); });
        Object.keys(trips).forEach(function (id) {
          var urls = trips[id];
          work.push(caches.open(TRIP_PREFIX + id).then(function (cache) {
            return cache.keys().then(function (requests) {
              var kept = requests.map(function (request) { return new URL(request.url).pathname; });
              var stale = requests.filter(function (request) {
                return urls.indexOf(new URL(request.url).pathname) === -1;
              }).map(function (request) { return cache.delete(request); });
              var missing = urls.filter(function (url) { return kept.indexOf(url) === -1; });
              return Promise.all(stale.concat(missing.map(function (url) {
                return fetch(url, { credentials: "same-origin" }).then(function (response) {
                  if (response.ok && !response.redirected) return cache.put(url, response);
                });
              })));
            });
          }));
        });
        return Promise.all(work);
      });
    }).catch(function () { /* offline: keep what is there until the next page load */ });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "sync-offline") event.waitUntil(syncOffline());
  if (data.type === "clear-offline") event.waitUntil(clearTrips());
});

function fromTrips(request) {
  return tripCaches().then(function (names) {
    return names.reduce(function (found, name) {
      return found.then(function (response) {
        return response || caches.open(name).then(function (cache) { return cache.match(request, { ignoreSearch: true }); });
      });
    }, Promise.resolve(undefined));
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(fetch(request).catch(function (error) {
    return fromTrips(request).then(function (response) {
      if (response) return response;
      return caches.match(request, { cacheName: SHELL }).then(function (shell) {
        if (shell) return shell;
        if (request.mode === "navigate") return caches.match(OFFLINE_URL, { cacheName: SHELL });
        throw error;
      });
    });
  }));
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var note = data.notification || data;
  event.waitUntil(self.registration.showNotification(note.title || "Interleukin Care", {
    body: note.body || "",
    tag: note.tag || undefined,
    renotify: Boolean(note.tag),
    lang: note.lang || undefined,
    icon: "{{ shell.3|escapejs }}",
    badge: "{{ shell.3|escapejs }}",
    data: { url: note.navigate || "/" },
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  var target = new URL(url, self.location.origin);
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(self.clients.openWindow(target.href));
});

self.addEventListener("pushsubscriptionchange", function () {
  // The browser replaced the subscription: the next visit to the settings page adds it again;
  // the old one answers 404/410 and is removed from the server then.
});
