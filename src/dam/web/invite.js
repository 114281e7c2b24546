// The page of an invitation's link (/invite/{token}): a new address chooses its password; an
// existing account accepts signed in as itself (the server decides which applies); with single
// sign-on configured, "Sign in with <provider>" accepts through the provider instead.
const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split("/").pop());
const state = {csrf: null, signedIn: false, sso: false};

async function call(method, path, body) {
  const headers = body ? {"Content-Type": "application/json"} : {};
  if (state.csrf) headers["X-CSRF-Token"] = state.csrf;
  const response = await fetch(path, {method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin"});
  const data = response.status === 204 ? null : await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data?.detail || `${method} ${path}: ${response.status}`), {status: response.status});
  return data;
}

function show(signedIn) {
  state.signedIn = signedIn;
  $("sso").hidden = signedIn || !state.sso;
  $("as-me").hidden = !signedIn;
  $("new-account").hidden = signedIn;
  $("existing").hidden = signedIn;
}

function fail(error) { $("invite-error").textContent = error.message; }

async function accept(body) {
  $("invite-error").textContent = "";
  const me = await call("POST", `/invitations/${encodeURIComponent(token)}/accept`, body);
  for (const id of ["sso", "as-me", "new-account", "existing"]) $(id).hidden = true;
  $("joined").textContent = me.workspace ? `${me.workspace.name} (${me.workspace.role})` : "the workspace";
  $("invite-done").hidden = false;
  if (me.workspace) localStorage.setItem("dam.workspace", me.workspace.slug);
}

async function start() {
  try {
    const me = await call("GET", "/auth/me");
    if (me.kind !== "user") throw new Error("not a browser session");
    state.csrf = me.csrf_token;
    $("me").textContent = me.user.email;
    show(true);
  } catch { state.csrf = null; show(false); }
}

$("accept-me").addEventListener("click", () => accept(undefined).catch(fail));
$("switch").addEventListener("click", async () => {
  await call("POST", "/auth/logout").catch(() => null);
  state.csrf = null;
  show(false);
});
$("create").addEventListener("submit", (e) => {
  e.preventDefault();
  if ($("new-password").value !== $("new-password2").value) { fail(new Error("the two passwords differ")); return; }
  accept({password: $("new-password").value}).catch((error) => {
    fail(error.status === 403 ? new Error("This address already has an account: sign in below to accept.") : error);
  });
});
$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const me = await call("POST", "/auth/login", {email: $("email").value, password: $("password").value});
    state.csrf = me.csrf_token;
    $("password").value = "";
    await accept(undefined);
  } catch (error) { fail(error); }
});
fetch("/auth/providers").then((r) => r.json()).then((providers) => {
  if (!providers.oidc) return;
  $("sso-accept").textContent = `Sign in with ${providers.oidc.name}`;
  $("sso-accept").href = `${providers.oidc.login_url}?invitation=${encodeURIComponent(token)}`;
  state.sso = true;
  if ($("invite-done").hidden) $("sso").hidden = state.signedIn;
}).catch(() => null);
start();
