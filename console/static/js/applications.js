// The applications the signed-in user may open, newest first: where each
// stands, and a way to cancel one the API says they may cancel (a clerk what
// they filed, when the resident withdraws it at the counter; an agency head
// those of the services the agency answers for; the regent any).
import {
  call, el, formatTime, report, requireToken, say, showPage, t,
} from "./api.js";

const PER_PAGE = 20;
const body = document.getElementById("applications");
const statusFilter = document.getElementById("applications-status");
const shown = document.getElementById("applications-shown");

async function loadApplications() {
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
    el("td", {}, application.may_cancel ? cancelControl(application) : ""));
  row.dataset.applicationId = application.id;
  row.dataset.status = application.status;
  return row;
}

/** A "cancel" button that opens a small form asking why, in the same cell. */
function cancelControl(application) {
  const open = el("button", { type: "button", className: "secondary cancel" }, t("applications_cancel"));
  const reason = el("input", {
    name: "reason", required: true, minLength: 3, maxLength: 300,
    placeholder: t("applications_cancel_reason"), ariaLabel: t("applications_cancel_reason"),
  });
  const confirm = el("button", { type: "submit" }, t("applications_cancel_confirm"));
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
    say(`${t("applications_cancelled")} ${application.tracking_number}`);
  } catch (problem) {
    report(problem);
  }
  await loadApplications();
}

statusFilter.addEventListener("change", loadApplications);
document.getElementById("applications-refresh").addEventListener("click", loadApplications);
// The counter page announces each application it files.
document.addEventListener("application-filed", loadApplications);
if (requireToken()) loadApplications();
