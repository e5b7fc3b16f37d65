// The clerk's own applications, newest first: where each stands, and a way to
// cancel one still under way when the resident withdraws it at the counter.
import {
  call, el, formatTime, report, requireToken, say, showPage, t,
} from "./api.js";

const ACTIVE = new Set(["in_progress", "waiting_on_applicant", "error"]);
const PER_PAGE = 20;
const body = document.getElementById("mine");
const statusFilter = document.getElementById("mine-status");
const shown = document.getElementById("mine-shown");

async function loadMine() {
  const params = new URLSearchParams({ per_page: String(PER_PAGE) });
  if (statusFilter.value) params.set("status", statusFilter.value);
  try {
    const page = await call(`/applications?${params}`);
    showPage(body, shown, page, applicationRow, 5);
  } catch (problem) {
    report(problem);
  }
}

function applicationRow(application) {
  const row = el("tr", {},
    el("td", {}, application.tracking_number),
    el("td", {}, application.service_code),
    el("td", { className: "status" }, t(`status_${application.status}`)),
    el("td", {}, formatTime(application.submitted_at)),
    el("td", {}, ACTIVE.has(application.status) ? cancelControl(application) : ""));
  row.dataset.applicationId = application.id;
  row.dataset.status = application.status;
  return row;
}

/** A "cancel" button that opens a small form asking why, in the same cell. */
function cancelControl(application) {
  const open = el("button", { type: "button", className: "secondary cancel" }, t("counter_cancel"));
  const reason = el("input", {
    name: "reason", required: true, minLength: 3, maxLength: 300,
    placeholder: t("counter_cancel_reason"), ariaLabel: t("counter_cancel_reason"),
  });
  const confirm = el("button", { type: "submit" }, t("counter_cancel_confirm"));
  const form = el("form", { className: "row cancel-form", hidden: true }, reason, confirm);
  open.addEventListener("click", () => {
    open.hidden = true;
    form.hidden = false;
    reason.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cancel(application, reason.value.trim(), confirm);
  });
  return el("div", {}, open, form);
}

async function cancel(application, reason, button) {
  button.disabled = true;
  try {
    await call(`/applications/${application.id}/cancel`, { method: "POST", json: { reason } });
    say(`${t("counter_cancelled")} ${application.tracking_number}`);
  } catch (problem) {
    report(problem);
  }
  await loadMine();
}

statusFilter.addEventListener("change", loadMine);
document.getElementById("mine-refresh").addEventListener("click", loadMine);
document.addEventListener("application-filed", loadMine);
if (requireToken()) loadMine();
