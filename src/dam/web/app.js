// The upload page: files go straight to storage through presigned URLs; the API only sees metadata.
import * as player from "./player.js";
const $ = (id) => document.getElementById(id);
const PARTS_IN_FLIGHT = 4;
const RETRIES = 3;
const RESUME_KEY = "dam.pending";
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const fmtBytes = (n) => n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
const TYPES = {mp4: "video/mp4", mov: "video/quicktime", mkv: "video/x-matroska", webm: "video/webm", m4a: "audio/mp4",
  mp3: "audio/mpeg", wav: "audio/wav", ogg: "audio/ogg", opus: "audio/ogg", flac: "audio/flac", jpg: "image/jpeg",
  jpeg: "image/jpeg", png: "image/png", webp: "image/webp", gif: "image/gif", tif: "image/tiff", tiff: "image/tiff"};

// The signed-in session: its cookie is HttpOnly; writes carry its CSRF token, requests the workspace.
const session = {csrf: null, workspace: localStorage.getItem("dam.workspace") || null};

async function api(method, path, body) {
  const headers = body ? {"Content-Type": "application/json"} : {};
  if (method !== "GET" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  if (session.workspace) headers["X-Workspace"] = session.workspace;
  const response = await fetch(path, {method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin"});
  const data = response.status === 204 ? null : await response.json().catch(() => ({}));
  if (response.status === 401 && !path.startsWith("/auth/")) showSignIn("Your session has ended: sign in again.");
  if (!response.ok) throw new Error(data?.detail || `${method} ${path}: ${response.status}`);
  return data;
}

// ---- signing in ----
function showSignIn(message = "") {
  $("app").hidden = true;
  $("account").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("email").focus();
  fetch("/auth/providers").then((r) => r.json()).then((providers) => {
    if (!providers.oidc) return;
    $("sso-login").textContent = `Sign in with ${providers.oidc.name}`;
    $("sso-login").href = providers.oidc.login_url;
    $("sso").hidden = false;
  }).catch(() => null);
}
// A single sign-on that came back refused says why (once: the address is cleaned).
const ssoError = new URLSearchParams(location.search).get("sso_error");
if (ssoError) history.replaceState(null, "", location.pathname);
function signedIn(me) {
  session.csrf = me.csrf_token;
  const current = me.workspace?.slug || null;
  if (session.workspace !== current) {
    session.workspace = current;
    if (current) localStorage.setItem("dam.workspace", current); else localStorage.removeItem("dam.workspace");
  }
  $("who").textContent = `${me.user?.email ?? "API key"} · ${me.workspace ? `${me.workspace.name} (${me.workspace.role})` : "no workspace"}`;
  const select = $("workspace");
  select.replaceChildren(...me.workspaces.map((w) => new Option(`${w.name} (${w.role})`, w.slug, false, w.slug === current)));
  select.hidden = me.workspaces.length < 2;
  $("signin").hidden = true;
  $("account").hidden = false;
  $("app").hidden = false;
  $("people").hidden = me.workspace?.role !== "admin";
  refresh();
  if (me.workspace?.role === "admin") people().catch((error) => { $("people-error").textContent = error.message; });
}
async function start() {
  try { signedIn(await api("GET", "/auth/me")); } catch {
    if (session.workspace) { session.workspace = null; localStorage.removeItem("dam.workspace"); try { signedIn(await api("GET", "/auth/me")); return; } catch { /* signed out */ } }
    showSignIn(ssoError ? `Single sign-on failed: ${ssoError}` : "");
  }
}
$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    session.workspace = null;
    signedIn(await api("POST", "/auth/login", {email: $("email").value, password: $("password").value}));
    $("password").value = "";
  } catch (error) { $("signin-error").textContent = error.message; }
});
$("logout").addEventListener("click", async () => { await api("POST", "/auth/logout").catch(() => null); session.csrf = null; showSignIn("Signed out."); });
$("workspace").addEventListener("change", async (e) => { session.workspace = e.target.value; localStorage.setItem("dam.workspace", e.target.value); signedIn(await api("GET", "/auth/me")); });

// ---- people: invitations and members (admins) ----
const ROLES = ["viewer", "contributor", "editor", "admin"];
function personRow(text, controls) {
  const li = document.createElement("li");
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = text;
  li.append(who, ...controls);
  return li;
}
function button(label, onClick, cls = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (cls) b.className = cls;
  b.addEventListener("click", () => onClick().catch((error) => { $("people-error").textContent = error.message; }));
  return b;
}
async function people() {
  const [invitations, members] = await Promise.all([api("GET", "/invitations"), api("GET", "/members")]);
  $("invitations").replaceChildren(...invitations.map((i) => personRow(
    `${i.email} · ${i.role} · until ${new Date(i.expires_at).toLocaleString()}`,
    [button("Revoke", async () => { await api("DELETE", `/invitations/${i.id}`); await people(); }, "danger")],
  )));
  if (!invitations.length) $("invitations").replaceChildren(personRow("none", []));
  $("members").replaceChildren(...members.map((m) => {
    const select = document.createElement("select");
    select.setAttribute("aria-label", `Role of ${m.email}`);
    select.append(...ROLES.map((r) => new Option(r, r, false, r === m.role)));
    select.addEventListener("change", () => api("PATCH", `/members/${m.user_id}`, {role: select.value})
      .then(people).catch((error) => { $("people-error").textContent = error.message; }));
    const remove = button("Remove", async () => { if (confirm(`Remove ${m.email}?`)) { await api("DELETE", `/members/${m.user_id}`); await people(); } }, "danger");
    return personRow(`${m.email}${m.email_verified ? "" : " (address not verified)"}`, [select, remove]);
  }));
}
$("invite-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("people-error").textContent = "";
  $("invite-made").hidden = true;
  $("invite-mailed").hidden = true;
  try {
    const made = await api("POST", "/invitations", {email: $("invite-email").value, role: $("invite-role").value});
    if (made.link) {
      $("invite-link").value = made.link;
      $("invite-made").hidden = false;
      $("invite-link").select();
    } else {
      $("invite-mailed").textContent = `The invitation was mailed to ${made.email}.`;
      $("invite-mailed").hidden = false;
    }
    $("invite-email").value = "";
    await people();
  } catch (error) { $("people-error").textContent = error.message; }
});

// ---- resumable state: only asset ids and file identities are kept ----
const pending = () => JSON.parse(localStorage.getItem(RESUME_KEY) || "{}");
const fileKey = (f) => `${f.name}|${f.size}|${f.lastModified}`;
function remember(file, assetId) { const p = pending(); p[fileKey(file)] = assetId; localStorage.setItem(RESUME_KEY, JSON.stringify(p)); }
function forget(file) { const p = pending(); delete p[fileKey(file)]; localStorage.setItem(RESUME_KEY, JSON.stringify(p)); }
function showResumable() {
  const names = Object.keys(pending()).map((k) => k.split("|")[0]);
  $("resume").textContent = names.length ? `Interrupted uploads: ${names.join(", ")}. Choose the same files again to resume.` : "";
}

// ---- progress ----
const totals = {sent: 0, size: 0, started: 0};
function overall() {
  $("overall").hidden = totals.size === 0;
  $("overall-bar").value = totals.size ? totals.sent / totals.size : 0;
  const seconds = (performance.now() - totals.started) / 1000;
  $("overall-text").textContent = `${fmtBytes(totals.sent)} of ${fmtBytes(totals.size)} · ${fmtBytes(totals.sent / Math.max(seconds, 0.001))}/s`;
}

function row(file) {
  const li = document.createElement("li");
  li.innerHTML = `<span class="name">${esc(file.name)}</span><span class="state">waiting</span><progress max="1" value="0" aria-label="${esc(file.name)}"></progress>`;
  $("uploads").prepend(li);
  const state = li.querySelector(".state");
  const bar = li.querySelector("progress");
  const started = performance.now();
  let sent = 0;
  return {
    li,
    set(text, cls = "") { state.textContent = text; state.className = `state ${cls}`; },
    add(bytes) {
      sent += bytes; totals.sent += bytes; bar.value = file.size ? sent / file.size : 1;
      const rate = sent / Math.max((performance.now() - started) / 1000, 0.001);
      state.textContent = `${fmtBytes(sent)} / ${fmtBytes(file.size)} · ${fmtBytes(rate)}/s`;
      overall();
    },
  };
}

// One PUT with upload progress (fetch cannot report it); resolves with the ETag.
function put(url, blob, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);  // the browser sets it
    }
    let last = 0;
    xhr.upload.onprogress = (e) => { onProgress(e.loaded - last); last = e.loaded; };
    xhr.onload = () => xhr.status === 200
      ? (onProgress(blob.size - last), resolve((xhr.getResponseHeader("ETag") || "").replaceAll('"', "")))
      : (onProgress(-last), reject(new Error(`storage answered ${xhr.status}`)));
    xhr.onerror = () => { onProgress(-last); reject(new Error("network failure")); };
    xhr.send(blob);
  });
}

async function withRetries(task) {
  for (let attempt = 1; ; attempt++) {
    try { return await task(); } catch (error) {
      if (attempt >= RETRIES) throw error;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

async function uploadParts(file, assetId, upload, ui) {
  const done = new Map(upload.uploaded_parts.map((p) => [p.number, p.etag]));
  for (const p of upload.uploaded_parts) ui.add(p.size);
  const total = Math.max(1, Math.ceil(file.size / upload.part_size));
  const urls = new Map(upload.parts.map((p) => [p.number, p.url]));
  const missing = [...Array(total).keys()].map((i) => i + 1).filter((n) => !done.has(n));
  const unsigned = missing.filter((n) => !urls.has(n));
  if (unsigned.length) {
    const more = await api("POST", `/assets/${assetId}/upload`, {part_numbers: unsigned});
    for (const p of more.parts) urls.set(p.number, p.url);
  }
  const queue = [...missing];
  async function lane() {
    while (queue.length) {
      const n = queue.shift();
      const blob = file.slice((n - 1) * upload.part_size, n * upload.part_size);
      done.set(n, await withRetries(() => put(urls.get(n), blob, {}, (b) => ui.add(b))));
    }
  }
  await Promise.all(Array.from({length: PARTS_IN_FLIGHT}, lane));
  return [...done.entries()].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({number, etag}));
}

async function uploadFile(file) {
  const ui = row(file);
  const type = file.type || TYPES[file.name.split(".").pop().toLowerCase()] || "application/octet-stream";
  try {
    let assetId = pending()[fileKey(file)];
    let upload;
    if (assetId) {
      ui.set("resuming…");
      upload = await api("POST", `/assets/${assetId}/upload`).catch(() => null);
      if (!upload) { forget(file); assetId = null; }
    }
    if (!assetId) {
      const asset = await api("POST", "/assets", {filename: file.name, content_type: type, size: file.size});
      assetId = asset.id;
      upload = asset.upload;
    }
    remember(file, assetId);
    ui.set("uploading…");
    let parts;
    if (upload.method === "PUT") {
      await withRetries(() => put(upload.url, file, upload.headers, (b) => ui.add(b)));
    } else {
      parts = await uploadParts(file, assetId, upload, ui);
    }
    await api("POST", `/assets/${assetId}/complete`, parts ? {parts} : undefined);
    forget(file);
    ui.set("uploaded, processing…", "ok");
    ui.li.dataset.asset = assetId;
  } catch (error) {
    ui.set(error.message, "error");
    ui.li.classList.add("failed");
  }
  refresh();
}

function addFiles(files) {
  const list = [...files];
  if (!list.length) return;
  if (!totals.size) totals.started = performance.now();
  totals.size += list.reduce((n, f) => n + f.size, 0);
  overall();
  Promise.all(list.map(uploadFile)).then(showResumable);
}

// ---- the asset grid ----
let cursor = null;
function query(extra = "") {
  const form = new FormData($("filters"));
  const params = new URLSearchParams({limit: "24"});
  for (const [k, v] of form) if (v) params.set(k, v);
  return `/assets?${params}${extra}`;
}
function card(asset) {
  const thumb = asset.renditions.find((r) => r.kind === "thumbnail") || asset.renditions.find((r) => r.kind === "waveform");
  const placeholder = `<span class="placeholder">${esc(asset.content_type.split("/")[0])}</span>`;
  const picture = thumb ? `<img class="thumb" src="${esc(thumb.url)}" alt="" width="${thumb.width}" height="${thumb.height}">` : placeholder;
  const state = asset.status === "failed" ? `<span class="error">failed: ${esc(asset.error)}</span>` : esc(asset.status);
  const li = document.createElement("li");
  li.dataset.status = asset.status;
  li.dataset.id = asset.id;
  li.innerHTML = `<button type="button">${picture}<div class="caption">${esc(asset.filename)}</div><div class="caption">${state}</div></button>`;
  li.querySelector("button").addEventListener("click", () => open(asset.id));
  li.querySelector("img")?.addEventListener("error", (e) => { e.target.outerHTML = placeholder; });
  return li;
}
let latest = 0; // answers can arrive out of order: only the newest request may redraw the grid
async function refresh(more = false) {
  const mine = ++latest;
  const page = await api("GET", query(more && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
  if (mine !== latest) return;
  if (!more) $("grid").replaceChildren();
  for (const asset of page.items) $("grid").append(card(asset));
  cursor = page.next_cursor;
  $("more").hidden = !cursor;
}
setInterval(() => {
  if ([...$("grid").children].some((li) => ["pending_upload", "uploaded", "processing"].includes(li.dataset.status))) refresh();
}, 2000);

// The facts people look for, labelled; the full JSON stays behind a toggle.
function seconds(value) {
  if (value == null) return null;
  const s = Math.round(value), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}
function degrees(value, ref) {
  const parts = Array.isArray(value) ? value.map(Number) : [Number(value)];
  if (parts.some(Number.isNaN)) return null;
  const deg = (parts[0] || 0) + (parts[1] || 0) / 60 + (parts[2] || 0) / 3600;
  return ["S", "W"].includes(ref) ? -deg : deg;
}
function location(gps) {
  if (!gps?.GPSLatitude || !gps?.GPSLongitude) return null;
  const lat = degrees(gps.GPSLatitude, gps.GPSLatitudeRef), lon = degrees(gps.GPSLongitude, gps.GPSLongitudeRef);
  return lat == null || lon == null ? null : `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}
function exposure(c) {
  if (!c) return null;
  const parts = [];
  if (c.exposure_time) parts.push(c.exposure_time < 1 ? `1/${Math.round(1 / c.exposure_time)} s` : `${c.exposure_time} s`);
  if (c.f_number) parts.push(`f/${c.f_number}`);
  if (c.iso) parts.push(`ISO ${c.iso}`);
  if (c.focal_length) parts.push(`${c.focal_length} mm`);
  return parts.join(", ") || null;
}
function mediaFacts(m) {
  if (!m) return [];
  const streams = m.streams || [];
  const video = streams.find((s) => s.type === "video" && !s.attached_pic);
  const audio = streams.find((s) => s.type === "audio");
  const t = m.tags || {}, d = m.description || {}, c = m.camera;
  return [
    ["Format", m.format],
    ["Dimensions", m.width ? `${m.width} × ${m.height}` : null],
    ["Duration", seconds(m.duration)],
    ["Video", video ? [video.codec, video.profile, video.frame_rate && `${video.frame_rate} fps`, m.hdr && `HDR ${m.hdr}`].filter(Boolean).join(", ") : null],
    ["Audio", audio ? [audio.codec, audio.sample_rate && `${audio.sample_rate / 1000} kHz`, audio.channel_layout || (audio.channels && `${audio.channels} ch`)].filter(Boolean).join(", ") : null],
    ["Bit depth", m.bit_depth ? `${m.bit_depth}-bit` : null],
    ["Colour profile", m.icc_profile],
    ["Frames", m.animated ? m.frame_count : null],
    ["Pages", m.page_count > 1 ? m.page_count : null],
    ["Camera", c ? [c.make, c.model].filter(Boolean).join(" ") || null : null],
    ["Lens", c?.lens],
    ["Exposure", exposure(c)],
    ["Captured", m.captured_at?.replace("T", " ")],
    ["Location", location(c?.gps)],
    ["Title", t.title], ["Artist", t.artist], ["Album", t.album], ["Genre", t.genre], ["Track", t.track],
    ["Keywords", d.keywords?.join(", ")],
    ["Caption", d.caption], ["Creator", d.creator], ["Copyright", d.copyright],
    ["Rating", d.rating > 0 ? "★".repeat(d.rating) : null],
  ].filter(([, v]) => v != null && v !== "");
}

// ---- the asset page ----
async function open(id) {
  const asset = await api("GET", `/assets/${id}`);
  const kinds = Object.fromEntries(asset.renditions.map((r) => [r.kind, r]));
  $("detail-h").textContent = asset.filename;
  const family = asset.content_type.split("/")[0];
  let media = "";
  if (asset.media_url && family === "video") media = `<video controls preload="metadata" src="${esc(asset.media_url)}" poster="${esc(kinds.poster?.url || "")}"></video>`;
  else if (asset.media_url && family === "audio") media = `${kinds.waveform ? `<img src="${esc(kinds.waveform.url)}" alt="Waveform">` : ""}<audio controls preload="metadata" src="${esc(asset.media_url)}"></audio>`;
  else if (kinds.preview) media = `<img src="${esc(kinds.preview.url)}" alt="Preview of ${esc(asset.filename)}">`;
  const stream = asset.stream;
  const streaming = stream?.status === "ready" && stream.hls_url;
  $("detail-media").innerHTML = streaming ? "" : media;
  $("detail-stream").hidden = !streaming;
  if (streaming) {
    const engine = $("stream-engine");
    const start = () => player.play($("detail-media"), stream, engine.value, kinds.poster?.url).catch((error) => {
      $("detail-media").textContent = `The stream could not play: ${error.message || error}`;
    });
    engine.onchange = start;
    start();
  }
  const facts = [["Status", asset.status], ["Type", asset.content_type], ["Size", fmtBytes(asset.stored_size ?? asset.size ?? 0)],
    ["Stream", stream ? streamFacts(stream) : null],
    ...mediaFacts(asset.media),
    ["Steps", asset.steps?.length ? asset.steps.map((s) => `${s.name}: ${s.state}`).join(", ") : null], ["Error", asset.error]];
  $("detail-facts").innerHTML = facts.filter(([, v]) => v != null).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
  $("detail-json").textContent = JSON.stringify(asset.media, null, 2);
  $("detail-all").hidden = !asset.media;
  $("detail-download").hidden = !asset.download_url;
  $("detail-download").href = asset.download_url || "#";
  $("share-made").hidden = true;
  $("share-error").textContent = "";
  $("share-form").onsubmit = async (e) => {
    e.preventDefault();
    $("share-error").textContent = "";
    const body = {expires_in: Number($("share-expires").value), download: $("share-download").checked,
      show_metadata: $("share-metadata").checked};
    if ($("share-password").value) body.password = $("share-password").value;
    try {
      const made = await api("POST", `/assets/${id}/shares`, body);
      $("share-url").value = made.url;
      $("share-made").hidden = false;
      $("share-password").value = "";
      $("share-url").select();
    } catch (error) { $("share-error").textContent = error.message; }
  };
  $("detail-reprocess").onclick = async () => { await api("POST", `/assets/${id}/reprocess`); $("detail").close(); refresh(); };
  $("detail-delete").onclick = async () => { if (confirm(`Delete ${asset.filename}?`)) { await api("DELETE", `/assets/${id}`); $("detail").close(); refresh(); } };
  $("detail").showModal();
}
$("detail-close").addEventListener("click", () => $("detail").close());
$("detail").addEventListener("close", () => { player.stop(); });
for (const [value, label] of Object.entries(player.ENGINES)) $("stream-engine").append(new Option(label, value));

function streamFacts(stream) {
  if (stream.status !== "ready") return `${stream.status}${stream.progress ? ` (${Math.round(stream.progress * 100)}%)` : ""}`;
  const rungs = stream.variants.map((v) => (v.height ? `${v.height}p` : "audio")).join(", ");
  return `ready: ${rungs}`;
}

// ---- wiring ----
const drop = $("drop");
$("files").addEventListener("change", (e) => { addFiles(e.target.files); e.target.value = ""; });
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("files").click(); } });
for (const name of ["dragenter", "dragover"]) drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); });
for (const name of ["dragleave", "drop"]) drop.addEventListener(name, () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); addFiles(e.dataTransfer.files); });
$("filters").addEventListener("change", () => refresh());
$("more").addEventListener("click", () => refresh(true));
showResumable();
start();
