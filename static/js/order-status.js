// The order confirmation page: asks the server for the order's state every few seconds until it is paid,
// failed or expired, and shows the matching message without a reload. Without this script the page
// shows the same state on each reload.
(function () {
  "use strict";
  var panel = document.querySelector("[data-status-url]");
  if (!panel) { return; }
  var url = panel.getAttribute("data-status-url");
  var delay = 2000;

  function show(state) {
    panel.setAttribute("data-status", state.status);
    Array.prototype.forEach.call(panel.querySelectorAll("[data-when]"), function (block) {
      block.hidden = block.getAttribute("data-when").split(" ").indexOf(state.status) === -1;
    });
    var link = panel.querySelector("[data-collection]");
    if (link && state.collection_url) { link.setAttribute("href", state.collection_url); }
  }

  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var state = null;
      if (xhr.status === 200) {
        try { state = JSON.parse(xhr.responseText); } catch (e) { state = null; }
      }
      if (state) { show(state); }
      if (!state || !state.done) {
        delay = Math.min(delay * 1.5, 15000);
        window.setTimeout(poll, delay);
      }
    };
    xhr.onerror = function () { window.setTimeout(poll, Math.min(delay * 2, 30000)); };
    xhr.send();
  }

  window.setTimeout(poll, delay);
}());
