/**
 * The checks and parsers every configuration field is read and validated with, pure: a
 * check throws RangeError "name: expected X, got Y"; a parser turns an environment or flag
 * string into the field's type (or leaves it for the check to refuse).
 */

export function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected an integer in ${min}–${max}, got ${String(value)}`);
  }
}

export function checkNumber(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name}: expected a number in ${min}–${max}, got ${String(value)}`);
  }
}

export function checkChoice<T extends string>(name: string, value: string, choices: readonly T[]): void {
  if (!(choices as readonly string[]).includes(value)) {
    throw new RangeError(`${name}: expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

export const asNumber = (raw: string): number => (raw.trim() === '' ? Number.NaN : Number(raw));
export const asString = (raw: string): string => raw;
export const asList = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
export const asBoolean = (raw: string): boolean | string => {
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return raw;
};
