// The inspection page: everything it needs is served by the same process (no external resources).
"use strict";

const el = (id) => document.getElementById(id);
const state = { lines: [], files: [], results: [], recent: [] };

function threshold() {
  return Number(el("threshold").value);
}

// The server's rule, re-decided here from the returned areas when the slider moves.
function decide(image, t) {
  const failing = image.classes.filter((c) => c.id > 0 && c.pixels > t).map((c) => c.name);
  return { result: failing.length ? "fail" : "pass", failing };
}

function setStatus(text, kind) {
  const s = el("status");
  s.textContent = text;
  s.className = "status" + (kind ? " " + kind : "");
}

async function errorText(response) {
  try {
    const body = await response.json();
    return body.error || response.statusText;
  } catch (e) {
    return response.status + " " + response.statusText;
  }
}

async function loadLines() {
  const service = el("service");
  try {
    const ready = await fetch("/readyz");
    if (!ready.ok) {
      service.textContent = await errorText(ready);
      service.className = "service down";
      setTimeout(loadLines, 2000);
      return;
    }
    const r = await fetch("/v1/lines");
    const body = await r.json();
    state.lines = body.lines;
    const select = el("line");
    const previous = select.value;
    select.innerHTML = "";
    for (const l of state.lines) {
      const o = document.createElement("option");
      o.value = l.name;
      o.textContent = l.name;
      select.appendChild(o);
    }
    if (state.lines.some((l) => l.name === previous)) {
      select.value = previous;
    }
    service.textContent = "ready: " + state.lines.length + " line" + (state.lines.length === 1 ? "" : "s");
    service.className = "service ready";
    showLineInfo();
  } catch (e) {
    service.textContent = "service unreachable";
    service.className = "service down";
    setTimeout(loadLines, 2000);
  }
}

function showLineInfo() {
  const l = state.lines.find((x) => x.name === el("line").value);
  el("line-info").textContent = l ? l.method + ", " + l.trainable_parameters.toLocaleString() +
    " trained parameters, base " + l.base_fingerprint.slice(0, 12) : "";
}

async function inspectOne(file, line) {
  const url = "/v1/inspect?png=base64&line=" + encodeURIComponent(line) + "&threshold=" + threshold();
  // Multipart, so that the service names the file in what it says about it.
  const form = new FormData();
  form.append("file", file, file.name);
  const response = await fetch(url, { method: "POST", body: form });
  if (!response.ok) {
    const message = await errorText(response);
    const retry = response.headers.get("Retry-After");
    return { file, refused: true, status: response.status,
      message: response.status === 429 ? "Service busy: " + message + (retry ? " (retry in " + retry + " s)" : "")
        : response.status === 503 ? "Service not ready: " + message : "Refused: " + message };
  }
  return { file, body: await response.json() };
}

async function inspect(files) {
  const line = el("line").value;
  if (!line) {
    setStatus("No product line is loaded; add an adapter folder and reload.", "error");
    return;
  }
  state.files = files;
  setStatus("Inspecting " + files.length + " image" + (files.length === 1 ? "" : "s") + " on " + line + " ...",
    "busy");
  const results = [];
  for (const f of files) {
    results.push(await inspectOne(f, line));
  }
  state.results = results;
  // The slider reaches the largest image's whole area, so any threshold the verdict could need is on it.
  const slider = el("threshold");
  for (const r of results) {
    if (!r.refused) {
      for (const img of r.body.images) {
        slider.max = Math.max(Number(slider.max), img.width * img.height);
      }
    }
  }
  const refused = results.filter((r) => r.refused).length;
  setStatus(refused ? refused + " of " + results.length + " refused (see below)" : "Done: " + results.length +
    " inspected on " + line, refused ? "error" : "");
  for (const r of results) {
    if (!r.refused) {
      const img = r.body.images[0];
      state.recent.unshift({ time: new Date(), name: r.file.name, line: r.body.line, image: img,
        latency: r.body.latency_ms });
    }
  }
  state.recent = state.recent.slice(0, 25);
  render();
}

function render() {
  const container = el("results");
  container.innerHTML = "";
  const t = threshold();
  for (const r of state.results) {
    const card = document.createElement("article");
    card.className = "card";
    if (r.refused) {
      card.className = "card refused";
      card.innerHTML = "<h3></h3><p class='refusal'></p>";
      card.querySelector("h3").textContent = r.file.name;
      card.querySelector(".refusal").textContent = r.message;
      container.appendChild(card);
      continue;
    }
    const body = r.body;
    const img = body.images[0];
    const v = decide(img, t);
    card.dataset.line = body.line;
    card.innerHTML =
      "<figure><img class='original' alt='original'><figcaption>original, " + img.width + " x " + img.height +
      "</figcaption></figure>" +
      "<figure><img class='overlay' alt='overlay'><figcaption>overlay, line <b class='line-name'></b>" +
      "</figcaption></figure>" +
      "<div class='facts'><h3></h3><span class='verdict'></span>" +
      "<table class='areas'><thead><tr><th>Class</th><th>Pixels</th><th>Share</th></tr></thead><tbody></tbody></table>" +
      "<p class='rule'></p><p class='muted regions'></p></div>";
    card.querySelector(".original").src = URL.createObjectURL(r.file);
    card.querySelector(".overlay").src = "data:image/png;base64," + img.overlay_png;
    card.querySelector(".line-name").textContent = body.line;
    card.querySelector("h3").textContent = r.file.name;
    const verdict = card.querySelector(".verdict");
    verdict.textContent = v.result;
    verdict.className = "verdict " + v.result;
    const tbody = card.querySelector(".areas tbody");
    for (const c of img.classes) {
      const tr = document.createElement("tr");
      tr.dataset.classId = c.id;
      tr.innerHTML = "<td><span class='swatch'></span><span class='class-name'></span></td>" +
        "<td class='num pixels'></td><td class='num share'></td>";
      tr.querySelector(".swatch").style.background = body.palette[c.id];
      tr.querySelector(".class-name").textContent = c.name;
      tr.querySelector(".pixels").textContent = c.pixels;
      tr.querySelector(".share").textContent = (100 * c.share).toFixed(2) + " %";
      tbody.appendChild(tr);
    }
    card.querySelector(".rule").textContent = "fail when any defect class covers more than " + t + " pixels" +
      (v.failing.length ? " (failing: " + v.failing.join(", ") + ")" : "");
    card.querySelector(".regions").textContent = img.regions_total + " defect region" +
      (img.regions_total === 1 ? "" : "s") + ", adapter switch " + body.switch_ms.toFixed(3) + " ms, " +
      body.latency_ms.toFixed(0) + " ms in all";
    container.appendChild(card);
  }
  renderRecent();
}

function renderRecent() {
  const tbody = el("recent").querySelector("tbody");
  tbody.innerHTML = "";
  const t = threshold();
  for (const r of state.recent) {
    const tr = document.createElement("tr");
    const v = decide(r.image, t);
    const defects = r.image.classes.filter((c) => c.id > 0).reduce((s, c) => s + c.pixels, 0);
    tr.innerHTML = "<td></td><td></td><td></td><td><span class='verdict'></span></td><td class='num'></td>" +
      "<td class='num'></td>";
    const cells = tr.querySelectorAll("td");
    cells[0].textContent = r.time.toLocaleTimeString();
    cells[1].textContent = r.name;
    cells[2].textContent = r.line;
    const badge = cells[3].querySelector(".verdict");
    badge.textContent = v.result;
    badge.className = "verdict " + v.result;
    cells[4].textContent = defects;
    cells[5].textContent = r.latency.toFixed(0) + " ms";
    tbody.appendChild(tr);
  }
}

el("threshold").addEventListener("input", () => {
  el("threshold-value").textContent = el("threshold").value;
  render();
});
el("line").addEventListener("change", () => {
  showLineInfo();
  if (state.files.length) {
    inspect(state.files);
  }
});
el("files").addEventListener("change", (e) => inspect(Array.from(e.target.files)));
const drop = el("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  inspect(Array.from(e.dataTransfer.files));
});
loadLines();
