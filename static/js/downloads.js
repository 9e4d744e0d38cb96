// Keeps the "preparing your download" list up to date without a reload: asks the server for the state of
// each file every few seconds while any is being made, and shows the Download button once it is ready.
// Without this script the page shows the same states on each reload.
(function () {
  "use strict";
  var panel = document.querySelector("[data-download-status]");
  if (!panel) { return; }
  var url = panel.getAttribute("data-download-status");
  var texts = {
    missing: "made when you ask for it", waiting: "preparing your download…",
    processing: "preparing your download…", ready: "ready", failed: "could not be prepared"
  };
  var delay = 2000;

  function show(item) {
    var row = panel.querySelector('[data-item="' + item.id + '"]');
    if (!row) { return; }
    row.setAttribute("data-state", item.state);
    row.className = "download-state download-state--" + item.state;
    var text = row.querySelector("[data-state-text]");
    if (text) { text.textContent = texts[item.state] || item.state; }
    var form = row.querySelector("[data-ready-form]");
    if (form) { form.hidden = item.state !== "ready"; }
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      var data;
      try { data = JSON.parse(xhr.responseText); } catch (e) { return; }
      data.items.forEach(show);
      if (data.pending) {
        delay = Math.min(delay * 1.5, 15000);
        window.setTimeout(poll, delay);
      }
    };
    xhr.send();
  }

  if (panel.querySelector('[data-state="waiting"], [data-state="processing"]')) {
    window.setTimeout(poll, delay);
  }
}());
