// The hall screen: poll the counter's state and show the number called last.

import { t } from "./api.js";

const screen = document.getElementById("screen");
const every = Number(screen.dataset.poll) * 1000;

const ticketName = (number) => `${screen.dataset.counter}-${String(number).padStart(3, "0")}`;

async function refresh() {
  try {
    const response = await fetch(screen.dataset.state, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const state = await response.json();
    document.getElementById("now-serving").textContent =
      state.now_serving ? ticketName(state.now_serving) : t("queue_none");
    document.getElementById("waiting").textContent = String(state.waiting);
  } catch {
    // The network dropped for a moment; the next poll tries again.
  } finally {
    setTimeout(refresh, every);
  }
}

setTimeout(refresh, every);
