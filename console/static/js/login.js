import { clearToken, say, setToken, t } from "./api.js";

const form = document.getElementById("login-form");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = form.elements.token.value.trim();
  if (!token) return;
  setToken(token);
  form.reset();
  say(t("login_saved"));
});

document.getElementById("logout").addEventListener("click", () => {
  clearToken();
  say(t("login_cleared"));
});
