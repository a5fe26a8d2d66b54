// The service worker: serves the pages a learner saved (lms/static/app.js puts them in the cache)
// when the network fails. It caches nothing by itself, so a first visit costs only this file.
// Pages always come from the network first, so that online readers see today's content.
"use strict";

var LESSON = /^\/learn\/modules\/[^/]+\/lessons\/[^/]+$/;
var FIGURE = /^\/learn\/modules\/[^/]+\/figures\/[^/]+$/;  // named by a hash of their content too

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0 || FIGURE.test(url.pathname)) {
    // assets and figures are named by a hash of their content (?v=...): a saved copy is the same file
    event.respondWith(caches.match(request).then(function (saved) { return saved || fetch(request); }));
    return;
  }
  if (request.mode !== "navigate") return;
  if (url.pathname === "/verify/offline") {
    // an observer who opened the offline check once keeps it: a QR code scanned later with no
    // connection (/verify/<code>#<statement>) is answered by this copy
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      if (response.ok) caches.open("lms-verify").then(function (cache) { cache.put("/verify/offline", copy); });
      return response;
    }).catch(function () { return savedPage(url); }));
    return;
  }
  event.respondWith(fetch(request).catch(function () { return savedPage(url); }));
});

function savedPage(url) {
  return caches.match(url.href).then(function (exact) { return exact || caches.match(url.pathname); }).then(function (page) {
    if (page) {
      // a lesson read offline is marked read when the connection is back (app.js replays these)
      if (LESSON.test(url.pathname)) {
        caches.open("lms-reads").then(function (reads) { reads.put(url.pathname, new Response("")); });
      }
      return page;
    }
    // a certificate's QR code opened offline: the saved offline check reads the statement after "#"
    var fallback = url.pathname.indexOf("/verify/") === 0 ? "/verify/offline" : "/learn/offline";
    return caches.match(fallback).then(function (other) {
      return other || caches.match("/learn/offline");
    }).then(function (other) { return other || Response.error(); });
  });
}
