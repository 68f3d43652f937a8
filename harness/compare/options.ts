// Parse --tolerance and --confidence with errors that say what was wrong.
import { EXIT, FlexbenchError } from '../exit-codes.js';

function fraction(flag: string, text: string): number {
  const s = text.trim();
  const pct = s.endsWith('%');
  const body = pct ? s.slice(0, -1).trim() : s;
  if (!/^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(body)) throw new FlexbenchError(`--${flag} "${text}" is not a number or percentage (e.g. 5% or 0.05)`, EXIT.usage);
  const v = Number(body);
  return pct ? v / 100 : v;
}

/** "5%" or "0.05" -> 0.05; a bare number must be a fraction below 1 so "5" cannot silently mean 500%. */
export function parseTolerance(text: string): number {
  const v = fraction('tolerance', text);
  if (!text.trim().endsWith('%') && v >= 1) throw new FlexbenchError(`--tolerance ${text} would be ${v * 100}%: write ${text}% or a fraction like 0.05`, EXIT.usage);
  if (!(v >= 0 && v < 1)) throw new FlexbenchError(`--tolerance ${text} must be within [0%, 100%)`, EXIT.usage);
  return v;
}

/** "0.95" or "95%" -> 0.95, strictly between 0 and 1. */
export function parseConfidence(text: string): number {
  const v = fraction('confidence', text);
  if (!(v > 0 && v < 1)) throw new FlexbenchError(`--confidence ${text} must be strictly between 0 and 1 (e.g. 0.95 or 95%)`, EXIT.usage);
  return v;
}
