// The job dashboard (/jobs): a module of its own, as the page's Content-Security-Policy allows no inline script.
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const cards = (obj) => Object.entries(obj).map(([k, v]) => `<div class="card">${esc(k)}<b>${esc(typeof v === "object" ? `${v.succeeded} ✓ / ${v.failed} ✗` : v)}</b></div>`).join("") || '<span class="muted">none</span>';
const time = (t) => t ? new Date(t).toLocaleTimeString() : "";
function rows(el, head, items, row) {
  el.innerHTML = items.length ? `<tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr>` + items.map(row).join("") : '<tr><td class="muted">none</td></tr>';
}
// The page's credential is the browser session of the upload page (the cookie rides along); its
// writes carry the session's CSRF token, read from /auth/me.
let csrf = null;
function notice(html) {
  $("notice").innerHTML = html;
  $("notice").hidden = !html;
}
async function call(path, options = {}) {
  const headers = {...(options.headers ?? {}), ...(csrf ? {"X-CSRF-Token": csrf} : {})};
  const response = await fetch(path, {...options, headers, credentials: "same-origin"});
  if (response.status === 401) notice('Not signed in: <a href="/">sign in at /</a>, then come back to this page.');
  else if (response.status === 403 && path === "/api/jobs") notice("Only workspace admins and operators see the job dashboard.");
  return response;
}
async function rerun(id, workspace, button) {
  button.disabled = true;
  const response = await call(`/assets/${id}/reprocess`, {method: "POST", headers: {"X-Workspace": workspace}});
  button.textContent = response.ok ? "queued" : `error ${response.status}`;
  refresh();
}
// One listener for every Re-run button, present and future (no inline handlers under the CSP).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-rerun]");
  if (button) rerun(button.dataset.rerun, button.dataset.workspace, button);
});
async function refresh() {
  if (csrf === null) {
    const me = await call("/auth/me");
    if (!me.ok) return;
    csrf = (await me.json()).csrf_token ?? "";
  }
  const response = await call("/api/jobs");
  if (!response.ok) return;
  notice("");
  const data = await response.json();
  $("updated").textContent = `queue ${data.queue} · ${new Date().toLocaleTimeString()}`;
  $("assets").innerHTML = cards(data.assets);
  $("bridge").innerHTML = cards(data.bridge);
  $("dead").innerHTML = data.dead_letters.map((d) => `<p><code>${esc(d)}</code></p>`).join("");
  $("counts").innerHTML = cards(data.counts);
  const n = (s, state) => esc(s.states[state] ?? 0);
  rows($("steps"), ["step", "pending", "running", "done", "failed", "mean s", "max s"], data.steps,
    (s) => `<tr><td>${esc(s.step)}</td><td>${n(s, "pending")}</td><td>${n(s, "running")}</td><td class="ok">${n(s, "done")}</td><td class="bad">${n(s, "failed")}</td><td>${esc(s.mean_seconds ?? "")}</td><td>${esc(s.max_seconds ?? "")}</td></tr>`);
  rows($("stepfail"), ["asset", "step", "reason", "at", ""], data.step_failures,
    (f) => `<tr><td><code>${esc(f.asset_id)}</code></td><td>${esc(f.step)}</td><td class="bad">${esc(f.error)}</td><td>${time(f.finished_at)}</td><td><button type="button" data-rerun="${esc(f.asset_id)}" data-workspace="${esc(f.workspace_id)}">Re-run</button></td></tr>`);
  const job = (j) => `<td>${esc(j.function)}</td><td><code>${esc(j.args.join(", "))}</code></td><td>${time(j.enqueued_at)}</td><td>${esc(j.tries ?? "")}</td>`;
  rows($("running"), ["function", "asset", "enqueued", "try"], data.in_progress, (j) => `<tr>${job(j)}</tr>`);
  rows($("queued"), ["function", "asset", "enqueued", "try"], data.queued, (j) => `<tr>${job(j)}</tr>`);
  rows($("recent"), ["function", "asset", "enqueued", "try", "result", "seconds"], data.recent,
    (j) => `<tr>${job(j)}<td class="${j.success && !String(j.result).startsWith("failed") ? "ok" : "bad"}">${esc(j.result)}</td><td>${esc(j.seconds)}</td></tr>`);
  rows($("failed"), ["asset", "file", "reason", ""], data.failed_assets,
    (a) => `<tr><td><code>${esc(a.id)}</code></td><td>${esc(a.filename)}</td><td class="bad">${esc(a.error)}</td><td><button type="button" data-rerun="${esc(a.id)}" data-workspace="${esc(a.workspace_id)}">Re-run</button></td></tr>`);
}
refresh();
setInterval(refresh, 3000);
