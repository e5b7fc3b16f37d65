import { call, el, me, report, requireToken, say, t, villages } from "./api.js";
import { nikProblem } from "./nik.js";

const english = document.documentElement.lang === "en";
const search = document.getElementById("service-search");
const list = document.getElementById("services");
const form = document.getElementById("applicant-form");
const nikInput = document.getElementById("nik");
const nikCheck = document.getElementById("nik-check");
const errors = document.getElementById("form-errors");
const villageSelect = document.getElementById("village");
let chosen = null;

const nameOf = (service) => (english ? service.name_en : service.name_id);
const rupiah = new Intl.NumberFormat("id-ID", { style: "currency", currency: "IDR", maximumFractionDigits: 0 });

function feeText(service) {
  if (service.fee_kind === "free" || service.fee_idr === 0) return t("counter_fee_free");
  if (service.fee_idr === null || service.fee_idr === undefined) return t("counter_fee_assessed");
  return rupiah.format(service.fee_idr);
}

async function findServices(query) {
  const params = new URLSearchParams({ per_page: "20" });
  if (query) params.set("q", query);
  try {
    const page = await call(`/services?${params}`);
    const items = page.items.map((service) => {
      const button = el("button", { type: "button", className: "link" }, nameOf(service));
      button.dataset.code = service.code;
      button.addEventListener("click", () => choose(service.code));
      return el("li", {}, button, el("small", {}, ` ${service.agency_code}`));
    });
    list.replaceChildren(...(items.length ? items : [el("li", {}, t("counter_no_services"))]));
  } catch (problem) {
    report(problem);
  }
}

async function choose(code) {
  try {
    chosen = await call(`/services/${encodeURIComponent(code)}`);
  } catch (problem) {
    report(problem);
    return;
  }
  document.getElementById("service-name").textContent = nameOf(chosen);
  document.getElementById("service-fee").textContent = feeText(chosen);
  document.getElementById("service-sla").textContent =
    `${chosen.sla_working_days} ${t("counter_working_days")}`;
  document.getElementById("service-documents").replaceChildren(
    ...chosen.required_documents.map((name) => el("li", {}, name)));
  document.getElementById("service-detail").hidden = false;
}

/** Offer the regency's villages by kecamatan, the clerk's own village chosen. */
async function offerVillages() {
  try {
    const [all, user] = await Promise.all([villages(), me()]);
    villageSelect.append(...byKecamatan(all));
    chooseDefaultVillage(user.village_code);
  } catch (problem) {
    report(problem);
  }
}

function byKecamatan(all) {
  const groups = new Map();
  for (const village of all) {
    if (!groups.has(village.kecamatan_code)) {
      const label = `${t("counter_kecamatan")} ${village.kecamatan}`;
      groups.set(village.kecamatan_code, el("optgroup", { label }));
    }
    groups.get(village.kecamatan_code).append(el("option", { value: village.code }, village.name));
  }
  return [...groups.values()];
}

// A village office's clerk mostly serves its own residents. The default option
// is what form.reset() goes back to, so it stays chosen from one resident to the next.
function chooseDefaultVillage(code) {
  const option = [...villageSelect.options].find((choice) => code && choice.value === code);
  if (!option) return;
  option.defaultSelected = true;
  villageSelect.value = code;
}

// randomUUID exists only in secure contexts; counters on plain http get the fallback.
const requestKey = () => (crypto.randomUUID
  ? crypto.randomUUID()
  : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

function checkNik() {
  const value = nikInput.value.trim();
  const problem = value ? nikProblem(value) : null;
  nikCheck.textContent = value ? t(problem || "nik_ok") : "";
  nikCheck.dataset.ok = problem ? "false" : "true";
  nikInput.setCustomValidity(problem ? t(problem) : "");
}

async function submit(event) {
  event.preventDefault();
  errors.replaceChildren();
  if (!chosen) {
    say(t("counter_choose_service"), "error");
    return;
  }
  const applicant = {
    nik: nikInput.value.trim(),
    name: form.elements.name.value.trim(),
    phone: form.elements.phone.value.trim(),
  };
  try {
    const application = await call("/applications", {
      method: "POST",
      // Without a village the server records the clerk's own, if any.
      json: { service_code: chosen.code, applicant, village_code: villageSelect.value || null },
      headers: { "Idempotency-Key": requestKey() },
    });
    say(`${t("counter_submitted")} ${application.tracking_number}`);
    document.dispatchEvent(new CustomEvent("application-filed"));
    await showReceipt(application.tracking_number);
    form.reset();
    checkNik();
  } catch (problem) {
    report(problem, errors);
  }
}

async function showReceipt(number) {
  const lang = document.documentElement.lang;
  const html = await call(`${document.body.dataset.console}receipts/${encodeURIComponent(number)}?lang=${lang}`, { text: true });
  document.getElementById("receipt").innerHTML = html;
  document.getElementById("receipt-area").hidden = false;
}

search.addEventListener("submit", (event) => {
  event.preventDefault();
  findServices(search.elements.q.value.trim());
});
nikInput.addEventListener("input", checkNik);
form.addEventListener("submit", submit);
document.getElementById("print").addEventListener("click", () => window.print());

if (requireToken()) {
  findServices("");
  offerVillages();
}
