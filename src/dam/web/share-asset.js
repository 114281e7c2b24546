// One shared asset as the share page shows it: the preview (image, audio with its waveform, the
// adaptive stream or the original video), its facts when the link shows them, and the download
// link when it allows it. Used for an asset's link and for each asset of a collection's link.
import * as player from "./player.js";
const $ = (id) => document.getElementById(id);

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

export function expiry(expiresAt) {
  return expiresAt ? `Link valid until ${new Date(expiresAt).toLocaleString()}` : "";
}

// Fill the asset view (#share) with `shared` (GET /shares/{token} of an asset's link, or
// GET /shares/{token}/assets/{id} of a collection's).
export function render(shared) {
  media(shared);
  facts(shared);
  const download = $("share-download");
  download.hidden = !shared.download_url;
  if (shared.download_url) download.href = shared.download_url;
  else download.removeAttribute("href");
  $("share-expires").textContent = expiry(shared.expires_at);
}

// Show a message where the asset would be (an asset of the collection that could not be opened).
export function missing(message) {
  player.stop();
  $("share-media").replaceChildren(Object.assign(document.createElement("p"), {textContent: message}));
  $("share-facts").replaceChildren();
  $("share-download").hidden = true;
  $("share-expires").textContent = "";
}

// Stop whatever plays in the asset view (leaving it for the collection's grid).
export function clear() {
  player.stop();
  $("share-media").replaceChildren();
  $("share-facts").replaceChildren();
}
