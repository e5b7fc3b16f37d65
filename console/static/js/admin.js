// The admin's page: which agencies' own systems are sent their tasks, the
// days the working calendar closes or opens beyond the national holidays,
// applications a failed step stopped, and the staff accounts.
import {
  call, el, formatTime, me, report, requireToken, say, showPage, t, villages,
} from "./api.js";

const english = document.documentElement.lang === "en";
const endpoints = document.getElementById("endpoints");
const endpointsShown = document.getElementById("endpoints-shown");
const endpointForm = document.getElementById("endpoint-form");
const exceptions = document.getElementById("calendar-exceptions");
const exceptionsShown = document.getElementById("calendar-shown");
const calendarForm = document.getElementById("calendar-form");
const incidents = document.getElementById("incidents");
const incidentsShown = document.getElementById("incidents-shown");
const retryData = document.getElementById("retry-data");
const accounts = document.getElementById("accounts");
const accountsAgency = document.getElementById("accounts-agency");
const accountsRole = document.getElementById("accounts-role");
const accountsShown = document.getElementById("accounts-shown");
const accountForm = document.getElementById("account-form");

let agencyNames = new Map();
let villageNames = new Map();

const agencyName = (code) => (code ? agencyNames.get(code) || code : t("admin_scope_all"));

async function loadAgencies() {
  const page = await call("/agencies?per_page=100");
  agencyNames = new Map(page.items.map((a) => [a.code, english ? a.name_en : a.name_id]));
  const options = () => page.items.map((a) => el("option", { value: a.code }, `${a.code} — ${agencyName(a.code)}`));
  document.getElementById("endpoint-agency").replaceChildren(...options());
  document.getElementById("calendar-agency").append(...options());
  document.getElementById("account-agency").append(...options());
  accountsAgency.append(...options());
}

async function loadVillages() {
  const all = await villages();
  villageNames = new Map(all.map((v) => [v.code, v.name]));
  document.getElementById("account-village").append(
    ...all.map((v) => el("option", { value: v.code }, `${v.name} (${v.kecamatan})`)),
  );
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

async function saveEndpoint(form) {
  const agency = form.get("agency");
  await call(`/agencies/${encodeURIComponent(agency)}/endpoint`, {
    method: "PUT", json: { url: form.get("url"), secret: form.get("secret") },
  });
  // The secret leaves the page once it is stored.
  endpointForm.elements.secret.value = "";
  say(`${t("admin_endpoint_saved")} ${agencyName(agency)}`);
  await loadEndpoints();
}

/**
 * On submit, hand ``send`` the form's values; a refusal of the API is shown
 * in ``errors``, each located error beside the form that caused it.
 */
function onSubmit(form, errors, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    try {
      await send(new FormData(form));
    } catch (problem) {
      report(problem, errors);
    }
  });
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

// Today in the regency, as YYYY-MM-DD: days gone by need no managing.
const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Jakarta" }).format(new Date());

async function loadExceptions() {
  const page = await call(`/calendar/exceptions?per_page=100&since=${today()}`);
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

async function saveException(form) {
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
}

// -- stopped applications --------------------------------------------------------

async function loadIncidents() {
  const page = await call("/incidents?per_page=100");
  showPage(incidents, incidentsShown, page, incidentRow, 6);
}

function incidentRow(incident) {
  const button = el("button", { type: "button", className: "secondary retry" }, t("admin_retry"));
  button.addEventListener("click", () => retry(incident, button));
  const step = incident.line ? `${incident.element_id} (${t("error_line")} ${incident.line})` : incident.element_id;
  const row = el("tr", {},
    el("td", {}, incident.tracking_number),
    el("td", {}, incident.service_code),
    el("td", {}, step || "—"),
    el("td", { className: "incident-message" }, incident.message || "—"),
    el("td", {}, formatTime(incident.submitted_at)),
    el("td", {}, button));
  row.dataset.applicationId = incident.application_id;
  return row;
}

/** The data to add before a retry: a JSON object, or none when left empty. */
function dataToAdd() {
  const text = retryData.value.trim();
  if (!text) return {};
  const data = JSON.parse(text);
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new SyntaxError();
  return data;
}

async function retry(incident, button) {
  let data;
  try {
    data = dataToAdd();
  } catch {
    say(t("admin_bad_json"), "error");
    return;
  }
  button.disabled = true;
  try {
    const application = await call(`/applications/${incident.application_id}/retry`, {
      method: "POST", json: { data },
    });
    const moving = application.status !== "error";
    say(`${t(moving ? "admin_retried" : "admin_still_stopped")} ${incident.tracking_number}`,
      moving ? "info" : "error");
  } catch (problem) {
    report(problem);
  }
  await loadIncidents();
}

// -- staff accounts --------------------------------------------------------------

async function loadAccounts() {
  const params = new URLSearchParams({ per_page: "100" });
  if (accountsAgency.value) params.set("agency", accountsAgency.value);
  if (accountsRole.value) params.set("role", accountsRole.value);
  const [page, signedIn] = await Promise.all([call(`/users?${params}`), me()]);
  showPage(accounts, accountsShown, page, (user) => accountRow(user, signedIn), 6);
}

/** Where the account works: its agency, its village office, or neither. */
function placeOf(user) {
  if (user.agency_code) return agencyName(user.agency_code);
  if (user.village_code) return villageNames.get(user.village_code) || user.village_code;
  return "—";
}

function accountRow(user, signedIn) {
  const renew = el("button", { type: "button", className: "secondary renew" }, t("admin_new_token"));
  renew.addEventListener("click", () => giveNewToken(user, renew));
  const toggle = el("button", { type: "button", className: "secondary toggle" },
    t(user.active ? "admin_deactivate" : "admin_activate"));
  toggle.addEventListener("click", () => setActive(user, !user.active, toggle));
  const row = el("tr", {},
    el("td", {}, user.name),
    el("td", {}, t(`role_${user.role}`)),
    el("td", {}, placeOf(user)),
    el("td", {}, t(user.active ? "admin_active" : "admin_inactive")),
    el("td", {}, formatTime(user.created_at)),
    // The API refuses an admin's deactivating their own account; no button for it.
    el("td", { className: "row" }, renew, user.name === signedIn.name ? null : toggle));
  row.dataset.user = user.name;
  row.dataset.active = String(user.active);
  return row;
}

/** Show a token once, for its owner to be given; it is never shown again. */
function showToken(name, token) {
  document.getElementById("new-token-for").textContent = t("admin_token_for").replace("{name}", name);
  document.getElementById("new-token-value").textContent = token;
  document.getElementById("new-token").hidden = false;
}

async function makeAccount(form) {
  const made = await call("/users", {
    method: "POST",
    json: {
      name: form.get("name").trim(),
      role: form.get("role"),
      agency_code: form.get("agency") || null,
      village_code: form.get("village") || null,
    },
  });
  showToken(made.name, made.token);
  accountForm.reset();
  say(`${t("admin_account_made")} ${made.name}`);
  await loadAccounts();
}

async function giveNewToken(user, button) {
  button.disabled = true;
  try {
    const renewed = await call(`/users/${user.id}/token`, { method: "POST" });
    showToken(user.name, renewed.token);
  } catch (problem) {
    report(problem);
  }
  button.disabled = false;
}

async function setActive(user, active, button) {
  button.disabled = true;
  try {
    await call(`/users/${user.id}`, { method: "PATCH", json: { active } });
    say(`${t(active ? "admin_activated" : "admin_deactivated")} ${user.name}`);
  } catch (problem) {
    report(problem);
  }
  await loadAccounts();
}

async function start() {
  try {
    await Promise.all([loadAgencies(), loadVillages()]);
    await Promise.all([loadEndpoints(), loadExceptions(), loadIncidents(), loadAccounts()]);
  } catch (problem) {
    report(problem);
  }
}

onSubmit(endpointForm, document.getElementById("endpoint-errors"), saveEndpoint);
onSubmit(calendarForm, document.getElementById("calendar-errors"), saveException);
onSubmit(accountForm, document.getElementById("account-errors"), makeAccount);
for (const filter of [accountsAgency, accountsRole]) filter.addEventListener("change", () => loadAccounts().catch(report));
if (requireToken()) start();
