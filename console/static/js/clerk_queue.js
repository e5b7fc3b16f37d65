// The clerk's side of the counter queue: call the next waiting number.

import { call, report, requireToken, say, t } from "./api.js";

const form = document.getElementById("queue-call");
const queuePath = `${document.body.dataset.console}queue/`;

const ticketName = (counter, number) => `${counter}-${String(number).padStart(3, "0")}`;

async function callNext(event) {
  event.preventDefault();
  if (!requireToken()) return;

  const counter = form.elements.counter.value.trim().toUpperCase();
  try {
    const answer = await call(`${queuePath}${encodeURIComponent(counter)}/next`,
      { method: "POST" });
    const called = document.getElementById("called");
    called.textContent = answer.number
      ? `${t("queue_called")}: ${ticketName(answer.counter, answer.number)}`
      : t("queue_empty");
    called.dataset.number = answer.number ?? "";
    document.getElementById("queue-waiting").textContent = String(answer.waiting);
    if (!answer.number) say(t("queue_empty"));
  } catch (problem) {
    report(problem);
  }
}

form.addEventListener("submit", callNext);
