/**
 * `jsonb` stores numbers as PostgreSQL `numeric` (arbitrary precision); JavaScript reads them as
 * doubles. A record holding, say, a 20-digit id number would come back changed after a
 * read-modify-write in JavaScript. Writers check the stored text first and leave such a record
 * untouched (reported), instead of silently rounding it.
 */

// A JSON string (skipped) or a number token (captured).
const TOKENS = /"(?:[^"\\]|\\.)*"|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
// Cheap pre-check: a number can only change with 16+ significant digits or a 3-digit exponent.
const SUSPECT = /\d[\d.]{15}|\d[eE][+-]?\d{3}/;

/** Whether every number in the JSON text survives a round trip through a JavaScript double by value. */
export function numbersSurviveDoubles(jsonText: string): boolean {
  if (!SUSPECT.test(jsonText)) return true;
  for (const m of jsonText.matchAll(TOKENS)) {
    const token = m[1];
    if (token === undefined) continue;
    if (!sameDecimal(token, String(Number(token)))) return false;
  }
  return true;
}

/** Decimal value equality of two JSON number texts (no floating point involved). */
function sameDecimal(a: string, b: string): boolean {
  const x = normalize(a);
  const y = normalize(b);
  return x.sign === y.sign && x.digits === y.digits && x.exp === y.exp;
}

/** `-12.3400e2` → sign '-', digits '1234', exp (position of the decimal point) 2. Zero → digits ''. */
function normalize(text: string): { sign: string; digits: string; exp: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return { sign: '?', digits: text, exp: 0 }; // Infinity/NaN cannot appear in JSON; never equal
  const int = m[2] as string;
  const frac = m[3] ?? '';
  let digits = int + frac;
  let exp = int.length + Number(m[4] ?? 0);
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  exp -= lead;
  if (digits === '') return { sign: '', digits: '', exp: 0 };
  return { sign: m[1] as string, digits, exp };
}
