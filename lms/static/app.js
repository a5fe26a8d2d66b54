// Small improvements only; every page works without this file.
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("[data-once]");
  if (!button) return;
  if (button.dataset.sent) { event.preventDefault(); return; }
  button.dataset.sent = "1";
  button.setAttribute("aria-disabled", "true");
});
