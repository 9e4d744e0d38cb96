// Sends files from the release workspace straight to storage, with a progress bar per file.
// The page works without this script (see the forms it replaces); with it, several files go at once,
// each can be retried on its own, and the server's checks are shown as they finish.
(function () {
  "use strict";
  // Controls that need this script are hidden until it runs; the forms for pages without it stay.
  document.documentElement.classList.add("js");
  var root = document.querySelector("[data-uploader]");
  if (!root) { return; }
  var list = root.querySelector("[data-upload-list]");
  var csrf = root.getAttribute("data-csrf");
  var pending = 0;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function request(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) { onProgress(e.loaded); } };
      }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = function () { reject(new Error("The connection failed.")); };
      xhr.onabort = function () { reject(new Error("The upload was stopped.")); };
      xhr.send(body);
    });
  }

  function json(url, payload) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrf);
      xhr.onload = function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText || "{}"); } catch (e) { data = {}; }
        if (xhr.status >= 200 && xhr.status < 300) { resolve(data); }
        else { reject(new Error(data.error || "The server refused the file (" + xhr.status + ").")); }
      };
      xhr.onerror = function () { reject(new Error("The connection failed.")); };
      xhr.send(JSON.stringify(payload));
    });
  }

  function sendSingle(ticket, file, progress) {
    var form = new FormData();
    Object.keys(ticket.fields).forEach(function (name) { form.append(name, ticket.fields[name]); });
    form.append("file", file);
    return request("POST", ticket.url, form, progress).then(function (xhr) {
      if (xhr.status < 200 || xhr.status >= 300) {
        throw new Error("Storage refused the file (" + xhr.status + ").");
      }
      return [];
    });
  }

  function sendParts(ticket, file, progress) {
    var done = [];
    var loaded = {};
    function total() { return Object.keys(loaded).reduce(function (s, k) { return s + loaded[k]; }, 0); }
    return ticket.parts.reduce(function (chain, part) {
      return chain.then(function () {
        var start = (part.number - 1) * ticket.part_size;
        var blob = file.slice(start, Math.min(file.size, start + ticket.part_size));
        return request("PUT", part.url, blob, function (n) { loaded[part.number] = n; progress(total()); })
          .then(function (xhr) {
            if (xhr.status < 200 || xhr.status >= 300) { throw new Error("Storage refused part " + part.number + "."); }
            done.push({ number: part.number, etag: (xhr.getResponseHeader("ETag") || "").replace(/"/g, "") });
          });
      });
    }, Promise.resolve()).then(function () { return done; });
  }

  function row(file) {
    var item = el("li", "upload upload--sending");
    var name = el("span", "upload__name", file.name);
    var state = el("span", "upload__state", "sending…");
    var bar = el("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + file.name);
    item.appendChild(name);
    item.appendChild(state);
    item.appendChild(bar);
    list.insertBefore(item, list.firstChild);
    return { item: item, state: state, bar: bar };
  }

  function upload(file, kind, trackId, ui) {
    ui = ui || row(file);
    ui.item.className = "upload upload--sending";
    ui.state.textContent = "sending…";
    var old = ui.item.querySelector(".upload__problem, button");
    while (old) { old.remove(); old = ui.item.querySelector(".upload__problem, button"); }
    pending += 1;
    return json(root.getAttribute("data-start-url"), {
      kind: kind, filename: file.name, size: file.size, content_type: file.type || "application/octet-stream",
      track_id: trackId || null
    }).then(function (ticket) {
      var progress = function (n) { ui.bar.value = n; };
      var send = ticket.method === "multipart" ? sendParts : sendSingle;
      return send(ticket, file, progress).then(function (parts) {
        ui.bar.value = ui.bar.max;
        ui.state.textContent = "checking…";
        ui.item.className = "upload upload--validating";
        ui.item.setAttribute("data-upload-id", ticket.upload_id);
        return json(ticket.complete_url, { parts: parts });
      });
    }).then(function () {
      pending -= 1;
      poll();
    }, function (error) {
      pending -= 1;
      ui.item.className = "upload upload--error";
      ui.state.textContent = "not sent";
      var problem = el("p", "upload__problem");
      problem.appendChild(el("strong", null, error.message + " "));
      problem.appendChild(document.createTextNode("The other files are not affected."));
      ui.item.appendChild(problem);
      var again = el("button", "button button--small", "Retry this file");
      again.type = "button";
      again.addEventListener("click", function () { upload(file, kind, trackId, ui); });
      ui.item.appendChild(again);
    });
  }

  var polling = null;
  function poll() {
    if (polling) { return; }
    polling = setInterval(function () {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", root.getAttribute("data-status-url"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status !== 200) { return; }
        var uploads = JSON.parse(xhr.responseText).uploads;
        var checking = uploads.some(function (u) { return u.status === "validating" || u.status === "awaiting"; });
        var sending = list.querySelector(".upload--sending");
        if (!checking && !sending && pending === 0) {
          clearInterval(polling);
          polling = null;
          window.location.reload();
        }
      };
      xhr.send();
    }, 1000);
  }

  document.querySelectorAll("input[type=file][data-upload-kind]").forEach(function (input) {
    input.addEventListener("change", function () {
      var kind = input.getAttribute("data-upload-kind");
      var trackId = input.getAttribute("data-track-id");
      Array.prototype.forEach.call(input.files, function (file) { upload(file, kind, trackId); });
      input.value = "";
    });
  });
  // Files still being checked when the page loaded: watch them too.
  if (list.querySelector(".upload--validating, .upload--awaiting")) { poll(); }
})();
