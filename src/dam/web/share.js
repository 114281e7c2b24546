// The page of a share link (/s/{token}): what GET /shares/{token} shows, after the link's password
// when it asks for one. Every URL it shows is presigned for no longer than the link lives.
import * as player from "./player.js";
const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const base = `/shares/${encodeURIComponent(token)}`;

function fail(message) {
  $("share").hidden = true;
  $("share-error").textContent = message;
}

function media(shared) {
  const box = $("share-media");
  box.replaceChildren();
  let element;
  if (shared.kind === "video" && shared.hls_url) {  // the adaptive stream, with Shaka Player's UI
    player.play(box, {hls_url: shared.hls_url, dash_url: shared.dash_url, storyboard_url: shared.storyboard_url},
      "shaka-hls", shared.preview_url).catch((error) => { box.textContent = `The stream could not play: ${error.message || error}`; });
    return;
  }
  if (shared.kind === "video" && shared.media_url) {
    element = document.createElement("video");
    element.controls = true;
    element.preload = "metadata";
    if (shared.preview_url) element.poster = shared.preview_url;
    element.src = shared.media_url;
  } else if (shared.kind === "audio" && shared.media_url) {
    if (shared.preview_url) {
      const wave = document.createElement("img");
      wave.src = shared.preview_url;
      wave.alt = "Waveform";
      box.append(wave);
    }
    element = document.createElement("audio");
    element.controls = true;
    element.src = shared.media_url;
  } else if (shared.preview_url) {
    element = document.createElement("img");
    element.src = shared.preview_url;
    element.alt = shared.name;
  } else {
    element = document.createElement("p");
    element.textContent = shared.status === "ready" ? "No preview." : `Not ready yet (${shared.status}).`;
  }
  element.id = "share-preview";
  box.append(element);
}

function facts(shared) {
  const list = $("share-facts");
  list.replaceChildren();
  const rows = [["Type", shared.type], ["Size", shared.size != null ? `${shared.size} bytes` : null]];
  const f = shared.facts;
  if (f) {
    if (f.width && f.height) rows.push(["Dimensions", `${f.width} × ${f.height}`]);
    if (f.duration) rows.push(["Duration", `${f.duration.toFixed(1)} s`]);
    if (f.format) rows.push(["Format", f.format]);
    if (f.captured_at) rows.push(["Captured", f.captured_at]);
    if (f.camera) rows.push(["Camera", [f.camera.make, f.camera.model].filter(Boolean).join(" ")]);
  }
  for (const [name, value] of rows) {
    if (value == null || value === "") continue;
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }
}

async function show() {
  const answer = await fetch(base, {credentials: "same-origin"});
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401 && body.error === "password_required") {
    $("share-password").hidden = false;
    $("share-pass").focus();
    return;
  }
  if (!answer.ok) return fail(body.detail || `The link could not be opened (${answer.status}).`);
  $("share-password").hidden = true;
  $("share-name").textContent = body.name;
  document.title = body.name;
  media(body);
  facts(body);
  const download = $("share-download");
  download.hidden = !body.download_url;
  if (body.download_url) download.href = body.download_url;
  $("share-expires").textContent = `Link valid until ${new Date(body.expires_at).toLocaleString()}`;
  $("share").hidden = false;
}

$("unlock").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("unlock-error").textContent = "";
  const answer = await fetch(`${base}/unlock`, {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({password: $("share-pass").value}),
  });
  if (answer.status === 204) return show();
  const body = await answer.json().catch(() => ({}));
  $("unlock-error").textContent = body.detail || `Refused (${answer.status}).`;
});

show().catch((error) => fail(`The link could not be opened: ${error}`));
