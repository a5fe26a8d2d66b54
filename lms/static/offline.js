// Offline use (lms/learn/offline_views.py). A module saved with its page's button is put in the
// browser's cache: the module page, its lessons, one quiz and the page for being offline. The
// service worker (/sw.js) serves them when the network fails. A quiz taken offline waits in
// localStorage ("lms-outbox") and is sent, with the times it was opened and finished, whenever a
// page loads online or the connection comes back; lessons read offline are then marked read.
"use strict";
(function () {
  var sw = navigator.serviceWorker, store = window.localStorage;
  function read(key) { try { return JSON.parse(store.getItem(key)) || {}; } catch (e) { return {}; } }
  function write(key, value) { store.setItem(key, JSON.stringify(value)); }
  function token() { var input = document.querySelector("input[name=csrf_token]"); return input ? input.value : ""; }
  function size(bytes) {  // "135 kB", "135 КБ": in the page's language where the browser knows its units
    var big = bytes >= 1048576, value = big ? bytes / 1048576 : Math.ceil(bytes / 1024);
    try {
      return new Intl.NumberFormat(document.documentElement.lang, {style: "unit", unit: big ? "megabyte" : "kilobyte",
                                                                   maximumFractionDigits: big ? 1 : 0}).format(value);
    } catch (e) { return (big ? value.toFixed(1) : value) + (big ? " MB" : " KB"); }
  }
  function say(text, kind, link) {
    var main = document.getElementById("main"), p = document.createElement("p");
    p.className = "flash flash-" + kind; p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.textContent = text + " ";
    if (link) { var a = document.createElement("a"); a.href = link.href; a.textContent = link.text; p.appendChild(a); }
    if (main) main.insertBefore(p, main.firstChild);
  }
  function assets() {
    return Array.prototype.map.call(document.querySelectorAll("link[rel=stylesheet], script[src]"),
                                    function (el) { return el.href || el.src; });
  }
  var FIGURE = /src="(\.\.\/figures\/[^"]+)"/g;  // a lesson's sample documents (lms/content/figures.py)
  function saveAll(name, urls) {
    return caches.open(name).then(function (cache) {
      function keep(url) {
        return fetch(url, {credentials: "same-origin", cache: "no-cache", headers: {"X-Offline-Save": "1"}}).then(function (response) {
          if (!response.ok || response.redirected) throw new Error(url);
          var figures = [];
          if ((response.headers.get("Content-Type") || "").indexOf("text/html") === 0) {
            figures = response.clone().text().then(function (html) {
              var found = [], match;
              while ((match = FIGURE.exec(html))) found.push(new URL(match[1].replace(/&amp;/g, "&"), new URL(url, location.href)).href);
              return Promise.all(found.map(keep));
            });
          }
          return Promise.all([cache.put(url, response), figures]);
        });
      }
      return Promise.all(urls.map(keep)).then(function () { return cache.keys(); }).then(function (keys) {
        return Promise.all(keys.map(function (key) {
          return cache.match(key).then(function (r) { return r.blob(); }).then(function (b) { return b.size; });
        })).then(function (sizes) { return {pages: urls.length - assets().length, bytes: sizes.reduce(function (a, b) { return a + b; }, 0)}; });
      });
    });
  }

  // the module page: save, update, remove, and what is saved
  var box = document.querySelector("[data-offline-save]");
  if (box) {
    var slug = box.dataset.offlineSave, name = "lms-module-" + slug, state = box.querySelector(".offline-state");
    var remove = box.querySelector("[data-action=remove]");
    var show = function () {
      var info = read("lms-saved")[slug];
      state.textContent = info ? box.dataset.saved.replace("%(pages)s", info.pages).replace("%(size)s", size(info.bytes))
        .replace("%(date)s", new Date(info.at).toLocaleString(document.documentElement.lang)) : "";
      remove.hidden = !info;
    };
    box.hidden = false; show();
    box.querySelector("[data-action=save]").addEventListener("click", function () {
      state.textContent = box.dataset.saving;
      sw.ready.then(function () { return saveAll(name, JSON.parse(box.dataset.urls).concat(assets())); })
        .then(function (info) {
          var saved = read("lms-saved");
          saved[slug] = {title: box.dataset.title, url: location.pathname, quiz: JSON.parse(box.dataset.urls).slice(-2)[0],
                         pages: info.pages, bytes: info.bytes, at: Date.now()};
          write("lms-saved", saved); show();
        }).catch(function () { state.textContent = box.dataset.failed; });
    });
    remove.addEventListener("click", function () {
      caches.delete(name).then(function () {
        var saved = read("lms-saved"); delete saved[slug]; write("lms-saved", saved); show();
        state.textContent = box.dataset.removed;
      });
    });
  }

  // the page for being offline: what this device keeps
  var list = document.getElementById("saved-modules");
  if (list) {
    var saved = read("lms-saved"), slugs = Object.keys(saved), waiting = Object.keys(read("lms-outbox")).length;
    if (!slugs.length) { var none = document.createElement("li"); none.textContent = list.dataset.empty; list.appendChild(none); }
    slugs.forEach(function (s) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = saved[s].url; a.textContent = saved[s].title;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" — " + list.dataset.size.replace("%(pages)s", saved[s].pages).replace("%(size)s", size(saved[s].bytes))));
      list.appendChild(li);
    });
    var note = document.getElementById("outbox-note");
    if (waiting) { note.textContent = note.dataset.text.replace("%(n)s", waiting); note.hidden = false; }
  }

  // a quiz kept for offline use: answers wait on the device until they can be sent
  var quiz = document.querySelector("form[data-offline-quiz]");
  if (quiz) {
    var id = quiz.dataset.offlineQuiz, status = document.getElementById("offline-quiz-status"), warned = false;
    var taken = function () { quiz.hidden = true; status.textContent = quiz.dataset.taken; status.hidden = false; };
    if (read("lms-outbox")[id] || read("lms-taken")[id]) taken();
    var started = read("lms-started");
    if (!started[id]) { started[id] = Date.now(); write("lms-started", started); }
    quiz.addEventListener("submit", function (event) {
      event.preventDefault();
      var blank = Array.prototype.filter.call(quiz.querySelectorAll("fieldset.question"), function (f) {
        return !f.querySelector("input:checked") && !Array.prototype.some.call(
          f.querySelectorAll("input:not([type=radio]):not([type=checkbox]), select"), function (i) { return i.value !== ""; });
      }).length;
      if (blank && !warned) { warned = true; status.textContent = quiz.dataset.unanswered; status.hidden = false; return; }
      var body = new URLSearchParams(new FormData(quiz)); body.delete("csrf_token");
      var outbox = read("lms-outbox"), done = read("lms-taken");
      outbox[id] = {body: body.toString(), started: read("lms-started")[id], finished: Date.now(), module: quiz.dataset.module};
      done[id] = Date.now();
      write("lms-outbox", outbox); write("lms-taken", done);
      taken(); status.textContent = quiz.dataset.kept;
      flush();
    });
  }

  // sending what waits: quiz answers, then lessons read offline
  var busy = false;
  function flush() {
    if (busy || navigator.onLine === false) return;
    var outbox = read("lms-outbox"), ids = Object.keys(outbox);
    busy = true;
    var sends = ids.map(function (key) {
      var entry = outbox[key], body = new URLSearchParams(entry.body);
      body.set("csrf_token", token()); body.set("started", entry.started || ""); body.set("finished", entry.finished || "");
      return fetch("/learn/offline-attempts", {method: "POST", body: body, credentials: "same-origin",
                                               headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (answer) {
            if (!answer || (!answer.stored && !answer.reason) || answer.reason === "not_yours") return;  // later
            var left = read("lms-outbox"); delete left[key]; write("lms-outbox", left);
            if (answer.stored) {
              say(answer.message, "success", {href: answer.url, text: answer.link});
              var saved = read("lms-saved")[entry.module];
              if (saved) saveAll("lms-module-" + entry.module, [saved.quiz]).catch(function () {});  // a fresh quiz
            } else { say(answer.message, "error"); }
          });
        }).catch(function () {});
    });
    Promise.all(sends).then(function () {
      return caches.open("lms-reads").then(function (reads) {
        return reads.keys().then(function (keys) {
          return Promise.all(keys.map(function (key) {
            return fetch(key.url, {credentials: "same-origin", cache: "no-store"}).then(function (r) { if (r.ok && !r.redirected) return reads.delete(key); });
          }));
        });
      });
    }).catch(function () {}).then(function () { busy = false; });
  }
  flush();
  window.addEventListener("online", flush);

  // signing out: this device's saved modules go too (another person may use it next); answers not yet sent stay
  var out = document.querySelector("form[action$='/logout']");
  if (out) out.addEventListener("submit", function () {
    Object.keys(read("lms-saved")).forEach(function (s) { caches.delete("lms-module-" + s); });
    store.removeItem("lms-saved");
  });
})();
