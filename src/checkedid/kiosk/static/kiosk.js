// checkedid kiosk page: guides the person step by step; all decisions are the service's.
// Nothing personal is kept here: frames are sent and dropped, and the page reloads
// (clearing everything) when the result screen times out.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || document.body.dataset.lang || "en";
  const resultTimeout = Number(params.get("result_timeout") || 20) * 1000;
  const $ = (id) => document.getElementById(id);
  const el = { step: $("step"), guidance: $("guidance"), video: $("video"), reader: $("reader"),
    decision: $("decision"), bar: $("bar"), progress: $("progress"), go: $("go"),
    card: $("card"), canvas: $("canvas") };
  let texts = {};
  let step = "idle";
  let stream = null;
  let looping = false;
  let resetTimer = null;

  const t = (code) => (texts[code] && (texts[code][lang] || texts[code].en)) || code;
  const say = (g) => {
    if (!g) { el.guidance.textContent = ""; el.guidance.dataset.code = ""; return; }
    el.guidance.textContent = (g.message && (g.message[lang] || g.message.en)) || t(g.code);
    el.guidance.dataset.code = g.code;
    // the guidance shown (codes and the words for them), for tests
    (window.kioskGuidance = window.kioskGuidance || []).push([g.code, el.guidance.textContent]);
    el.guidance.classList.toggle("alert", g.code === "chip.removed" || g.code.endsWith("failed"));
  };
  const progress = (p) => {
    el.progress.style.width = p + "%";
    el.progress.setAttribute("aria-valuenow", String(p));
  };

  function show(name) {
    step = name;
    (window.kioskSteps = window.kioskSteps || []).push(name);  // the steps shown, for tests
    el.step.dataset.step = name;
    el.step.textContent = t(name === "idle" ? "step.start" : "step." + name);
    el.video.hidden = !(name === "document" || name === "selfie");
    el.video.classList.toggle("mirror", name === "selfie");  // a selfie view is a mirror
    const stage = el.video.parentElement;
    stage.classList.toggle("selfie", name === "selfie");
    stage.classList.toggle("document", name === "document");
    el.reader.hidden = name !== "chip";
    el.bar.hidden = name !== "chip";
    el.decision.hidden = name !== "decision";
    el.go.hidden = name !== "idle";
    const order = ["document", "chip", "selfie", "decision"];
    document.querySelectorAll(".steps li").forEach((li) => {
      const i = order.indexOf(li.dataset.s), k = order.indexOf(name);
      li.classList.toggle("on", i === k);
      li.classList.toggle("done", k > i && i >= 0);
    });
  }

  async function camera() {
    if (stream) return;
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    el.video.srcObject = stream;
    await el.video.play().catch(() => {});
  }
  function stopCamera() {
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    stream = null;
    el.video.srcObject = null;
  }
  function grab() {
    const v = el.video, c = el.canvas;
    if (!v.videoWidth) return Promise.resolve(null);
    c.width = v.videoWidth; c.height = v.videoHeight;
    c.getContext("2d").drawImage(v, 0, 0);
    return new Promise((ok) => c.toBlob(ok, "image/jpeg", 0.92));
  }
  const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

  async function loop(which, url) {
    if (looping) return;
    looping = true;
    try {
      while (step === which) {
        const blob = await grab();
        if (!blob) { await sleep(200); continue; }
        const r = await fetch(url, { method: "POST", body: blob,
          headers: { "Content-Type": "image/jpeg" } });
        const answer = await r.json().catch(() => ({}));
        if (answer.found || answer.decision || (which === "selfie" && !answer.retry)) break;
        await sleep(which === "selfie" ? 400 : 150);
      }
    } finally { looping = false; }
  }

  function finishScreen(decision, guidance) {
    stopCamera();
    el.canvas.width = 0;  // drops the last frame the canvas held
    show("decision");
    el.decision.className = "decision " + decision;
    el.decision.dataset.decision = decision;
    el.decision.textContent = decision === "ERROR" ? t("step.error") :
      t("decision." + decision.toLowerCase()).split(":")[0];
    say(guidance);
    clearTimeout(resetTimer);
    resetTimer = setTimeout(wipe, resultTimeout);
  }

  async function wipe() {
    // The result screen timed out: forget everything and start from a fresh page.
    await fetch("/api/kiosk/reset", { method: "POST" }).catch(() => {});
    el.decision.textContent = ""; el.guidance.textContent = "";
    location.replace(location.pathname + location.search);
  }

  function onEvent(ev) {
    if ("card_present" in ev) el.card.textContent = ev.card_present ? "\u25CF " + t("card.on") : "";
    if (ev.type === "state") {
      if (ev.step === "decision" && ev.decision) finishScreen(ev.decision, ev.guidance);
      else if (ev.step !== step && ev.step !== "idle") enter(ev.step);
      if (ev.guidance) say(ev.guidance);
      progress(ev.progress || 0);
      return;
    }
    if (ev.type === "step.started" && ev.step) enter(ev.step);
    if (ev.type === "decision" || ev.type === "error") { finishScreen(ev.decision, ev.guidance); return; }
    if (ev.type === "reset") { if (step !== "idle") location.replace(location.pathname + location.search); return; }
    if (typeof ev.progress === "number" && step === "chip") progress(ev.progress);
    if (ev.guidance) say(ev.guidance);
  }

  function enter(name) {
    if (name === step) return;
    show(name);
    if (name === "document") camera().then(() => loop("document", "/api/kiosk/frame"));
    if (name === "chip") { progress(5); el.reader.classList.remove("reading"); }
    if (name === "selfie") camera().then(() => loop("selfie", "/api/kiosk/selfie"));
  }

  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/events");
    ws.onmessage = (m) => {
      const ev = JSON.parse(m.data);
      if (ev.guidance && ev.guidance.code === "chip.reading") el.reader.classList.add("reading");
      if (ev.guidance && ev.guidance.code === "chip.removed") el.reader.classList.remove("reading");
      onEvent(ev);
    };
    ws.onclose = () => setTimeout(connect, 1000);  // reconnect: the service sends its state first
  }

  el.go.addEventListener("click", async () => {
    el.go.disabled = true;
    const r = await fetch("/api/kiosk/start", { method: "POST" });
    el.go.disabled = false;
    if (r.status === 409) { say(await r.json()); return; }
    enter("document");
  });

  fetch("/api/messages").then((r) => r.json()).then((m) => {
    texts = m;
    el.go.textContent = t("button.start");
    show("idle");
    connect();
  });
})();
