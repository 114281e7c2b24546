// The asset dialog's player: Shaka Player (HLS or DASH, its own UI with a quality menu, storyboard
// thumbnails on the seek bar), or hls.js. Scripts come from /static/vendor/ (npm, installed by
// `make`), loaded the first time a stream plays.
const SHAKA = "/static/vendor/shaka-player.ui.js";
const SHAKA_CSS = "/static/vendor/controls.css";
const HLSJS = "/static/vendor/hls.min.js";
export const ENGINES = {"shaka-hls": "HLS (Shaka Player)", "shaka-dash": "DASH (Shaka Player)", "hls.js": "HLS (hls.js)"};

const loaded = {};
function script(src) {
  loaded[src] ??= new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.onload = resolve;
    tag.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(tag);
  });
  return loaded[src];
}
function stylesheet(href) {
  if (document.querySelector(`link[href="${href}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  document.head.append(link);
}

let current = null;

export async function stop() {
  const playing = current;
  current = null;
  window.damPlayer = null;
  if (playing) await playing.destroy();
}

async function withShaka(shell, video, stream, engine) {
  stylesheet(SHAKA_CSS);
  await script(SHAKA);
  const shaka = window.shaka;
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  await player.attach(video);
  const ui = new shaka.ui.Overlay(player, shell, video);
  ui.configure({overflowMenuButtons: ["quality", "playback_rate", "picture_in_picture"], enableTooltips: true});
  const errors = [];
  player.addEventListener("error", (event) => errors.push(event.detail?.code ?? String(event.detail)));
  await player.load(engine === "shaka-dash" ? stream.dash_url : stream.hls_url);
  if (stream.storyboard_url) await player.addThumbnailsTrack(stream.storyboard_url, "text/vtt");
  return {engine, player, ui, video, errors, destroy: () => ui.destroy()};
}

async function withHlsJs(video, stream) {
  video.controls = true;
  await script(HLSJS);
  const errors = [];
  if (!window.Hls.isSupported()) {  // Safari plays HLS itself
    video.src = stream.hls_url;
    return {engine: "native", video, errors, destroy: async () => { video.removeAttribute("src"); video.load(); }};
  }
  const hls = new window.Hls();
  hls.on(window.Hls.Events.ERROR, (_, data) => { if (data.fatal) errors.push(data.details); });
  hls.loadSource(stream.hls_url);
  hls.attachMedia(video);
  return {engine: "hls.js", hls, video, errors, destroy: async () => hls.destroy()};
}

// Play `stream` (an asset's `stream` object) in `box` with one of ENGINES.
export async function play(box, stream, engine = "shaka-hls", poster = "") {
  await stop();
  box.replaceChildren();
  const shell = document.createElement("div");
  shell.className = "player";
  const video = document.createElement("video");
  video.id = "stream-video";
  video.playsInline = true;
  video.preload = "metadata";
  if (poster) video.poster = poster;
  shell.append(video);
  box.append(shell);
  current = engine === "hls.js" ? await withHlsJs(video, stream) : await withShaka(shell, video, stream, engine);
  window.damPlayer = current;  // the console (and the browser tests) look at it
  return current;
}
