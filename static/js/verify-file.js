// "Verify a file": hashes the chosen (or dropped) file in the browser with SubtleCrypto and sends only the
// hash. When the bytes match nothing, it offers to send the file itself so the server can compare its audio
// (a FLAC whose tags were changed). Without this script, or without SubtleCrypto (pages not served over
// HTTPS), the form sends the file and the server answers with a page.
const form = document.querySelector("[data-verify-file]");
const hashForm = document.querySelector("[data-hash-form]");

if (form && hashForm) {
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector("[data-drop-zone]");
  const progress = form.querySelector("[data-progress]");
  const panel = document.getElementById("answer");
  const body = panel.querySelector("[data-answer]");
  const offer = panel.querySelector("[data-audio-offer]");
  const sendButton = panel.querySelector("[data-send-file]");
  const hashLimit = Number(form.dataset.hashLimit);
  const uploadLimit = Number(form.dataset.uploadLimit);
  const release = form.querySelector("input[name=release]");
  const canHash = Boolean(window.crypto && window.crypto.subtle && window.isSecureContext);
  let chosen = null;

  const megabytes = (bytes) => Math.round(bytes / (1024 * 1024));

  const show = (title, lines, certificateUrl) => {
    body.replaceChildren();
    const heading = document.createElement("h2");
    heading.id = "answer-title";
    heading.textContent = title;
    body.append(heading);
    lines.forEach((text, index) => {
      const line = document.createElement("p");
      if (index === 0) {
        const strong = document.createElement("strong");
        strong.textContent = text;
        line.append(strong);
      } else {
        line.textContent = text;
      }
      body.append(line);
    });
    if (certificateUrl) {
      const line = document.createElement("p");
      const link = document.createElement("a");
      link.href = certificateUrl;
      link.textContent = "See the release's certificate";
      line.append(link);
      body.append(line);
    }
    panel.hidden = false;
    panel.focus();
  };

  const answer = (reply) => {
    if (reply.problem) {
      show("This file can't be checked", [reply.problem]);
      return;
    }
    show(reply.found ? "Verified" : "Not verified", [reply.headline, ...reply.details], reply.certificate_url);
    offer.hidden = !(reply.offer_audio && chosen && chosen.size <= uploadLimit);
  };

  const post = async (url, data) => {
    const target = new URL(url, window.location.href);
    // In the address, so that even a refused (too large) body gets its answer as JSON.
    target.searchParams.set("format", "json");
    if (release) {
      target.searchParams.set("release", release.value);
    }
    try {
      const response = await fetch(target, { method: "POST", body: data, headers: { Accept: "application/json" } });
      answer(await response.json());
    } catch (error) {
      show("This file can't be checked", ["The site could not be reached. Try again in a moment."]);
    } finally {
      progress.textContent = "";
    }
  };

  const check = async (file) => {
    chosen = file;
    offer.hidden = true;
    if (!canHash || file.size > hashLimit) {
      if (file.size <= uploadLimit) {
        progress.textContent = `Sending “${file.name}” to compare it…`;
        const data = new FormData();
        data.append("file", file, file.name);
        await post(form.action, data);
        return;
      }
      show("This file is too large to check here", [
        `“${file.name}” is ${megabytes(file.size)} MB. Run sha256sum on it and paste the hash below.`,
      ]);
      hashForm.querySelector("input[name=sha256]").focus();
      return;
    }
    progress.textContent = `Working out the fingerprint of “${file.name}”…`;
    const digest = await window.crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    const data = new FormData(hashForm);
    data.set("sha256", hex);
    data.set("name", file.name);
    progress.textContent = "Looking it up…";
    await post(hashForm.action, data);
  };

  form.addEventListener("submit", (event) => {
    if (input.files.length) {
      event.preventDefault();
      check(input.files[0]);
    }
  });
  input.addEventListener("change", () => {
    if (input.files.length) {
      check(input.files[0]);
    }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-zone--over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-zone--over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drop-zone--over");
    if (event.dataTransfer.files.length) {
      check(event.dataTransfer.files[0]);
    }
  });
  sendButton.addEventListener("click", () => {
    if (!chosen) {
      return;
    }
    offer.hidden = true;
    progress.textContent = `Sending “${chosen.name}” to compare its audio…`;
    const data = new FormData();
    data.append("file", chosen, chosen.name);
    post(form.action, data);
  });
}
