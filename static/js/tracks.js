// Drag-and-drop ordering of tracks. Without it, the up and down buttons do the same, one step at a time.
(function () {
  "use strict";
  var listEl = document.querySelector(".tracklist[data-order-url]");
  var uploader = document.querySelector("[data-uploader]");
  if (!listEl || !uploader) { return; }
  var dragged = null;

  Array.prototype.forEach.call(listEl.querySelectorAll(".track"), function (item) {
    var handle = item.querySelector(".track__handle");
    handle.addEventListener("mousedown", function () { item.draggable = true; });
    item.addEventListener("dragstart", function (e) {
      dragged = item;
      item.classList.add("is-dragging");
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", item.getAttribute("data-track-id"));
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("is-dragging");
      item.draggable = false;
      dragged = null;
    });
    item.addEventListener("dragover", function (e) {
      if (!dragged || dragged === item) { return; }
      e.preventDefault();
      var rect = item.getBoundingClientRect();
      var after = e.clientY > rect.top + rect.height / 2;
      listEl.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener("drop", function (e) {
      e.preventDefault();
      var order = Array.prototype.map.call(listEl.querySelectorAll(".track"), function (li) {
        return li.getAttribute("data-track-id");
      });
      var body = new FormData();
      body.append("csrf_token", uploader.getAttribute("data-csrf"));
      body.append("order", order.join(","));
      var xhr = new XMLHttpRequest();
      xhr.open("POST", listEl.getAttribute("data-order-url"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () { window.location.reload(); };
      xhr.send(body);
    });
  });
})();
