// A first look at a NIK as it is typed. The server is the authority: this only
// catches typing slips early, and names the part at fault like the server does.

const PROVINCES = new Set(("11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 " +
  "61 62 63 64 65 71 72 73 74 75 76 81 82 91 92 93 94 95 96").split(" "));

const WOMAN_DAY_OFFSET = 40;

/** Return null for a NIK that looks right, else the string key of the first fault. */
export function nikProblem(value) {
  if (!/^[0-9]*$/.test(value)) return "nik_digits";
  if (value.length !== 16) return "nik_length";
  if (!PROVINCES.has(value.slice(0, 2))) return "nik_province";

  const regency = Number(value.slice(2, 4));
  if (regency < 1 || regency > 79) return "nik_regency";
  if (value.slice(4, 6) === "00") return "nik_kecamatan";
  if (!plausibleBirth(value.slice(6, 12))) return "nik_birth_date";
  if (value.slice(12) === "0000") return "nik_serial";
  return null;
}

function plausibleBirth(block) {
  let day = Number(block.slice(0, 2));
  const month = Number(block.slice(2, 4));
  if (day > WOMAN_DAY_OFFSET) day -= WOMAN_DAY_OFFSET;
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 29 February is checked by the server, which knows the century.
  const longest = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= longest;
}
