// Small improvements only; every page works without this file.
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("[data-once]");
  if (!button) return;
  if (button.dataset.sent) { event.preventDefault(); return; }
  button.dataset.sent = "1";
  button.setAttribute("aria-disabled", "true");
});

// Quiz autosave: each change is posted as the learner goes, so a dropped connection loses at
// most the answer being given. One save in flight at a time; a failed one is retried on the
// next change, on reconnection, or after a pause. The form still works without this script.
(function () {
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("autosave-status");
  var busy = false, dirty = false, timer = null;
  function say(text) { if (status) status.textContent = text; }
  function save() {
    if (busy) { dirty = true; return; }
    busy = true; dirty = false;
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"X-Autosave": "1"}})
      .then(function (response) {
        if (response.ok) { say(form.dataset.saved); return; }
        if (response.status === 409) { say(form.dataset.closed); dirty = false; return; }
        throw new Error(String(response.status));
      })
      .catch(function () { say(form.dataset.unsaved); dirty = true; clearTimeout(timer); timer = setTimeout(save, 15000); })
      .then(function () { busy = false; if (dirty && navigator.onLine !== false) save(); });
  }
  form.addEventListener("change", save);
  window.addEventListener("online", function () { if (dirty) save(); });
})();

// Unit tree search: shows only the units whose name, code or parent contains the text typed.
(function () {
  var box = document.querySelector("[data-unit-search]");
  if (!box) return;
  var input = box.querySelector("input"), rows = document.querySelectorAll(".unit-tree li[data-search]");
  box.hidden = false;
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase();
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== "" && rows[i].getAttribute("data-search").indexOf(q) === -1;
    }
  });
})();

// Offline use: the service worker is registered on every page (it caches nothing by itself); the
// code for saving modules and sending quizzes taken offline (offline.js) loads only where needed.
(function () {
  var sw = navigator.serviceWorker, store = window.localStorage, me = document.querySelector("script[data-offline]");
  if (!sw || !window.caches || !store || !window.fetch || !me) return;
  sw.register("/sw.js", {updateViaCache: "all"}).catch(function () {});
  if (document.querySelector("[data-offline-save], [data-offline-quiz], #saved-modules") ||
      store.getItem("lms-saved") || store.getItem("lms-outbox")) {
    var script = document.createElement("script");
    script.src = me.dataset.offline;
    document.head.appendChild(script);
  }
})();

// A lesson's sample documents are drawn small on a phone: a tap opens the drawing at full size.
Array.prototype.forEach.call(document.querySelectorAll(".lesson figure > img"), function (img) {
  var link = document.createElement("a");
  link.href = img.getAttribute("src");
  img.parentNode.insertBefore(link, img);
  link.appendChild(img);
});
