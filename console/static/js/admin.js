// The admin's page: which agencies' own systems are sent their tasks, and the
// days the working calendar closes or opens beyond the national holidays.
import {
  call, el, formatTime, report, requireToken, say, showPage, t,
} from "./api.js";

const english = document.documentElement.lang === "en";
const endpoints = document.getElementById("endpoints");
const endpointsShown = document.getElementById("endpoints-shown");
const endpointForm = document.getElementById("endpoint-form");
const endpointErrors = document.getElementById("endpoint-errors");
const exceptions = document.getElementById("calendar-exceptions");
const exceptionsShown = document.getElementById("calendar-shown");
const calendarForm = document.getElementById("calendar-form");
const calendarErrors = document.getElementById("calendar-errors");

let agencyNames = new Map();

const agencyName = (code) => (code ? agencyNames.get(code) || code : t("admin_scope_all"));

async function loadAgencies() {
  const page = await call("/agencies?per_page=100");
  agencyNames = new Map(page.items.map((a) => [a.code, english ? a.name_en : a.name_id]));
  const options = () => page.items.map((a) => el("option", { value: a.code }, `${a.code} — ${agencyName(a.code)}`));
  document.getElementById("endpoint-agency").replaceChildren(...options());
  document.getElementById("calendar-agency").append(...options());
}

// -- agency systems ------------------------------------------------------------

async function loadEndpoints() {
  const page = await call("/agency-endpoints?per_page=100");
  showPage(endpoints, endpointsShown, page, endpointRow, 4);
}

function endpointRow(endpoint) {
  const button = removeButton(
    `/agencies/${encodeURIComponent(endpoint.agency_code)}/endpoint`,
    `${t("admin_endpoint_removed")} ${agencyName(endpoint.agency_code)}`,
    loadEndpoints,
  );
  const row = el("tr", {},
    el("td", {}, agencyName(endpoint.agency_code)),
    el("td", { className: "url" }, endpoint.url),
    el("td", {}, `${formatTime(endpoint.updated_at)} · ${endpoint.updated_by}`),
    el("td", {}, button));
  row.dataset.agency = endpoint.agency_code;
  return row;
}

async function saveEndpoint(event) {
  event.preventDefault();
  const form = new FormData(endpointForm);
  const agency = form.get("agency");
  endpointErrors.replaceChildren();
  try {
    await call(`/agencies/${encodeURIComponent(agency)}/endpoint`, {
      method: "PUT", json: { url: form.get("url"), secret: form.get("secret") },
    });
    // The secret leaves the page once it is stored.
    endpointForm.elements.secret.value = "";
    say(`${t("admin_endpoint_saved")} ${agencyName(agency)}`);
    await loadEndpoints();
  } catch (problem) {
    report(problem, endpointErrors);
  }
}

/** A button that DELETEs ``path``, says ``done`` if it went, and lists again. */
function removeButton(path, done, reload) {
  const button = el("button", { type: "button", className: "secondary remove" }, t("admin_remove"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await call(path, { method: "DELETE" });
      say(done);
    } catch (problem) {
      report(problem);
    }
    await reload();
  });
  return button;
}

// -- working calendar ------------------------------------------------------------

async function loadExceptions() {
  const page = await call("/calendar/exceptions?per_page=100");
  showPage(exceptions, exceptionsShown, page, exceptionRow, 5);
}

function exceptionRow(exception) {
  const button = removeButton(
    `/calendar/exceptions/${exception.id}`,
    `${t("admin_day_removed")} ${exception.day}`,
    loadExceptions,
  );
  const row = el("tr", {},
    el("td", {}, exception.day),
    el("td", {}, agencyName(exception.agency_code)),
    el("td", {}, t(`admin_kind_${exception.kind}`)),
    el("td", {}, exception.reason),
    el("td", {}, button));
  row.dataset.day = exception.day;
  row.dataset.kind = exception.kind;
  return row;
}

async function saveException(event) {
  event.preventDefault();
  const form = new FormData(calendarForm);
  calendarErrors.replaceChildren();
  try {
    const saved = await call("/calendar/exceptions", {
      method: "PUT",
      json: {
        day: form.get("day"),
        agency_code: form.get("agency") || null,
        kind: form.get("kind"),
        reason: form.get("reason").trim(),
      },
    });
    say(`${t("admin_day_saved")} ${saved.day}`);
    await loadExceptions();
  } catch (problem) {
    report(problem, calendarErrors);
  }
}

async function start() {
  try {
    await loadAgencies();
    await Promise.all([loadEndpoints(), loadExceptions()]);
  } catch (problem) {
    report(problem);
  }
}

endpointForm.addEventListener("submit", saveEndpoint);
calendarForm.addEventListener("submit", saveException);
if (requireToken()) start();
