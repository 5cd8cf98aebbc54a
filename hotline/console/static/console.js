// chanwatch console: countdowns to the due time, and the live queue (SSE).
// No inline script anywhere (the Content-Security-Policy forbids it).
"use strict";

function formatLeft(ms) {
  if (ms <= 0) return "OVERDUE";
  const minutes = Math.floor(ms / 60000);
  const h = Math.floor(minutes / 60), m = minutes % 60, s = Math.floor(ms / 1000) % 60;
  if (h) return h + "h" + String(m).padStart(2, "0") + "m";
  return m + "m" + String(s).padStart(2, "0") + "s";
}

function tick() {
  const now = Date.now();
  document.querySelectorAll(".countdown[data-due]").forEach((el) => {
    if (el.dataset.decided === "1" || !el.dataset.due) return;
    const left = Date.parse(el.dataset.due) - now;
    el.textContent = formatLeft(left);
    const row = el.closest("tr");
    if (left <= 0 && row && !row.classList.contains("u-overdue")) {
      row.className = row.className.replace(/\bu-\w+/, "") + " u-overdue";
    }
  });
}

function liveQueue() {
  const box = document.getElementById("queue");
  if (!box || !box.dataset.events) return;
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const before = new Set([...box.querySelectorAll("tr[data-alert]")].map((r) => r.dataset.alert));
      const res = await fetch(box.dataset.rows, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (res.ok) {
        box.innerHTML = await res.text();
        box.querySelectorAll("tr[data-alert]").forEach((r) => {
          if (!before.has(r.dataset.alert)) r.classList.add("fresh");
        });
        tick();
      }
    } finally { busy = false; }
  }
  if (window.EventSource) {
    const events = new EventSource(box.dataset.events);
    events.addEventListener("changed", refresh);
  } else {
    setInterval(refresh, 4000);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  tick();
  setInterval(tick, 1000);
  liveQueue();
});
