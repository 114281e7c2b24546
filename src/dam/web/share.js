// The page of a share link (/s/{token}): what GET /shares/{token} shows, after the link's password
// when it asks for one. An asset's link shows its asset; a collection's link shows a grid of its
// assets (paged with "Load more"), and opening one shows it as an asset's link would, at
// #asset={id} so the browser's back button returns to the grid. Every URL it shows is presigned
// for no longer than the link lives.
import * as asset from "./share-asset.js";
const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const base = `/shares/${encodeURIComponent(token)}`;
const grid = {name: "", cursor: null, count: 0, opened: null};
let visit = 0;  // each view change; an answer for an older one is dropped

function fail(message) {
  $("share").hidden = true;
  $("share-collection").hidden = true;
  $("share-error").textContent = message;
}

async function read(url) {
  const answer = await fetch(url, {credentials: "same-origin"});
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401 && body.error === "password_required") return {locked: true};
  if (!answer.ok) return {error: body.detail || `The link could not be opened (${answer.status}).`};
  return {body};
}

function ask() {
  $("share").hidden = true;
  $("share-collection").hidden = true;
  $("share-password").hidden = false;
  $("share-pass").focus();
}

function showAsset(body) {
  $("share-name").textContent = body.name;
  document.title = body.name;
  asset.render(body);
  $("share").hidden = false;
}

function card(item) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.id = item.id;
  button.title = item.name;  // the whole name, where the caption cuts it short
  const thumb = item.thumbnail_url || item.preview_url;
  const caption = document.createElement("span");
  caption.className = "caption";
  caption.textContent = item.name;
  if (thumb) {
    const img = Object.assign(document.createElement("img"), {src: thumb, alt: item.name, className: "thumb"});
    img.loading = "lazy";
    caption.setAttribute("aria-hidden", "true");  // the image's alt text names the button
    button.append(img, caption);
  } else {
    const box = document.createElement("span");
    box.className = "placeholder";
    box.setAttribute("aria-hidden", "true");
    box.textContent = item.status === "ready" ? (item.kind || item.type) : "Not ready yet";
    button.append(box, caption);
  }
  button.addEventListener("click", () => {
    history.pushState({fromGrid: true}, "", `#asset=${encodeURIComponent(item.id)}`);
    route();
  });
  const li = document.createElement("li");
  li.append(button);
  return li;
}

function addPage(body) {
  const cards = body.items.map(card);
  $("share-grid").append(...cards);
  grid.cursor = body.next_cursor;
  grid.count += cards.length;
  $("share-more").hidden = !grid.cursor;
  $("share-count").textContent = grid.count ? `${grid.count} file${grid.count === 1 ? "" : "s"} shown` : "This collection is empty.";
  if (!$("share-expires-all").textContent && body.items.length) {
    $("share-expires-all").textContent = asset.expiry(body.items[0].expires_at);
  }
  return cards;
}

function showCollection(body) {
  grid.name = body.collection.name;
  grid.count = 0;
  $("share-name").textContent = grid.name;
  $("share-description").textContent = body.collection.description || "";
  $("share-description").hidden = !body.collection.description;
  $("share-grid").replaceChildren();
  $("share-expires-all").textContent = "";
  addPage(body);
  $("share-back-bar").hidden = false;
  $("share-item-name").hidden = false;
}

async function more() {
  const button = $("share-more");
  button.disabled = true;
  try {
    const page = await read(`${base}?cursor=${encodeURIComponent(grid.cursor)}`);
    if (page.locked) return ask();
    if (page.error) return void ($("share-error").textContent = page.error);
    const cards = addPage(page.body);
    cards[0]?.querySelector("button").focus();  // keyboard users carry on where the new files start
  } finally {
    button.disabled = false;
  }
}

function toGrid() {
  asset.clear();
  $("share").hidden = true;
  $("share-collection").hidden = false;
  $("share-name").textContent = grid.name;
  document.title = grid.name;
  const opened = grid.opened && $("share-grid").querySelector(`button[data-id="${CSS.escape(grid.opened)}"]`);
  grid.opened = null;
  opened?.focus();
}

async function openItem(id) {
  const mine = ++visit;
  grid.opened = id;
  $("share-collection").hidden = true;
  $("share-item-name").textContent = "";
  asset.missing("Opening…");
  $("share").hidden = false;
  const found = await read(`${base}/assets/${encodeURIComponent(id)}`);
  if (mine !== visit) return;
  if (found.locked) return ask();
  if (found.error) {
    $("share-item-name").textContent = "Not found";
    asset.missing("This file is not in the shared collection.");
  } else {
    $("share-item-name").textContent = found.body.name;
    document.title = `${found.body.name} – ${grid.name}`;
    asset.render(found.body);
  }
  $("share-item-name").focus();
}

// The view the address names: #asset={id} one asset of the collection, else the grid.
function route() {
  const id = new URLSearchParams(location.hash.slice(1)).get("asset");
  if (id) return openItem(id);
  visit++;
  toGrid();
}

function back() {
  if (history.state?.fromGrid) return history.back();  // popstate shows the grid
  history.replaceState(null, "", location.pathname + location.search);  // opened from a shared address
  route();
}

async function show() {
  const found = await read(base);
  if (found.locked) return ask();
  if (found.error) return fail(found.error);
  $("share-password").hidden = true;
  if (!found.body.collection) return showAsset(found.body);
  showCollection(found.body);
  window.addEventListener("popstate", route);
  route();
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
$("share-more").addEventListener("click", () => more().catch((error) => { $("share-error").textContent = `${error}`; }));
$("share-back").addEventListener("click", back);

show().catch((error) => fail(`The link could not be opened: ${error}`));
