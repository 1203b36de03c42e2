/**
 * The string formats the grammar knows, each as a regular expression of exactly the texts it writes for it:
 * every one valid under the format's definition (RFC 3339 dates and times with real calendar days, leap
 * years included), a subset where the definition allows more (upper-case `T` and `Z`, no leap second, no
 * `urn:uuid:` prefix, e-mail addresses of the common dot-atom form).
 */
const year = '\\d{4}';
const leapYear = '(?:\\d\\d(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const monthDay =
  '(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))';
const date = `(?:${year}-${monthDay}|${leapYear}-02-29)`;
const time = '(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?';
const offset = '(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)';
const atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const hex = (count: number) => `[0-9a-fA-F]{${count}}`;

export const formats: Readonly<Record<string, string>> = {
  date,
  time: `${time}${offset}`,
  'date-time': `${date}T${time}${offset}`,
  email: `${atom}(?:\\.${atom})*@${label}(?:\\.${label})+`,
  uuid: `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`,
  ipv4: '(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)',
};
